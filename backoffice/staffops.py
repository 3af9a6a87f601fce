"""What staff can do, each one transaction; used by the staff routes and the CLI alike."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from backoffice import audit, cases, workflow
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.fleet import CatalogStore
from backoffice.keystore import SecretBox
from backoffice.models import Terminal, TerminalOldSecret, TerminalPrefix, TerminalSuite
from backoffice.schemas import (
    CaseState,
    CaseStatus,
    StaffCase,
    StaffCaseList,
    TerminalInfo,
    TerminalList,
    TransitionRequest,
)
from kiosk.submission import signing

TERMINAL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SECRET_HEX_RE = re.compile(r"^[0-9a-f]{64}$")
PREFIX_RE = re.compile(r"^[A-Z0-9]{2,4}$")


def list_cases(factory: sessionmaker[Session], status: CaseState | None) -> StaffCaseList:
    with transaction(factory, write=False) as session:
        return StaffCaseList(cases=[cases.staff_view(c)
                                    for c in cases.cases_by_status(session, status)])



def show(factory: sessionmaker[Session], case_number: str) -> StaffCase:
    with transaction(factory, write=False) as session:
        return cases.staff_view(cases.get_case(session, case_number))


def collect_note(catalog: CatalogStore | None, item_code: str) -> str:
    """The catalog's "how to collect" text of an item (zh_CN), or "" when unknown."""
    if catalog is None:
        return ""
    try:
        items = catalog.get().items
    except ApiError:
        return ""  # a broken catalog must not block staff work
    for item in items:
        if item.get("code") == item_code:
            text = item.get("collect")
            return str(text.get("zh_CN", "")) if isinstance(text, dict) else str(text or "")
    return ""


def transition(factory: sessionmaker[Session], case_number: str, req: TransitionRequest,
               now: datetime, catalog: CatalogStore | None = None, *,
               actor: str, staff: str) -> CaseStatus:
    """``actor`` (e.g. ``staff:wang``) goes to the audit log, ``staff`` (the account's
    name) to the timeline: never a name the request claims."""
    with transaction(factory) as session:
        case = cases.get_case(session, case_number)
        before = case.status
        note = collect_note(catalog, case.item_code) if req.to is CaseState.READY_FOR_PICKUP \
            else ""
        workflow.transition(case, req.to, now, note=req.note, staff=staff,
                            materials=req.materials, collect=req.collect, collect_note=note)
        audit.record(session, now, actor, "transition", case_number,
                     f"{before} -> {req.to.value}")
        session.flush()
        return cases.status(case, staff_notes=True)


def receive_material(factory: sessionmaker[Session], case_number: str, code: str,
                     now: datetime, *, actor: str, staff: str, note: str = "") -> CaseStatus:
    with transaction(factory) as session:
        case = cases.get_case(session, case_number)
        workflow.receive_material(session, case, code, now, staff=staff, note=note)
        audit.record(session, now, actor, "receive_material", case_number, code)
        return cases.status(case, staff_notes=True)


def register_terminal(factory: sessionmaker[Session], terminal_id: str, secret_hex: str,
                      now: datetime, box: SecretBox, *, prefix: str | None = None,
                      suite: str | None = None) -> bool:
    """Add a terminal or replace its secret (stored sealed). Returns True when it is new.

    ``prefix``: the kiosk-reference prefix this terminal uses (``terminal.ref_prefix``);
    a prefix belongs to one terminal (409 ``prefix_taken`` otherwise). ``suite``: its
    signing suite (``backoffice.suite`` in the kiosk's config), kept when None.
    """
    if suite is not None and suite not in signing.SUITES:
        raise ApiError(422, "invalid_request", f"suite must be one of {', '.join(signing.SUITES)}")
    if not TERMINAL_ID_RE.match(terminal_id):
        raise ApiError(422, "invalid_request", "terminal id must be [A-Za-z0-9_.-], 1-64 chars")
    if not SECRET_HEX_RE.match(secret_hex):
        raise ApiError(422, "invalid_request", "secret must be 32 bytes as 64 lowercase hex")
    if prefix is not None and not PREFIX_RE.match(prefix):
        raise ApiError(422, "invalid_request", "prefix must be 2-4 upper-case letters or digits")
    sealed = box.seal(terminal_id, bytes.fromhex(secret_hex))
    with transaction(factory) as session:
        if prefix is not None:
            _claim_prefix(session, terminal_id, prefix)
        if suite is not None:
            session.execute(delete(TerminalSuite).where(TerminalSuite.terminal_id == terminal_id))
            if suite != signing.DEFAULT_SUITE:
                session.add(TerminalSuite(terminal_id=terminal_id, suite=suite))
        terminal = session.get(Terminal, terminal_id)
        if terminal is None:
            session.add(Terminal(id=terminal_id, secret_hex=sealed, created_at=now))
            return True
        terminal.secret_hex = sealed
        return False


