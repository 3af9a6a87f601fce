"""The entry point as scripts/run uses it: configuration errors and the screenshot walk."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, timeout: float = 840) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="offscreen")
    return subprocess.run([sys.executable, "-m", "screens.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_unknown_site_is_one_line_and_exit_2() -> None:
    out = run("--site", "no-such-site", "--headless")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-site" in lines[0] and "Traceback" not in out.stderr


def test_bad_overlay_names_file_and_key(tmp_path: Path) -> None:
    overlay = tmp_path / "local.yaml"
    overlay.write_text("terminal:\n  id: XS-DEV-0001\n  colour: red\n", encoding="utf-8")
    out = run("--config", str(overlay), "--headless")
    assert out.returncode == 2
    assert str(overlay) in out.stderr and "terminal.colour" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One walk of both walk sites (township landscape, bank-branch portrait; the journey
    in both orientations), both languages and modes, with the layout audit reporting
    but not failing (the audit test below asserts on its report). Bounded: the bank
    branch in one language and without a journey of its own (``scripts/run
    --screenshots`` walks everything)."""
    out = tmp_path_factory.mktemp("walk")
    return out, run("--headless", "--screenshots", str(out), "--audit-report-only",
                    "--bounded-walk", timeout=1700)


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~1 min of CPU; on a loaded 2-core machine it can take many
def test_headless_walk_saves_every_screen(walked: tuple[Path, Any]) -> None:
    tmp_path, out = walked
    assert out.returncode == 0, out.stderr[-2000:]
    shots = sorted(p.name for p in tmp_path.glob("township-*.png"))
    pattern = re.compile(r"^township-landscape-(zh_CN|en)-(standard|elderly)-\d\d-([a-z-]+)\.png$")
    found = [pattern.match(name) for name in shots]
    assert all(found), shots
    by_variant: dict[tuple[str, str], set[str]] = {}
    for m in found:
        assert m is not None
        by_variant.setdefault((m[1], m[2]), set()).add(m[3])
    assert set(by_variant) == {(lang, mode) for lang in ("zh_CN", "en")
                               for mode in ("standard", "elderly")}
    screens = by_variant[("zh_CN", "standard")]
    assert all(v == screens for v in by_variant.values())
    assert {"home", "browse-department", "items-department", "search-gjj", "guide",
            "journey-place-card", "idle-warning"} <= screens
    assert any(tmp_path.glob("bank-branch-portrait-*-elderly-*-home.png"))


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_walk_audit_covers_every_variant(walked: tuple[Path, Any]) -> None:
    """audit.json has the agreed shape and names every orientation and mode, shell
    screens and journey screens alike."""
    tmp_path, _out = walked
    report = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    assert report["screens_checked"] == len(list(tmp_path.rglob("*.png")))  # each one audited
    variants = {(f["variant"].split("-")[-3], f["variant"].split("-")[-1])
                for f in report["findings"]}
    for finding in report["findings"]:
        assert set(finding) == {"screen", "variant", "widget", "rule", "detail"}
    assert variants <= {(o, m) for o in ("landscape", "portrait")
                        for m in ("standard", "elderly")}


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_walk_audit_finds_nothing(walked: tuple[Path, Any]) -> None:
    """Every screen of the walk, in both orientations, languages and modes, passes the
    layout audit (screens/audit): a person can see, reach and read everything."""
    tmp_path, _out = walked
    report = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    lines = [f"{f['variant']} {f['screen']} {f['rule']} {f['widget']}: {f['detail']}"
             for f in report["findings"]]
    assert not lines, f"{len(lines)} layout findings:\n" + "\n".join(lines[:60])
