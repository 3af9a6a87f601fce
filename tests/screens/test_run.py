"""The entry point as scripts/run uses it: configuration errors and the screenshot walk."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.timeout(900)  # ~30 s of CPU; on a loaded 2-core machine it can take minutes
def test_headless_walk_saves_every_screen(tmp_path: Path) -> None:
    out = run("--site", "township", "--headless", "--screenshots", str(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
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
