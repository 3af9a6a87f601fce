"""Where the Chinese font is.

Debian's ``fonts-noto-cjk`` ships a collection whose first face is Japanese;
Kivy's SDL2 text provider opens only the first face of a collection, so
``scripts/lib/assets.py`` extracts the Simplified Chinese face (index 2) into a
standalone file under ``var/fonts``. Pillow (receipt rasters) can open the
collection directly with ``index=2``. Noto Sans CJK SC covers Ext A (䶮) and
parts of Ext B (𠮷); the coverage test reads its character map.
"""

from __future__ import annotations

from pathlib import Path

from devices.fonts import NOTO_DIR, SC_INDEX, FontFace, collection_face

__all__ = ["NOTO_DIR", "SC_INDEX", "FontFace", "collection_face", "extracted_face_path"]


def extracted_face_path(data_dir: Path, weight: str = "Regular") -> Path:
    """The standalone SC font written by scripts/lib/assets.py (for Kivy)."""
    return data_dir / "fonts" / f"NotoSansCJKsc-{weight}.otf"
