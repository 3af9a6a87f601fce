"""Make the Simplified Chinese Noto face Kivy's default font.

Kivy's SDL2 text provider opens only the first face of a .ttc collection (the
Japanese one in Debian's Noto CJK), so ``scripts/lib/assets.py`` extracts the SC
face at set-up; here it becomes ``DEFAULT_FONT``, so every Label renders Chinese
(and the rare name characters 䶮 𠮷) as real glyphs with Chinese shapes; the
characters it lacks (𪚥) are drawn by the fallback chain (``screens.richtext``).
"""

from __future__ import annotations

from pathlib import Path

from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.factory import Factory

from kiosk.errors import ConfigError
from kiosk.fonts import extracted_face_path, screen_chain
from screens.richtext import FallbackText, Shaper
from screens.widgets import Text


def register_fonts(data_dir: Path) -> Path:
    regular = extracted_face_path(data_dir, "Regular")
    bold = extracted_face_path(data_dir, "Bold")
    for path in (regular, bold):
        if not path.exists():
            raise ConfigError(str(path), "", "Chinese font not extracted; run "
                              "scripts/lib/assets.py (scripts/run does it)")
    LabelBase.register(DEFAULT_FONT, str(regular), fn_bold=str(bold))
    install_fallbacks(data_dir)
    return regular


def install_fallbacks(data_dir: Path) -> None:
    """Every label draws what Noto lacks with the fallback chain, and a kv ``Label:``
    builds a :class:`screens.widgets.Text` (the same, with 禁则 line breaks). Cmaps
    are read when a character first needs them, not here."""
    FallbackText.shaper = Shaper(screen_chain(data_dir))
    if Factory.classes.get("Label", {}).get("cls") is not Text:
        Factory.unregister("Label")
        Factory.register("Label", cls=Text)
