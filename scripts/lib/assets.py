"""Generated assets, made once at set-up (called by scripts/lib/bootstrap.sh on every run).

Kivy's SDL2 text provider opens only the *first* face of a font collection, and the
first face of Debian's ``NotoSansCJK-*.ttc`` is Japanese (some characters would take
Japanese shapes). This extracts the Simplified Chinese face (index 2) of the Regular
and Bold collections into standalone fonts at ``kiosk.fonts.extracted_face_path``.

Quick when done: a font is rewritten only when missing or older than its collection.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a plain script by bootstrap.sh
    sys.path.insert(0, str(ROOT))

from kiosk.fonts import collection_face, extracted_face_path  # noqa: E402

WEIGHTS = ("Regular", "Bold")


def extract_face(source: Path, index: int, target: Path) -> None:
    """Write face ``index`` of collection ``source`` to ``target`` atomically."""
    from fontTools.ttLib import TTFont  # imported only when there is work to do

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    with TTFont(source, fontNumber=index, lazy=True) as font:
        font.save(tmp)
    tmp.replace(target)


def up_to_date(source: Path, target: Path) -> bool:
    return target.exists() and target.stat().st_size > 0 and \
        target.stat().st_mtime >= source.stat().st_mtime


def ensure_fonts(data_dir: Path) -> list[Path]:
    """Extract every missing face; return the fonts written. Raises FileNotFoundError
    when the Noto CJK collection is not installed (Debian package fonts-noto-cjk)."""
    written: list[Path] = []
    for weight in WEIGHTS:
        face = collection_face(weight)
        target = extracted_face_path(data_dir, weight)
        if not face.path.exists():
            raise FileNotFoundError(f"{face.path} (install the Debian package fonts-noto-cjk)")
        if up_to_date(face.path, target):
            continue
        extract_face(face.path, face.index, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=ROOT / "var",
                   help="where var/fonts lives (default: %(default)s)")
    args = p.parse_args(argv)
    try:
        written = ensure_fonts(args.data_dir)
    except FileNotFoundError as exc:
        print(f"[assets] missing font collection: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"[assets] wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
