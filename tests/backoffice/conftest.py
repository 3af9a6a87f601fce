"""Fixtures for the back-office tests: an app on a temp SQLite file, a signing client."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffops
from backoffice.app import create_app
from backoffice.settings import Settings
from backoffice.testing import STAFF_TOKEN, TERMINAL_ID, TerminalClient
from kiosk.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, clock: FakeClock) -> Settings:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "hukou.yaml").write_text(
        "code: 330109-HJ-001\nname: {zh_CN: 户口迁移, en: Household transfer}\n",
        encoding="utf-8")
    return Settings(data_dir=tmp_path / "bo", staff_token=STAFF_TOKEN, catalog_dir=catalog,
                    clock=clock)


@pytest.fixture
def secret() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def client(settings: Settings, secret: bytes) -> Iterator[TestClient]:
    app = create_app(settings)
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(),
                               settings.clock.now())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def terminal(client: TestClient, secret: bytes, clock: FakeClock) -> TerminalClient:
    return TerminalClient(client, TERMINAL_ID, secret, clock)


@pytest.fixture
def staff_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {STAFF_TOKEN}"}
