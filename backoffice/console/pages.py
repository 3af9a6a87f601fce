"""The console's routes under ``/console``: login and logout, terminals, one terminal,
alerts (acknowledge, CSV). Every page wants a logged-in ``technician`` or ``admin``;
every POST wants the session's CSRF token and no foreign ``Origin``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from backoffice import alerts, heartbeats
from backoffice.console import acks, remote, sessions
from backoffice.console.sessions import ConsoleUser
from backoffice.console.views import SORTS, STATES, ago, alert_value, choose, rows, sites
from backoffice.console.web import (
    LANG_COOKIE,
    LANGS,
    LOGIN_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    Page,
    current_user,
    form,
    new_token,
    same_origin,
    set_cookie,
    settings_of,
    to_login,
)
from backoffice.db import transaction
from backoffice.errors import ApiError

router = APIRouter(prefix="/console", include_in_schema=False)


async def _posted(request: Request) -> tuple[ConsoleUser, dict[str, str]] | Response:
    """A console form's fields and the signed-in user who sent it, or the answer that
    refuses it: the login page when the session is gone, 403 without a same-site
    ``Origin`` and the session's CSRF token."""
    fields = await form(request)
    user = await run_in_threadpool(current_user, request)
    if user is None:
        return to_login(request, "expired")
    if not same_origin(request) or not user.csrf_ok(fields.get("csrf", "")):
        return Page(request, user).render("error.html", status=403, message="error.csrf")
    return user, fields
TerminalId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
MESSAGES = {"expired": "login.expired", "out": "login.logged_out"}


def _evaluate(request: Request, terminal_id: str | None = None
              ) -> tuple[list[alerts.TerminalSnapshot], alerts.Evaluation]:
    s = settings_of(request)
    now = s.clock.now()
    with transaction(request.app.state.sessions, write=False) as session:
        found_terminals = heartbeats.snapshots(session, terminal_id)
        stored = acks.stored(session)
    found = alerts.evaluate(found_terminals, s.thresholds, now, stored)
    if found.stale_acks and terminal_id is None:
        with transaction(request.app.state.sessions) as session:
            acks.forget(session, found.stale_acks)
    return found_terminals, found


def _signed_in(request: Request) -> Page | Response:
    """The page of the signed-in technician or admin, or the way back to the login form."""
    user = current_user(request)
    return Page(request, user) if user is not None else to_login(request, "expired")


def _in_words(page: Page, now: datetime) -> dict[str, Any]:
    """The templates' ``ago`` (how long before ``now``) and ``value`` (what an alert
    measured), in the page's language."""
    t = page.request.app.state.console_texts.translator(page.lang)
    return {"ago": lambda at: ago(at, now, t), "value": lambda a: alert_value(a, t)}


# ---- login --------------------------------------------------------------------------

@router.get("")
def home() -> RedirectResponse:
    return RedirectResponse("/console/terminals", status_code=303)


@router.get("/login")
def login_form(request: Request, m: str = "") -> Response:
    return _login_page(request, MESSAGES.get(m, ""), status=200)


def _login_page(request: Request, message: str, status: int, account: str = "") -> Response:
    token = new_token()
    response = Page(request, None).render("login.html", status=status, csrf=token,
                                          message=message, account=account)
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await form(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not same_origin(request) or not cookie or fields.get("csrf") != cookie:
        return _login_page(request, "login.csrf", status=403)
    account = fields.get("account", "").strip()[:32]
    token = fields.get("token", "").strip()[:200]
    if token and "." not in token:
        token = f"{account}.{token}"
    s = settings_of(request)
    client = request.client.host if request.client else ""
    try:
        if token.split(".", 1)[0] != account:
            raise ApiError(401, "bad_staff_token", "account and token differ")
        who = await run_in_threadpool(request.app.state.staff_auth.authenticate,
                                      f"Bearer {token}", client, s.clock.now())
    except ApiError as exc:
        if exc.status == 429:
            page = _login_page(request, "login.rate_limited", status=429, account=account)
            page.headers["Retry-After"] = str(int(exc.retry_after or 1))
            return page
        return _login_page(request, "login.bad", status=401, account=account)
    if who.role not in sessions.CONSOLE_ROLES:
        return _login_page(request, "login.refused_role", status=403, account=account)
    cookie_value = await run_in_threadpool(sessions.start, request.app.state.sessions, who,
                                           s.clock.now(), s.console_max_s)
    response = RedirectResponse("/console/terminals", status_code=303)
    set_cookie(response, request, SESSION_COOKIE, cookie_value)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    await run_in_threadpool(sessions.end, request.app.state.sessions,
                            request.cookies.get(SESSION_COOKIE, ""))
    return to_login(request, "out")


@router.get("/lang")
def switch_language(request: Request, to: str = "zh_CN", next: str = "/console") -> Response:
    # Only a path of this console: never an open redirect.
    target = next if next.startswith("/console") and "//" not in next and "\\" not in next \
        else "/console"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, LANG_COOKIE, to if to in LANGS else LANGS[0],
               max_age=365 * 86400)
    return response


