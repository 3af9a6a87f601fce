"""Colours and sizes of the touch shell, from the site's branding and screen.

Sizes are in *dp-equivalents* scaled for the kiosk screen: a kiosk panel is big
and seen from ~50 cm, so the short side of the screen (1080 px in both
1920×1080 landscape and 1080×1920 portrait) is taken as 720 dp, i.e. 1.5 px
per dp, the density of a "1.5×" panel. ``Theme.px(dp)`` converts.

Elderly mode (长辈版) follows the 《互联网应用适老化及无障碍改造专题行动方案》
and WCAG 2.1: body text ≥ 18 dp (here 26), touch targets ≥ 60×60 dp (here 72;
WCAG 2.5.5 asks 44 CSS px), text contrast ≥ 4.5:1 (WCAG 1.4.3). Text colours
on branded backgrounds are chosen for contrast, so any branding stays legible.

Pure Python: no Kivy here, so the contrast rules are testable without a window.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

Orientation = Literal["landscape", "portrait"]

WHITE = "#FFFFFF"
INK = "#111827"          # near-black body text
MUTED = "#4B5563"        # secondary text on white or the page background
DANGER = "#A61B1B"       # 暂停服务
WINDOW = "#7A4B00"       # "go to the window" (amber, dark enough for white text)
SUCCESS = "#166534"
BORDER = "#C7CDD6"


def _channel(c: float) -> float:
    # WCAG 2.x relative luminance of an sRGB channel
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two ``#RRGGBB`` colours (1 … 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever reads better on ``background``.

    For mid-tone colours where neither reaches 4.5:1, pure black does: the best of
    black and white is at least 4.58:1 against any colour.
    """
    best = WHITE if contrast(WHITE, background) >= contrast(INK, background) else INK
    if contrast(best, background) < 4.5 and contrast("#000000", background) > contrast(
            best, background):
        return "#000000"
    return best


def rgba(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return (r, g, b, alpha)


@dataclass(frozen=True)
class Palette:
    primary: str
    on_primary: str
    accent: str
    on_accent: str
    background: str
    on_background: str
    muted: str            # secondary text on surface (white)
    muted_bg: str         # secondary text on the page background
    surface: str          # cards and list rows
    on_surface: str
    danger: str
    on_danger: str
    window: str
    on_window: str
    success: str
    on_success: str
    border: str

    #: (text colour, background colour) pairs that carry text; checked by the tests.
    def text_pairs(self) -> dict[str, tuple[str, str]]:
        return {
            "primary": (self.on_primary, self.primary),
            "accent": (self.on_accent, self.accent),
            "background": (self.on_background, self.background),
            "muted_on_background": (self.muted_bg, self.background),
            "surface": (self.on_surface, self.surface),
            "muted_on_surface": (self.muted, self.surface),
            "primary_on_surface": (self.primary_text, self.surface),
            "danger": (self.on_danger, self.danger),
            "danger_on_surface": (self.danger, self.surface),
            "window": (self.on_window, self.window),
            "success": (self.on_success, self.success),
            "success_on_surface": (self.success, self.surface),
        }

    @property
    def primary_text(self) -> str:
        """The brand colour used as text on white (headings), darkened if too light."""
        return self.primary if contrast(self.primary, self.surface) >= 4.5 else INK


def palette(primary: str, accent: str, background: str) -> Palette:
    return Palette(
        primary=primary, on_primary=text_on(primary),
        accent=accent, on_accent=text_on(accent),
        background=background, on_background=text_on(background),
        muted=MUTED,
        muted_bg=MUTED if contrast(MUTED, background) >= 4.5 else text_on(background),
        surface=WHITE, on_surface=INK,
        danger=DANGER, on_danger=WHITE,
        window=WINDOW, on_window=WHITE,
        success=SUCCESS, on_success=WHITE,
        border=BORDER,
    )


@dataclass(frozen=True)
class Sizes:
    """In dp-equivalents (see the module docstring)."""

    title: float
    heading: float
    body: float
    small: float
    button: float         # text on buttons
    target: float         # minimum touch target side
    tile: float           # home/browse tile height
    header: float
    nav: float
    banner: float
    pad: float
    gap: float
    radius: float
    key: float            # on-screen keyboard key side


NORMAL = Sizes(title=36, heading=28, body=20, small=18, button=22, target=56, tile=170,
               header=84, nav=84, banner=84, pad=24, gap=16, radius=14, key=64)
ELDERLY = Sizes(title=44, heading=34, body=26, small=22, button=28, target=72, tile=210,
                header=96, nav=96, banner=96, pad=24, gap=18, radius=16, key=76)

#: The short side of the screen, in dp-equivalents (1080 px → 1.5 px per dp).
SHORT_SIDE_DP = 720.0


@dataclass(frozen=True)
class Theme:
    palette: Palette
    sizes: Sizes
    orientation: Orientation
    width: int
    height: int
    elderly: bool

    @property
    def scale(self) -> float:
        """Pixels per dp-equivalent."""
        return min(self.width, self.height) / SHORT_SIDE_DP

    def px(self, dp: float) -> float:
        return round(dp * self.scale, 1)

    def size(self, name: str) -> float:
        """A named size (``body``, ``target`` ...) in pixels."""
        return self.px(float(getattr(self.sizes, name)))

    def colour(self, name: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
        return rgba(getattr(self.palette, name), alpha)

    @property
    def landscape(self) -> bool:
        return self.orientation == "landscape"

    @property
    def columns(self) -> int:
        """Tile grid columns: 4 across a landscape screen, 2 on a portrait one."""
        return 4 if self.landscape else 2

    def __getattr__(self, name: str) -> float:
        # ``theme.body`` etc. in .kv files: pixel sizes by name.
        if name in _SIZE_NAMES:
            return self.size(name)
        raise AttributeError(name)


_SIZE_NAMES = frozenset(f.name for f in fields(Sizes))


def make_theme(primary: str, accent: str, background: str, *, orientation: Orientation,
               elderly: bool, resolution: tuple[int, int] | None = None) -> Theme:
    width, height = resolution or ((1920, 1080) if orientation == "landscape" else (1080, 1920))
    return Theme(palette(primary, accent, background), ELDERLY if elderly else NORMAL,
                 orientation, width, height, elderly)
