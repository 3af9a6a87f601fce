"""Terminal routes of fleet control (docs/fleet-control.md):

* ``POST /api/v1/terminals/heartbeat``: device health, outbox counters and what the
  terminal runs on; the reply announces the served catalog, the site's settings and
  the terminal's open commands, each signed with the key the heartbeat was signed with;
* ``POST /api/v1/terminals/commands/{command_id}/result``: a command's result;
* ``PUT /api/v1/terminals/bundles/{sha256}``: a diagnostic bundle (zip), signature
  checked over the path's digest before any byte is read, streamed to the bundle store
  with the size limit checked per chunk (like materials).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from backoffice import auth, commands, fleet, heartbeats
from backoffice.db import relax_commit, transaction
from backoffice.errors import ApiError
from backoffice.models import DiagnosticBundle
from backoffice.routes.common import (
    SIGNED,
    errors,
    json_request_body,
    parse_json,
    sessions,
    settings,
)
from backoffice.schemas import (
    SHA256_PATTERN,
    CommandInfo,
    CommandResultIn,
    Heartbeat,
    HeartbeatAck,
    StoredBundle,
)
from kiosk.submission import signing

router = APIRouter(tags=["terminals"])

CommandId = Annotated[str, Path(pattern=r"^cmd-[0-9a-f]{24}$")]
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="lowercase hex SHA-256 of the body")]
BUNDLE_TYPES = ("application/zip",)


@router.post("/api/v1/terminals/heartbeat", response_model=HeartbeatAck,
             responses=errors(*SIGNED), openapi_extra=json_request_body(Heartbeat))
def heartbeat(request: Request, signed: auth.SignedRequest) -> HeartbeatAck:
    beat, _raw = parse_json(Heartbeat, signed.body, "invalid_request")
    now = settings(request).clock.now()
    catalog = request.app.state.catalog.ref()
    # The beat itself and its history (backoffice/heartbeats.py; a terminal deleted since
    # the signature check has no row), in a commit that may be lost to a power cut: the
    # next beat says the same again.
    with transaction(request.app.state.fast_sessions) as session:
        relax_commit(session)
        found = heartbeats.record(session, signed.terminal_id, beat, now,
                                  settings(request).retention)
    if not found:
        return HeartbeatAck(server_time=now, catalog=catalog)
    # The reply: the site's settings and the open commands (durable: a delivery counts).
    with transaction(sessions(request)) as session:
        site = None if beat.site_id is None else fleet.latest_settings(session, beat.site_id)
        pending = commands.deliver(session, signed.terminal_id, signed.secret, signed.suite,
                                   now=now)
    return HeartbeatAck(server_time=now, catalog=catalog,
                        settings=None if site is None else fleet.settings_ref(site),
                        commands=pending)


@router.post("/api/v1/terminals/commands/{command_id}/result", response_model=CommandInfo,
             responses=errors(*SIGNED, 404), openapi_extra=json_request_body(CommandResultIn))
def command_result(request: Request, command_id: CommandId,
                   signed: auth.SignedRequest) -> CommandInfo:
    result, _raw = parse_json(CommandResultIn, signed.body, "invalid_request")
    with transaction(sessions(request)) as session:
        return commands.record_result(session, signed.terminal_id, command_id, ok=result.ok,
                                      detail=result.detail, data=result.data,
                                      now=settings(request).clock.now())


async def _bundle_signer(request: Request) -> auth.SignedHeaders:
    """Every signature check over the path's digest, before any byte of the body."""
    headers = auth.parse_headers(request)
    sha256 = str(request.path_params.get("sha256", ""))
    body_sha256 = sha256 if len(sha256) == 64 else (headers.content_sha256 or
                                                     signing.EMPTY_SHA256)
    await request.app.state.auth.authenticate_async(headers, body_sha256,
                                                    settings(request).clock.now())
    return headers


def _record_bundle(request: Request, sha256: str, size: int, terminal: str) -> None:
    try:
        with transaction(sessions(request)) as session:
            if session.get(DiagnosticBundle, sha256) is None:
                session.add(DiagnosticBundle(sha256=sha256, terminal_id=terminal, size=size,
                                             stored_at=settings(request).clock.now()))
    except IntegrityError:
        pass  # the same bundle stored by a racing upload


@router.put("/api/v1/terminals/bundles/{sha256}", status_code=201, response_model=StoredBundle,
            responses=errors(*SIGNED, 415),
            openapi_extra={"requestBody": {"required": True, "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in BUNDLE_TYPES}}})
async def put_bundle(request: Request, sha256: Sha,
                     who: Annotated[auth.SignedHeaders, Depends(_bundle_signer)]
                     ) -> JSONResponse:
    conf = settings(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in BUNDLE_TYPES:
        raise ApiError(415, "unsupported_type",
                       f"Content-Type {content_type or '(none)'} is not application/zip")
    declared = request.headers.get("content-length", "")
    limit = conf.max_diagnostic_bundle_bytes
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"{declared} bytes exceeds the {limit}-byte limit")
    store = request.app.state.bundles
    staged = await store.stage(request.stream(), limit)
    try:
        if staged.sha256 != sha256:
            raise ApiError(400, "hash_mismatch",
                           f"body SHA-256 is {staged.sha256}, not the one in the path")
        if staged.size == 0:
            raise ApiError(400, "bad_request", "empty bundle")
        await run_in_threadpool(store.commit, staged)
    except BaseException:
        store.discard(staged)
        raise
    await run_in_threadpool(_record_bundle, request, sha256, staged.size, who.terminal_id)
    return JSONResponse({"sha256": sha256, "size": staged.size}, status_code=201)
