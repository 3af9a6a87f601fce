"""Terminal routes of fleet control (docs/fleet-control.md):

* ``POST /api/v1/terminals/heartbeat``: device health, outbox counters and what the
  terminal runs on; the reply announces the served catalog, the site's settings and
  the terminal's open commands, each signed with the key the heartbeat was signed with;
  it runs in a lane of its own (threads and, on PostgreSQL, database connections that
  no upload can take: backoffice/lanes.py);
* ``POST /api/v1/terminals/commands/{command_id}/result``: a command's result;
* ``PUT /api/v1/terminals/bundles/{sha256}``: a diagnostic bundle (zip), signature
  checked over the path's digest before any byte is read, streamed to the bundle store
  with the size limit checked per chunk (like materials).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from backoffice import auth, commands, heartbeats
from backoffice.db import relax_commit, transaction
from backoffice.lanes import Lane
from backoffice.models import CatalogVersion, DiagnosticBundle
from backoffice.routes import common, uploads
from backoffice.schemas import (
    SHA256_PATTERN,
    CommandInfo,
    CommandResultIn,
    Heartbeat,
    HeartbeatAck,
    StoredBundle,
)
from backoffice.settings import Settings
from kiosk.submission import signing

router = APIRouter(tags=["terminals"])

CommandId = Annotated[str, Path(pattern=r"^cmd-[0-9a-f]{24}$")]
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="lowercase hex SHA-256 of the body")]
BUNDLE_TYPES = ("application/zip",)


async def _heartbeat_signer(request: Request) -> auth.Signed:
    """Every signature check, in the heartbeat lane (backoffice/lanes.py)."""
    return await auth.signed_in(request, request.app.state.heartbeat_lane)


@router.post("/api/v1/terminals/heartbeat", response_model=HeartbeatAck,
             responses=common.errors(*common.SIGNED),
             openapi_extra=common.json_request_body(Heartbeat))
async def heartbeat(request: Request,
                    signed: Annotated[auth.Signed, Depends(_heartbeat_signer)]) -> HeartbeatAck:
    beat, _raw = common.parse_json(Heartbeat, signed.body, "invalid_request")
    lane: Lane = request.app.state.heartbeat_lane
    return await lane.run(_answer, request.app.state, lane, signed, beat,
                          common.settings(request).clock.now())


def _answer(state: Any, lane: Lane, signed: auth.Signed, beat: Heartbeat,
            now: datetime) -> HeartbeatAck:
    """The beat and its history (backoffice/heartbeats.py; a terminal deleted since the
    signature check has no row) in a commit that may be lost to a power cut (the next
    beat says the same again), read with what the reply needs; then, only when the
    terminal has open commands, their delivery in a durable transaction (a delivery
    counts)."""
    conf: Settings = state.settings
    with transaction(lane.fast) as session:
        relax_commit(session)
        got = heartbeats.receive(session, signed.terminal_id, beat, now, conf.retention)
        newest = got.catalog_id if got is not None else \
            session.scalar(select(func.max(CatalogVersion.id)))
        catalog = state.catalog.ref_at(session, newest)
        site = None if got is None else state.settings_refs.get(session, got.settings_id)
    if got is None or not got.commands:
        return HeartbeatAck(server_time=now, catalog=catalog, settings=site)
    with lane.durable_transaction() as session:
        pending = commands.deliver(session, signed.terminal_id, signed.secret, signed.suite,
                                   now=now)
    return HeartbeatAck(server_time=now, catalog=catalog, settings=site, commands=pending)


@router.post("/api/v1/terminals/commands/{command_id}/result", response_model=CommandInfo,
             responses=common.errors(*common.SIGNED, 404),
             openapi_extra=common.json_request_body(CommandResultIn))
def command_result(request: Request, command_id: CommandId,
                   signed: auth.SignedRequest) -> CommandInfo:
    result, _raw = common.parse_json(CommandResultIn, signed.body, "invalid_request")
    with transaction(common.sessions(request)) as session:
        return commands.record_result(session, signed.terminal_id, command_id, ok=result.ok,
                                      detail=result.detail, data=result.data,
                                      now=common.settings(request).clock.now())


async def _bundle_signer(request: Request) -> auth.SignedHeaders:
    """Every signature check over the path's digest, before any byte of the body."""
    headers = auth.parse_headers(request)
    sha256 = str(request.path_params.get("sha256", ""))
    body_sha256 = sha256 if len(sha256) == 64 else (headers.content_sha256 or
                                                     signing.EMPTY_SHA256)
    await request.app.state.auth.authenticate_async(headers, body_sha256,
                                                    common.settings(request).clock.now())
    return headers


def _record_bundle(request: Request, sha256: str, size: int, terminal: str) -> None:
    try:
        with transaction(common.sessions(request)) as session:
            if session.get(DiagnosticBundle, sha256) is None:
                session.add(DiagnosticBundle(sha256=sha256, terminal_id=terminal, size=size,
                                             stored_at=common.settings(request).clock.now()))
    except IntegrityError:
        pass  # the same bundle stored by a racing upload


@router.put("/api/v1/terminals/bundles/{sha256}", status_code=201, response_model=StoredBundle,
            responses=common.errors(*common.SIGNED, 415),
            openapi_extra={"requestBody": {"required": True, "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in BUNDLE_TYPES}}})
async def put_bundle(request: Request, sha256: Sha,
                     who: Annotated[auth.SignedHeaders, Depends(_bundle_signer)]
                     ) -> JSONResponse:
    uploads.content_type(request, BUNDLE_TYPES)
    limit = common.settings(request).max_diagnostic_bundle_bytes
    size, _new = await uploads.receive(request, request.app.state.bundles, sha256, limit,
                                       "bundle")
    await run_in_threadpool(_record_bundle, request, sha256, size, who.terminal_id)
    return JSONResponse({"sha256": sha256, "size": size}, status_code=201)
