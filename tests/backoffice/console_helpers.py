"""Helpers for the console tests: logging in through the form, heartbeats to send."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from backoffice.db import transaction
from backoffice.models import Terminal

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient, account: str, token: str) -> Any:
    """The login form, filled in and posted the way a browser does."""
    page = client.get("/console/login")
    return client.post("/console/login", data={"account": account, "token": token,
                                               "csrf": csrf_of(page.text)},
                       follow_redirects=False)


def beat(time: str = "2026-11-22T09:00:00+08:00", *, paper: str = "present",
         printer_state: str = "ready", pending: int = 0, reason: str | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"time": time,
            "devices": {"printer": {"state": printer_state, "media": paper, "reason": reason},
                        "idcard": {"state": "ready", "media": "absent", "reason": None}},
            "outbox": {"pending": pending, "refused": 0}, **extra}


def report_fleet(factory: Any, terminal_id: str, **fleet: Any) -> None:
    """Give the terminal's stored heartbeat what fleet control's heartbeats carry
    (``site_id``; ``fleet``: versions, maintenance), which this branch's heartbeat
    schema does not accept yet."""
    with transaction(factory) as session:
        terminal = session.get(Terminal, terminal_id)
        assert terminal is not None and terminal.health is not None
        site = fleet.pop("site_id", None)
        terminal.health = {**terminal.health, "site_id": site, "fleet": fleet}
