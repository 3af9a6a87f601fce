"""Drive the shell without ``App.run()``: build it in the window, render frames,
press widgets with real touches and save screenshots.

Used by the headless screenshot walk (``scripts/run --headless --screenshots``),
the UI tests and the start-up benchmark. Kivy allows one window per process; the
harness swaps the root widget in it, so one process can show several sites,
orientations and languages in turn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.uix.widget import Widget

from kiosk.wiring.build import Kiosk
from screens.idlegc import IdleCollector
from screens.shell import Shell
from screens.state import UiState


def flush_each_frame() -> None:
    """Make every frame end with the GL work done, as presenting it to a display does.

    Under SDL's offscreen video driver (the harness: tests, the screenshot walk, the
    benches) no frame is ever presented, so nothing flushes the GL command stream, and
    the software renderer keeps the memory of every texture deleted since (each label
    redrawn at a new size deletes one): a journey grew the process by about a GB.
    glFlush is not enough for Mesa's llvmpipe; glFinish is (measured: 20 keystrokes
    in a form field +300 MB before, +0 MB after). It also makes ``tap`` time the frame
    as drawn, not only as submitted.
    """
    from kivy.graphics.opengl import glFinish
    if not getattr(Window, "_kiosk_flushes", False):
        Window.bind(on_flip=lambda *_: glFinish())
        Window._kiosk_flushes = True


class Harness:
    def __init__(self, collector: IdleCollector | None = None, *,
                 still_frames: bool = False) -> None:
        """``collector``: given to every shell shown, as the app does (the benchmarks).
        ``still_frames``: after every tap, also time a still frame of the screen it
        left (``still_frame_s``, one per tap, in order: ``scripts/bench journey``)."""
        EventLoop.ensure_window()
        flush_each_frame()
        self.window = Window
        self.shell: Shell | None = None
        self.collector = collector
        self.still_frame_s: list[float] | None = [] if still_frames else None

    def show(self, kiosk: Kiosk, resolution: tuple[int, int] | None = None) -> Shell:
        """Put a fresh shell for ``kiosk`` in the window (replacing any other)."""
        self.close_shell()
        size = resolution or kiosk.site.resolution
        if tuple(Window.size) != tuple(size):
            Window.size = size
        ui = UiState(kiosk, resolution=size)
        self.shell = Shell(ui=ui, size=size, size_hint=(None, None), pos=(0, 0),
                           collector=self.collector)
        Window.add_widget(self.shell)
        self.render()
        return self.shell

    def close_shell(self) -> None:
        if self.shell is not None:
            self.shell.close()
            Window.remove_widget(self.shell)
            self.shell = None

    def render(self, frames: int = 3) -> None:
        for _ in range(frames):
            EventLoop.idle()

    def press(self, widget: Widget) -> None:
        """A real touch down and up on the centre of ``widget``."""
        self.tap(widget)

    def tap(self, widget: Widget) -> float:
        """Press ``widget``; the seconds from the touch to the end of the first frame
        drawn after it (what ``scripts/bench journey`` reports per screen)."""
        from kivy.tests.common import UnitTestTouch
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        start = time.perf_counter()
        touch.touch_down()
        touch.touch_up()
        EventLoop.idle()
        took = time.perf_counter() - start
        self.render(2)
        if self.still_frame_s is not None:
            self.still_frame_s.append(self.still_frame())
        return took

    def still_frame(self) -> float:
        """Draw the window again as it is: nothing changed, no handler runs. The seconds
        from the request to the end of that frame, timed as ``tap`` times a touch: the
        cost of a frame of this screen alone, set by its content and the renderer."""
        start = time.perf_counter()
        Window.canvas.ask_update()
        EventLoop.idle()
        return time.perf_counter() - start

    def screenshot(self, path: Path) -> Path:
        assert self.shell is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        self.render()
        # Render the shell into its own framebuffer (the window's may keep its first
        # size after a resize with some video drivers) and write it with a fast zlib level:
        # Kivy's PNG writers compress slowly, and a walk saves ~100 full-HD images.
        from PIL import Image
        texture = self.export(self.shell)
        width, height = texture.size
        image = Image.frombytes("RGBA", (width, height), texture.pixels)
        # The framebuffer's texture comes out bottom row first.
        image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).convert("RGB").save(
            path, compress_level=1)
        return path

    @staticmethod
    def export(shell: Shell) -> Any:
        """The shell drawn into its own framebuffer, bottom row first, over the window's
        clear colour (the shell draws no background of its own: Shell.paint_window).
        Drawn as in the window, not flipped: the lists' scissor clips are in window
        pixels (screens.scrolling), which a flipping transform would not move."""
        from kivy.graphics import ClearBuffers, ClearColor, Fbo, Translate
        fbo = Fbo(size=shell.size, with_stencilbuffer=True)
        with fbo:
            ClearColor(*Window.clearcolor)
            ClearBuffers()
            Translate(-shell.x, -shell.y, 0)
        parent: Any = shell.parent.canvas if shell.parent is not None else None
        index = parent.indexof(shell.canvas) if parent is not None else -1
        if index > -1:
            parent.remove(shell.canvas)
        fbo.add(shell.canvas)
        fbo.draw()
        fbo.remove(shell.canvas)
        if index > -1:
            parent.insert(index, shell.canvas)
        return fbo.texture

    def walk_widgets(self) -> Iterator[Any]:
        if self.shell is not None:
            yield from self.shell.walk(restrict=True)
