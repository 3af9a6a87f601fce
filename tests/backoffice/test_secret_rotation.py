"""Rotating a terminal's signing secret, under both suites: the old secret keeps
signing for the grace period and no longer; the new one signs at once (also when the
rotation moves the terminal to the national suite); receipts printed before the
rotation keep their query token; ``terminal rotate`` on the command line."""

from __future__ import annotations

import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffops
from backoffice.auth import TerminalAuth
from backoffice.errors import ApiError
from kiosk.clock import FakeClock
from kiosk.submission import signing
from tests.backoffice.testing import TerminalClient, make_case

ROOT = Path(__file__).resolve().parents[2]
GRACE = timedelta(hours=2)


def rotate(client: TestClient, clock: FakeClock, terminal_id: str, new: bytes,
           suite: str | None = None) -> None:
    app = client.app
    staffops.rotate_terminal_secret(app.state.sessions, terminal_id, new.hex(),  # type: ignore[attr-defined]
                                    clock.now(), app.state.secret_box,  # type: ignore[attr-defined]
                                    grace=GRACE, actor="test", suite=suite)


def catalog_status(terminal: TerminalClient) -> int:
    return int(terminal.request("GET", "/api/v1/catalog").status_code)


@pytest.mark.parametrize(("before", "after"), [
    ("hmac-sha256", "hmac-sha256"), ("hmac-sm3", "hmac-sm3"), ("hmac-sha256", "hmac-sm3")])
def test_old_secret_signs_during_the_grace_period_only(client: TestClient, clock: FakeClock,
                                                       before: str, after: str) -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    staffops.register_terminal(client.app.state.sessions, "XS-ROT-0001", old.hex(),  # type: ignore[attr-defined]
                               clock.now(), client.app.state.secret_box, suite=before)  # type: ignore[attr-defined]
    was = TerminalClient(client, "XS-ROT-0001", old, clock, suite=before)
    now = TerminalClient(client, "XS-ROT-0001", new, clock, suite=after)
    assert catalog_status(was) == 200 and catalog_status(now) == 401
    rotate(client, clock, "XS-ROT-0001", new, suite=after if after != before else None)
    clock.advance(TerminalAuth.SECRET_TTL_S + 1)  # past the servers' secret cache
    assert catalog_status(was) == 200 and catalog_status(now) == 200
    clock.advance(GRACE.total_seconds())
    assert catalog_status(was) == 401 and catalog_status(now) == 200


def test_receipts_printed_before_a_rotation_keep_their_token(
        client: TestClient, terminal: TerminalClient, clock: FakeClock) -> None:
    receipt = terminal.submit(make_case(pages=[])).json()
    token = signing.query_token(terminal.secret, receipt["kiosk_ref"])
    new = secrets.token_bytes(32)
    rotate(client, clock, terminal.terminal_id, new)
    clock.advance(GRACE.total_seconds() + 60)
    terminal.secret = new
    r = terminal.request("GET", f"/api/v1/cases/{receipt['case_number']}",
                         headers={signing.CASE_TOKEN_HEADER: token})
    assert r.status_code == 200 and r.json()["case_number"] == receipt["case_number"]
    r = terminal.request("GET", f"/api/v1/cases/{receipt['case_number']}",
                         headers={signing.CASE_TOKEN_HEADER: "B" * 22})
    assert r.status_code == 404


def test_rotation_refuses_the_same_secret_and_unknown_terminals(
        client: TestClient, terminal: TerminalClient, clock: FakeClock) -> None:
    with pytest.raises(ApiError) as same:
        rotate(client, clock, terminal.terminal_id, terminal.secret)
    assert same.value.status == 422
    with pytest.raises(ApiError) as unknown:
        rotate(client, clock, "XS-NOBODY-0001", secrets.token_bytes(32))
    assert unknown.value.status == 404


def test_terminal_rotate_on_the_command_line(tmp_path: Path) -> None:
    env_dir = ["--data-dir", str(tmp_path / "bo")]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "backoffice.cli", *args, *env_dir],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              check=False)

    assert cli("terminal", "add", "XS-ROT-0002", "--secret-file",
               str(tmp_path / "old.key")).returncode == 0
    done = cli("terminal", "rotate", "XS-ROT-0002", "--secret-file", str(tmp_path / "new.key"),
               "--suite", "hmac-sm3", "--grace-hours", "1")
    assert done.returncode == 0, done.stderr
    assert "suite hmac-sm3" in done.stdout and "1 h" in done.stdout
    assert (tmp_path / "new.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new.key").read_text() != (tmp_path / "old.key").read_text()
    again = cli("terminal", "rotate", "XS-ROT-0002", "--secret-file", str(tmp_path / "new.key"))
    assert again.returncode != 0 and "current one" in again.stderr
