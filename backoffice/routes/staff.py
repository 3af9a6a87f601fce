"""Staff routes (``Authorization: Bearer <account>.<secret>``, backoffice/staffauth.py):
cases for the ``staff`` role, terminals for ``technician``, the audit log for ``admin``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from backoffice import audit, staffops
from backoffice.auth import Admin, CaseWorker, Technician, read_body
from backoffice.routes.common import (
    STAFF,
    errors,
    json_request_body,
    parse_json,
    sessions,
    settings,
)
from backoffice.schemas import (
    AuditLog,
    CaseState,
    CaseStatus,
    MaterialReceived,
    StaffCase,
    StaffCaseList,
    TerminalList,
    TransitionRequest,
)

router = APIRouter(prefix="/staff", tags=["staff"])

STAFF_BODY_LIMIT = 64 * 1024
CaseNumber = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


@router.get("/cases", response_model=StaffCaseList, responses=errors(*STAFF))
def list_cases(request: Request, _who: CaseWorker,
               status: Annotated[CaseState | None, Query()] = None) -> StaffCaseList:
    return staffops.list_cases(sessions(request), status)


@router.get("/cases/{case_number}", response_model=StaffCase, responses=errors(*STAFF))
def show_case(request: Request, case_number: CaseNumber, _who: CaseWorker) -> StaffCase:
    return staffops.show(sessions(request), case_number)


@router.post("/cases/{case_number}/transitions", response_model=CaseStatus,
             responses=errors(*STAFF, 409, 413),
             openapi_extra=json_request_body(TransitionRequest))
async def transition(request: Request, case_number: CaseNumber, who: CaseWorker
                     ) -> CaseStatus:
    body = await read_body(request, STAFF_BODY_LIMIT)
    req, _raw = parse_json(TransitionRequest, body, "invalid_request")
    return await run_in_threadpool(lambda: staffops.transition(
        sessions(request), case_number, req, settings(request).clock.now(),
        request.app.state.catalog, actor=who.actor, staff=who.name))


@router.post("/cases/{case_number}/materials/{code}/received", response_model=CaseStatus,
             responses=errors(*STAFF, 413), openapi_extra=json_request_body(MaterialReceived))
async def material_received(request: Request, case_number: CaseNumber, code: Code,
                            who: CaseWorker) -> CaseStatus:
    body = await read_body(request, STAFF_BODY_LIMIT)
    req, _raw = parse_json(MaterialReceived, body or b"{}", "invalid_request")
    return await run_in_threadpool(
        lambda: staffops.receive_material(sessions(request), case_number, code,
                                          settings(request).clock.now(),
                                          actor=who.actor, staff=who.name, note=req.note))


@router.get("/terminals", response_model=TerminalList, responses=errors(*STAFF))
def list_terminals(request: Request, _who: Technician) -> TerminalList:
    return staffops.terminals(sessions(request))


@router.get("/audit", response_model=AuditLog, responses=errors(*STAFF))
def audit_log(request: Request, _who: Admin) -> AuditLog:
    """The newest 200 entries of the audit log (who did what, when)."""
    return audit.recent(sessions(request))
