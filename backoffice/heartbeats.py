"""Heartbeat and device history: what the heartbeat route records, what the console reads.

``receive()`` is the heartbeat route's one call, inside its transaction (``record()``
is the same without the reply's reads): the terminal row keeps the last heartbeat
(``terminals.health``, as before; its previous value read, by primary key, for the
device comparison, by the same statement that reads what the reply needs), one
``heartbeat_records`` row is inserted, and a ``device_events`` row only for a
device whose state or media changed since the previous heartbeat (rare). Every
``Retention.every``-th heartbeat (by row id, so server processes need not agree)
also prunes: heartbeats older than ``Retention.days`` everywhere, the sending
terminal's heartbeats beyond its newest ``Retention.rows``, device events older
than ``Retention.device_days``. Both deletes run on indexes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, null, select, update
from sqlalchemy.orm import Session

from backoffice import commands, fleet
from backoffice.alerts import DeviceView, TerminalSnapshot
from backoffice.console_models import DeviceEvent, HeartbeatRecord
from backoffice.models import AssistRequest, CatalogVersion, Terminal, TerminalCommand
from backoffice.schemas import Heartbeat

GONE = "gone"


@dataclass(frozen=True)
class Retention:
    days: float = 7.0
    rows: int = 2000  # per terminal: ~33 hours at one heartbeat a minute
    device_days: float = 90.0
    every: int = 50


def _devices(health: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    devices = (health or {}).get("devices") or {}
    return {k: v for k, v in devices.items() if isinstance(v, dict)}


def record(session: Session, terminal_id: str, beat: Heartbeat, now: datetime,
           retention: Retention = Retention()) -> bool:
    """Store one heartbeat of ``terminal_id`` received at ``now`` (the caller commits);
    False when there is no such terminal (deleted since its signature was checked)."""
    found = session.execute(select(Terminal.health).where(Terminal.id == terminal_id)).first()
    if found is None:
        return False
    _store(session, terminal_id, beat, now, found[0], retention)
    return True


@dataclass(frozen=True)
class Received:
    """What a heartbeat reply needs, read in the beat's own transaction."""

    #: The newest catalog row's id and the newest settings row of the beat's site.
    catalog_id: int | None
    settings_id: int | None
    #: The terminal has commands without a result (a durable delivery is due).
    commands: bool


def receive(session: Session, terminal_id: str, beat: Heartbeat, now: datetime,
            retention: Retention = Retention()) -> Received | None:
    """:func:`record`, reading with the previous beat what the reply needs (the newest
    catalog and site settings, whether commands are open). On PostgreSQL the read is
    the terminal row's own ``UPDATE`` (``FROM`` the row as it was, ``RETURNING`` the
    rest): two statements for a beat in the common case. None for an unknown terminal."""
    body = beat.model_dump(mode="json", exclude_unset=True)
    wanted = (
        select(func.max(CatalogVersion.id)).scalar_subquery(),
        fleet.newest_settings_id(beat.site_id) if beat.site_id is not None else null(),
        select(TerminalCommand.id).where(TerminalCommand.terminal_id == terminal_id,
                                         TerminalCommand.status.in_(commands.OPEN)).exists())
    terminals = cast(Table, Terminal.__table__)
    if session.get_bind().dialect.name == "postgresql":
        # The FROM item reads the statement's snapshot: the row before this update.
        prev = terminals.alias("prev")
        found = session.execute(
            update(terminals).where(terminals.c.id == terminal_id, prev.c.id == terminals.c.id)
            .values(last_seen_at=now, health=body)
            .returning(prev.c.health, *wanted)).first()
    else:  # SQLite's RETURNING may not name a FROM table: read, then update
        found = session.execute(select(terminals.c.health, *wanted)
                                .where(terminals.c.id == terminal_id)).first()
        if found is not None:
            session.execute(update(terminals).where(terminals.c.id == terminal_id)
                            .values(last_seen_at=now, health=body))
    if found is None:
        return None
    health, catalog_id, settings_id, open_commands = found
    _history(session, terminal_id, beat, now, health, body, retention)
    return Received(catalog_id, settings_id, bool(open_commands))


def _store(session: Session, terminal_id: str, beat: Heartbeat, now: datetime,
           health: Mapping[str, Any] | None, retention: Retention) -> None:
    # Fields the terminal did not send stay out (an older kiosk's heartbeat as it was).
    body = beat.model_dump(mode="json", exclude_unset=True)
    session.execute(update(Terminal).where(Terminal.id == terminal_id)
                    .values(last_seen_at=now, health=body))
    _history(session, terminal_id, beat, now, health, body, retention)


