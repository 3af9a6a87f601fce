"""``POST /api/v1/case-bundles``: a case and its material blobs in one request.

The body is the parts back to back: the case's JSON first, then each blob; the
``X-Case-Bundle`` header names every part's SHA-256 and size in that order
(kiosk/submission/signing.py ``bundle_manifest``), and the signature covers
the SHA-256 of that header, so it covers every part's hash. In order, before
any byte of the body is read: every signature check (over the manifest), the
manifest's form, the limits (the case 1 MiB, each blob 10 MiB, the whole body
``max_bundle_bytes``; ``Content-Length`` must be their sum). Then the body is
streamed: the case JSON is held in memory and validated first (a blob the case
does not name is refused before it is read), each blob goes to a temporary file
hashed on the way. Nothing is stored until every part has arrived and matched
its hash (each blob's fsync starts as soon as it has arrived, while the next one
streams in): then the new blobs are renamed into place, their directories
fsynced, and the case is committed with their index rows in one transaction. Any
failure on the way (a wrong hash, a cut connection, a body timeout) removes every
temporary file, so a bundle is stored whole or not at all.

Older terminals keep using ``PUT /materials/{sha256}`` and ``POST /cases``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from backoffice import auth, cases
from backoffice.blobs import BlobStore, Staged
from backoffice.errors import ApiError
from backoffice.routes.common import SIGNED, errors, parse_json, sessions, settings
from backoffice.schemas import CaseReceipt, CaseSubmission
from kiosk.submission import signing

router = APIRouter(tags=["cases"])
#: Received bytes are written in pieces of about this size, on the blob store's threads.
WRITE_BYTES = 256 * 1024


class _Parts:
    """Splits a streamed body into parts of known sizes."""

    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self._stream = stream
        self._left = b""

    async def _chunks(self, size: int) -> AsyncIterator[bytes]:
        while size > 0:
            if not self._left:
                try:
                    self._left = await self._stream.__anext__()
                except StopAsyncIteration:
                    raise ApiError(400, "bad_request", "the body ended before its last "
                                   "part") from None
                continue
            chunk, self._left = self._left[:size], self._left[size:]
            size -= len(chunk)
            yield chunk

    async def read(self, size: int) -> bytes:
        return b"".join([c async for c in self._chunks(size)])

    async def stage(self, store: BlobStore, size: int, into: list[Staged]) -> Staged:
        """The next ``size`` bytes to a temporary file (appended to ``into`` at once, so
        the caller's error path removes it whatever happens)."""
        fd, name = tempfile.mkstemp(dir=store.tmp, prefix="upload-")
        digest = hashlib.sha256()
        placeholder = Staged(Path(name), "", 0)
        into.append(placeholder)
        with os.fdopen(fd, "wb", buffering=0) as out:
            pending: list[bytes] = []
            held = 0
            async for chunk in self._chunks(size):
                digest.update(chunk)
                pending.append(chunk)
                held += len(chunk)
                if held >= WRITE_BYTES:
                    # Never in the event loop: when the disk is behind, the kernel makes
                    # a writer wait, and every request of this worker would wait with it.
                    await store.write_async(out, b"".join(pending))
                    pending, held = [], 0
            if pending:
                await store.write_async(out, b"".join(pending))
        staged = Staged(Path(name), digest.hexdigest(), size)
        into[into.index(placeholder)] = staged
        return staged


def _manifest(request: Request) -> tuple[str, list[tuple[str, int]]]:
    text = request.headers.get(signing.BUNDLE_HEADER, "")
    try:
        return text, signing.parse_bundle_manifest(text)
    except ValueError as exc:
        raise ApiError(400, "bad_request", f"{signing.BUNDLE_HEADER}: {exc}") from None


def _check_limits(request: Request, parts: list[tuple[str, int]]) -> None:
    conf = settings(request)
    (_case_sha, case_size), blobs = parts[0], parts[1:]
    if case_size > conf.max_case_bytes:
        raise ApiError(413, "too_large", f"the case is {case_size} bytes, over the "
                       f"{conf.max_case_bytes}-byte limit")
    for sha, size in blobs:
        if size > conf.max_material_bytes:
            raise ApiError(413, "too_large", f"blob {sha} is {size} bytes, over the "
                           f"{conf.max_material_bytes}-byte limit")
        if size == 0:
            raise ApiError(400, "bad_request", "empty material")
    if len({sha for sha, _ in blobs}) != len(blobs):
        raise ApiError(400, "bad_request", "a blob is named twice")
    total = sum(size for _, size in parts)
    if total > conf.max_bundle_bytes:
        raise ApiError(413, "too_large", f"the bundle is {total} bytes, over the "
                       f"{conf.max_bundle_bytes}-byte limit")
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) != total:
        raise ApiError(400, "bad_request", "Content-Length must be the sum of the parts' "
                       f"sizes ({total})")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != signing.BUNDLE_CONTENT_TYPE:
        raise ApiError(415, "unsupported_type",
                       f"a case bundle is {signing.BUNDLE_CONTENT_TYPE}")


