"""The screen's font chain draws every character the kiosk shows.

Reads the fonts' character maps (not a rendering) and fails on any character used in
the catalog, the translations or the screens' .kv files that no font of the chain
(the extracted Simplified Chinese face first) covers, plus the rare name
characters 䶮 (U+4DAE, Ext A), 𠮷 (U+20BB7, Ext B) and 𪚥 (U+2A6A5, Ext B, not in Noto).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import polib
import pytest
import yaml
from fontTools.ttLib import TTFont

from kiosk.fonts import extracted_face_path, screen_chain

ROOT = Path(__file__).resolve().parents[2]
RARE_NAME_CHARACTERS = "䶮𠮷𪚥"


def _assets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kiosk_assets", ROOT / "scripts/lib/assets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["Regular", "Bold"])
def cmap(request: pytest.FixtureRequest) -> set[int]:
    _assets().ensure_fonts(ROOT / "var")
    path = extracted_face_path(ROOT / "var", request.param)
    with TTFont(path, lazy=True) as font:
        # The face must be the Simplified Chinese one, not the collection's first (Japanese).
        family = font["name"].getDebugName(1) or ""
        assert "SC" in family, family
        chain = screen_chain(ROOT / "var", request.param)
        own = set(font.getBestCmap())
        return own.union(*(chain.cmap(i) for i in range(1, len(chain.faces))))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _shown_text() -> dict[str, str]:
    """Every text source the kiosk shows, by where it comes from."""
    sources: dict[str, str] = {}
    for path in sorted((ROOT / "config/catalog").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        sources[str(path.relative_to(ROOT))] = "".join(_strings(data))
    for path in sorted((ROOT / "config/sites").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        sources[str(path.relative_to(ROOT))] = "".join(_strings(data))
    for path in sorted((ROOT / "kiosk/locale").glob("*/*.po")):
        sources[str(path.relative_to(ROOT))] = "".join(e.msgstr for e in polib.pofile(str(path)))
    for path in sorted((ROOT / "screens").glob("**/*.kv")):
        sources[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    sources["rare name characters"] = RARE_NAME_CHARACTERS
    return sources


def _uncovered(text: str, cmap: set[int]) -> set[str]:
    return {ch for ch in text
            if ord(ch) not in cmap and unicodedata.category(ch) not in ("Cc", "Cf")}


def test_sources_were_found() -> None:
    sources = _shown_text()
    assert any(s.startswith("config/catalog") for s in sources)
    assert any(s.endswith(".po") for s in sources)


def test_font_covers_everything_shown(cmap: set[int]) -> None:
    missing = {where: "".join(sorted(chars))
               for where, text in _shown_text().items()
               if (chars := _uncovered(text, cmap))}
    assert not missing, f"characters the font cannot draw: {missing}"


def test_rare_name_characters_are_covered(cmap: set[int]) -> None:
    assert ord("䶮") in cmap and ord("𠮷") in cmap


def test_assets_are_idempotent(tmp_path: Path) -> None:
    assets = _assets()
    first = assets.ensure_fonts(tmp_path)
    assert len(first) == 2
    assert assets.ensure_fonts(tmp_path) == []  # nothing to do the second time