def rotate_terminal_secret(factory: sessionmaker[Session], terminal_id: str,
                           secret_hex: str, now: datetime, box: SecretBox, *,
                           grace: timedelta, actor: str, suite: str | None = None) -> None:
    """Give a terminal a new secret (and optionally a new signing suite). The old
    secret keeps signing for ``grace`` (the kiosk switches in that time, no request
    refused) and keeps checking the query tokens of receipts already printed."""
    if suite is not None and suite not in signing.SUITES:
        raise ApiError(422, "invalid_request", f"suite must be one of {', '.join(signing.SUITES)}")
    if not SECRET_HEX_RE.match(secret_hex):
        raise ApiError(422, "invalid_request", "secret must be 32 bytes as 64 lowercase hex")
    if grace < timedelta(0):
        raise ApiError(422, "invalid_request", "the grace period cannot be negative")
    with transaction(factory) as session:
        terminal = session.get(Terminal, terminal_id)
        if terminal is None:
            raise ApiError(404, "not_found", f"no terminal {terminal_id}")
        if box.open(terminal_id, terminal.secret_hex) == bytes.fromhex(secret_hex):
            raise ApiError(422, "invalid_request", "the new secret is the current one")
        chosen = session.get(TerminalSuite, terminal_id)
        old_suite = chosen.suite if chosen is not None else signing.DEFAULT_SUITE
        session.add(TerminalOldSecret(terminal_id=terminal_id, secret_hex=terminal.secret_hex,
                                      suite=old_suite, retired_at=now, sign_until=now + grace))
        terminal.secret_hex = box.seal(terminal_id, bytes.fromhex(secret_hex))
        if suite is not None and suite != old_suite:
            session.execute(delete(TerminalSuite).where(TerminalSuite.terminal_id == terminal_id))
            if suite != signing.DEFAULT_SUITE:
                session.add(TerminalSuite(terminal_id=terminal_id, suite=suite))
        audit.record(session, now, actor, "rotate_terminal_secret", terminal_id,
                     f"old secret signs until {(now + grace).isoformat()}")


def _claim_prefix(session: Session, terminal_id: str, prefix: str) -> None:
    owner = session.get(TerminalPrefix, prefix)
    if owner is not None and owner.terminal_id != terminal_id:
        raise ApiError(409, "prefix_taken",
                       f"reference prefix {prefix} is registered to {owner.terminal_id}")
    if owner is None:
        session.execute(delete(TerminalPrefix).where(TerminalPrefix.terminal_id == terminal_id))
        session.flush()
        session.add(TerminalPrefix(prefix=prefix, terminal_id=terminal_id))


def seal_plain_secrets(factory: sessionmaker[Session], box: SecretBox) -> int:
    """Seal the secrets of rows written before sealing existed; returns how many."""
    with transaction(factory, write=False) as session:
        plain = [t.id for t in session.scalars(select(Terminal))
                 if not box.is_sealed(t.secret_hex)]
    for terminal_id in plain:
        with transaction(factory) as session:
            terminal = session.get(Terminal, terminal_id)
            if terminal is not None and not box.is_sealed(terminal.secret_hex):
                terminal.secret_hex = box.seal(terminal_id, bytes.fromhex(terminal.secret_hex))
    return len(plain)


def remove_terminal(factory: sessionmaker[Session], terminal_id: str, now: datetime,
                    actor: str) -> None:
    """Unregister a terminal (stolen, retired): its signature stops working within
    ``TerminalAuth.SECRET_TTL_S``; its cases stay."""
    with transaction(factory) as session:
        if session.get(Terminal, terminal_id) is None:
            raise ApiError(404, "not_found", f"no terminal {terminal_id}")
        session.execute(delete(TerminalPrefix).where(TerminalPrefix.terminal_id == terminal_id))
        session.execute(delete(TerminalSuite).where(TerminalSuite.terminal_id == terminal_id))
        session.execute(delete(TerminalOldSecret).where(
            TerminalOldSecret.terminal_id == terminal_id))
        session.execute(delete(Terminal).where(Terminal.id == terminal_id))
        audit.record(session, now, actor, "remove_terminal", terminal_id)


def terminals(factory: sessionmaker[Session]) -> TerminalList:
    with transaction(factory, write=False) as session:
        prefixes = {p.terminal_id: p.prefix for p in session.scalars(select(TerminalPrefix))}
        return TerminalList(terminals=[
            TerminalInfo(id=t.id, ref_prefix=prefixes.get(t.id), last_seen_at=t.last_seen_at,
                         health=t.health)
            for t in session.scalars(select(Terminal).order_by(Terminal.id))])
