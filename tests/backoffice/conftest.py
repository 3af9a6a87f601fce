"""Fixtures for the back-office tests: an app on a temp SQLite file, a signing client."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffauth, staffops
from backoffice.app import create_app
from backoffice.settings import REPO_ROOT, Settings
from kiosk.clock import FakeClock
from simenv.postgres import LocalPostgres, PostgresUnavailable
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
def database_url(request: pytest.FixtureRequest) -> str:
    """"" means the SQLite file in the data directory; with the indirect parameter
    "postgres" (``testing.BOTH_DATABASES``) a fresh database on the tests' PostgreSQL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return ""
    url: str = request.getfixturevalue("postgres_database")
    return url


# ---- a real PostgreSQL server, started by the tests ------------------------------------

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway cluster on a loopback port (simenv/postgres.py, fsync off); yields a
    superuser URL without a database."""
    try:
        pg = LocalPostgres(durable=False).start()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield pg.url
    finally:
        pg.stop()


@pytest.fixture
def postgres_database(postgres_server: str) -> str:
    """A fresh database on the session's server for one test."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    dsn = postgres_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"
