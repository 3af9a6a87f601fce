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

from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from backoffice import audit
from backoffice.console.sessions import ConsoleUser
from backoffice.db import transaction
from backoffice.errors import ApiError


def _load() -> Any:
    try:
        return importlib.import_module("backoffice.commands")
    except ImportError:
        return None


_COMMANDS = _load()
AVAILABLE = _COMMANDS is not None
#: What a technician can send, in the panel's order.
KINDS = ("enter_maintenance", "leave_maintenance", "test_page", "bundle", "resync_catalog",
         "restart")
MESSAGES = ("queued", "reason_needed", "failed", "unavailable")


@dataclass(frozen=True)
class Panel:
    available: bool
    commands: list[dict[str, Any]] = field(default_factory=list)
    bundles: list[dict[str, Any]] = field(default_factory=list)


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    if hasattr(item, "model_dump"):
        return dict(item.model_dump())
    return {k: v for k, v in vars(item).items() if not k.startswith("_")}


def panel(session: Session, terminal_id: str) -> Panel:
    if _COMMANDS is None:
        return Panel(False)
    commands = [_as_dict(c) for c in _COMMANDS.list_commands(session, terminal_id, 20)]
    bundles = [] if not hasattr(_COMMANDS, "list_bundles") else \
        [_as_dict(b) for b in _COMMANDS.list_bundles(session, terminal_id)]
    return Panel(True, commands, bundles)


def queue(factory: sessionmaker[Session], terminal_id: str, kind: str, reason: str,
          user: ConsoleUser, now: datetime) -> tuple[str, str]:
    """Queue one command; returns (message key, detail) for the page."""
    if _COMMANDS is None:
        return "unavailable", ""
    if kind not in KINDS:
        return "failed", "unknown command"
    reason = reason.strip()[:200]
    if kind == "enter_maintenance" and not reason:
        return "reason_needed", ""
    args = {"reason": reason} if reason else {}
    try:
        with transaction(factory) as session:
            _COMMANDS.enqueue_command(session, terminal_id, kind, args, user.name)
            audit.record(session, now, user.actor, "console_command", terminal_id,
                         f"{kind} {reason}".strip())
    except ApiError as exc:
        return "failed", exc.detail[:200]
    return "queued", kind


def bundle(state: Any, terminal_id: str, bundle_id: str) -> Response | None:
    """A diagnostic bundle's download, when the remote-commands module offers one."""
    if _COMMANDS is None or not hasattr(_COMMANDS, "bundle_download"):
        return None
    answer: Response | None = _COMMANDS.bundle_download(state, terminal_id, bundle_id)
    return answer