def _content_types(sub: CaseSubmission) -> dict[str, str]:
    named: dict[str, str] = {p.sha256: p.content_type for m in sub.materials for p in m.pages}
    if sub.signature is not None:
        named[sub.signature.sha256] = sub.signature.content_type
    return named


@router.post("/api/v1/case-bundles", status_code=201, response_model=CaseReceipt,
             responses={200: {"model": CaseReceipt,
                              "description": "already received: the same receipt"},
                        **errors(*SIGNED, 409, 415)},
             openapi_extra={"requestBody": {"required": True, "content": {
                 signing.BUNDLE_CONTENT_TYPE: {"schema": {"type": "string",
                                                          "format": "binary"}}}}})
async def submit_bundle(
    request: Request,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1,
                                           max_length=64, description="the kiosk_ref")],
    case_bundle: Annotated[str, Header(
        alias=signing.BUNDLE_HEADER, max_length=66 * signing.MAX_BUNDLE_PARTS,
        description="SHA256:SIZE of each part in body order, joined by ','; the "
                    "first part is the CaseSubmission JSON, the others its blobs")],
) -> JSONResponse:
    state = request.app.state
    conf = settings(request)
    headers = auth.parse_headers(request)
    # The signature covers the manifest's hash, and through it every part's hash.
    digest = signing.bundle_digest(case_bundle) if case_bundle.isascii() \
        else signing.EMPTY_SHA256
    await state.auth.authenticate_async(headers, digest, conf.clock.now())
    _text, parts = _manifest(request)
    _check_limits(request, parts)
    (case_sha, case_size), blob_parts = parts[0], parts[1:]
    store: BlobStore = state.blobs
    staged: list[Staged] = []
    syncs: list[asyncio.Future[None]] = []
    try:
        reader = _Parts(request.stream())
        body = await reader.read(case_size)
        if hashlib.sha256(body).hexdigest() != case_sha:
            raise ApiError(400, "hash_mismatch", "the case part does not match its SHA-256")
        sub, raw = parse_json(CaseSubmission, body, "invalid_case")
        if idempotency_key != sub.kiosk_ref:
            raise ApiError(422, "invalid_case", "Idempotency-Key must equal kiosk_ref")
        if sub.terminal_id != headers.terminal_id:
            raise ApiError(422, "invalid_case", "terminal_id is not the signing terminal")
        named = _content_types(sub)
        stray = [sha for sha, _ in blob_parts if sha not in named]
        if stray:
            raise ApiError(422, "invalid_case", f"blob {stray[0]} is not named by the case")
        for sha, size in blob_parts:
            part = await reader.stage(store, size, staged)
            if part.sha256 != sha:
                raise ApiError(400, "hash_mismatch",
                               f"a part's SHA-256 is {part.sha256}, not {sha}")
            # Its fsync runs while the next part arrives (the journal takes them together).
            syncs.append(asyncio.ensure_future(store.sync_async(part.temp_path)))
        await asyncio.gather(*syncs)
        new = [s for s in staged if not store.exists(s.sha256)]
        if new:
            await run_in_threadpool(store.commit_all, new)
        receipt, created = await run_in_threadpool(
            cases.intake, sessions(request), sub, raw, conf.clock.now(), store,
            state.catalog.codes, {s.sha256: (s.size, named[s.sha256]) for s in staged})
    finally:
        # Every fsync has ended (or failed) before a leftover is removed.
        await asyncio.gather(*syncs, return_exceptions=True)
        for s in staged:  # committed ones were renamed away: only leftovers go
            store.discard(s)
    return JSONResponse(receipt.model_dump(mode="json"), status_code=201 if created else 200)
