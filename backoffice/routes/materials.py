"""``HEAD``/``PUT /api/v1/materials/{sha256}``: content-addressed material blobs.

The signature is checked first, over the digest in the path (nothing is read
or written for a request that fails it); the upload is then streamed to disk
with the 10 MiB limit checked per chunk (the body is never held in memory),
and the digest computed on the way must equal the path's.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from backoffice import auth
from backoffice.db import transaction
from backoffice.models import Material
from backoffice.routes import uploads
from backoffice.routes.common import SIGNED, errors, sessions, settings
from backoffice.schemas import SHA256_PATTERN, StoredMaterial
from kiosk.submission import signing

router = APIRouter(tags=["materials"])

ACCEPTED_TYPES = ("image/jpeg", "image/png", "application/pdf")
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="lowercase hex SHA-256 of the body")]


async def authenticated(request: Request) -> auth.SignedHeaders:
    """Every signature check, before any byte of the body is read.

    The canonical string covers the body's SHA-256, which for a material is
    the one in the path: a wrong signature is refused without storing
    anything, and the streamed body must then hash to the path.
    """
    headers = auth.parse_headers(request)
    sha256 = str(request.path_params.get("sha256", ""))
    if headers.method == "HEAD":
        body_sha256 = signing.EMPTY_SHA256
    elif re.fullmatch(SHA256_PATTERN, sha256):
        body_sha256 = sha256
    else:  # a malformed path: authenticated as declared, then refused with 400 unread
        body_sha256 = headers.content_sha256 or signing.EMPTY_SHA256
    now = settings(request).clock.now()
    await request.app.state.auth.authenticate_async(headers, body_sha256, now)
    return headers


Who = Annotated[auth.SignedHeaders, Depends(authenticated)]


def _stored(request: Request, sha256: str) -> Material | None:
    with transaction(sessions(request), write=False) as session:
        return session.get(Material, sha256)


@router.head("/api/v1/materials/{sha256}", responses={
    200: {"description": "stored", "headers": {"X-Material-Size": {
        "description": "size of the stored blob in bytes", "schema": {"type": "integer"}}}},
    404: {"description": "not stored"}, **errors(*SIGNED)})
async def head_material(request: Request, sha256: Sha,
                        who: Who) -> Response:
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
    kind = uploads.content_type(request, ACCEPTED_TYPES)
    size, new = await uploads.receive(
        request, request.app.state.blobs, sha256, settings(request).max_material_bytes,
        "material", stored=lambda: _stored(request, sha256) is not None)
    if not new:
        return JSONResponse({"sha256": sha256, "size": size}, status_code=200)
    created = await run_in_threadpool(_record, request, sha256, size, kind, who.terminal_id)
    return JSONResponse({"sha256": sha256, "size": size}, status_code=201 if created else 200)
