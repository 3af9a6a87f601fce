"""亮码, drawn: a phone showing a QR code held over the scanner's window under the screen.

The companion of :class:`screens.widgets.IdCardPicture` on the identity step where the
site offers identity codes (docs/identity-codes.md); Kivy graphics only, no image file.
"""

from __future__ import annotations

import hashlib

from kivy.graphics import Color, Line, Rectangle, SmoothRoundedRectangle
from kivy.properties import ColorProperty

from screens.pictures import DevicePicture, shadowed_body

#: A fixed 21×21 pattern (QR version 1's size) with the three finder squares: a picture
#: of a code, not a code anyone could scan.
_MODULES = 21
_BITS = hashlib.sha256(b"kiosk identity code picture").digest() * 2


def _dark(row: int, col: int) -> bool:
    for fr, fc in ((0, 0), (0, _MODULES - 7), (_MODULES - 7, 0)):
        if fr <= row < fr + 7 and fc <= col < fc + 7:
            r, c = row - fr, col - fc
            ring = min(r, c, 6 - r, 6 - c)
            return ring != 1  # dark outer ring, light ring, dark 3×3 centre
    near_top, near_left = row < 8, col < 8
    if (near_top and near_left) or (near_top and col >= _MODULES - 8) \
            or (row >= _MODULES - 8 and near_left):
        return False  # the separators around the finders
    n = row * _MODULES + col
    return bool(_BITS[n // 8] >> (n % 8) & 1)


class CodePicture(DevicePicture):
    phone = ColorProperty("#374151")
    window = ColorProperty("#1F5FAF")
    colours = ("ink", "phone", "window", "arrow")

    def paint(self, x0: float, y0: float, w: float, h: float) -> None:
        # a phone, 1 : 2, standing above the scanner window
        ph = min(h * 0.58, w * 0.9 * 2)
        pw = ph / 2
        px, py = x0 + (w - pw) / 2, y0 + h * 0.38
        # the scanner's window under the screen, with its red aiming light
        Color(*self.window)
        ww, wh = pw * 1.5, h * 0.2
        SmoothRoundedRectangle(pos=(x0 + (w - ww) / 2, y0 + h * 0.04), size=(ww, wh),
                               radius=[wh * 0.18])
        Color(0.1, 0.1, 0.12, 1)
        SmoothRoundedRectangle(pos=(x0 + (w - ww * 0.6) / 2, y0 + h * 0.04 + wh * 0.25),
                               size=(ww * 0.6, wh * 0.5), radius=[wh * 0.1])
        Color(0.95, 0.25, 0.2, 1)
        Line(points=[x0 + w / 2 - ww * 0.22, y0 + h * 0.04 + wh * 0.5,
                     x0 + w / 2 + ww * 0.22, y0 + h * 0.04 + wh * 0.5], width=2)
        self.down_arrow(y0, h, half_shaft=pw * 0.06, shaft_width=pw * 0.12,
                        shaft_height=h * 0.1, half_head=pw * 0.18)
        # the phone: body, screen, the code on it
        shadowed_body(self.phone, px, py, pw, ph, pw * 0.14)
        Color(1, 1, 1, 1)
        sx, sy, sw, sh = px + pw * 0.08, py + ph * 0.06, pw * 0.84, ph * 0.86
        SmoothRoundedRectangle(pos=(sx, sy), size=(sw, sh), radius=[pw * 0.06])
        side = sw * 0.84
        cell = side / _MODULES
        qx, qy = sx + (sw - side) / 2, sy + sh * 0.3
        Color(*self.ink)
        for row in range(_MODULES):
            for col in range(_MODULES):
                if _dark(row, col):
                    Rectangle(pos=(qx + col * cell, qy + (_MODULES - 1 - row) * cell),
                              size=(cell + 0.5, cell + 0.5))
        # a title bar above the code and a line of text under it
        Color(*self.window)
        Rectangle(pos=(sx, sy + sh * 0.88), size=(sw, sh * 0.12))
        Color(0.75, 0.78, 0.83, 1)
        Rectangle(pos=(qx, sy + sh * 0.12), size=(side, sh * 0.05))
