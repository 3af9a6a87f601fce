"""What the backoffice, outbox and fleet benches share: the reference back office in a
process of its own (as deployed), a terminal registered with it, the case a kiosk sends
(built by the kiosk's own code), and the raw SQLite commit they are measured against."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import requests

from kiosk.identity import id_check_char
from kiosk.submission.cases import Applicant, Blob, Case, Material, Verification
from simenv.procs import child_environ, free_port

ROOT = Path(__file__).resolve().parents[2]
HEALTH = "/api/v1/health"


def _environ(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The children's environment: ``data_dir``, and SQLite in it unless ``database_url``."""
    extra = {"BACKOFFICE_DATA_DIR": str(data_dir)}
    if database_url:
        extra["DATABASE_URL"] = database_url
    return child_environ(extra, drop=() if database_url else ("DATABASE_URL",))


def add_terminal(data_dir: Path, terminal_id: str, secret_file: Path) -> bytes:
    """``scripts/backoffice terminal add`` on the SQLite database in ``data_dir``; the
    terminal's secret (created in ``secret_file``)."""
    subprocess.run([sys.executable, "-m", "backoffice.cli", "terminal", "add", terminal_id,
                    "--secret-file", str(secret_file)], cwd=ROOT,
                   env=_environ(data_dir, None), check=True, capture_output=True, timeout=120)
    return bytes.fromhex(secret_file.read_text().strip())


class BackofficeProcess:
    """``python -m backoffice.cli serve`` on a free loopback port, or ``command`` (another
    server module and its arguments; it is given ``--port``), until :meth:`stop`."""

    def __init__(self, data_dir: Path, *, database_url: str | None = None, workers: int = 1,
                 command: Sequence[str] = (), env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        args = list(command) or ["backoffice.cli", "serve", "--workers", str(workers)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args, "--port", str(self.port)], cwd=ROOT,
            env={**_environ(data_dir, database_url), **(env or {})},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def wait(self, timeout_s: float = 60.0) -> BackofficeProcess:
        """Until the server answers ``GET /api/v1/health`` (any answer: the peer has no
        such route, and the back office's is always 200); stopped and RuntimeError when
        it does not."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                requests.get(self.url + HEALTH, timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("back office did not start")

    def stop(self) -> None:
        """SIGTERM (uvicorn finishes what it serves), SIGKILL to the group after 20 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def kiosk_case(pages: Sequence[bytes], terminal_id: str) -> Case:
    """One citizen's case as the kiosk builds it: a household-register item, the pages as
    one material (none when ``pages`` is empty). Give it a reference with ``with_ref``."""
    first17 = "33018119900101123"
    at = datetime.now(UTC)
    return Case(
        item_code="330109-HJ-001",
        applicant=Applicant(first17 + id_check_char(first17), "张三", "1", "01",
                            date(1990, 1, 1), "浙江省杭州市萧山区", "resident", None),
        verification=Verification("card+face", 0.7, at), form={"phone": "13800000000"},
        materials=(Material("M01", "居民户口簿", tuple(Blob("image/jpeg", p) for p in pages)),)
        if pages else (),
        site_id="township", terminal_id=terminal_id, created_at=at)


def raw_commit_ms(directory: Path, n: int, payload: Callable[[int], bytes]) -> list[float]:
    """Milliseconds of ``n`` bare SQLite commits (WAL, synchronous=FULL) of
    ``payload(i)`` each, built before the clock starts: what the disk costs."""
    conn = sqlite3.connect(directory / "raw.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)")
    samples = []
    for i in range(n):
        blob = payload(i)
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (data) VALUES (?)", (blob,))
        conn.execute("COMMIT")
        samples.append((time.perf_counter() - start) * 1000)
    conn.close()
    return samples
