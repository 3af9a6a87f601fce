"""Staff routes (``Authorization: Bearer <account>.<secret>``, backoffice/staffauth.py):
cases for the ``staff`` role, terminals for ``technician``, the audit log for ``admin``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from backoffice import audit, commands, staffops
from backoffice.auth import Admin, CaseWorker, Technician, read_body
from backoffice.db import transaction
from backoffice.errors import not_found
from backoffice.models import DiagnosticBundle
from backoffice.routes import common
from backoffice.schemas import (
    SHA256_PATTERN,
    AuditLog,
    CaseState,
    CaseStatus,
    CommandInfo,
    CommandList,
    CommandRequest,
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
TerminalId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
BundleSha = Annotated[str, Path(pattern=SHA256_PATTERN)]


@router.get("/cases", response_model=StaffCaseList, responses=common.errors(*common.STAFF))
def list_cases(request: Request, _who: CaseWorker,
               status: Annotated[CaseState | None, Query()] = None) -> StaffCaseList:
    return staffops.list_cases(common.sessions(request), status)


@router.get("/cases/{case_number}", response_model=StaffCase,
            responses=common.errors(*common.STAFF))
def show_case(request: Request, case_number: CaseNumber, _who: CaseWorker) -> StaffCase:
    return staffops.show(common.sessions(request), case_number)


@router.post("/cases/{case_number}/transitions", response_model=CaseStatus,
             responses=common.errors(*common.STAFF, 409, 413),
             openapi_extra=common.json_request_body(TransitionRequest))
async def transition(request: Request, case_number: CaseNumber, who: CaseWorker
                     ) -> CaseStatus:
    body = await read_body(request, STAFF_BODY_LIMIT)
    req, _raw = common.parse_json(TransitionRequest, body, "invalid_request")
    return await run_in_threadpool(lambda: staffops.transition(
        common.sessions(request), case_number, req, common.settings(request).clock.now(),
        request.app.state.catalog, actor=who.actor, staff=who.name))


@router.post("/cases/{case_number}/materials/{code}/received", response_model=CaseStatus,
             responses=common.errors(*common.STAFF, 413),
             openapi_extra=common.json_request_body(MaterialReceived))
async def material_received(request: Request, case_number: CaseNumber, code: Code,
                            who: CaseWorker) -> CaseStatus:
    body = await read_body(request, STAFF_BODY_LIMIT)
    req, _raw = common.parse_json(MaterialReceived, body or b"{}", "invalid_request")
    return await run_in_threadpool(
        lambda: staffops.receive_material(common.sessions(request), case_number, code,
                                          common.settings(request).clock.now(),
                                          actor=who.actor, staff=who.name, note=req.note))


@router.get("/terminals", response_model=TerminalList, responses=common.errors(*common.STAFF))
def list_terminals(request: Request, _who: Technician) -> TerminalList:
    return staffops.terminals(common.sessions(request))


@router.get("/audit", response_model=AuditLog, responses=common.errors(*common.STAFF))
def audit_log(request: Request, _who: Admin) -> AuditLog:
    """The newest 200 entries of the audit log (who did what, when)."""
    return audit.recent(common.sessions(request))


@router.post("/terminals/{terminal_id}/commands", status_code=201, response_model=CommandInfo,
             responses=common.errors(*common.STAFF, 413),
             openapi_extra=common.json_request_body(CommandRequest))
async def enqueue(request: Request, terminal_id: TerminalId, who: Technician) -> CommandInfo:
    """Queue a command for a terminal (technician or admin); its next heartbeat pulls it."""
    body = await read_body(request, STAFF_BODY_LIMIT)
    req, _raw = common.parse_json(CommandRequest, body, "invalid_request")

    def work() -> CommandInfo:
        with transaction(common.sessions(request)) as session:
            return commands.enqueue_command(session, terminal_id, req.kind, dict(req.args),
                                            who.actor, now=common.settings(request).clock.now())
    return await run_in_threadpool(work)


@router.get("/terminals/{terminal_id}/commands", response_model=CommandList,
            responses=common.errors(*common.STAFF))
def list_terminal_commands(request: Request, terminal_id: TerminalId, _who: Technician,
                           limit: Annotated[int, Query(ge=1, le=500)] = 50) -> CommandList:
    """The terminal's commands, newest first, with their delivery and result."""
    with transaction(common.sessions(request), write=False) as session:
        return CommandList(commands=commands.list_commands(session, terminal_id, limit))


@router.get("/terminals/{terminal_id}/bundles/{sha256}", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}},
                             "description": "the diagnostic bundle"},
                       **common.errors(*common.STAFF)})
def get_bundle(request: Request, terminal_id: TerminalId, sha256: BundleSha,
               _who: Technician) -> FileResponse:
    """A diagnostic bundle the terminal uploaded (an ``upload_diagnostics`` result names it)."""
    with transaction(common.sessions(request), write=False) as session:
        row = session.get(DiagnosticBundle, sha256)
        if row is None or row.terminal_id != terminal_id:
            raise not_found(f"bundle {sha256} of terminal {terminal_id}")
    path = request.app.state.bundles.path(sha256)
    if not path.is_file():
        raise not_found(f"bundle {sha256}")
    return FileResponse(path, media_type="application/zip",
                        filename=f"{terminal_id}-{sha256[:12]}.zip")
