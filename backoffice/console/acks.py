"""Alert acknowledgements: stored by alert key (backoffice/alerts.py), audit-logged."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.alerts import Ack
from backoffice.console_models import AlertAck


def stored(session: Session) -> dict[str, Ack]:
    return {row.key: Ack(row.acked_by, row.acked_at) for row in session.scalars(select(AlertAck))}


def acknowledge(session: Session, key: str, who: str, now: datetime) -> bool:
    """Record ``who`` acknowledged the alert ``key``; False when it already was."""
    if session.get(AlertAck, key) is not None:
        return False
    session.add(AlertAck(key=key[:200], acked_by=who[:80], acked_at=now))
    audit.record(session, now, f"staff:{who}", "ack_alert", key)
    return True


def forget(session: Session, keys: Iterable[str]) -> None:
    """Drop acknowledgements of alerts that have cleared."""
    keys = list(keys)
    if keys:
        session.execute(delete(AlertAck).where(AlertAck.key.in_(keys)))