def _history(session: Session, terminal_id: str, beat: Heartbeat, now: datetime,
             health: Mapping[str, Any] | None, body: dict[str, Any],
             retention: Retention) -> None:
    """The beat's history row, device changes against the previous beat, pruning."""
    before = _devices(health)
    devices = body.get("devices", {})
    for name, device in devices.items():
        old = before.get(name)
        if old is None or (old.get("state"), old.get("media")) != (device["state"],
                                                                    device.get("media")):
            session.add(DeviceEvent(
                terminal_id=terminal_id, device=name, at=now, state=device["state"],
                media=device.get("media"), reason=device.get("reason"),
                previous_state=None if old is None else old.get("state"),
                previous_media=None if old is None else old.get("media")))
    for name in before.keys() - devices.keys():
        session.add(DeviceEvent(terminal_id=terminal_id, device=name, at=now, state=GONE,
                                previous_state=before[name].get("state"),
                                previous_media=before[name].get("media")))
    row = HeartbeatRecord(terminal_id=terminal_id, received_at=now, terminal_time=beat.time,
                          body=body)
    session.add(row)
    if retention.every > 0:
        session.flush()
        if row.id % retention.every == 0:
            prune(session, terminal_id, now, retention)


def prune(session: Session, terminal_id: str, now: datetime, retention: Retention) -> None:
    session.execute(delete(HeartbeatRecord).where(
        HeartbeatRecord.received_at < now - timedelta(days=retention.days)))
    cut = session.scalar(select(HeartbeatRecord.id)
                         .where(HeartbeatRecord.terminal_id == terminal_id)
                         .order_by(HeartbeatRecord.id.desc())
                         .offset(retention.rows).limit(1))
    if cut is not None:
        session.execute(delete(HeartbeatRecord).where(
            HeartbeatRecord.terminal_id == terminal_id, HeartbeatRecord.id <= cut))
    session.execute(delete(DeviceEvent).where(
        DeviceEvent.at < now - timedelta(days=retention.device_days)))


# ---- reading -------------------------------------------------------------------------

def _section(health: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = health.get(name)
    return found if isinstance(found, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def snapshot(terminal: Terminal, since: Mapping[str, datetime], open_assists: int = 0
             ) -> TerminalSnapshot:
    """The alert rules' view of a terminal row (its last heartbeat, device change times)."""
    health = terminal.health or {}
    devices = tuple(
        DeviceView(name, str(d.get("state", "")), _text(d.get("media")), _text(d.get("reason")),
                   since.get(name))
        for name, d in sorted(_devices(health).items()))
    outbox = _section(health, "outbox")
    # What the terminal runs on (fleet control's ``site_id`` and ``fleet`` report, when
    # the heartbeat carries them; read leniently: older kiosks send neither).
    fleet = _section(health, "fleet")
    release = _section(health, "release")  # scripts/install's release, when installed
    failed = release.get("failed") if isinstance(release.get("failed"), dict) else None
    return TerminalSnapshot(
        id=terminal.id, last_seen_at=terminal.last_seen_at,
        terminal_time=_time(health.get("time")), devices=devices,
        outbox_pending=_int(outbox.get("pending")), outbox_refused=_int(outbox.get("refused")),
        site=_text(health.get("site_id")),
        software=_text(release.get("version")) or _text(fleet.get("software_version")),
        failed_update=None if failed is None else " ".join(
            str(failed.get(k, "")) for k in ("version", "previous", "reason")).strip() or None,
        catalog_version=_text(fleet.get("catalog_version")),
        maintenance=fleet.get("maintenance") is True,
        maintenance_reason=_text(fleet.get("maintenance_reason")),
        open_assists=open_assists)


def snapshots(session: Session, terminal_id: str | None = None) -> list[TerminalSnapshot]:
    """Every terminal (or one), by id, with device change times and open assistance calls."""
    terminals = select(Terminal).order_by(Terminal.id)
    changes = (select(DeviceEvent.terminal_id, DeviceEvent.device, func.max(DeviceEvent.at))
               .group_by(DeviceEvent.terminal_id, DeviceEvent.device))
    assists = (select(AssistRequest.terminal_id, func.count())
               .where(AssistRequest.closed_at.is_(None)).group_by(AssistRequest.terminal_id))
    if terminal_id is not None:
        terminals = terminals.where(Terminal.id == terminal_id)
        changes = changes.where(DeviceEvent.terminal_id == terminal_id)
        assists = assists.where(AssistRequest.terminal_id == terminal_id)
    since: dict[str, dict[str, datetime]] = {}
    for tid, device, at in session.execute(changes):
        since.setdefault(tid, {})[device] = at
    open_calls: dict[str, int] = {tid: n for tid, n in session.execute(assists)}
    return [snapshot(t, since.get(t.id, {}), open_calls.get(t.id, 0))
            for t in session.scalars(terminals)]


def recent_heartbeats(session: Session, terminal_id: str, limit: int = 50
                      ) -> list[HeartbeatRecord]:
    return list(session.scalars(select(HeartbeatRecord)
                                .where(HeartbeatRecord.terminal_id == terminal_id)
                                .order_by(HeartbeatRecord.id.desc()).limit(limit)))


def device_history(session: Session, terminal_id: str, limit: int = 100) -> list[DeviceEvent]:
    return list(session.scalars(select(DeviceEvent)
                                .where(DeviceEvent.terminal_id == terminal_id)
                                .order_by(DeviceEvent.id.desc()).limit(limit)))
