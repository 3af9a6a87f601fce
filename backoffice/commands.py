"""Remote commands for terminals: queued by staff, pulled by the terminal's heartbeat,
signed with the terminal's key, acknowledged with a result.

The life of a command (one row of ``terminal_commands``)::

    enqueue_command ──► pending ──(a heartbeat reply carries it)──► delivered
                                         ▲        │ (every later reply again,
                                         └────────┘  until a result arrives)
    record_result ──► done (ok) | failed (not ok)

Every reply to a terminal's heartbeat carries all of its commands without a result
(``pending_commands``), each signed by :func:`sign` with the key that signed the
heartbeat (the terminal's current secret, or the old one during a rotation's grace
period). The terminal runs a command once (it keeps executed ids on disk), between
citizen sessions, and posts the result; a delivery after that is answered with the
same result and not run again. A result for a command that already has one changes
nothing (the first result wins): the terminal may post it twice when an answer got lost.

The functions take a SQLAlchemy ``Session`` inside the caller's transaction
(``backoffice.db.transaction``) and return :class:`~backoffice.schemas.CommandInfo`
values, detached from the session. Their signatures are stable: the operations console
is built on them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.errors import ApiError
from backoffice.models import Terminal, TerminalCommand
from backoffice.schemas import CommandInfo, CommandKind, SignedCommand
from kiosk.submission import signing

#: Every kind a terminal understands (kiosk/fleet/commands.py has a handler for each).
KINDS: tuple[str, ...] = get_args(CommandKind)
#: Arguments each kind takes: name -> (required, longest text).
ARGS: dict[str, dict[str, tuple[bool, int]]] = {
    "enter_maintenance": {"reason": (True, 200)},
    "leave_maintenance": {},
    "print_test_page": {},
    "upload_diagnostics": {},
    "resync_catalog": {},
    "restart_app": {},
}
OPEN = ("pending", "delivered")
MAX_LIST = 500


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def new_command_id() -> str:
    return "cmd-" + secrets.token_hex(12)


def check_args(kind: str, args: dict[str, Any]) -> dict[str, str]:
    """The arguments of ``kind``, checked: 422 ``invalid_request`` naming the problem."""
    if kind not in ARGS:
        raise ApiError(422, "invalid_request", f"unknown command kind {kind!r}; known: "
                       f"{', '.join(KINDS)}")
    allowed = ARGS[kind]
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise ApiError(422, "invalid_request",
                       f"{kind} takes no argument {', '.join(unknown)}"
                       + (f" (it takes: {', '.join(allowed)})" if allowed else ""))
    checked: dict[str, str] = {}
    for name, (required, longest) in allowed.items():
        value = args.get(name)
        if value is None:
            if required:
                raise ApiError(422, "invalid_request", f"{kind} needs args.{name}")
            continue
        if not isinstance(value, str):
            raise ApiError(422, "invalid_request", f"args.{name} must be text")
        text = value.strip()
        if required and not text:
            raise ApiError(422, "invalid_request", f"args.{name} is empty")
        if len(text) > longest or "\x00" in text:
            raise ApiError(422, "invalid_request",
                           f"args.{name} must be at most {longest} characters of text")
        checked[name] = text
    return checked


def info(row: TerminalCommand) -> CommandInfo:
    return CommandInfo(id=row.id, terminal_id=row.terminal_id, kind=row.kind,
                       args=dict(row.args), requested_by=row.requested_by,
                       requested_at=row.requested_at,
                       status=row.status,
                       deliveries=row.deliveries, delivered_at=row.delivered_at,
                       completed_at=row.completed_at, result=row.result)


def enqueue_command(session: Session, terminal_id: str, kind: str, args: dict[str, Any],
                    requested_by: str, *, now: datetime | None = None) -> CommandInfo:
    """Queue ``kind`` for ``terminal_id``; its next heartbeat reply carries it.

    ``requested_by`` is who asked (``staff:wang``, ``cli:root``): the audit log and the
    command record it. 404 ``not_found`` for an unknown terminal, 422
    ``invalid_request`` for an unknown kind or bad arguments."""
    checked = check_args(kind, args)
    if session.get(Terminal, terminal_id) is None:
        raise ApiError(404, "not_found", f"no terminal {terminal_id}")
    at = _now(now)
    row = TerminalCommand(id=new_command_id(), terminal_id=terminal_id, kind=kind,
                          args=checked, requested_by=requested_by[:80], requested_at=at,
                          status="pending", deliveries=0)
    session.add(row)
    audit.record(session, at, requested_by, "enqueue_command", terminal_id,
                 f"{row.id} {kind} {checked}" if checked else f"{row.id} {kind}")
    session.flush()
    return info(row)


def pending_commands(session: Session, terminal_id: str) -> list[CommandInfo]:
    """The terminal's commands without a result yet (pending or delivered), oldest first."""
    return [info(r) for r in _open_rows(session, terminal_id)]


