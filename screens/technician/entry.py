"""The hidden entry: the corner gesture on the shell's root, then the PIN pad.

Touches are only watched here; they still reach the widgets underneath, except
corner touches that continue a sequence already under way (so that the second
corner, where the 长辈版 toggle sits, does not switch elderly mode on the way in).
A technician session is an ordinary session of the session manager: its idle
timeout ends it like a citizen's, and then the technician must enter the PIN again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.session import SessionEvent, SessionManager
from kiosk.technician.console import TechnicianConsole
from kiosk.technician.gate import PinGate

if TYPE_CHECKING:
    from screens.shell import Shell

TECHNICIAN_SCREENS: dict[str, str] = {
    "tech_pin": "screens.technician.pin:PinScreen",
    "tech_menu": "screens.technician.menu:MenuScreen",
    "tech_devices": "screens.technician.devices:DevicesScreen",
    "tech_selftest": "screens.technician.selftest:SelfTestScreen",
    "tech_outbox": "screens.technician.outbox:OutboxScreen",
    "tech_backoffice": "screens.technician.backoffice:BackofficeScreen",
    "tech_logs": "screens.technician.logs:LogsScreen",
    "tech_export": "screens.technician.export:ExportScreen",
}


class HiddenEntry:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.clock = shell.kiosk.clock
        self.gesture = shell.kiosk.services.corner_gesture()
        self.authenticated = False
        self._progress = 0       # corners of the sequence touched so far
        self._started = 0.0
        shell.session.add_listener(self._on_session)

    def _on_session(self, _session: SessionManager, event: SessionEvent) -> None:
        if event is SessionEvent.ENDED:  # Home, exit or idle timeout
            self.authenticated = False

    def touch(self, touch: Any) -> bool:
        """Feed one touch-down; True when it is swallowed (the gesture's own)."""
        shell = self.shell
        width, height = shell.size
        # CornerGesture takes pixels with the origin top-left; Kivy's is bottom-left.
        x, y = touch.x - shell.x, height - (touch.y - shell.y)
        now = self.clock.monotonic()
        corner = self.gesture.corner(x, y, width, height)
        # Follow the sequence's progress to know which touches belong to it: only a
        # corner that continues a started sequence is swallowed, never the first one
        # (a citizen's Home then 长辈版 is not a sequence and both buttons work).
        sequence = self.gesture.sequence
        if self._progress and now - self._started > self.gesture.window_s:
            self._progress = 0
        swallow = False
        if self._progress and corner == sequence[self._progress]:
            self._progress += 1
            swallow = True
        elif corner == sequence[0]:
            self._progress, self._started = 1, now
        else:
            self._progress = 0
        if self.gesture.touch(x, y, width, height):
            self._progress = 0
            shell.go("tech_pin")
            return True
        return swallow

    # -- what the technician screens use ---------------------------------------------
    @property
    def gate(self) -> PinGate:
        return self.shell.kiosk.services.technician_gate()

    @property
    def console(self) -> TechnicianConsole:
        return self.shell.kiosk.services.technician_console()
