"""Case intake and reading: idempotent by kiosk reference, race-free numbering.

Exactly-once rests on the database: ``cases.kiosk_ref`` is unique, so two
identical submissions racing in two threads (or two server processes) cannot
both insert; the loser's transaction fails, is retried, and then finds the
winner's case and answers with the same receipt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from backoffice.blobs import BlobStore
from backoffice.db import relax_commit, transaction, upsert, wait_durable
from backoffice.errors import ApiError
from backoffice.models import (
    Case,
    CaseEvent,
    DayCounter,
    Material,
    OwedMaterial,
    TerminalPrefix,
)
from backoffice.schemas import (
    CaseReceipt,
    CaseState,
    CaseStatus,
    CaseSubmission,
    Collect,
    MaskedApplicant,
    OwedMaterialOut,
    StaffCase,
    StaffMaterial,
    TimelineEntry,
)
from kiosk.clock import CST
from kiosk.errors import ValidationError
from kiosk.privacy import mask_id, mask_name
from kiosk.submission.reference import parse_reference

CASE_PREFIX = "XS"
#: Attempts before a contended intake gives up with 503 (the kiosk retries later).
INTAKE_ATTEMPTS = 8
APPLICANT_LIST_LIMIT = 50


def body_hash(raw: Any) -> str:
    """Hash of a JSON value that ignores key order and whitespace ("the same body")."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def normalize_id_number(value: str) -> str:
    return value.upper()


def _number_case(session: Session, case: Case, now: datetime) -> None:
    """Give a flushed case the next number of its China date.

    The day's counter row is locked from this statement to the commit, so every
    other intake waits for it: it comes last, two statements before a commit that
    does not wait for the disk (see :func:`intake`). An upsert creates the day's row
    or counts on, so two first cases of a day cannot collide on it either.
    """
    day = now.astimezone(CST).strftime("%Y%m%d")
    value = session.execute(
        upsert(session, DayCounter).values(day=day, value=1)
        .on_conflict_do_update(index_elements=["day"], set_={"value": DayCounter.value + 1})
        .returning(DayCounter.value)).scalar_one()
    number = f"{CASE_PREFIX}{day}{value:06d}"
    session.execute(update(Case).where(Case.id == case.id).values(case_number=number))
    set_committed_value(case, "case_number", number)


def _check_materials(session: Session, sub: CaseSubmission, blobs: BlobStore | None,
                     now: datetime, fresh: dict[str, tuple[int, str]] | None = None) -> None:
    declared: dict[str, int] = {}
    for material in sub.materials:
        for page in material.pages:
            declared[page.sha256] = page.size
    if sub.signature is not None:
        declared[sub.signature.sha256] = sub.signature.size
    if not declared:
        return
    stored = {m.sha256: m.size for m in session.scalars(
        select(Material).where(Material.sha256.in_(declared)))}
    for sha, (fresh_size, content_type) in (fresh or {}).items():
        # Blobs this request stored itself (a case bundle): indexed in the case's own
        # transaction instead of one of their own.
        if sha not in stored and sha in declared:
            session.add(Material(sha256=sha, size=fresh_size, content_type=content_type,
                                 terminal_id=sub.terminal_id, stored_at=now))
            stored[sha] = fresh_size
    if blobs is not None:
        # The fsynced file is the truth and the row only an index written without
        # fsync (see routes/materials.py): a row lost to a power cut is rebuilt here.
        for sha in declared.keys() - stored.keys():
            size = blobs.size(sha)
            if size is not None:
                session.add(Material(sha256=sha, size=size, content_type="", terminal_id="",
                                     stored_at=now))
                stored[sha] = size
    missing = sorted(h for h in declared if h not in stored)
    if missing:
        raise ApiError(422, "missing_materials",
                       f"{len(missing)} material blob(s) not uploaded", missing=missing)
    wrong = sorted(h for h, size in declared.items() if stored[h] != size)
    if wrong:
        raise ApiError(422, "invalid_case",
                       f"declared size differs from the stored blob for {', '.join(wrong)}")


def _existing(session: Session, sub: CaseSubmission, digest: str) -> CaseReceipt | None:
    case = session.scalar(select(Case).where(Case.kiosk_ref == sub.kiosk_ref))
    if case is None:
        return None
    if case.terminal_id != sub.terminal_id:
        # Another terminal's case: say nothing about it (not even its number).
        raise ApiError(409, "idempotency_conflict",
                       f"{sub.kiosk_ref} is another terminal's reference")
    if case.body_hash != digest:
        raise ApiError(409, "idempotency_conflict",
                       f"{sub.kiosk_ref} was already submitted with a different body "
                       f"(case {case.case_number})")
    return receipt(case)


def check_reference(session: Session, sub: CaseSubmission) -> None:
    """The reference is well formed, and its prefix is the signing terminal's.

    A terminal registered with a prefix may only use that one; a terminal
    registered without one may use any prefix no other terminal owns. So two
    terminals can never mint the same reference and refuse each other's cases.
    """
    try:
        prefix = parse_reference(sub.kiosk_ref).prefix
    except ValidationError:
        raise ApiError(422, "invalid_case", "kiosk_ref is not a kiosk reference "
                       "(PREFIX-YYMMDD-NNNN-C with its ISO 7064 check character)") from None
    owner = session.get(TerminalPrefix, prefix)
    if owner is not None and owner.terminal_id != sub.terminal_id:
        raise ApiError(422, "invalid_case",
                       f"kiosk_ref prefix {prefix} belongs to another terminal")
    if owner is None:
        own = session.scalar(select(TerminalPrefix.prefix)
                             .where(TerminalPrefix.terminal_id == sub.terminal_id))
        if own is not None:
            raise ApiError(422, "invalid_case",
                           f"kiosk_ref prefix {prefix} is not this terminal's ({own})")


