"""Case intake (idempotent) and case status."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse

from backoffice import cases
from backoffice.auth import SignedRequest
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.ratelimit import Limit, enforce
from backoffice.routes import common
from backoffice.schemas import CaseReceipt, CaseStatus, CaseSubmission
from kiosk.submission.signing import CASE_TOKEN_HEADER, query_token

router = APIRouter(tags=["cases"])


@router.post("/api/v1/cases", status_code=201, response_model=CaseReceipt,
             responses={200: {"model": CaseReceipt,
                              "description": "already received: the same receipt"},
                        **common.errors(*common.SIGNED, 409)},
             openapi_extra=common.json_request_body(CaseSubmission))
def submit_case(
    request: Request,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1,
                                           max_length=64, description="the kiosk_ref")],
    signed: SignedRequest,
) -> JSONResponse:
    sub, raw = common.parse_json(CaseSubmission, signed.body, "invalid_case")
    if idempotency_key != sub.kiosk_ref:
        raise ApiError(422, "invalid_case", "Idempotency-Key must equal kiosk_ref")
    if sub.terminal_id != signed.terminal_id:
        raise ApiError(422, "invalid_case", "terminal_id is not the signing terminal")
    receipt, created = cases.intake(common.sessions(request), sub, raw,
                                    common.settings(request).clock.now(),
                                    request.app.state.blobs, request.app.state.catalog.codes)
    return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)


#: Look-ups by number or reference per terminal (shared by every server process).
LOOKUPS = Limit("case-lookup", 60, timedelta(minutes=10))


@router.get("/api/v1/cases/{key}", response_model=CaseStatus,
            responses=common.errors(*common.SIGNED, 403, 404, 429))
def case_status(
    request: Request,
    key: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$",
                             description="case number or kiosk reference")],
    signed: SignedRequest,
    token: Annotated[str | None, Header(alias=CASE_TOKEN_HEADER, max_length=64,
                                        description="the query token of the case's "
                                                    "receipt QR")] = None,
) -> CaseStatus:
    """A case by number or reference, for the holder of its receipt's QR token.

    Without the token the applicant's card is the way (``POST
    /api/v1/applicants/cases``): a number alone, which anyone can read off a
    receipt or guess, shows nothing. Wrong token and unknown case answer alike.
    """
    now = common.settings(request).clock.now()
    enforce(request.app.state.fast_sessions, LOOKUPS, signed.terminal_id, now,
            "case look-ups from this terminal")
    if not token:
        raise ApiError(403, "token_required",
                       f"{CASE_TOKEN_HEADER} (from the receipt's QR) is required; "
                       "otherwise list the applicant's cases after reading the card")
    with transaction(common.sessions(request), write=False) as session:
        case = cases.find_case(session, key)
        secrets = () if case is None else \
            request.app.state.auth.secrets_of(case.terminal_id, now)
        # Every secret the terminal had: a receipt keeps the token it was printed with.
        if case is None or not any(hmac.compare_digest(query_token(s, case.kiosk_ref), token)
                                   for s in secrets):
            raise ApiError(404, "not_found", "no case with this number or reference and token")
        return cases.status(case)
