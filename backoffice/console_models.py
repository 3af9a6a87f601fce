"""Tables of the operations console: heartbeat and device history, alert
acknowledgements, browser sessions.

New tables only (``create_all`` never alters an existing one): the terminal row
keeps its last heartbeat in ``terminals.health`` as before; these rows are the
history beside it. Registered on ``Base`` by ``db.create_schema``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.db import Base
from backoffice.models import UTCDateTime


class HeartbeatRecord(Base):
    """One heartbeat as received: server time, the terminal's own time, the body."""

    __tablename__ = "heartbeat_records"
    __table_args__ = (Index("ix_heartbeat_terminal_id", "terminal_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    terminal_time: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class DeviceEvent(Base):
    """A device of a terminal changed state or media (or was first reported, or
    stopped being reported: ``state`` "gone")."""

    __tablename__ = "device_events"
    __table_args__ = (Index("ix_device_event_terminal_id", "terminal_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(200))
    media: Mapped[str | None] = mapped_column(String(200), default=None)
    reason: Mapped[str | None] = mapped_column(String(2000), default=None)
    previous_state: Mapped[str | None] = mapped_column(String(200), default=None)
    previous_media: Mapped[str | None] = mapped_column(String(200), default=None)


class AlertAck(Base):
    """A technician acknowledged an alert (backoffice/alerts.py ``Alert.key``)."""

    __tablename__ = "alert_acks"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    acked_by: Mapped[str] = mapped_column(String(80))
    acked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsoleSession(Base):
    """A browser login (backoffice/console/sessions.py). Only a hash of the cookie is
    kept, so a copy of the database logs nobody in."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str] = mapped_column(String(32), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