#: The catalog's item and bundle codes, or how to read them in the intake's session.
KnownCodes = frozenset[str] | Callable[[Session], frozenset[str]] | None


def _check_codes(session: Session, sub: CaseSubmission, codes: KnownCodes) -> None:
    if codes is None:
        return
    known = codes(session) if callable(codes) else codes
    for field, code in (("item_code", sub.item_code), ("bundle_code", sub.bundle_code)):
        if code is not None and code not in known:
            raise ApiError(422, "invalid_case", f"{field} {code} is not in the catalog")


def intake(factory: sessionmaker[Session], sub: CaseSubmission, raw: Any,
           now: datetime, blobs: BlobStore | None = None,
           known_codes: KnownCodes = None,
           fresh: dict[str, tuple[int, str]] | None = None) -> tuple[CaseReceipt, bool]:
    """Store a submission once. Returns the receipt and whether it was created now.

    ``fresh`` (sha256 -> (size, content type)): blobs the same request stored (a
    case bundle), indexed in this transaction.

    ``known_codes`` (item and bundle codes of the catalog, or a function that reads
    them in the intake's session) is checked for new cases only: a case received
    before its item left the catalog still gets its receipt again.
    """
    digest = body_hash(raw)
    for _attempt in range(INTAKE_ATTEMPTS):
        try:
            answer = _intake_once(factory, sub, raw, digest, now, blobs, known_codes, fresh)
        except IntegrityError:
            continue  # lost a race on kiosk_ref or the day counter: look again
        # Committed without waiting for the disk (so that the day counter's row lock is
        # not held through an fsync, which would make every intake wait for the one
        # before it): the answer, which the kiosk prints, waits until it is durable.
        wait_durable(factory)
        return answer
    raise ApiError(503, "unavailable", "case intake is contended; retry later")


def _intake_once(factory: sessionmaker[Session], sub: CaseSubmission, raw: Any, digest: str,
                 now: datetime, blobs: BlobStore | None, known_codes: KnownCodes,
                 fresh: dict[str, tuple[int, str]] | None) -> tuple[CaseReceipt, bool]:
    with transaction(factory) as session:
        relax_commit(session)
        check_reference(session, sub)
        found = _existing(session, sub, digest)
        if found is not None:
            return found, False
        _check_codes(session, sub, known_codes)
        _check_materials(session, sub, blobs, now, fresh)
        case = Case(
            # Unique until numbered: the reference is (the case number comes last).
            case_number="~" + hashlib.sha256(sub.kiosk_ref.encode()).hexdigest()[:31],
            kiosk_ref=sub.kiosk_ref, body_hash=digest,
            terminal_id=sub.terminal_id, site_id=sub.site_id,
            item_code=sub.item_code,
            id_number=normalize_id_number(sub.applicant.id_number),
            status=CaseState.SUBMITTED.value, received_at=now, submission=raw,
        )
        case.events.append(CaseEvent(status=CaseState.SUBMITTED.value, at=now,
                                     note="", staff=""))
        for owed in sub.deferred_materials:
            case.owed.append(OwedMaterial(code=owed.code, name=owed.name,
                                          deadline=owed.deadline))
        session.add(case)
        session.flush()
        _number_case(session, case, now)
        return receipt(case), True


_LOAD = (selectinload(Case.events), selectinload(Case.owed))


def find_case(session: Session, key: str) -> Case | None:
    return session.scalar(select(Case).options(*_LOAD).where(
        (Case.case_number == key) | (Case.kiosk_ref == key)))


def get_case(session: Session, key: str) -> Case:
    case = find_case(session, key)
    if case is None:
        raise ApiError(404, "not_found", "no case with this number or reference")
    return case


def cases_of_applicant(session: Session, id_number: str) -> list[Case]:
    return list(session.scalars(
        select(Case).options(*_LOAD)
        .where(Case.id_number == normalize_id_number(id_number))
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(APPLICANT_LIST_LIMIT)))


def cases_by_status(session: Session, status: CaseState | None, limit: int = 200) -> list[Case]:
    query = select(Case).options(*_LOAD).order_by(Case.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Case.status == status.value)
    return list(session.scalars(query))


def receipt(case: Case) -> CaseReceipt:
    return CaseReceipt(case_number=case.case_number, kiosk_ref=case.kiosk_ref,
                       status=CaseState(case.status), received_at=case.received_at)


def status(case: Case, *, staff_notes: bool = False) -> CaseStatus:
    """The case as a terminal sees it; timeline notes are staff-internal (``staff_notes``
    only for the staff view), what the citizen must know is in ``owed_materials``
    and ``collect``."""
    return CaseStatus(
        **receipt(case).model_dump(),
        item_code=case.item_code,
        owed_materials=[OwedMaterialOut(code=m.code, name=m.name, deadline=m.deadline)
                        for m in case.owed if m.received_at is None],
        collect=Collect.model_validate(case.collect) if case.collect else None,
        timeline=[TimelineEntry(status=CaseState(e.status), at=e.at,
                                note=e.note if staff_notes else "")
                  for e in case.events],
    )


def staff_view(case: Case) -> StaffCase:
    applicant = case.submission.get("applicant", {})
    return StaffCase(
        **status(case, staff_notes=True).model_dump(),
        terminal_id=case.terminal_id, site_id=case.site_id,
        applicant=MaskedApplicant(id_number=mask_id(case.id_number),
                                  name=mask_name(str(applicant.get("name", "")))),
        materials=[StaffMaterial(code=m["code"], name=m["name"],
                                 pages=[p["sha256"] for p in m["pages"]])
                   for m in case.submission.get("materials", [])],
    )
