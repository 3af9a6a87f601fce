"""亮码 in the back office: codes issued short-lived, single use, unguessable and stored
hashed; ``POST /api/v1/identity/code`` resolves one for a signed terminal, or says
code_expired / code_used / code_unknown, rate-limited so codes cannot be tried."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backoffice import identitycodes
from backoffice.cli import main as cli_main
from backoffice.models import AuditEvent, IdentityCode
from backoffice.schemas import IDENTITY_CODE_PATTERN, CodeIdentity
from backoffice.settings import Settings
from kiosk.clock import FakeClock, SystemClock
from tests.backoffice.testing import TerminalClient

PATH = "/api/v1/identity/code"
ID_NUMBER = "330181199001011234"
PHOTO = b"\xff\xd8\xff\xe0" + b"photo" * 40


def issue(client: TestClient, clock: FakeClock, **kw: Any) -> str:
    app: Any = client.app
    identity = CodeIdentity(name="张三", id_number=ID_NUMBER, sex="1", nation="01",
                            address="浙江省杭州市萧山区人民路1号", long_term=True)
    return identitycodes.issue(app.state.sessions, app.state.secret_box, identity,
                               clock.now(), **kw).code


def resolve(terminal: TerminalClient, code: str) -> Any:
    return terminal.request("POST", PATH, json_body={"code": code})


def test_a_code_resolves_once_to_the_identity_and_its_photo(
        client: TestClient, terminal: TerminalClient, clock: FakeClock) -> None:
    code = issue(client, clock, photo_jpeg=PHOTO)
    assert re.fullmatch(IDENTITY_CODE_PATTERN, code)
    answer = resolve(terminal, code)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["identity"] == {
        "card_type": "resident", "name": "张三", "id_number": ID_NUMBER, "sex": "1",
        "nation": "01", "birth": "1990-01-01", "address": "浙江省杭州市萧山区人民路1号",
        "authority": "", "valid_from": None, "valid_to": None, "long_term": True}
    assert base64.b64decode(body["photo_jpeg"]) == PHOTO
    again = resolve(terminal, code)
    assert (again.status_code, again.json()["error"]) == (410, "code_used")


def test_a_code_expires_after_its_lifetime(client: TestClient, terminal: TerminalClient,
                                           clock: FakeClock) -> None:
    code = issue(client, clock)  # 90 s by default
    clock.advance(89)
    fresh = issue(client, clock)
    assert resolve(terminal, fresh).status_code == 200
    clock.advance(1)
    answer = resolve(terminal, code)
    assert (answer.status_code, answer.json()["error"]) == (410, "code_expired")


def test_unknown_and_malformed_codes_are_unknown(client: TestClient,
                                                 terminal: TerminalClient,
                                                 clock: FakeClock) -> None:
    code = issue(client, clock)
    guess = code[:-1] + ("A" if code[-1] != "A" else "B")  # one character off
    for text in (guess, "not a code", "ZJID1." + "x" * 32, "\u00e9" * 256):
        answer = resolve(terminal, text)
        assert (answer.status_code, answer.json()["error"]) == (404, "code_unknown"), text
    assert resolve(terminal, "x" * 257).status_code == 422
    assert resolve(terminal, code).status_code == 200  # the near misses cost it nothing


def test_codes_are_stored_hashed_and_the_identity_erased_once_used(
        client: TestClient, terminal: TerminalClient, clock: FakeClock,
        settings: Settings) -> None:
    app: Any = client.app
    code = issue(client, clock)
    database = Path(str(app.state.engine.url.database)).read_bytes()
    assert code.encode() not in database and code.split(".")[1].encode() not in database
    assert ID_NUMBER.encode() not in database and "张三".encode() not in database
    with app.state.sessions() as session:
        row = session.scalars(select(IdentityCode)).one()
        assert row.code_hash == identitycodes.code_hash(code) and row.payload
    assert resolve(terminal, code).status_code == 200
    with app.state.sessions() as session:
        row = session.scalars(select(IdentityCode)).one()
        assert row.payload is None and row.used_by == terminal.terminal_id
        audit = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "resolve_identity_code")).one()
        assert audit.target == "330181********1234" and code not in audit.detail


def test_expired_codes_lose_their_identity_and_later_their_row(
        client: TestClient, clock: FakeClock) -> None:
    app: Any = client.app
    issue(client, clock, ttl_s=60)
    clock.advance(61)
    issue(client, clock)  # any later issue (or look-up) tidies
    with app.state.sessions() as session:
        rows = session.scalars(select(IdentityCode).order_by(IdentityCode.issued_at)).all()
        assert [r.payload is None for r in rows] == [True, False]
    clock.advance(identitycodes.KEEP.total_seconds() + 120)
    issue(client, clock)
    with app.state.sessions() as session:
        assert len(session.scalars(select(IdentityCode)).all()) == 1


def test_codes_are_random_and_their_lifetime_bounded(client: TestClient,
                                                     clock: FakeClock) -> None:
    codes = {issue(client, clock) for _ in range(50)}
    assert len(codes) == 50
    assert all(len(base64.urlsafe_b64decode(c.split(".")[1])) * 8 >= 128 for c in codes)
    with pytest.raises(ValueError):
        issue(client, clock, ttl_s=121)
    with pytest.raises(ValueError):
        issue(client, clock, photo_jpeg=b"GIF89a")


def test_the_route_needs_a_signature(client: TestClient, terminal: TerminalClient,
                                     clock: FakeClock) -> None:
    code = issue(client, clock)
    answer = client.post(PATH, json={"code": code})
    assert answer.status_code == 401
    assert resolve(terminal, code).status_code == 200  # the unsigned try did not use it


def test_trying_codes_is_rate_limited(client: TestClient, terminal: TerminalClient,
                                      clock: FakeClock) -> None:
    for n in range(10):
        assert resolve(terminal, f"ZJID1.guess{n:027d}").status_code == 404
    code = issue(client, clock)
    answer = resolve(terminal, code)  # even a real code waits: this terminal is guessing
    assert answer.status_code == 429 and answer.json()["error"] == "rate_limited"
    assert int(answer.headers["Retry-After"]) > 0
    clock.advance(timedelta(minutes=10).total_seconds())
    code = issue(client, clock)
    assert resolve(terminal, code).status_code == 200


def test_lookups_are_rate_limited_per_terminal(client: TestClient, terminal: TerminalClient,
                                               clock: FakeClock) -> None:
    for _ in range(30):
        assert resolve(terminal, issue(client, clock)).status_code == 200
    assert resolve(terminal, issue(client, clock)).status_code == 429


def test_the_cli_issues_a_code_the_route_resolves(
        client: TestClient, terminal: TerminalClient, settings: Settings, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(PHOTO)
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(settings.data_dir))
    # the CLI runs on the system clock: bring the app's clock to it
    clock: Any = settings.clock
    assert cli_main(["identity-code", "issue", "--id-number", ID_NUMBER, "--name", "李四",
                     "--sex", "2", "--photo", str(photo), "--ttl", "120"]) == 0
    code = capsys.readouterr().out.strip()
    clock.advance((SystemClock().now() - clock.now()).total_seconds())
    answer = resolve(terminal, code)
    assert answer.status_code == 200, answer.text
    assert answer.json()["identity"]["name"] == "李四"
    assert answer.json()["identity"]["birth"] == "1990-01-01"
    assert cli_main(["identity-code", "issue", "--id-number", "x", "--name", "n"]) == 2
