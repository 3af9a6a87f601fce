"""Nothing is read for a request that fails its signature; slow clients are cut off.

The ASGI tests call the app directly with a ``receive`` that counts what the
app asked for, so "the body was not read" is observed, not inferred.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import select
import socket
from typing import Any

import anyio
from fastapi import FastAPI

from backoffice import staffops
from backoffice.app import create_app
from backoffice.server import BackgroundServer
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from tests.backoffice.testing import JPEG, TERMINAL_ID, TerminalClient, make_case


class _Body:
    """An ASGI ``receive`` that hands out ``chunks`` and then, if ``stall``, waits for ever."""

    def __init__(self, chunks: list[bytes], *, stall: bool = False) -> None:
        self.chunks = list(chunks)
        self.stall = stall
        self.asked = 0

    async def __call__(self) -> dict[str, Any]:
        self.asked += 1
        if self.chunks:
            chunk = self.chunks.pop(0)
            return {"type": "http.request", "body": chunk,
                    "more_body": bool(self.chunks) or self.stall}
        if self.stall:
            await anyio.sleep_forever()
        return {"type": "http.disconnect"}


def _call(app: FastAPI, method: str, path: str, headers: dict[str, str],
          body: _Body) -> tuple[int, dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 5000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    anyio.run(app, scope, body, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(content)


def _app(settings: Settings, secret: bytes) -> FastAPI:
    app = create_app(settings)
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(),
                               settings.clock.now(), app.state.secret_box)
    return app


def _signer(settings: Settings, secret: bytes) -> TerminalClient:
    assert isinstance(settings.clock, FakeClock)
    return TerminalClient(None, TERMINAL_ID, secret, settings.clock)


def test_an_upload_with_a_wrong_signature_is_refused_unread(settings: Settings,
                                                            secret: bytes) -> None:
    app = _app(settings, secret)
    data = JPEG * 1000
    sha = hashlib.sha256(data).hexdigest()
    path = f"/api/v1/materials/{sha}"
    headers = _signer(settings, b"\0" * 32).headers("PUT", path, data)
    body = _Body([data[:65536], data[65536:]])
    status, answer = _call(app, "PUT", path, {**headers, "Content-Type": "image/jpeg",
                                               "Content-Length": str(len(data))}, body)
    assert (status, answer["error"]) == (401, "bad_signature")
    assert body.asked == 0
    assert list((settings.blob_dir / "tmp").iterdir()) == []


def test_a_case_with_a_wrong_signature_is_refused_unread(settings: Settings,
                                                         secret: bytes) -> None:
    app = _app(settings, secret)
    data = json.dumps(make_case()).encode()
    headers = _signer(settings, b"\0" * 32).headers("POST", "/api/v1/cases", data)
    body = _Body([data])
    status, answer = _call(app, "POST", "/api/v1/cases",
                           {**headers, "Content-Type": "application/json",
                            "Idempotency-Key": "XD-261122-0042-F"}, body)
    assert (status, answer["error"]) == (401, "bad_signature")
    assert body.asked == 0


def test_a_body_that_differs_from_its_signed_digest_is_refused(settings: Settings,
                                                               secret: bytes) -> None:
    app = _app(settings, secret)
    data = json.dumps(make_case()).encode()
    headers = _signer(settings, secret).headers("POST", "/api/v1/cases", data)
    status, answer = _call(app, "POST", "/api/v1/cases",
                           {**headers, "Content-Type": "application/json",
                            "Idempotency-Key": "XD-261122-0042-F"}, _Body([data + b" "]))
    assert (status, answer["error"]) == (401, "bad_signature")


def test_an_upload_that_stalls_is_answered_408_and_leaves_no_temp_file(
        settings: Settings, secret: bytes) -> None:
    app = _app(dataclasses.replace(settings, body_idle_timeout_s=0.2), secret)
    data = JPEG * 1000
    sha = hashlib.sha256(data).hexdigest()
    path = f"/api/v1/materials/{sha}"
    headers = _signer(settings, secret).headers("PUT", path, data)
    status, answer = _call(app, "PUT", path, {**headers, "Content-Type": "image/jpeg"},
                           _Body([data[:1000]], stall=True))
    assert (status, answer["error"]) == (408, "body_timeout")
    assert list((settings.blob_dir / "tmp").iterdir()) == []


def test_a_connection_that_never_finishes_its_headers_is_closed(settings: Settings) -> None:
    """A header line now and then (slowloris) does not keep the connection open."""
    closed = False
    with BackgroundServer(dataclasses.replace(settings, header_timeout_s=0.3)) as server, \
            socket.create_connection((server.host, server.port), timeout=30) as conn:
        conn.sendall(b"PUT /api/v1/materials/" + b"0" * 64 + b" HTTP/1.1\r\nHost: x\r\n")
        for _ in range(600):
            if select.select([conn], [], [], 0.05)[0]:
                closed = conn.recv(1024) == b""
                break
            try:
                conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
                break
    assert closed


class _Drip(_Body):
    """A ``receive`` that hands out a small piece every ``every_s``: each piece in time
    for the idle bound, ``pieces`` of them (then the body ends, so that a server without
    a bound on the whole answers something else instead of waiting for ever)."""

    def __init__(self, every_s: float, pieces: int) -> None:
        super().__init__([])
        self.every_s = every_s
        self.pieces = pieces

    async def __call__(self) -> dict[str, Any]:
        self.asked += 1
        await anyio.sleep(self.every_s)
        return {"type": "http.request", "body": b"x" * 100,
                "more_body": self.asked < self.pieces}


def test_an_upload_that_trickles_is_cut_off_by_the_whole_body_bound(
        settings: Settings, secret: bytes) -> None:
    app = _app(dataclasses.replace(settings, body_idle_timeout_s=5.0, body_timeout_s=0.3),
               secret)
    data = JPEG * 1000
    sha = hashlib.sha256(data).hexdigest()
    path = f"/api/v1/materials/{sha}"
    headers = _signer(settings, secret).headers("PUT", path, data)
    drip = _Drip(0.02, pieces=100)
    status, answer = _call(app, "PUT", path, {**headers, "Content-Type": "image/jpeg"}, drip)
    assert (status, answer["error"]) == (408, "body_timeout")
    assert drip.asked > 3  # it did keep sending, each piece well within the idle bound
    assert list((settings.blob_dir / "tmp").iterdir()) == []


def test_a_case_that_stalls_is_answered_408(settings: Settings, secret: bytes) -> None:
    app = _app(dataclasses.replace(settings, body_idle_timeout_s=0.2), secret)
    data = json.dumps(make_case()).encode()
    headers = _signer(settings, secret).headers("POST", "/api/v1/cases", data)
    status, answer = _call(app, "POST", "/api/v1/cases",
                           {**headers, "Content-Type": "application/json",
                            "Idempotency-Key": "XD-261122-0042-F"},
                           _Body([data[:50]], stall=True))
    assert (status, answer["error"]) == (408, "body_timeout")


def test_an_upload_cut_off_midway_leaves_no_temp_file(settings: Settings,
                                                      secret: bytes) -> None:
    """The terminal's line drops halfway through a signed upload."""
    app = _app(settings, secret)
    data = JPEG * 1000
    sha = hashlib.sha256(data).hexdigest()
    path = f"/api/v1/materials/{sha}"
    headers = _signer(settings, secret).headers("PUT", path, data)
    status, answer = _call(app, "PUT", path, {**headers, "Content-Type": "image/jpeg",
                                               "Content-Length": str(len(data))},
                           _Disconnect([data[:65536]]))
    assert (status, answer["error"]) == (400, "incomplete_body")
    assert list((settings.blob_dir / "tmp").iterdir()) == []
    assert not (settings.blob_dir / sha[:2] / sha).exists()


class _Disconnect(_Body):
    """Hands out ``chunks`` with more to come, then the client is gone."""

    async def __call__(self) -> dict[str, Any]:
        self.asked += 1
        if self.chunks:
            return {"type": "http.request", "body": self.chunks.pop(0), "more_body": True}
        return {"type": "http.disconnect"}
