"""What the two content-addressed uploads share (``PUT /api/v1/materials/{sha256}`` and
``PUT /api/v1/terminals/bundles/{sha256}``): the content type and the declared length
are checked before a byte is read, the body is streamed to its blob store with the size
limit checked per chunk, and it must hash to the digest in the path."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from backoffice.blobs import BlobStore
from backoffice.errors import ApiError


def content_type(request: Request, accepted: tuple[str, ...]) -> str:
    """The request's media type; 415 ``unsupported_type`` when it is not in ``accepted``."""
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given not in accepted:
        allowed = accepted[0] if len(accepted) == 1 else "one of " + ", ".join(accepted)
        raise ApiError(415, "unsupported_type",
                       f"Content-Type {given or '(none)'} is not {allowed}")
    return given


async def receive(request: Request, store: BlobStore, sha256: str, limit: int, what: str,
                  stored: Callable[[], bool] | None = None) -> tuple[int, bool]:
    """Stream the body into ``store`` under ``sha256``; (its size, whether it is new).

    413 when the declared length or the body passes ``limit``, 400 ``hash_mismatch`` when
    the body does not hash to ``sha256``, 400 ``bad_request`` when it is empty. When
    ``stored()`` (run in a thread) says the blob is already recorded, the upload is
    discarded and reported as not new. Nothing is left staged, whatever happens.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"{declared} bytes exceeds the {limit}-byte limit")
    staged = await store.stage(request.stream(), limit)
    try:
        if staged.sha256 != sha256:
            raise ApiError(400, "hash_mismatch",
                           f"body SHA-256 is {staged.sha256}, not the one in the path")
        if staged.size == 0:
            raise ApiError(400, "bad_request", f"empty {what}")
        if stored is not None and await run_in_threadpool(stored):
            store.discard(staged)
            return staged.size, False
        await run_in_threadpool(store.commit, staged)
    except BaseException:
        store.discard(staged)
        raise
    return staged.size, True
