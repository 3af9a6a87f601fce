"""Child processes and the JSON-lines control socket of :mod:`simenv.environment`.

Each simulator and the back office run as real child processes started here,
each in its own session (so a Ctrl-C in the terminal reaches the environment,
which then stops them in order) with its output in ``<dir>/log/<name>.log``.
Stopping is SIGTERM, a bounded wait, then SIGKILL: only the pids we started.

Waiting for a child to be ready polls its socket or URL with a short sleep and
an overall bound; that is waiting on another process's start-up, not timing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kiosk.config.model import ROOT
from kiosk.errors import KioskError, SimulationError

#: SIGTERM first; a child still there after this is killed.
STOP_GRACE_S = 5.0
POLL_S = 0.05

Handler = Callable[[dict[str, Any]], dict[str, Any]]


def free_port() -> int:
    """A TCP port nobody listens on now (loopback). The child binds it right after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_environ(extra: Mapping[str, str] | None = None,
                  drop: Sequence[str] = ()) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra or {})}
    for key in drop:
        env.pop(key, None)
    return env


class Child:
    """One child process: ``python -m <module> args...`` with a log file."""

    def __init__(self, name: str, module: str | None, args: Sequence[str], *, log_dir: Path,
                 env: Mapping[str, str] | None = None) -> None:
        """``module=None``: ``args`` is the whole command line (pcscd)."""
        self.name = name
        self.argv = [sys.executable, "-m", module, *args] if module else list(args)
        self.log = log_dir / f"{name}.log"
        self._env = dict(env) if env is not None else child_environ()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Child:
        if self.running:
            return self
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen(self.argv, cwd=ROOT, env=self._env, stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        return self

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout=grace_s)

    def wait_exit(self, timeout_s: float) -> int | None:
        """For a one-shot child: its exit code, or None (and stopped) after ``timeout_s``."""
        proc = self._proc
        if proc is None:
            return None
        try:
            return proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            return None

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, ready: Callable[[], bool], timeout_s: float) -> None:
        """Poll ``ready()`` until true; SimulationError if the child dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc is None or self._proc.poll() is not None:
                raise SimulationError(f"{self.name} exited during start-up:\n{self.log_tail()}")
            if ready():
                return
            if time.monotonic() >= deadline:
                raise SimulationError(f"{self.name} not ready after {timeout_s:.0f} s:\n"
                                      f"{self.log_tail()}")
            time.sleep(POLL_S)  # another process's start-up, not a timing in a test


def socket_answers(path: Path, request: dict[str, Any], timeout_s: float = 1.0) -> bool:
    """True when a JSON-lines control socket at ``path`` answers ``request`` with ok."""
    if not path.exists():
        return False
    try:
        return bool(request_json(path, request, timeout_s).get("ok"))
    except (OSError, ValueError):
        return False


def request_json(path: Path, request: dict[str, Any], timeout_s: float = 10.0) -> dict[str, Any]:
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

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        old = os.umask(0o177)
        try:
            self._server = _Server(str(path), _Handler)
        finally:
            os.umask(old)
        self._server.handler = handler
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="simenv-control", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
