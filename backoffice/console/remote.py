"""The terminal page's commands panel, over the remote-commands module
(``backoffice.commands``: ``enqueue_command(session, terminal_id, kind, args,
requested_by)``, ``list_commands(session, terminal_id, limit)``).

That module is built separately; until this back office has it, the panel says
"not available" and queues nothing (``AVAILABLE`` is False).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backoffice.console.sessions import ConsoleUser
from backoffice.db import transaction
from backoffice.errors import ApiError


def _load(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


_COMMANDS = _load("backoffice.commands")
AVAILABLE = _COMMANDS is not None
#: What a technician can send, in the panel's order (backoffice.commands KINDS).
KINDS = ("enter_maintenance", "leave_maintenance", "print_test_page", "upload_diagnostics",
         "resync_catalog", "restart_app")
MESSAGES = ("queued", "reason_needed", "failed", "unavailable")


@dataclass(frozen=True)
class Panel:
    available: bool
    commands: list[dict[str, Any]] = field(default_factory=list)
    #: (sha256, size, stored_at) of the terminal's diagnostic bundles, newest first.
    bundles: list[dict[str, Any]] = field(default_factory=list)


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    if hasattr(item, "model_dump"):
        return dict(item.model_dump())
    return {k: v for k, v in vars(item).items() if not k.startswith("_")}


def _bundle_table() -> Any:
    return getattr(_load("backoffice.models"), "DiagnosticBundle", None)


def panel(session: Session, terminal_id: str) -> Panel:
    if _COMMANDS is None:
        return Panel(False)
    commands = [_as_dict(c) for c in _COMMANDS.list_commands(session, terminal_id, 20)]
    table = _bundle_table()
    bundles = [] if table is None else [
        {"sha256": b.sha256, "size": b.size, "stored_at": b.stored_at}
        for b in session.scalars(select(table).where(table.terminal_id == terminal_id)
                                 .order_by(table.stored_at.desc()).limit(20))]
    return Panel(True, commands, bundles)


def queue(factory: sessionmaker[Session], terminal_id: str, kind: str, reason: str,
          user: ConsoleUser, now: datetime) -> tuple[str, str]:
    """Queue one command (the commands module audit-logs it); returns (message key,
    detail) for the page."""
    if _COMMANDS is None:
        return "unavailable", ""
    if kind not in KINDS:
        return "failed", "unknown command"
    reason = reason.strip()[:200]
    if kind == "enter_maintenance" and not reason:
        return "reason_needed", ""
    args = {"reason": reason} if kind == "enter_maintenance" else {}
    try:
        with transaction(factory) as session:
            _COMMANDS.enqueue_command(session, terminal_id, kind, args, user.actor, now=now)
    except ApiError as exc:
        return "failed", exc.detail[:200]
    return "queued", kind


def bundle(state: Any, factory: sessionmaker[Session], terminal_id: str,
           sha256: str) -> Response | None:
    """A diagnostic bundle of this terminal, as a download; None when there is none."""
    table = _bundle_table()
    store = getattr(state, "bundles", None)
    if table is None or store is None:
        return None
    with transaction(factory, write=False) as session:
        row = session.get(table, sha256)
        if row is None or row.terminal_id != terminal_id:
            return None
    path = store.path(sha256)
    if not path.is_file():
        return None
    return FileResponse(path, media_type="application/zip",
                        filename=f"{terminal_id}-{sha256[:12]}.zip")
