"""Assistance requests (呼叫工作人员): a terminal raises one for a citizen who asked for
staff; staff list the open ones and close them. A request says where (terminal, item,
step) and when, never who: the citizen is the person standing at that terminal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backoffice import audit
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.models import AssistRequest
from backoffice.schemas import AssistCall, AssistList, AssistTicket

#: Open requests a terminal may have at once: a citizen pressing the button again
#: gets the same request, not a queue of them.
OPEN_PER_TERMINAL = 1


def ticket(row: AssistRequest) -> AssistTicket:
    return AssistTicket(id=row.id, number=row.number, terminal_id=row.terminal_id,
                        item_code=row.item_code, step=row.step, created_at=row.created_at,
                        closed_at=row.closed_at, closed_by=row.closed_by)


def raise_request(factory: sessionmaker[Session], terminal_id: str, call: AssistCall,
                  now: datetime) -> tuple[AssistTicket, bool]:
    """The terminal's open request (its step brought up to date), or a new one.
    Returns (the request, True when new)."""
    with transaction(factory) as session:
        row = session.scalars(select(AssistRequest).where(
            AssistRequest.terminal_id == terminal_id, AssistRequest.closed_at.is_(None))
            .order_by(AssistRequest.id.desc())).first()
        new = row is None
        if row is None:
            row = AssistRequest(terminal_id=terminal_id, item_code=call.item_code,
                                step=call.step, created_at=now)
            session.add(row)
            session.flush()
        else:
            row.item_code, row.step = call.item_code, call.step
        return ticket(row), new


def open_requests(factory: sessionmaker[Session], *, include_closed: bool = False
                  ) -> AssistList:
    """Open requests, oldest first (the one waiting longest on top); with
    ``include_closed`` the last 200 of every kind, newest first."""
    with transaction(factory, write=False) as session:
        query = select(AssistRequest)
        if include_closed:
            query = query.order_by(AssistRequest.id.desc()).limit(200)
        else:
            query = query.where(AssistRequest.closed_at.is_(None)).order_by(AssistRequest.id)
        return AssistList(requests=[ticket(r) for r in session.scalars(query)])


def close_request(factory: sessionmaker[Session], request_id: int, now: datetime, *,
                  actor: str, staff: str) -> AssistTicket:
    """Staff came: the request is closed (closing it again changes nothing)."""
    with transaction(factory) as session:
        row = session.get(AssistRequest, request_id)
        if row is None:
            raise ApiError(404, "not_found", f"no assistance request {request_id}")
        if row.closed_at is None:
            row.closed_at, row.closed_by = now, staff
            audit.record(session, now, actor, "close_assist", str(request_id),
                         f"{row.terminal_id} {row.step}")
        return ticket(row)
