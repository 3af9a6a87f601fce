"""``HEAD``/``PUT /api/v1/materials/{sha256}``: content-addressed material blobs.

The upload is streamed to disk with the 10 MiB limit checked per chunk; the
signature is checked from the digest computed on the way (the body is never
held in memory), then the digest is compared with the path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from backoffice import auth
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.models import Material
from backoffice.routes.common import SIGNED, errors, sessions, settings
from backoffice.schemas import SHA256_PATTERN, StoredMaterial

router = APIRouter(tags=["materials"])

ACCEPTED_TYPES = ("image/jpeg", "image/png", "application/pdf")
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="lowercase hex SHA-256 of the body")]


async def terminal_headers(request: Request) -> tuple[auth.SignedHeaders, bytes]:
    """The body-free half of the signature check, before anything is read."""
    headers = auth.parse_headers(request)
    now = settings(request).clock.now()
    secret = await request.app.state.auth.check_terminal_and_time_async(headers, now)
    return headers, secret


Who = Annotated[tuple[auth.SignedHeaders, bytes], Depends(terminal_headers)]


def _stored(request: Request, sha256: str) -> Material | None:
    with transaction(sessions(request), write=False) as session:
        return session.get(Material, sha256)


@router.head("/api/v1/materials/{sha256}", responses={
    200: {"description": "stored", "headers": {"X-Material-Size": {
        "description": "size of the stored blob in bytes", "schema": {"type": "integer"}}}},
    404: {"description": "not stored"}, **errors(*SIGNED)})
async def head_material(request: Request, sha256: Sha,
                        who: Who) -> Response:
    headers, secret = who
    now = settings(request).clock.now()
    await run_in_threadpool(lambda: request.app.state.auth.finish(headers, secret, body=b"",
                                                                  now=now))
    material = await run_in_threadpool(_stored, request, sha256)
    if material is None:
        return Response(status_code=404)
    return Response(status_code=200, headers={"X-Material-Size": str(material.size)})


def _record(request: Request, sha256: str, size: int, content_type: str, terminal: str) -> bool:
    """Insert the row for a stored blob; False when another upload got there first.

    Written without fsync (the nonce engine): the blob file itself is already
    fsynced, and case intake rebuilds a row that a power cut lost from it. This
    saves one of the three fsyncs an upload would otherwise cost.
    """
    try:
        with transaction(request.app.state.fast_sessions) as session:
            if session.get(Material, sha256) is not None:
                return False
            session.add(Material(sha256=sha256, size=size, content_type=content_type,
                                 terminal_id=terminal, stored_at=settings(request).clock.now()))
        return True
    except IntegrityError:
        return False


@router.put("/api/v1/materials/{sha256}", status_code=201, response_model=StoredMaterial,
            responses={200: {"model": StoredMaterial, "description": "already stored"},
                       **errors(*SIGNED, 415)},
            openapi_extra={"requestBody": {"required": True, "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in ACCEPTED_TYPES}}})
async def put_material(request: Request, sha256: Sha,
                       who: Who) -> JSONResponse:
    headers, secret = who
    conf = settings(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        raise ApiError(415, "unsupported_type",
                       f"Content-Type {content_type or '(none)'} is not one of "
                       + ", ".join(ACCEPTED_TYPES))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > conf.max_material_bytes:
        raise ApiError(413, "too_large",
                       f"{declared} bytes exceeds the {conf.max_material_bytes}-byte limit")
    store = request.app.state.blobs
    staged = await store.stage(request.stream(), conf.max_material_bytes)
    try:
        now = conf.clock.now()
        await run_in_threadpool(lambda: request.app.state.auth.finish(
            headers, secret, body_sha256=staged.sha256, now=now))
        if staged.sha256 != sha256:
            raise ApiError(400, "hash_mismatch",
                           f"body SHA-256 is {staged.sha256}, not the one in the path")
        if staged.size == 0:
            raise ApiError(400, "bad_request", "empty material")
        if await run_in_threadpool(_stored, request, sha256) is not None:
            store.discard(staged)
            return JSONResponse({"sha256": sha256, "size": staged.size}, status_code=200)
        await run_in_threadpool(store.commit, staged)
    except BaseException:
        store.discard(staged)
        raise
    created = await run_in_threadpool(_record, request, sha256, staged.size, content_type,
                                      headers.terminal_id)
    return JSONResponse({"sha256": sha256, "size": staged.size},
                        status_code=201 if created else 200)
