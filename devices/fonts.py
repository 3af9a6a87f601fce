"""Where the Chinese font is, for what devices draw (receipt rasters, simulator pages).

Debian's ``fonts-noto-cjk`` ships a collection whose first face is Japanese;
Pillow opens the Simplified Chinese face directly with ``index=2``. The kiosk's
screens use a standalone copy of that face (see :mod:`kiosk.fonts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
SC_INDEX = 2  # faces in NotoSansCJK-*.ttc: JP, KR, SC, TC, HK, then the Mono faces


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int = 0  # face index inside a .ttc collection


def collection_face(weight: str = "Regular") -> FontFace:
    """The SC face inside Debian's Noto CJK collection (for Pillow and fontTools)."""
    return FontFace(NOTO_DIR / f"NotoSansCJK-{weight}.ttc", SC_INDEX)
