"""Child processes of :mod:`simenv.environment`; its control socket is :mod:`devices.simcontrol`'s.

Each simulator and the back office run as real child processes started here,
each in its own session (so a Ctrl-C in the terminal reaches the environment,
which then stops them in order) with its output in ``<dir>/log/<name>.log``.
Stopping is SIGTERM, a bounded wait, then SIGKILL: only the pids we started.

Waiting for a child to be ready polls its socket or URL with a short sleep and
an overall bound; that is waiting on another process's start-up, not timing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from devices.simcontrol import ControlServer as ControlServer
from devices.simcontrol import request_json as request_json
from devices.simcontrol import socket_answers as socket_answers
from kiosk.config.model import ROOT
from kiosk.errors import SimulationError

#: SIGTERM first; a child still there after this is killed.
STOP_GRACE_S = 5.0
POLL_S = 0.05


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


def scene_dir(directory: Path, kind: str) -> Path:
    """Where a simulated camera of ``kind`` reads its frames, in an environment's
    ``directory`` (simenv/scenes.py writes them there)."""
    return directory / "camera" / kind
