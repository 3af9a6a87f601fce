"""Content-addressed material storage on disk.

A blob lives at ``blobs/ab/<sha256>``; the 256 fan-out directories are made
(and made durable) once, when the store opens, so that storing a blob never
creates a directory whose own entry would need syncing too. A blob is streamed
to a temporary file in the same file system, hashed and size-checked on the way (the limit
is enforced per chunk, never after reading everything), fsynced, and only
then renamed into place (rename is atomic on POSIX), with the directory
fsynced so that the name survives power loss too. A half-written upload
therefore never looks like a stored blob.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool

from backoffice.errors import ApiError
from kiosk.files import fsync_dir, fsync_path

#: A temporary upload older than this (far beyond any body timeout) is debris.
STALE_UPLOAD_S = 3600


@dataclass(frozen=True)
class Staged:
    """A fully received upload waiting for :meth:`BlobStore.commit` or :meth:`discard`."""

    temp_path: Path
    sha256: str
    size: int


class BlobStore:
    #: Threads for fsyncs, apart from the request threads: a burst of uploads waiting on
    #: the disk must not take the threads that heartbeats and other requests run in.
    SYNC_THREADS = 8

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sync_pool = ThreadPoolExecutor(self.SYNC_THREADS, thread_name_prefix="blob-fsync")
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        # Uploads a killed process left half-written: nobody will commit them. Only
        # old ones: another server process on this directory may be receiving now.
        cutoff = time.time() - STALE_UPLOAD_S
        for stale in self.tmp.glob("upload-*"):
            with contextlib.suppress(FileNotFoundError):
                if stale.stat().st_mtime < cutoff:
                    stale.unlink(missing_ok=True)
        fanout = [root / f"{n:02x}" for n in range(256)]
        if not all(d.is_dir() for d in fanout):
            for d in fanout:
                d.mkdir(exist_ok=True)
            fsync_dir(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    async def stage(self, chunks: AsyncIterator[bytes], limit: int) -> Staged:
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        temp = Path(name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise ApiError(413, "too_large", f"material exceeds {limit} bytes")
                    digest.update(chunk)
                    await run_in_threadpool(out.write, chunk)
                out.flush()
                await asyncio.get_running_loop().run_in_executor(self._sync_pool, os.fsync,
                                                                 out.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Staged(temp, digest.hexdigest(), size)

    def sync_all(self, staged: Iterable[Staged]) -> None:
        """Make several staged uploads durable at once: their fsyncs run side by side,
        which the file system's journal commits together (5 pages: ~2 ms here instead
        of ~15 ms one after another). :meth:`commit_all` then renames them."""
        list(self._sync_pool.map(fsync_path, [s.temp_path for s in staged]))

    async def sync_async(self, path: Path) -> None:
        """fsync one file on the store's own threads, without blocking the event loop."""
        await asyncio.get_running_loop().run_in_executor(self._sync_pool, fsync_path, path)

    async def write_async(self, out: BinaryIO, data: bytes) -> None:
        """Write to an open temporary file on the store's own threads."""
        await asyncio.get_running_loop().run_in_executor(self._sync_pool, out.write, data)

    def close(self) -> None:
        self._sync_pool.shutdown(wait=True)

    def commit_all(self, staged: Iterable[Staged]) -> None:
        """Rename synced uploads into place, then fsync each directory touched once
        (side by side, as :meth:`sync_all`), so that every name survives power loss."""
        dirs = sorted({self.commit(s, sync_dir=False).parent for s in staged})
        list(self._sync_pool.map(fsync_dir, dirs))

    def commit(self, staged: Staged, *, sync_dir: bool = True) -> Path:
        final = self.path(staged.sha256)
        staged.temp_path.replace(final)
        if sync_dir:
            fsync_dir(final.parent)
        return final

    @staticmethod
    def discard(staged: Staged) -> None:
        staged.temp_path.unlink(missing_ok=True)
