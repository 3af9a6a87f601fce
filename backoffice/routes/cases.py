"""Case intake (idempotent) and case status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse

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
from backoffice.schemas import CaseReceipt, CaseStatus, CaseSubmission

router = APIRouter(tags=["cases"])


@router.post("/api/v1/cases", status_code=201, response_model=CaseReceipt,
             responses={200: {"model": CaseReceipt,
                              "description": "already received: the same receipt"},
                        **errors(*SIGNED, 409)},
             openapi_extra=json_request_body(CaseSubmission))
def submit_case(
    request: Request,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1,
                                           max_length=64, description="the kiosk_ref")],
    signed: SignedRequest,
) -> JSONResponse:
    sub, raw = parse_json(CaseSubmission, signed.body, "invalid_case")
    if idempotency_key != sub.kiosk_ref:
        raise ApiError(422, "invalid_case", "Idempotency-Key must equal kiosk_ref")
    if sub.terminal_id != signed.terminal_id:
        raise ApiError(422, "invalid_case", "terminal_id is not the signing terminal")
    catalog = request.app.state.catalog.get()
    known = frozenset(str(i.get("code")) for i in [*catalog.items, *catalog.bundles])
    receipt, created = cases.intake(sessions(request), sub, raw, settings(request).clock.now(),
                                    request.app.state.blobs, known)
    return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/api/v1/cases/{key}", response_model=CaseStatus,
            responses=errors(*SIGNED, 404))
def case_status(
    request: Request,
    key: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$",
                             description="case number or kiosk reference")],
    signed: SignedRequest,
) -> CaseStatus:
    with transaction(sessions(request), write=False) as session:
        return cases.status(cases.get_case(session, key))
