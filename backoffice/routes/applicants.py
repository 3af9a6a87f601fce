"""``POST /api/v1/applicants/cases``: the cases of the applicant a terminal just verified.

The ID number travels in the body, never in the URL (URLs end up in access
logs). The terminal's signature vouches for the verification it reports;
the server refuses a method that proves nothing about the person, or a
verification older than 10 minutes (API.md), so that a terminal cannot
browse applicants it has not just seen.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from backoffice import cases
from backoffice.auth import SignedRequest
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.routes.common import (
    SIGNED,
    errors,
    json_request_body,
    parse_json,
    sessions,
    settings,
)
from backoffice.schemas import ApplicantQuery, CaseList
from backoffice.settings import VERIFICATION_MAX_AGE_S

router = APIRouter(tags=["applicants"])

#: Methods that tie the request to the person at the terminal; "staff" does not.
VERIFYING_METHODS = frozenset({"card+face", "card", "sscard"})


#: Listings per terminal per window (see backoffice/ratelimit.py).
LISTINGS_PER_WINDOW = 30
LISTING_WINDOW = timedelta(minutes=10)


@router.post("/api/v1/applicants/cases", response_model=CaseList,
             responses=errors(*SIGNED, 403, 429),
             openapi_extra=json_request_body(ApplicantQuery))
def applicant_cases(request: Request, signed: SignedRequest) -> CaseList:
    query, _raw = parse_json(ApplicantQuery, signed.body, "invalid_request")
    conf = settings(request)
    now = conf.clock.now()
    wait = request.app.state.listing_limit.allow(signed.terminal_id, now)
    if wait is not None:
        raise ApiError(429, "rate_limited",
                       f"too many applicant listings from this terminal; retry in {wait:.0f} s",
                       retry_after=wait)
    verification = query.verification
    if verification.method not in VERIFYING_METHODS:
        raise ApiError(403, "not_verified",
                       f"method {verification.method} does not verify the applicant")
    age = now - verification.verified_at
    if age > timedelta(seconds=VERIFICATION_MAX_AGE_S):
        raise ApiError(403, "not_verified", "the verification is older than 10 minutes")
    if age < -timedelta(seconds=conf.max_skew_s):
        raise ApiError(403, "not_verified", "the verification time is in the future")
    with transaction(sessions(request), write=False) as session:
        return CaseList(cases=[cases.status(c)
                               for c in cases.cases_of_applicant(session, query.id_number)])
