"""The service manager an install or an upgrade drives, injected: :class:`Systemctl` on
a terminal, :class:`DirectRunner` in tests (the release's commands started directly,
each with a notification socket of its own standing in for systemd's)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from deploy.installer.layout import Layout

#: The services an upgrade restarts and judges, in start order.
UNITS = ("kiosk-sender", "kiosk-app")


class ServiceManager(Protocol):
    def stop(self, units: Sequence[str]) -> None: ...

    def start(self, units: Sequence[str], timeout_s: float) -> str | None:
        """Start ``units``; None once each reported READY=1, else why not."""

    def run(self, argv: Sequence[str], timeout_s: float) -> tuple[int, str]:
        """Run a command of the release as the kiosk's user: (exit code, output)."""


class Systemctl:
    """systemd: ``systemctl start`` of a ``Type=notify`` unit returns once READY=1 came
    (or fails when the service exits first or ``TimeoutStartSec=`` runs out)."""

    def __init__(self, layout: Layout) -> None:
        self.user = layout.user
        self.power = layout.current / "bin" / "kiosk-power"

    def stop(self, units: Sequence[str]) -> None:
        subprocess.run(["systemctl", "stop", *(f"{u}.service" for u in units)], check=False)

    def start(self, units: Sequence[str], timeout_s: float) -> str | None:
        for unit in units:
            if unit == "kiosk-app" and self._outside_hours():
                continue  # the UI does not run outside service hours: the self-test judges
            try:
                done = subprocess.run(["systemctl", "start", f"{unit}.service"],
                                      capture_output=True, text=True, timeout=timeout_s)
            except subprocess.TimeoutExpired:
                return f"{unit}: no READY=1 within {timeout_s:.0f} s"
            if done.returncode != 0:
                return f"{unit}: did not start: {done.stderr.strip()}"
        return None

    def _outside_hours(self) -> bool:
        return subprocess.run([str(self.power), "in-hours"], check=False).returncode != 0

    def run(self, argv: Sequence[str], timeout_s: float) -> tuple[int, str]:
        try:
            done = subprocess.run(["runuser", "-u", self.user, "--", *argv],
                                  capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return 124, f"{argv[0]}: no answer within {timeout_s:.0f} s"
        return done.returncode, (done.stdout + done.stderr).strip()


class DirectRunner:
    """Starts each unit's command of the *current* release (``<prefix>/current/...``,
    resolved at every start, as systemd resolves ExecStart=) as a child process with
    ``NOTIFY_SOCKET`` set to a socket of its own, and waits for its READY=1."""

    def __init__(self, current: Path, commands: Mapping[str, Sequence[str]],
                 env: Mapping[str, str]) -> None:
        self.current = current
        self.commands = commands
        self.env = dict(env)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        #: Each running unit's notification socket, open while it runs (its later
        #: WATCHDOG=1 and STOPPING=1 land here, as they would at systemd).
        self._sockets: dict[str, socket.socket] = {}
        self._dir = Path(tempfile.mkdtemp(prefix="kdr", dir="/tmp"))

    def start(self, units: Sequence[str], timeout_s: float) -> str | None:
        """Start every unit at once (as ``systemctl start a b`` does), then wait for
        each one's READY=1."""
        for unit in units:
            self._spawn(unit)
        deadline = time.monotonic() + timeout_s
        for unit in units:
            why = self._wait_ready(unit, deadline, timeout_s)
            if why is not None:
                return why
        return None

    def _spawn(self, unit: str) -> None:
        self.stop([unit])
        path = self._dir / f"{unit}.notify"
        path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(path))
        sock.settimeout(0.2)
        argv = [str(self.current / self.commands[unit][0]), *self.commands[unit][1:]]
        log = self._dir / f"{unit}.log"
        self.logs[unit] = log
        with open(log, "ab") as out:
            self.procs[unit] = subprocess.Popen(
                argv, env={**self.env, "NOTIFY_SOCKET": str(path)}, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        self._sockets[unit] = sock

    def _wait_ready(self, unit: str, deadline: float, timeout_s: float) -> str | None:
        sock, proc = self._sockets[unit], self.procs[unit]
        while time.monotonic() < deadline:
            try:
                data = sock.recv(4096)
            except TimeoutError:
                if proc.poll() is not None:
                    return f"{unit}: exited with {proc.returncode} before READY=1"
                continue
            if b"READY=1" in data.split(b"\n"):
                return None
        return f"{unit}: no READY=1 within {timeout_s:.0f} s"

    def stop(self, units: Sequence[str]) -> None:
        """SIGTERM to every unit's process group at once, then wait (SIGKILL after 10 s)."""
        stopping = [(u, self.procs.pop(u)) for u in reversed(list(units)) if u in self.procs]
        for _unit, proc in stopping:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for unit, proc in stopping:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            sock = self._sockets.pop(unit, None)
            if sock is not None:
                sock.close()
                (self._dir / f"{unit}.notify").unlink(missing_ok=True)

    def received(self, unit: str, timeout_s: float = 0.0) -> list[bytes]:
        """The notifications ``unit`` sent since READY=1 (or the last call), waiting up to
        ``timeout_s`` for the first one."""
        sock = self._sockets.get(unit)
        out: list[bytes] = []
        if sock is None:
            return out
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                out.append(sock.recv(4096))
                continue
            except TimeoutError:
                pass
            if out or time.monotonic() >= deadline:
                return out

    def running(self, unit: str) -> bool:
        proc = self.procs.get(unit)
        return proc is not None and proc.poll() is None

    def run(self, argv: Sequence[str], timeout_s: float) -> tuple[int, str]:
        try:
            done = subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return 124, f"{argv[0]}: no answer within {timeout_s:.0f} s"
        return done.returncode, (done.stdout + done.stderr).strip()

    def close(self) -> None:
        self.stop(list(self.procs))
        for leftover in self._dir.iterdir():
            leftover.unlink()
        self._dir.rmdir()
