"""Where the Chinese font is.

Debian's ``fonts-noto-cjk`` ships a collection whose first face is Japanese;
Kivy's SDL2 text provider opens only the first face of a collection, so
``scripts/lib/assets.py`` extracts the Simplified Chinese face (index 2) into a
standalone file under ``var/fonts``. Pillow (receipt rasters) can open the
collection directly with ``index=2``. Noto Sans CJK SC covers Ext A (䶮) and
parts of Ext B (𠮷); the coverage test reads its character map.
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


def extracted_face_path(data_dir: Path, weight: str = "Regular") -> Path:
    """The standalone SC font written by scripts/lib/assets.py (for Kivy)."""
    return data_dir / "fonts" / f"NotoSansCJKsc-{weight}.otf"
