"""A tiny, scriptable, hostile back office for the client and sender tests.

A real HTTP server (stdlib ``http.server``) on a loopback port in a thread. By
default it behaves like the back office of backoffice/API.md for the routes the
sender uses (signature checked, materials stored by hash, cases idempotent by
key), so tests can count what really arrived. A test queues faults that the
next matching requests get instead: a status with a body and headers, garbage
JSON, a slow answer, or a connection cut after part of the request body.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kiosk.submission import signing

SECRET = bytes(range(32))
TERMINAL = "XS-DEV-0001"


@dataclass
class Fault:
    """What the next request matching ``method`` and ``path_prefix`` gets instead."""

    method: str = ""            # "" = any
    path_prefix: str = ""
    status: int = 500
    body: bytes = b'{"error": "boom", "detail": "injected"}'
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0        # answer after this long (client read timeouts)
    cut_after: int | None = None  # read this many body bytes, then reset the connection
    process: bool = False       # handle the request normally first, then answer with this


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        srv = self.server.owner
        fault = srv.take_fault(self.command, self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if fault is not None and fault.cut_after is not None:
            self.rfile.read(min(length, fault.cut_after))
            # RST instead of FIN: the client sees the connection die mid-request.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        body = self.rfile.read(length) if length else b""
        seen = Seen(self.command, self.path, dict(self.headers.items()), body)
        srv.record(seen)
        if fault is not None and fault.delay_s and srv.stopping.wait(fault.delay_s):
            return
        if fault is None or fault.process:
            status, payload, headers = srv.handle(seen)
        if fault is not None:
            status, payload, headers = fault.status, fault.body, fault.headers
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a connection this server cut on purpose fails to flush: expected


class HostileServer:
    def __init__(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.materials: dict[str, bytes] = {}
        self.cases: dict[str, tuple[bytes, dict[str, Any]]] = {}
        self.created = 0  # cases created (not idempotent repeats)
        self.on_request: Callable[[Seen], None] | None = None
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for i, f in enumerate(self.faults):
                if (not f.method or f.method == method) and path.startswith(f.path_prefix):
                    return self.faults.pop(i)
        return None

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)
        if self.on_request:
            self.on_request(seen)

    def requests(self, method: str, prefix: str = "") -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == method and s.path.startswith(prefix)]

    # ------------------------------------------------------------------ the honest behaviour

    def handle(self, req: Seen) -> tuple[int, bytes, dict[str, str]]:
        if req.path == "/api/v1/health":
            return 200, b'{"status": "ok", "time": "2026-11-22T09:00:30+08:00"}', {}
        if req.path == "/api/v1/case-bundles":
            # A back office from before case bundles: the route is not there (a real one
            # answers 404 before it looks at the signature).
            return _err(404, "not_found")
        h = req.headers
        if not signing.verify(SECRET, h.get("X-Signature", ""), req.method, req.path,
                              h.get("X-Timestamp", ""), h.get("X-Nonce", ""), req.body):
            return _err(401, "bad_signature")
        with self._lock:
            return self._route(req)

    def _route(self, req: Seen) -> tuple[int, bytes, dict[str, str]]:
        if req.path.startswith("/api/v1/materials/"):
            sha = req.path.rsplit("/", 1)[1]
            if req.method == "HEAD":
                return (200 if sha in self.materials else 404), b"", {}
            if hashlib.sha256(req.body).hexdigest() != sha:
                return _err(400, "hash_mismatch")
            new = sha not in self.materials
            self.materials[sha] = req.body
            return (201 if new else 200), json.dumps(
                {"sha256": sha, "size": len(req.body)}).encode(), {}
        if req.path == "/api/v1/cases" and req.method == "POST":
            key = req.headers.get("Idempotency-Key", "")
            case = json.loads(req.body)
            if key in self.cases:
                if json.loads(self.cases[key][0]) != case:
                    return _err(409, "idempotency_conflict")
                return 200, json.dumps(self.cases[key][1]).encode(), {}
            shas = [p["sha256"] for m in case["materials"] for p in m["pages"]]
            if case.get("signature"):
                shas.append(case["signature"]["sha256"])
            missing = [s for s in shas if s not in self.materials]
            if missing:
                return 422, json.dumps({"error": "missing_materials", "detail": "upload first",
                                        "missing": missing}).encode(), {}
            self.created += 1
            receipt = {"case_number": f"XS20261122{self.created:06d}", "kiosk_ref": key,
                       "status": "submitted", "received_at": "2026-11-22T09:30:00+08:00"}
            self.cases[key] = (req.body, receipt)
            return 201, json.dumps(receipt).encode(), {}
        return _err(404, "not_found")


def _err(status: int, code: str) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps({"error": code, "detail": code}).encode(), {}
