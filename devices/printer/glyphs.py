"""Character cells drawn with Noto Sans CJK SC, the way a receipt printer draws them.

A thermal printer's resident font puts each character in a fixed cell: 12 x 24
dots for half-width characters, 24 x 24 for Chinese ones, and doubles the dots
for the GS ! size multipliers. Raster receipts (and the emulator's pictures of
text-mode receipts) use the same grid, so both modes look alike and columns
line up.

Faces: the Simplified Chinese face of Debian's Noto CJK collection (index 2,
``devices.fonts.collection_face``) for full-width characters; its monospaced
sibling in the same file (Noto Sans Mono CJK SC, index 7) for half-width ones,
whose Latin letters are exactly half an em, as on a printer. A character
neither face has (a rare name character in CJK Extension B-H) is drawn with
the first font of ``fallbacks`` that has it (``devices.fontchain``); the kiosk
passes its chain (``devices.fonts.FALLBACK_FACES``) in, the emulator gets it as
``--font`` arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from devices.fontchain import FontChain, FontFile
from devices.fonts import FontFace, collection_face
from devices.printer.layout import text_width
from kiosk.errors import DeviceUnavailable

MONO_SC_INDEX = 7  # faces in NotoSansCJK-*.ttc: 0-4 JP KR SC TC HK, 5-9 Mono JP KR SC TC HK
CELL_H = 24
HALF_W = 12

Bitmap = npt.NDArray[np.bool_]

# (font size, baseline row) chosen so ideographs fill rows 1-23 and Latin
# descenders stay inside the 24-dot cell.
_WIDE = (22, 20)
_NARROW = (20, 19)


class GlyphCache:
    """Renders character cells once and keeps them (one per printer or emulator)."""

    def __init__(self, regular: FontFace | None = None, bold: FontFace | None = None,
                 fallbacks: Sequence[FontFile] = ()) -> None:
        regular = regular or collection_face("Regular")
        bold = bold or collection_face("Bold")
        #: face 0 is the printer's own font; the others draw what it lacks.
        self.chain = FontChain((FontFile(regular.path, regular.index), *fallbacks))
        self._fallback_fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}
        try:
            self._fonts = {
                (b, wide): ImageFont.truetype(str(face.path), (_WIDE if wide else _NARROW)[0],
                                              index=face.index if wide else MONO_SC_INDEX)
                for b, face in ((False, regular), (True, bold))
                for wide in (False, True)
            }
        except OSError as exc:
            raise DeviceUnavailable(f"receipt font not usable: {exc}",
                                    i18n_key="device.reason.font_missing") from None
        self._cells: dict[tuple[str, bool, int], Bitmap] = {}

    def cell(self, cluster: str, bold: bool = False, width: int | None = None) -> Bitmap:
        """A 24-row bitmap, 12 or 24 dots wide (``width`` in columns: 1 or 2)."""
        cols = text_width(cluster) if width is None else width
        key = (cluster, bold, cols)
        found = self._cells.get(key)
        if found is not None:
            return found
        wide = cols >= 2
        w = HALF_W * max(cols, 1)
        img = Image.new("L", (w, CELL_H), 0)
        if cols > 0 and not cluster.isspace():
            font = self._font(cluster, bold, wide)
            baseline = (_WIDE if wide else _NARROW)[1]
            advance = font.getlength(cluster)
            x = max(0.0, (w - advance) / 2)
            ImageDraw.Draw(img).text((x, baseline), cluster, font=font, fill=255, anchor="ls")
        bitmap: Bitmap = np.asarray(img) >= 128
        if len(self._cells) < 20000:  # bounded: a receipt uses a few hundred characters
            self._cells[key] = bitmap
        return bitmap


    def _font(self, cluster: str, bold: bool, wide: bool) -> ImageFont.FreeTypeFont:
        face = self.chain.face_for(cluster) if len(self.chain.faces) > 1 else 0
        if not face:  # the printer font has it, or nothing has it (a box, as printers do)
            return self._fonts[(bold, wide)]
        found = self._fallback_fonts.get((face, wide))
        if found is None:
            file = self.chain.faces[face]
            try:
                found = ImageFont.truetype(str(file.path), (_WIDE if wide else _NARROW)[0],
                                           index=file.index)
            except OSError:  # the chain read its cmap, so this is a damaged file
                return self._fonts[(bold, wide)]
            self._fallback_fonts[(face, wide)] = found
        return found


def scale(bitmap: Bitmap, width: int, height: int) -> Bitmap:
    """Dot doubling, as printers apply GS ! multipliers."""
    if width == 1 and height == 1:
        return bitmap
    return np.repeat(np.repeat(bitmap, height, axis=0), width, axis=1)
