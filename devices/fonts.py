"""Where the Chinese font is, for what devices draw (receipt rasters, simulator pages).

Debian's ``fonts-noto-cjk`` ships a collection whose first face is Japanese;
Pillow opens the Simplified Chinese face directly with ``index=2``. The kiosk's
screens use a standalone copy of that face (see :mod:`kiosk.fonts`). What Noto
lacks (rare name characters in CJK Ext B-H) comes from the fallback fonts below.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devices.fontchain import FontFile

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
SC_INDEX = 2  # faces in NotoSansCJK-*.ttc: JP, KR, SC, TC, HK, then the Mono faces


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int = 0  # face index inside a .ttc collection


def collection_face(weight: str = "Regular") -> FontFace:
    """The SC face inside Debian's Noto CJK collection (for Pillow and fontTools)."""
    return FontFace(NOTO_DIR / f"NotoSansCJK-{weight}.ttc", SC_INDEX)


# The fallback chain's fonts (the kiosk passes them to the printer and its emulator;
# ``kiosk.fonts`` builds the screen and paper chains from them).
HANAZONO_DIR = Path("/usr/share/fonts/truetype/hanazono")  # Debian fonts-hanazono
BABELSTONE_DIR = Path("/usr/share/fonts/truetype/babelstone")  # Debian fonts-babelstone-han
#: After Noto Sans CJK SC, in this order: HanaMin A (BMP: URO, Ext A, compatibility),
#: HanaMin B (the astral planes: Ext B-F), BabelStone Han (Ext G, H and what the
#: HanaMin fonts miss). Noto first keeps the Chinese (SC) shapes for common text.
FALLBACK_FACES = (FontFile(HANAZONO_DIR / "HanaMinA.ttf"), FontFile(HANAZONO_DIR / "HanaMinB.ttf"),
                  FontFile(BABELSTONE_DIR / "BabelStoneHan.ttf"))