def _open_rows(session: Session, terminal_id: str) -> Sequence[TerminalCommand]:
    return session.scalars(
        select(TerminalCommand)
        .where(TerminalCommand.terminal_id == terminal_id, TerminalCommand.status.in_(OPEN))
        .order_by(TerminalCommand.requested_at, TerminalCommand.id)).all()


def record_result(session: Session, terminal_id: str, command_id: str, *, ok: bool,
                  detail: str = "", data: dict[str, Any] | None = None,
                  now: datetime | None = None) -> CommandInfo:
    """The terminal's result for one of its commands: ``done`` or ``failed``.

    404 ``not_found`` when the command is not this terminal's (another terminal's
    command is answered exactly like a missing one). A second result changes nothing
    and answers the first (idempotent: the terminal re-posts when an answer was lost)."""
    row = session.get(TerminalCommand, command_id)
    if row is None or row.terminal_id != terminal_id:
        raise ApiError(404, "not_found", f"no command {command_id} for this terminal")
    if row.status in OPEN:
        at = _now(now)
        row.status = "done" if ok else "failed"
        row.completed_at = at
        row.result = {"ok": ok, "detail": detail[:2000], "data": dict(data or {})}
        audit.record(session, at, f"terminal:{terminal_id}", "command_result", command_id,
                     f"{row.kind} {'ok' if ok else 'failed'} {detail[:200]}".strip())
    return info(row)


def list_commands(session: Session, terminal_id: str, limit: int = 50) -> list[CommandInfo]:
    """The terminal's commands, newest first, at most ``limit`` (capped at 500)."""
    limit = max(1, min(int(limit), MAX_LIST))
    rows = session.scalars(
        select(TerminalCommand).where(TerminalCommand.terminal_id == terminal_id)
        .order_by(TerminalCommand.requested_at.desc(), TerminalCommand.id.desc())
        .limit(limit))
    return [info(r) for r in rows]


def issued_text(at: datetime) -> str:
    """The issue time as signed and sent: UTC, seconds, ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(command: CommandInfo, secret: bytes, suite: str = signing.DEFAULT_SUITE
         ) -> SignedCommand:
    """The command as a heartbeat reply carries it, signed with ``secret`` (the key the
    terminal signed its heartbeat with) so the terminal can check it came from here."""
    issued = issued_text(command.requested_at)
    return SignedCommand(id=command.id, kind=command.kind, args=dict(command.args),
                         issued_at=issued,
                         signature=signing.sign_command(secret, command.terminal_id,
                                                        command.id, command.kind,
                                                        command.args, issued, suite))


def deliver(session: Session, terminal_id: str, secret: bytes,
            suite: str = signing.DEFAULT_SUITE, *, now: datetime | None = None
            ) -> list[SignedCommand]:
    """The open commands of ``terminal_id`` for a heartbeat reply, signed, each marked
    delivered (one more delivery counted)."""
    at = _now(now)
    out = []
    for row in _open_rows(session, terminal_id):
        row.status = "delivered"
        row.deliveries += 1
        row.delivered_at = at
        out.append(sign(info(row), secret, suite))
    return out
