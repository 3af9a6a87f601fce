"""The real reference back office (backoffice/) in a subprocess on a loopback port.

Used by the kiosk's end-to-end, outage and crash tests and by
``scripts/bench outbox``: the kiosk's client and sender talk to the very server
that runs in production, started with ``python -m backoffice.cli serve``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from backoffice import staffauth
from backoffice.cli import open_sessions
from backoffice.keystore import private_umask as _private_umask
from backoffice.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
STAFF_TOKEN = "kiosk-e2e.staff-token-for-the-live-tests"
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveBackoffice:
    """``start()``/``stop()`` may be called repeatedly: same port, same data (outages)."""

    def __init__(self, workdir: Path, terminal_id: str = "XS-DEV-0001",
                 suite: str | None = None) -> None:
        self.data_dir = workdir / "backoffice"
        self.secret_file = workdir / "terminal.key"
        self.terminal_id = terminal_id
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = workdir / "backoffice.log"
        self._env = {**os.environ, "PYTHONPATH": str(ROOT),
                     "BACKOFFICE_DATA_DIR": str(self.data_dir)}
        self._env.pop("DATABASE_URL", None)
        self._cli("terminal", "add", terminal_id, "--secret-file", str(self.secret_file),
                  *(["--suite", suite] if suite else []))
        # A staff account with a known token (the CLI would print a random one).
        with _private_umask():
            staffauth.add_account(open_sessions(Settings(data_dir=self.data_dir)), "kiosk-e2e",
                                  "admin", datetime.now(UTC), token=STAFF_TOKEN)

    def _cli(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "backoffice.cli", *args], cwd=ROOT, env=self._env,
                       check=True, capture_output=True, timeout=120)

    @property
    def secret(self) -> bytes:
        return bytes.fromhex(self.secret_file.read_text().strip())

    def start(self) -> LiveBackoffice:
        if self._proc is not None:
            return self
        log = open(self._log, "ab")  # noqa: SIM115 - handed to the child
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port)], cwd=ROOT, env=self._env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"back office exited: {self._log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)  # polling a child process's startup, not timing a test
        self.stop()
        raise RuntimeError("back office did not start in time")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=15)
        self._proc = None

    def __enter__(self) -> LiveBackoffice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return self._log.read_text(errors="replace")[-chars:]
        except OSError as exc:
            return f"(no back-office log: {exc})"

    def staff_cases(self) -> list[dict[str, Any]]:
        """Every case the back office holds (staff route), newest first."""
        resp = requests.get(self.url + "/staff/cases", timeout=30,
                            headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
        resp.raise_for_status()
        cases: list[dict[str, Any]] = resp.json()["cases"]
        return cases
