"""The control socket every simulator serves, and its one client: JSON lines on a UNIX socket.

One request object per line, one answer object per line. A simulator supplies a
table from operation name to handler (:func:`dispatch`); a request the handler
rejects (``ValueError``, ``KeyError``, ``TypeError``, ``OSError``, a
:class:`~kiosk.errors.KioskError`) answers ``{"ok": false, "error": "Type: text"}``
and the connection stays usable. The socket is created 0600: it is a test tool,
not a service.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import socketserver
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

Request = dict[str, Any]
Answer = dict[str, Any]
Handler = Callable[[Request], Answer]


def dispatch(table: Mapping[str, Handler], request: Request) -> Answer:
    """Run the handler the request's ``op`` names; ValueError for an unknown one."""
    op = request.get("op")
    handler = table.get(op) if isinstance(op, str) else None
    if handler is None:
        raise ValueError(f"unknown op {op!r}")
    return handler(request)


def request_json(path: str | os.PathLike[str], request: Request,
                 timeout_s: float = 10.0) -> Answer:
    """One request line, one answer line, on a UNIX socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout_s)
        s.connect(str(path))
        s.sendall(json.dumps(request, ensure_ascii=False).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    answer = json.loads(buf)
    if not isinstance(answer, dict):
        raise ValueError(f"answer is not an object: {buf[:200]!r}")
    return answer


def socket_answers(path: Path, request: Request, timeout_s: float = 1.0) -> bool:
    """True when a control socket at ``path`` answers ``request`` with ok."""
    if not path.exists():
        return False
    try:
        return bool(request_json(path, request, timeout_s).get("ok"))
    except (OSError, ValueError):
        return False


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        for line in self.rfile:
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("a request is a JSON object")
                answer = self.server.handler(request)
            except (ValueError, KeyError, TypeError, KioskError, OSError) as err:
                answer = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            self.wfile.write(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
            self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    handler: Handler


class ControlServer:
    """A 0600 UNIX socket serving ``handler(request) -> answer`` one JSON line each."""

    def __init__(self, path: str | os.PathLike[str], handler: Handler, *,
                 name: str = "sim-control") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old = os.umask(0o177)
        try:
            self._server = _Server(str(self.path), _Handler)
        finally:
            os.umask(old)
        self._server.handler = handler
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2}, name=name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class StopSignal:
    """SIGTERM or SIGINT, for a simulator run as its own process: make it in the main
    thread before starting (a signal during start-up counts), then :meth:`wait`."""

    def __init__(self) -> None:
        self._event = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._event.set())

    def wait(self) -> None:
        """Until a signal came; in short steps, so that the main thread takes signals."""
        while not self._event.wait(0.5):
            pass
