"""Entry points turn a ConfigError into exit code 2 and one stderr line (kiosk/cli.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import EXIT_CONFIG, config_error_line, main, run_main
from kiosk.config.model import ROOT
from kiosk.errors import ConfigError

MINIMAL = "terminal:\n  id: XS-TEST-0001\n  ref_prefix: XT\n  site_profile: township\n"


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "check", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("text", "where"), [
    (MINIMAL + "  colour: red\n", "terminal.colour: unknown key"),
    (MINIMAL + "devices:\n  printer: {port: 9100\n", "line 7, column 1: YAML syntax error"),
    ("- just\n- a list\n", "expected a mapping at the top"),
])
def test_bad_config_exits_2_with_one_line_and_no_traceback(tmp_path: Path, text: str,
                                                           where: str) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_check("--config", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"配置错误 / configuration error: {path}: {where}")
    assert "Traceback" not in result.stderr


def test_bad_overlay_is_blamed(tmp_path: Path) -> None:
    overlay = tmp_path / "local.yaml"
    overlay.write_text("devices:\n  printer:\n    port: ninety\n", encoding="utf-8")
    result = run_check("--overlay", str(overlay))
    assert result.returncode == 2
    assert f"{overlay}: devices.printer.port:" in result.stderr


def test_shipped_files_check_ok() -> None:
    result = run_check("--site", "bank-branch")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: terminal XS-DEV-0001, site bank-branch: ")
    assert "(sample catalog)" in result.stdout


def test_run_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    def bad() -> int:
        raise ConfigError("config/x.yaml", "a.b", "multi\nline problem")

    with pytest.raises(SystemExit) as info:
        run_main(bad)
    assert info.value.code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err == "配置错误 / configuration error: config/x.yaml: a.b: multi line problem\n"

    with pytest.raises(SystemExit) as info:
        run_main(lambda: 3)
    assert info.value.code == 3


def test_other_errors_are_not_swallowed() -> None:
    def broken() -> int:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        run_main(broken)


def test_config_error_line() -> None:
    line = config_error_line(ConfigError("f.yaml", "", "file not found"))
    assert line == "配置错误 / configuration error: f.yaml: file not found"


def test_unknown_site_in_process() -> None:
    with pytest.raises(ConfigError, match="no such site profile 'atlantis'"):
        main(["check", "--site", "atlantis"])
