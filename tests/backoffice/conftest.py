"""Fixtures for the back-office tests: an app on a temp SQLite file, a signing client."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffauth, staffops
from backoffice.app import create_app
from backoffice.settings import REPO_ROOT, Settings
from kiosk.clock import FakeClock
from tests.backoffice.testing import STAFF_TOKEN, TERMINAL_ID, TerminalClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, clock: FakeClock, database_url: str) -> Settings:
    catalog = tmp_path / "catalog"
    shutil.copytree(REPO_ROOT / "config" / "catalog", catalog)
    return Settings(data_dir=tmp_path / "bo", catalog_dir=catalog,
                    clock=clock, database_url=database_url)


@pytest.fixture
def secret() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def client(settings: Settings, secret: bytes) -> Iterator[TestClient]:
    app = create_app(settings)
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(),
                               settings.clock.now(), app.state.secret_box)
    staffauth.add_account(app.state.sessions, "tester", "admin", settings.clock.now(),
                          token=STAFF_TOKEN)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def terminal(client: TestClient, secret: bytes, clock: FakeClock) -> TerminalClient:
    return TerminalClient(client, TERMINAL_ID, secret, clock)


@pytest.fixture
def staff_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {STAFF_TOKEN}"}


@pytest.fixture
def database_url() -> str:
    """"" means the SQLite file in the data directory; test modules may parametrize it."""
    return ""


# ---- a real PostgreSQL server, started by the tests ------------------------------------

def _pg_bindir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                        else 0)
    return candidates[-1].parent if candidates else None


def _try_install_postgres() -> str:
    """Install Debian's postgresql when we are root; otherwise say why we cannot."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "PostgreSQL is not installed and this user cannot install it " \
               "(as root: apt-get install postgresql, or run scripts/test which bootstraps it)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]):
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False)
        if done.returncode != 0:
            return f"could not install postgresql: {' '.join(cmd)} exited {done.returncode}"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway cluster on a loopback port; yields a superuser URL without a database."""
    bindir = _pg_bindir()
    if bindir is None:
        problem = _try_install_postgres()
        bindir = _pg_bindir()
        if bindir is None:
            pytest.skip(problem or "PostgreSQL binaries not found under /usr/lib/postgresql")
    base = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to Debian's postgres user.
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to own the cluster")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        base.chmod(0o700)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                   check=True, capture_output=True, timeout=120)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} " \
              "-c fsync=off -c max_connections=100"
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                    "-l", str(base / "log"), "-w", "-t", "60", "start"],
                   check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "-t", "60", "stop"], capture_output=True, timeout=120, check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: str) -> str:
    """A fresh database on the session's server for one test."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    dsn = postgres_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"
