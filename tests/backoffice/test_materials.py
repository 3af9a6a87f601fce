"""Material blobs: content-addressed, hash-checked, size-limited while streaming."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice.blobs import BlobStore
from backoffice.errors import ApiError
from backoffice.settings import Settings
from tests.backoffice.testing import JPEG, TerminalClient


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_then_head(terminal: TerminalClient, settings: Settings) -> None:
    sha = _sha(JPEG)
    assert terminal.request("HEAD", f"/api/v1/materials/{sha}").status_code == 404
    r = terminal.put_material(JPEG)
    assert r.status_code == 201, r.text
    assert r.json() == {"sha256": sha, "size": len(JPEG)}
    head = terminal.request("HEAD", f"/api/v1/materials/{sha}")
    assert head.status_code == 200
    assert head.headers["X-Material-Size"] == str(len(JPEG))
    stored = settings.blob_dir / sha[:2] / sha
    assert stored.read_bytes() == JPEG
    assert list((settings.blob_dir / "tmp").iterdir()) == []


def test_already_present_is_200(terminal: TerminalClient) -> None:
    assert terminal.put_material(JPEG).status_code == 201
    r = terminal.put_material(JPEG)
    assert r.status_code == 200
    assert r.json()["size"] == len(JPEG)


def test_wrong_hash(terminal: TerminalClient, settings: Settings) -> None:
    """Signed over the path's digest (as the kiosk does), but other bytes arrive."""
    sha = _sha(b"something else")
    r = terminal.request("PUT", f"/api/v1/materials/{sha}", body=JPEG, digest=sha,
                         headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 400
    assert r.json()["error"] == "hash_mismatch"
    assert list((settings.blob_dir / "tmp").iterdir()) == []
    assert terminal.request("HEAD", f"/api/v1/materials/{_sha(JPEG)}").status_code == 404


def test_bad_type(terminal: TerminalClient) -> None:
    r = terminal.put_material(JPEG, content_type="text/html")
    assert r.status_code == 415
    assert r.json()["error"] == "unsupported_type"
    assert "image/jpeg" in r.json()["detail"]


def test_pdf_and_png_accepted(terminal: TerminalClient) -> None:
    assert terminal.put_material(b"%PDF-1.7 test", "application/pdf").status_code == 201
    assert terminal.put_material(b"\x89PNG test", "image/png; foo=bar").status_code == 201


def test_oversize_by_content_length(terminal: TerminalClient, settings: Settings) -> None:
    data = b"\0" * (settings.max_material_bytes + 1)
    r = terminal.put_material(data)
    assert r.status_code == 413
    assert r.json()["error"] == "too_large"


def test_oversize_while_streaming(client: TestClient, terminal: TerminalClient,
                                  settings: Settings) -> None:
    """Without a Content-Length the limit still holds, before reading everything."""
    chunk = b"\0" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        yield from [chunk] * 40

    sha = "0" * 64
    headers = terminal.headers("PUT", f"/api/v1/materials/{sha}", b"", digest=sha)
    headers["Content-Type"] = "image/jpeg"
    r = client.put(f"/api/v1/materials/{sha}", content=body(), headers=headers)
    assert r.status_code == 413
    assert r.json()["error"] == "too_large"
    assert list((settings.blob_dir / "tmp").iterdir()) == []


def test_exactly_the_limit_is_accepted(terminal: TerminalClient, settings: Settings) -> None:
    data = b"\1" * settings.max_material_bytes
    assert terminal.put_material(data).status_code == 201


def test_bad_path(terminal: TerminalClient) -> None:
    r = terminal.request("PUT", "/api/v1/materials/NOTHEX", body=JPEG,
                         headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"


def test_empty_body(terminal: TerminalClient) -> None:
    r = terminal.put_material(b"")
    assert r.status_code == 400


def test_unsigned_upload_is_refused_before_storing(client: TestClient,
                                                   settings: Settings) -> None:
    r = client.put(f"/api/v1/materials/{_sha(JPEG)}", content=JPEG,
                   headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 401
    assert not any(p.is_file() for p in settings.blob_dir.rglob("*"))


def test_signature_over_streamed_body_checked(terminal: TerminalClient,
                                              settings: Settings) -> None:
    sha = _sha(JPEG)
    headers = terminal.headers("PUT", f"/api/v1/materials/{sha}", b"other bytes")
    headers["Content-Type"] = "image/jpeg"
    r = terminal.client.put(f"/api/v1/materials/{sha}", content=JPEG, headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "bad_signature"
    assert list((settings.blob_dir / "tmp").iterdir()) == []


def test_store_stops_reading_at_the_limit(tmp_path: Path) -> None:
    """The limit is checked per chunk: an endless upload is cut off, not read to the end."""
    store = BlobStore(tmp_path)
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        for _ in range(10_000):
            consumed += 1
            yield b"\0" * 65536

    with pytest.raises(ApiError) as caught:
        asyncio.run(store.stage(endless(), limit=1024 * 1024))
    assert caught.value.status == 413
    assert consumed == 17  # 16 chunks fill the limit, the 17th passes it
    assert list(store.tmp.iterdir()) == []


def test_concurrent_identical_uploads(terminal: TerminalClient, settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = b"\xff\xd8" + bytes(range(256)) * 400
    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(lambda _: terminal.put_material(data).status_code, range(6)))
    assert codes.count(201) == 1 and codes.count(200) == 5, codes
    sha = _sha(data)
    assert (settings.blob_dir / sha[:2] / sha).read_bytes() == data
    assert list((settings.blob_dir / "tmp").iterdir()) == []
