"""``POST /api/v1/assist`` (a terminal, signed): a citizen asks for staff.
``GET /staff/assist`` and ``POST /staff/assist/{id}/close`` (staff role): the open
requests, and closing one once someone has gone to the terminal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from backoffice import assist
from backoffice.auth import CaseWorker, SignedRequest
from backoffice.routes import common
from backoffice.schemas import AssistCall, AssistList, AssistTicket

router = APIRouter(tags=["assist"])


@router.post("/api/v1/assist", response_model=AssistTicket, status_code=201,
             responses={200: {"description": "the terminal's request already open",
                              "model": AssistTicket}, **common.errors(*common.SIGNED)},
             openapi_extra=common.json_request_body(AssistCall))
def call_staff(request: Request, response: Response, signed: SignedRequest) -> AssistTicket:
    call, _raw = common.parse_json(AssistCall, signed.body, "invalid_request")
    ticket, new = assist.raise_request(common.sessions(request), signed.terminal_id, call,
                                       common.settings(request).clock.now())
    if not new:
        response.status_code = 200
    return ticket


@router.get("/staff/assist", response_model=AssistList, responses=common.errors(*common.STAFF))
def list_requests(request: Request, _who: CaseWorker,
                  all_: Annotated[bool, Query(alias="all")] = False) -> AssistList:
    """Open requests, the one waiting longest first; ``?all=true``: the last 200."""
    return assist.open_requests(common.sessions(request), include_closed=all_)


@router.post("/staff/assist/{request_id}/close", response_model=AssistTicket,
             responses=common.errors(*common.STAFF))
async def close_request(request: Request, request_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                        who: CaseWorker) -> AssistTicket:
    now = common.settings(request).clock.now()
    return await run_in_threadpool(lambda: assist.close_request(
        common.sessions(request), request_id, now, actor=who.actor, staff=who.name))
