"""``POST /api/v1/case-bundles``: a case and its blobs in one signed request.

The signature covers the manifest (every part's SHA-256 and size), is checked before
any byte of the body is read, limits are checked from the manifest alone, and a
bundle is stored whole or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backoffice.db import transaction
from backoffice.models import Case, Material
from backoffice.server import BackgroundServer
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from kiosk.submission import signing
from kiosk.submission.client import BackofficeClient
from tests.backoffice.testing import JPEG, TERMINAL_ID, TerminalClient, make_case

PATH = "/api/v1/case-bundles"
PAGE_A = b"\xff\xd8\xff\xe0" + b"page A " * 300
PAGE_B = b"\xff\xd8\xff\xe0" + b"page B " * 300


def _body(case: dict[str, Any]) -> bytes:
    return json.dumps(case, ensure_ascii=False).encode()


def send_bundle(terminal: TerminalClient, parts: list[bytes], *, ref: str,
                manifest: str | None = None, body: bytes | None = None,
                sign_manifest: str | None = None) -> Any:
    manifest = manifest if manifest is not None else signing.bundle_manifest(parts)
    digest = signing.bundle_digest(sign_manifest if sign_manifest is not None else manifest)
    headers = terminal.headers("POST", PATH, b"", digest=digest)
    headers.update({"Content-Type": signing.BUNDLE_CONTENT_TYPE, "Idempotency-Key": ref,
                    signing.BUNDLE_HEADER: manifest})
    return terminal.client.post(PATH, content=b"".join(parts) if body is None else body,
                                headers=headers)


def stored_files(settings: Settings) -> list[Path]:
    return [p for p in settings.blob_dir.rglob("*") if p.is_file()]


# ---- the canonical form, byte for byte --------------------------------------------------

def test_manifest_and_signed_string_are_byte_exact() -> None:
    parts = [b"{}", b"abc"]
    manifest = signing.bundle_manifest(parts)
    assert manifest == (
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a:2,"
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad:3")
    assert signing.parse_bundle_manifest(manifest) == [
        ("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", 2),
        ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3)]
    secret = bytes(range(32))
    digest = hashlib.sha256(manifest.encode("ascii")).hexdigest()
    assert signing.bundle_digest(manifest) == digest
    canonical = f"POST\n{PATH}\n1764000000\nnonce-nonce-nonce-1\n{digest}".encode()
    expected = hmac.new(secret, canonical, hashlib.sha256).hexdigest()
    assert signing.sign_digest(secret, "POST", PATH, "1764000000", "nonce-nonce-nonce-1",
                               signing.bundle_digest(manifest)) == expected


def test_malformed_manifests_are_refused() -> None:
    sha = "a" * 64
    assert signing.parse_bundle_manifest(f"{sha}:1") == [(sha, 1)]  # the case alone
    for bad in ("", f"{sha}:1,{sha.upper()}:2", f"{sha}:01,{sha}:2",
                f"{sha}:1,{sha}:-2", f"{sha}:1;{sha}:2", f"{sha}:1, {sha}:2",
                ",".join([f"{sha}:1"] * (signing.MAX_BUNDLE_PARTS + 1))):
        try:
            signing.parse_bundle_manifest(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")


# ---- the route -----------------------------------------------------------------------

def test_a_bundle_stores_the_case_and_its_pages(terminal: TerminalClient, client: TestClient,
                                                settings: Settings) -> None:
    case = make_case(pages=[PAGE_A, PAGE_B])
    parts = [_body(case), PAGE_A, PAGE_B]
    r = send_bundle(terminal, parts, ref=case["kiosk_ref"])
    assert r.status_code == 201, r.text
    number = r.json()["case_number"]
    for page in (PAGE_A, PAGE_B):
        sha = hashlib.sha256(page).hexdigest()
        assert (settings.blob_dir / sha[:2] / sha).read_bytes() == page
    with transaction(client.app.state.sessions, write=False) as session:  # type: ignore[attr-defined]
        rows = {m.sha256: (m.size, m.content_type, m.terminal_id)
                for m in session.query(Material)}
        assert session.query(Case).one().case_number == number
    assert rows[hashlib.sha256(PAGE_A).hexdigest()] == (len(PAGE_A), "image/jpeg", TERMINAL_ID)
    # The same bundle again (a lost answer): the same receipt, nothing stored twice.
    again = send_bundle(terminal, parts, ref=case["kiosk_ref"])
    assert again.status_code == 200 and again.json()["case_number"] == number
    assert list((settings.blob_dir / "tmp").iterdir()) == []
    assert len(stored_files(settings)) == 2


def test_a_bundle_may_leave_out_pages_the_server_has(terminal: TerminalClient) -> None:
    assert terminal.put_material(PAGE_A).status_code == 201
    case = make_case(pages=[PAGE_A, PAGE_B])
    r = send_bundle(terminal, [_body(case), PAGE_B], ref=case["kiosk_ref"])
    assert r.status_code == 201, r.text
    missing = make_case("XD-261122-0043-D", pages=[PAGE_A, JPEG])
    r = send_bundle(terminal, [_body(missing), PAGE_A], ref=missing["kiosk_ref"])
    assert r.status_code == 422 and r.json()["missing"] == [hashlib.sha256(JPEG).hexdigest()]


def test_a_bundle_of_the_case_alone_is_taken(terminal: TerminalClient) -> None:
    """A retry whose pages all reached the server before: the case is the only part."""
    assert terminal.put_material(PAGE_A).status_code == 201
    case = make_case(pages=[PAGE_A])
    r = send_bundle(terminal, [_body(case)], ref=case["kiosk_ref"])
    assert r.status_code == 201, r.text


def test_a_tampered_part_is_refused_and_nothing_is_stored(terminal: TerminalClient,
                                                          client: TestClient,
                                                          settings: Settings) -> None:
    case = make_case(pages=[PAGE_A, PAGE_B])
    parts = [_body(case), PAGE_A, PAGE_B]
    body = bytearray(b"".join(parts))
    body[-10] ^= 0x01  # one bit of the second page
    r = send_bundle(terminal, parts, ref=case["kiosk_ref"], body=bytes(body))
    assert r.status_code == 400 and r.json()["error"] == "hash_mismatch"
    assert stored_files(settings) == []
    with transaction(client.app.state.sessions, write=False) as session:  # type: ignore[attr-defined]
        assert session.query(Case).count() == 0
        assert session.query(Material).count() == 0


def test_a_manifest_changed_after_signing_is_refused(terminal: TerminalClient,
                                                     settings: Settings) -> None:
    case = make_case(pages=[PAGE_A])
    signed = [_body(case), PAGE_A]
    swapped = [_body(case), PAGE_B]  # another page, its manifest honest but not the signed one
    r = send_bundle(terminal, swapped, ref=case["kiosk_ref"],
                    sign_manifest=signing.bundle_manifest(signed))
    assert r.status_code == 401 and r.json()["error"] == "bad_signature"
    assert stored_files(settings) == []


def test_a_blob_the_case_does_not_name_is_refused(terminal: TerminalClient,
                                                  settings: Settings) -> None:
    case = make_case(pages=[PAGE_A])
    r = send_bundle(terminal, [_body(case), PAGE_A, PAGE_B], ref=case["kiosk_ref"])
    assert r.status_code == 422 and r.json()["error"] == "invalid_case"
    assert stored_files(settings) == []


def test_limits_come_from_the_manifest(terminal: TerminalClient, settings: Settings) -> None:
    case = make_case(pages=[PAGE_A])
    body = _body(case)
    big = f"{'b' * 64}:{settings.max_material_bytes + 1}"
    manifest = f"{hashlib.sha256(body).hexdigest()}:{len(body)},{big}"
    r = send_bundle(terminal, [], ref=case["kiosk_ref"], manifest=manifest, body=body)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    # Content-Length must be the parts' sum.
    r = send_bundle(terminal, [body, PAGE_A], ref=case["kiosk_ref"], body=body + PAGE_A[:-1])
    assert r.status_code == 400
    assert stored_files(settings) == []


# ---- on a real socket: before the body, and a body cut between parts ----------------------

def _raw_request(server: BackgroundServer, terminal: TerminalClient, manifest: str,
                 length: int, ref: str) -> bytes:
    headers = terminal.headers("POST", PATH, b"", digest=signing.bundle_digest(manifest))
    headers.update({"Content-Type": signing.BUNDLE_CONTENT_TYPE, "Idempotency-Key": ref,
                    signing.BUNDLE_HEADER: manifest, "Content-Length": str(length),
                    "Host": "127.0.0.1"})
    return (f"POST {PATH} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + "\r\n").encode()


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_an_oversize_bundle_is_answered_before_its_body_is_sent(
        terminal: TerminalClient, settings: Settings) -> None:
    case = make_case(pages=[PAGE_A])
    body = _body(case)
    size = settings.max_bundle_bytes  # each part within its limit, the sum over
    blobs = [(f"{n:064x}", settings.max_material_bytes) for n in range(1, 8)]
    manifest = ",".join([f"{hashlib.sha256(body).hexdigest()}:{len(body)}",
                         *(f"{s}:{n}" for s, n in blobs)])
    total = len(body) + sum(n for _, n in blobs)
    assert total > size
    with BackgroundServer(settings) as server, \
            socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(_raw_request(server, terminal, manifest, total, case["kiosk_ref"]))
        answer = _answer(sock)  # not one byte of the body was sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert stored_files(settings) == []


def test_a_connection_cut_between_parts_leaves_nothing_stored(
        terminal: TerminalClient, client: TestClient, settings: Settings,
        clock: FakeClock) -> None:
    case = make_case(pages=[PAGE_A, PAGE_B])
    parts = [_body(case), PAGE_A, PAGE_B]
    manifest = signing.bundle_manifest(parts)
    total = sum(len(p) for p in parts)
    with BackgroundServer(settings) as server:
        with socket.create_connection((server.host, server.port), timeout=30) as sock:
            sock.sendall(_raw_request(server, terminal, manifest, total, case["kiosk_ref"]))
            sock.sendall(parts[0] + PAGE_A + PAGE_B[:100])  # the first page whole, then cut
        # The server notices the disconnect and cleans up: wait for it (bounded).
        deadline = time.monotonic() + 20
        while list((settings.blob_dir / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list((settings.blob_dir / "tmp").iterdir()) == []
        assert stored_files(settings) == []  # not even the page that arrived whole
        with transaction(server.app.state.sessions, write=False) as session:
            assert session.query(Case).count() == 0
        # The kiosk's next attempt goes through.
        kiosk = BackofficeClient(server.url, TERMINAL_ID, terminal.secret, clock=clock)
        receipt = kiosk.create_case_bundle(case["kiosk_ref"], parts[0], [PAGE_A, PAGE_B])
        kiosk.close()
    assert receipt.kiosk_ref == case["kiosk_ref"]
    assert len(stored_files(settings)) == 2
