"""Kiosk references: each terminal mints from its own registered prefix, checked by the server."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffops
from backoffice.cli import main
from backoffice.errors import ApiError
from kiosk.clock import FakeClock
from kiosk.submission.reference import format_reference
from tests.backoffice.testing import TERMINAL_ID, TerminalClient, make_case

DAY = date(2026, 11, 22)


def _register(client: TestClient, terminal_id: str, clock: FakeClock, *,
              prefix: str | None) -> TerminalClient:
    secret = secrets.token_bytes(32)
    app = client.app
    staffops.register_terminal(app.state.sessions, terminal_id, secret.hex(),  # type: ignore[attr-defined]
                               clock.now(), app.state.secret_box,  # type: ignore[attr-defined]
                               prefix=prefix)
    return TerminalClient(client, terminal_id, secret, clock)


def test_a_reference_with_another_terminals_prefix_is_refused(client: TestClient,
                                                              clock: FakeClock) -> None:
    owner = _register(client, "XS-NY-0001", clock, prefix="NY1")
    intruder = _register(client, "XS-NY-0002", clock, prefix="NY2")
    ref = format_reference("NY1", DAY, 1)
    r = intruder.submit(make_case(ref, pages=[], terminal_id="XS-NY-0002"))
    assert (r.status_code, r.json()["error"]) == (422, "invalid_case")
    assert "belongs to another terminal" in r.json()["detail"]
    # ...and the owner's own first case of the day is not refused because of it.
    assert owner.submit(make_case(ref, pages=[], terminal_id="XS-NY-0001")).status_code == 201


def test_a_registered_terminal_uses_only_its_own_prefix(client: TestClient,
                                                        clock: FakeClock) -> None:
    mine = _register(client, "XS-NY-0003", clock, prefix="NY3")
    r = mine.submit(make_case(format_reference("QQ", DAY, 1), pages=[],
                              terminal_id="XS-NY-0003"))
    assert r.status_code == 422 and "not this terminal's (NY3)" in r.json()["detail"]


@pytest.mark.parametrize("ref", ["XD-261122-0042-7", "XD-261122-0042", "whatever-ref"])
def test_a_reference_with_a_wrong_check_character_is_refused(terminal: TerminalClient,
                                                             ref: str) -> None:
    r = terminal.submit(make_case(ref, pages=[]))
    assert (r.status_code, r.json()["error"]) == (422, "invalid_case")
    assert "check character" in r.json()["detail"]


def test_a_conflict_never_shows_another_terminals_case_number(client: TestClient,
                                                              terminal: TerminalClient,
                                                              clock: FakeClock) -> None:
    """Two unregistered-prefix terminals (set up before prefixes existed) still collide
    on a reference; the loser learns nothing about the winner's case."""
    first = terminal.submit(make_case(pages=[])).json()
    other = _register(client, "XS-OLD-0002", clock, prefix=None)
    r = other.submit(make_case(pages=[], terminal_id="XS-OLD-0002"))
    assert r.status_code == 409
    assert first["case_number"] not in r.text


def test_a_prefix_belongs_to_one_terminal(client: TestClient, clock: FakeClock) -> None:
    _register(client, "XS-NY-0004", clock, prefix="NY4")
    with pytest.raises(ApiError) as taken:
        _register(client, "XS-NY-0005", clock, prefix="NY4")
    assert taken.value.code == "prefix_taken"


def test_terminal_add_registers_the_prefix(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    dd = ["--data-dir", str(tmp_path / "bo")]
    assert main(["terminal", "add", TERMINAL_ID, "--secret-file", str(tmp_path / "a.key"),
                 "--prefix", "NY7", *dd]) == 0
    assert main(["terminal", "add", "XS-NY-0008", "--secret-file", str(tmp_path / "b.key"),
                 "--prefix", "NY7", *dd]) == 1
    assert "prefix_taken" in capsys.readouterr().err
    assert main(["terminal", "list", *dd]) == 0
    assert '"ref_prefix": "NY7"' in capsys.readouterr().out
