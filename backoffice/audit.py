"""The audit log: who did what to which case or applicant, and when.

One row per staff action and per applicant listing, written in the same
transaction as the action itself (an action that rolls back leaves no row,
and no action happens without its row). Targets are masked where they are
personal data; the log is for accountability, not a second copy of the cases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backoffice.db import transaction
from backoffice.models import AuditEvent
from backoffice.schemas import AuditEntry, AuditLog


def record(session: Session, at: datetime, actor: str, action: str, target: str = "",
           detail: str = "") -> None:
    session.add(AuditEvent(at=at, actor=actor[:80], action=action[:64], target=target[:200],
                           detail=detail[:2000]))


def recent(factory: sessionmaker[Session], limit: int = 200) -> AuditLog:
    with transaction(factory, write=False) as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
        return AuditLog(events=[AuditEntry(at=r.at, actor=r.actor, action=r.action,
                                           target=r.target, detail=r.detail) for r in rows])
