"""Nothing the back office writes is readable by other local users; terminal keys are sealed."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffops
from backoffice.app import create_app
from backoffice.cli import main
from backoffice.keystore import umask
from backoffice.models import Terminal
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from tests.backoffice.testing import TERMINAL_ID, TerminalClient, make_case


@pytest.fixture
def everyday_umask() -> Iterator[None]:
    """The umask a service usually inherits: without care, files come out 0644."""
    with umask(0o022):
        yield


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _everything_in(data_dir: Path) -> list[Path]:
    return [data_dir, *data_dir.rglob("*")]


@pytest.mark.usefixtures("everyday_umask")
def test_a_served_back_office_keeps_its_files_private(settings: Settings, secret: bytes,
                                                      clock: FakeClock) -> None:
    app = create_app(settings)
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(), clock.now(),
                               app.state.secret_box)
    with TestClient(app) as client:
        terminal = TerminalClient(client, TERMINAL_ID, secret, clock)
        assert terminal.submit(make_case(pages=[])).status_code == 201
        db_files = [p for p in settings.data_dir.iterdir() if p.name.startswith("backoffice")]
        assert {p.name for p in db_files} >= {"backoffice.sqlite3", "backoffice.sqlite3-wal"}
        for path in [*db_files, settings.master_key_path]:
            assert _mode(path) == 0o600, path
        assert _mode(settings.data_dir) == 0o700
        # The key is nowhere in the database, its WAL, or any other file but the master key.
        for path in _everything_in(settings.data_dir):
            if path.is_file() and path != settings.master_key_path:
                assert secret.hex().encode() not in path.read_bytes(), path


@pytest.mark.usefixtures("everyday_umask")
def test_terminal_add_keeps_the_database_and_secret_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "bo"
    secret_file = tmp_path / "kiosk" / "terminal.key"
    assert main(["terminal", "add", "XS-DEV-0001", "--secret-file", str(secret_file),
                 "--data-dir", str(data_dir)]) == 0
    assert _mode(data_dir) == 0o700
    for path in _everything_in(data_dir):
        if path.is_file():
            assert _mode(path) == 0o600, path
    assert _mode(secret_file) == 0o600
    key_hex = secret_file.read_text().strip()
    assert not any(key_hex.encode() in p.read_bytes()
                   for p in data_dir.rglob("backoffice.sqlite3*"))


def test_a_sealed_row_does_not_open_for_another_terminal(client: TestClient,
                                                         secret: bytes, clock: FakeClock) -> None:
    """Copying a terminal's row onto another id gives the copier nothing."""
    app = client.app
    staffops.register_terminal(app.state.sessions, "XS-OTHER-0001",  # type: ignore[attr-defined]
                               secrets.token_hex(32), clock.now(),
                               app.state.secret_box)  # type: ignore[attr-defined]
    with app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        mine = session.get(Terminal, TERMINAL_ID)
        other = session.get(Terminal, "XS-OTHER-0001")
        assert mine is not None and other is not None
        other.secret_hex = mine.secret_hex
    clock.advance(60)  # past the secret cache
    copier = TerminalClient(client, "XS-OTHER-0001", secret, clock)
    assert copier.request("GET", "/api/v1/catalog").status_code == 401


def test_rows_written_in_plain_text_are_sealed_at_start(settings: Settings, secret: bytes,
                                                        clock: FakeClock) -> None:
    app = create_app(settings)
    with app.state.sessions() as session, session.begin():
        session.add(Terminal(id=TERMINAL_ID, secret_hex=secret.hex(), created_at=clock.now()))
    app.state.engine.dispose()
    app.state.fast_engine.dispose()
    again = create_app(settings)
    with again.state.sessions() as session:
        stored = session.get(Terminal, TERMINAL_ID).secret_hex  # type: ignore[union-attr]
    assert secret.hex() not in stored
    with TestClient(again) as client:
        terminal = TerminalClient(client, TERMINAL_ID, secret, clock)
        assert terminal.request("GET", "/api/v1/catalog").status_code == 200
