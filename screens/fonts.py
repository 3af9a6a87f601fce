"""Make the Simplified Chinese Noto face Kivy's default font.

Kivy's SDL2 text provider opens only the first face of a .ttc collection (the
Japanese one in Debian's Noto CJK), so ``scripts/lib/assets.py`` extracts the SC
face at set-up; here it becomes ``DEFAULT_FONT``, so every Label renders Chinese
(and the rare name characters 䶮 𠮷) as real glyphs with Chinese shapes.
"""

from __future__ import annotations

from pathlib import Path

from kivy.core.text import DEFAULT_FONT, LabelBase

from kiosk.errors import ConfigError
from kiosk.fonts import extracted_face_path


def register_fonts(data_dir: Path) -> Path:
    regular = extracted_face_path(data_dir, "Regular")
    bold = extracted_face_path(data_dir, "Bold")
    for path in (regular, bold):
        if not path.exists():
            raise ConfigError(str(path), "", "Chinese font not extracted; run "
                              "scripts/lib/assets.py (scripts/run does it)")
    LabelBase.register(DEFAULT_FONT, str(regular), fn_bold=str(bold))
    return regular
