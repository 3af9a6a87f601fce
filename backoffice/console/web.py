"""What every console page shares: the text catalogs, the templates, the language,
the logged-in user, form bodies and CSRF, security headers.

Texts live in ``locale/{zh_CN,en}.po`` (Chinese first); templates get ``t(key,
**values)``. Jinja2 escapes everything (``autoescape``): terminal-supplied strings
(device reasons, states, versions) are untrusted and only ever shown as text.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import polib
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from backoffice.auth import read_body
from backoffice.console import sessions
from backoffice.console.sessions import ConsoleUser
from backoffice.settings import REPO_ROOT, Settings

HERE = Path(__file__).resolve().parent
LANGS = ("zh_CN", "en")
LANG_COOKIE = "bo_console_lang"
SESSION_COOKIE = "bo_console"
LOGIN_COOKIE = "bo_console_login"  # double-submit CSRF token of the login form
FORM_LIMIT = 16 * 1024
#: Staff work in China: times are shown in China Standard Time.
CST = timezone(timedelta(hours=8))
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
                               "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


#: The kiosk's own catalogs: device kinds and reasons travel in heartbeats as these
#: keys (the wire vocabulary), so the console names them as the kiosk's screens do.
KIOSK_LOCALE = REPO_ROOT / "kiosk" / "locale"
DEVICE_KEYS = ("device.kind.", "device.reason.")


class Texts:
    """Both catalogs, loaded once per app."""

    def __init__(self, directory: Path = HERE / "locale",
                 kiosk_locale: Path = KIOSK_LOCALE) -> None:
        self.catalogs = {lang: {e.msgid: e.msgstr for e in polib.pofile(str(directory /
                                                                         f"{lang}.po"))}
                         for lang in LANGS}
        self.devices: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
        for lang in LANGS:
            for po in sorted((kiosk_locale / lang).glob("*.po")):
                self.devices[lang].update({e.msgid: e.msgstr for e in polib.pofile(str(po))
                                           if e.msgid.startswith(DEVICE_KEYS) and e.msgstr})

    def device_words(self, lang: str) -> Callable[[str, str | None], str]:
        """``(prefix, value)``: the kiosk's words for a device kind or reason key, else
        the value as sent (terminal-supplied: the template escapes it)."""
        words = self.devices[lang]

        def name(prefix: str, value: str | None) -> str:
            if not value:
                return ""
            key = value if value.startswith(prefix) else prefix + value
            return words.get(key, value)
        return name

    def translator(self, lang: str) -> Callable[..., str]:
        catalog = self.catalogs[lang]
        fallback = self.catalogs[LANGS[0]]

        def t(key: str, **values: Any) -> str:
            text = catalog.get(key) or fallback.get(key) or key
            return text.format(**values) if values else text
        return t


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["cst"] = local_time
    env.filters["seconds"] = signed_seconds
    return env


def signed_seconds(value: float, digits: int = 1) -> str:
    """``+95.0``, ``-3.2``; a skew that rounds to nothing is ``0.0``, never ``-0.0``."""
    rounded = round(value, digits)
    return f"{rounded:+.{digits}f}" if rounded else f"{0:.{digits}f}"


def local_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def settings_of(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "")
    return lang if lang in LANGS else LANGS[0]


def secure(request: Request) -> bool:
    """Cookies are ``Secure`` when the console is served over TLS (or behind a TLS proxy,
    ``console_secure``)."""
    return request.url.scheme == "https" or settings_of(request).console_secure


def set_cookie(response: Response, request: Request, name: str, value: str,
               max_age: int | None = None, path: str = "/console") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite="strict", secure=secure(request))


@dataclass
class Page:
    """One request's rendering context."""

    request: Request
    user: ConsoleUser | None

    @property
    def lang(self) -> str:
        return language(self.request)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        state = self.request.app.state
        t = state.console_texts.translator(self.lang)
        html = state.console_templates.get_template(template).render(
            t=t, dw=state.console_texts.device_words(self.lang), lang=self.lang,
            user=self.user, path=self.request.url.path,
            query=str(self.request.url.query), **values)
        response = HTMLResponse(html, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response


def current_user(request: Request) -> ConsoleUser | None:
    s = settings_of(request)
    return sessions.find(request.app.state.sessions, request.cookies.get(SESSION_COOKIE, ""),
                         s.clock.now(), s.console_idle_s)


def to_login(request: Request, reason: str = "") -> RedirectResponse:
    """To the login form; "expired" is said only to a browser that had a session."""
    if reason == "expired" and not request.cookies.get(SESSION_COOKIE):
        reason = ""
    target = "/console/login" + (f"?m={reason}" if reason else "")
    response = RedirectResponse(target, status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


async def form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, first value of each field."""
    body = await read_body(request, FORM_LIMIT)
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in fields.items() if v}


def same_origin(request: Request) -> bool:
    """A browser's POST names where it came from; refuse one from another site."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def new_token() -> str:
    return secrets.token_urlsafe(32)
