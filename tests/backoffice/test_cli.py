"""``scripts/backoffice`` commands (run in-process through backoffice.cli.main)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice.app import create_app
from backoffice.cli import main, read_or_create_secret
from backoffice.settings import Settings
from kiosk.clock import SystemClock
from tests.backoffice.testing import JPEG, TerminalClient, make_case


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BACKOFFICE_DATA_DIR", raising=False)
    return tmp_path / "bo"


def test_terminal_add_creates_a_private_secret(data_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    secret_file = tmp_path / "secrets" / "terminal.key"
    assert main(["terminal", "add", "XS-DEV-0001", "--secret-file", str(secret_file),
                 "--data-dir", str(data_dir)]) == 0
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert len(bytes.fromhex(secret)) == 32
    assert "registered" in capsys.readouterr().out
    # Again with the same file: the secret is kept, not regenerated.
    assert main(["terminal", "add", "XS-DEV-0001", "--secret-file", str(secret_file),
                 "--data-dir", str(data_dir)]) == 0
    assert secret_file.read_text().strip() == secret
    assert main(["terminal", "list", "--data-dir", str(data_dir)]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert [t["id"] for t in listed["terminals"]] == ["XS-DEV-0001"]


def test_bad_secret_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not hex\n")
    with pytest.raises(SystemExit, match="64 hex"):
        read_or_create_secret(bad)


def test_staff_commands_on_a_real_case(data_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    secret_file = tmp_path / "terminal.key"
    main(["terminal", "add", "XS-TEST-0001", "--secret-file", str(secret_file),
          "--data-dir", str(data_dir)])
    secret = bytes.fromhex(secret_file.read_text().strip())
    app = create_app(Settings(data_dir=data_dir))
    with TestClient(app) as client:
        terminal = TerminalClient(client, "XS-TEST-0001", secret, SystemClock())
        assert terminal.put_material(JPEG).status_code == 201
        number = terminal.submit(make_case()).json()["case_number"]
    capsys.readouterr()
    dd = ["--data-dir", str(data_dir)]
    assert main(["staff", "list", *dd]) == 0
    line = capsys.readouterr().out
    assert number in line and "submitted" in line and "owed=M03" in line
    assert "11010519491231002X" not in line and "110105********002X" in line
    assert main(["staff", "transition", number, "accepted", "--note", "ok", *dd]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "accepted"
    assert main(["staff", "transition", number, "collected", *dd]) == 1
    assert "bad_transition" in capsys.readouterr().err
    assert main(["staff", "receive-material", number, "M03", *dd]) == 0
    assert json.loads(capsys.readouterr().out)["owed_materials"] == []
    assert main(["staff", "show", number, *dd]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [t["status"] for t in shown["timeline"]] == ["submitted", "accepted"]
    assert main(["staff", "show", "XS20000101000001", *dd]) == 1


def test_export_openapi_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export-openapi", "--output", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["info"]["version"] == "1"
