"""An applicant's cases, for the terminal that has just verified that applicant.

Two steps, both signed: ``POST /api/v1/verifications`` reports a verification
(the card read, the face compared); the server records it with its own time
and answers a ``verification_id``. ``POST /api/v1/applicants/cases`` then lists
the cases of that verification's applicant: only for the terminal that
reported it, within 10 minutes of the server recording it, at most a few
times per verification. A terminal cannot back-date a verification or list a
number it never reported, the counts live in the database (every server
process shares them), and every listing is written to the audit log. The ID
number travels in bodies only, never in a URL (URLs end up in access logs).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from backoffice import audit, cases
from backoffice.auth import SignedRequest
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.models import VerificationEvent
from backoffice.ratelimit import Limit, enforce
from backoffice.routes import common
from backoffice.schemas import ApplicantQuery, CaseList, VerificationRecorded, VerificationReport
from backoffice.settings import VERIFICATION_MAX_AGE_S
from kiosk.privacy import mask_id

router = APIRouter(tags=["applicants"])

#: Methods that tie the request to the person at the terminal (a card read, an identity
#: code resolved here, with or without the face check); "staff" does not.
VERIFYING_METHODS = frozenset({"card+face", "card", "sscard", "code+face", "code"})
#: Per terminal (see backoffice/ratelimit.py): a kiosk serves a citizen every minute or two.
VERIFICATIONS = Limit("verifications", 30, timedelta(minutes=10))
LISTINGS = Limit("applicant-listings", 30, timedelta(minutes=10))
#: Listings one verification allows (the query screen, a reprint, a retry).
LISTINGS_PER_VERIFICATION = 5


@router.post("/api/v1/verifications", status_code=201, response_model=VerificationRecorded,
             responses=common.errors(*common.SIGNED, 403, 429),
             openapi_extra=common.json_request_body(VerificationReport))
def record_verification(request: Request, signed: SignedRequest) -> VerificationRecorded:
    report, _raw = common.parse_json(VerificationReport, signed.body, "invalid_request")
    if report.method not in VERIFYING_METHODS:
        raise ApiError(403, "not_verified",
                       f"method {report.method} does not verify the applicant")
    now = common.settings(request).clock.now()
    enforce(request.app.state.fast_sessions, VERIFICATIONS, signed.terminal_id, now,
            "verifications from this terminal")
    event = VerificationEvent(id=secrets.token_urlsafe(18), terminal_id=signed.terminal_id,
                              id_number=cases.normalize_id_number(report.id_number),
                              method=report.method, score=report.score, recorded_at=now,
                              listings=0)
    with transaction(common.sessions(request)) as session:
        session.add(event)
    return VerificationRecorded(verification_id=event.id, recorded_at=now,
                                expires_at=now + timedelta(seconds=VERIFICATION_MAX_AGE_S))


def _use(session: Session, verification_id: str, terminal_id: str,
         now: datetime) -> VerificationEvent:
    event = session.get(VerificationEvent, verification_id, with_for_update=True)
    if event is None or event.terminal_id != terminal_id:
        raise ApiError(403, "not_verified", "no such verification by this terminal")
    if now - event.recorded_at > timedelta(seconds=VERIFICATION_MAX_AGE_S):
        raise ApiError(403, "not_verified", "the verification is older than 10 minutes")
    if event.listings >= LISTINGS_PER_VERIFICATION:
        raise ApiError(403, "not_verified", "this verification was used up; verify again")
    event.listings += 1
    return event


@router.post("/api/v1/applicants/cases", response_model=CaseList,
             responses=common.errors(*common.SIGNED, 403, 429),
             openapi_extra=common.json_request_body(ApplicantQuery))
def applicant_cases(request: Request, signed: SignedRequest) -> CaseList:
    query, _raw = common.parse_json(ApplicantQuery, signed.body, "invalid_request")
    now = common.settings(request).clock.now()
    enforce(request.app.state.fast_sessions, LISTINGS, signed.terminal_id, now,
            "applicant listings from this terminal")
    with transaction(common.sessions(request)) as session:
        event = _use(session, query.verification_id, signed.terminal_id, now)
        found = [cases.status(c) for c in cases.cases_of_applicant(session, event.id_number)]
        audit.record(session, now, f"terminal:{signed.terminal_id}", "list_applicant_cases",
                     mask_id(event.id_number),
                     f"verification {event.id} ({event.method}); {len(found)} case(s)")
    return CaseList(cases=found)
