"""The case workflow as one table (API.md "Transitions").

受理 → 审批中 → 办结 / 不予受理 / 需补正 → 待领取 → 已领取; a 需补正 case goes
back to 审批中 when what was asked for arrives.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from backoffice.errors import ApiError
from backoffice.models import Case, CaseEvent, OwedMaterial
from backoffice.schemas import CaseState, Collect, OwedMaterialIn

S = CaseState

TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.IN_REVIEW, S.REJECTED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.NEEDS_SUPPLEMENT}),
    S.NEEDS_SUPPLEMENT: frozenset({S.IN_REVIEW, S.REJECTED}),
    S.APPROVED: frozenset({S.READY_FOR_PICKUP}),
    S.READY_FOR_PICKUP: frozenset({S.COLLECTED}),
    S.REJECTED: frozenset(),
    S.COLLECTED: frozenset(),
}


def allowed(current: CaseState, to: CaseState) -> bool:
    return to in TRANSITIONS[current]


def _record(case: Case, status: CaseState, now: datetime, note: str, staff: str) -> None:
    case.status = status.value
    case.events.append(CaseEvent(status=status.value, at=now, note=note, staff=staff))


def transition(case: Case, to: CaseState, now: datetime, *, note: str = "", staff: str = "",
               materials: list[OwedMaterialIn] | None = None,
               collect: Collect | None = None, collect_note: str = "") -> None:
    """Move ``case`` to ``to`` (409 ``bad_transition`` when the table does not allow it).

    ``collect_note`` is the item's own "how to collect" (from the catalog), used
    when staff make a case ready for pickup without saying where.
    """
    current = CaseState(case.status)
    if not allowed(current, to):
        raise ApiError(409, "bad_transition",
                       f"{current.value} -> {to.value} is not allowed; from {current.value}: "
                       + (", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"))
    if materials and to is not S.NEEDS_SUPPLEMENT:
        raise ApiError(422, "invalid_request",
                       "materials may only be asked for with needs_supplement")
    if collect is not None and to is not S.READY_FOR_PICKUP:
        raise ApiError(422, "invalid_request", "collect may only be set with ready_for_pickup")
    for item in materials or []:
        case.owed.append(OwedMaterial(code=item.code, name=item.name, deadline=item.deadline))
    if to is S.READY_FOR_PICKUP:
        chosen = collect or Collect(method="window", place=case.site_id,
                                    note=collect_note[:200])
        case.collect = chosen.model_dump()
    _record(case, to, now, note, staff)


def receive_material(session: Session, case: Case, code: str, now: datetime, *,
                     staff: str = "", note: str = "") -> None:
    """Mark an owed material received; a 需补正 case with nothing owed returns to 审批中."""
    owed = [m for m in case.owed if m.code == code and m.received_at is None]
    if not owed:
        raise ApiError(404, "not_found", f"no owed material {code} on this case")
    for item in owed:
        item.received_at = now
    still_owed = [m for m in case.owed if m.received_at is None]
    if CaseState(case.status) is S.NEEDS_SUPPLEMENT and not still_owed:
        _record(case, S.IN_REVIEW, now, note or f"material {code} received", staff)
    session.flush()
