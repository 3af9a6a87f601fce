"""The Kivy App for the interactive kiosk (one per process)."""

from __future__ import annotations

from kivy.app import App

from kiosk.app import Kiosk
from screens.shell import Shell
from screens.state import UiState


class KioskApp(App):  # type: ignore[misc]
    title = "政务自助服务"

    def __init__(self, kiosk: Kiosk, resolution: tuple[int, int]) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.resolution = resolution
        self.shell: Shell | None = None

    def build(self) -> Shell:
        self.shell = Shell(ui=UiState(self.kiosk, resolution=self.resolution))
        return self.shell

    def on_stop(self) -> None:
        if self.shell is not None:
            self.shell.close()
