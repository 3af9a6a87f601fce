"""Where the Chinese font is.

Debian's ``fonts-noto-cjk`` ships a collection whose first face is Japanese;
Kivy's SDL2 text provider opens only the first face of a collection, so
``scripts/lib/assets.py`` extracts the Simplified Chinese face (index 2) into a
standalone file under ``var/fonts``. Pillow (receipt rasters) can open the
collection directly with ``index=2``. Noto Sans CJK SC covers Ext A (䶮) and
parts of Ext B (𠮷); for the rest a name may hold, HanaMin A/B and BabelStone Han
follow it in a fallback chain (``devices.fontchain`` splits text by coverage).

``python -m kiosk.fonts cover TEXT`` prints each character no font of the chain
has, with its code point, and exits 1 if there is any: technicians use it to
check a name.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from devices.fontchain import FontChain, FontFile
from devices.fonts import (
    BABELSTONE_DIR,
    FALLBACK_FACES,
    HANAZONO_DIR,
    NOTO_DIR,
    SC_INDEX,
    FontFace,
    collection_face,
)

__all__ = ["BABELSTONE_DIR", "FALLBACK_FACES", "HANAZONO_DIR", "NOTO_DIR", "SC_INDEX", "FontFace",
           "collection_face", "extracted_face_path", "paper_chain", "screen_chain", "uncovered"]


def extracted_face_path(data_dir: Path, weight: str = "Regular") -> Path:
    """The standalone SC font written by scripts/lib/assets.py (for Kivy)."""
    return data_dir / "fonts" / f"NotoSansCJKsc-{weight}.otf"


# ------------------------------------------------------------------ the fallback chain

# The chain's fonts (HanaMin A/B, BabelStone Han after Noto) are listed in
# ``devices.fonts.FALLBACK_FACES``; the wiring passes them to the printer.


def paper_chain(weight: str = "Regular") -> FontChain:
    """The chain for Pillow and fontTools: Noto SC inside Debian's collection first."""
    face = collection_face(weight)
    return FontChain((FontFile(face.path, face.index), *FALLBACK_FACES))


def screen_chain(data_dir: Path, weight: str = "Regular") -> FontChain:
    """The chain for Kivy (which opens only a collection's first face): the extracted
    Noto SC file first."""
    return FontChain((FontFile(extracted_face_path(data_dir, weight)), *FALLBACK_FACES))


def uncovered(text: str, chain: FontChain | None = None) -> list[str]:
    """Characters of ``text`` that no font of the chain draws (each once)."""
    return (chain or paper_chain()).missing(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk.fonts",
        description="check that the kiosk's fonts draw every character of a text (a name)")
    sub = parser.add_subparsers(dest="command", required=True)
    cover = sub.add_parser("cover", help="print each character no font has; exit 1 if any")
    cover.add_argument("text", nargs="+", help="the text to check (several words are joined)")
    args = parser.parse_args(argv)
    chain = paper_chain()
    missing = uncovered(" ".join(args.text), chain)
    for cluster in missing:
        points = " ".join(f"U+{ord(c):04X}" for c in cluster)
        print(f"{cluster}\t{points}")
    if not missing:
        print("every character is covered by: "
              + ", ".join(f.path.name for f in chain.faces))
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