# ---- pages ---------------------------------------------------------------------------

@router.get("/terminals")
def terminal_list(request: Request, site: str = "", state: str = "", alerting: str = "",
                  sort: str = "id") -> Response:
    page = _signed_in(request)
    if not isinstance(page, Page):
        return page
    s = settings_of(request)
    now = s.clock.now()
    terminals, found = _evaluate(request)
    every = rows(terminals, found, s.thresholds, now)
    shown = choose(every, site=site, state=state if state in STATES else "",
                   alerting=alerting == "1", sort=sort if sort in SORTS else "id")
    return page.render("terminals.html", rows=shown, total=len(every), sites=sites(every),
                       site=site, state=state, alerting=alerting == "1", sort=sort,
                       states=STATES, sorts=SORTS, now=now, open_alerts=len(found.open),
                       **_in_words(page, now))


@router.get("/terminals/{terminal_id}")
def terminal_page(request: Request, terminal_id: TerminalId, m: str = "",
                  detail: str = "") -> Response:
    page = _signed_in(request)
    if not isinstance(page, Page):
        return page
    s = settings_of(request)
    now = s.clock.now()
    terminals, found = _evaluate(request, terminal_id)
    if not terminals:
        return page.render("error.html", status=404, message="error.not_found")
    with transaction(request.app.state.sessions, write=False) as session:
        beats = heartbeats.recent_heartbeats(session, terminal_id, 50)
        history = heartbeats.device_history(session, terminal_id, 100)
        panel = remote.panel(session, terminal_id)
    return page.render("terminal.html", terminal=terminals[0], alerts=found.alerts,
                       beats=beats, history=history, panel=panel, now=now,
                       message=m if m in remote.MESSAGES else "", detail=detail[:200],
                       kinds=remote.KINDS, **_in_words(page, now))


@router.post("/terminals/{terminal_id}/commands")
async def queue_command(request: Request, terminal_id: TerminalId) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    user, fields = posted
    s = settings_of(request)
    message, detail = await run_in_threadpool(
        remote.queue, request.app.state.sessions, terminal_id, fields.get("kind", ""),
        fields.get("reason", ""), user, s.clock.now())
    query = urlencode({"m": message, "detail": detail})
    return RedirectResponse(f"/console/terminals/{terminal_id}?{query}", status_code=303)


@router.get("/alerts")
def alert_list(request: Request) -> Response:
    page = _signed_in(request)
    if not isinstance(page, Page):
        return page
    s = settings_of(request)
    now = s.clock.now()
    _terminals, found = _evaluate(request)
    ordered = sorted(found.alerts, key=lambda a: (a.ack is not None, a.terminal_id, a.rule))
    return page.render("alerts.html", alerts=ordered, open=len(found.open),
                       acked=len(found.alerts) - len(found.open), th=s.thresholds,
                       done=request.query_params.get("m") == "acked", **_in_words(page, now))


@router.post("/alerts/ack")
async def acknowledge(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    user, fields = posted
    key = fields.get("key", "")

    def store() -> None:
        _terminals, found = _evaluate(request)
        if any(a.key == key for a in found.alerts):  # only an alert that is there
            with transaction(request.app.state.sessions) as session:
                acks.acknowledge(session, key, user.name, settings_of(request).clock.now())
    await run_in_threadpool(store)
    back = fields.get("back", "")
    target = back if back.startswith("/console/") and "//" not in back else "/console/alerts"
    return RedirectResponse(f"{target}?m=acked" if "?" not in target else target,
                            status_code=303)


@router.get("/alerts.csv")
def alerts_csv(request: Request) -> Response:
    page = _signed_in(request)
    if not isinstance(page, Page):
        return page
    _terminals, found = _evaluate(request)
    stamp = settings_of(request).clock.now().strftime("%Y%m%dT%H%M%SZ")
    headers: dict[str, Any] = {**SECURITY_HEADERS,
                               "Content-Disposition": f'attachment; filename="alerts-{stamp}.csv"'}
    # A BOM: spreadsheets on Chinese Windows then read UTF-8, not GBK.
    return Response("\ufeff" + alerts.alerts_csv(found.alerts),
                    media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/terminals/{terminal_id}/bundles/{sha256}")
def bundle_download(request: Request, terminal_id: TerminalId,
                    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]) -> Response:
    page = _signed_in(request)
    if not isinstance(page, Page):
        return page
    found = remote.bundle(request.app.state, request.app.state.sessions, terminal_id, sha256)
    if found is None:
        return page.render("error.html", status=404, message="error.not_found")
    return found
