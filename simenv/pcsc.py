"""The simulated 社保卡 reader: pcscd + Debian's vsmartcard-vpcd + the virtual card.

The kiosk's PC/SC driver (:mod:`devices.sscard.pcsc`) talks to the system's
``pcscd`` through pyscard's default socket, so the environment uses the PC/SC
service that is running, or starts ``pcscd --foreground`` itself (and stops only
that one). vpcd's reader ``Virtual PCD 00 01`` waits on loopback TCP 35964 for a
card to connect (its first slot, 35963, is left to the sscard driver tests);
:class:`devices.sscard.virtual_card.VirtualSsCard` is that card,
run in this process: ``place()`` connects it (the card is inserted),
``remove()`` disconnects it. vpcd serves one card at a time, so a second
environment holding the reader makes ``place()`` fail
with a clear error.

Whatever goes wrong here makes the 社保卡 reader UNAVAILABLE with a reason in
:attr:`PcscSim.status`; it never fails the environment.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError, SimulationError
from simenv.procs import POLL_S, Child

# The second of vpcd's two slots: the sscard driver tests use the first (TCP 35963),
# so a simulated session and those tests never fight over one card slot.
VPCD_READER = "Virtual PCD 00 01"
VPCD_PORT = 35964
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
REASON_NO_SERVICE = "device.reason.sscard_no_service"
REASON_LIBRARY = "device.reason.sscard_library_missing"


def _readers() -> list[str] | None:
    """The PC/SC readers, or None when no service answers."""
    from devices.sscard.pyscard_backend import list_readers

    try:
        return list_readers()
    except KioskError:
        return None


class PcscSim:
    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._pcscd: Child | None = None
        self._card: Any = None
        self.status: dict[str, Any] = {"available": False, "reason": REASON_NO_SERVICE,
                                       "detail": "not started"}

    def expected(self) -> dict[str, Any]:
        """What :meth:`start` will most likely find, without starting anything: the
        virtual reader when pcscd and the vpcd driver are installed."""
        if shutil.which("pcscd") is None or not VPCD_DRIVER.exists():
            return {"available": False, "reason": REASON_NO_SERVICE}
        return {"available": True, "reader": VPCD_READER}

    def start(self, timeout_s: float = 10.0) -> dict[str, Any]:
        try:
            import devices.sscard.virtual_card  # noqa: F401 - only checking it is there
            readers = _readers()
        except ImportError as err:
            return self._unavailable(REASON_LIBRARY, f"{type(err).__name__}: {err}")
        if readers is None:
            pcscd = shutil.which("pcscd")
            if pcscd is None or not VPCD_DRIVER.exists():
                return self._unavailable(REASON_NO_SERVICE, "pcscd or vsmartcard-vpcd is not "
                                         "installed (scripts/lib/bootstrap.sh installs them)")
            self._pcscd = Child("pcscd", None, [pcscd, "--foreground"],
                                log_dir=self._log_dir).start()
        deadline = time.monotonic() + timeout_s
        while VPCD_READER not in (readers or []):
            if self._pcscd is not None and not self._pcscd.running:
                return self._unavailable(REASON_NO_SERVICE, "pcscd cannot run here: "
                                         + self._pcscd.log_tail(300))
            if time.monotonic() >= deadline:
                return self._unavailable(REASON_NO_SERVICE, f"no {VPCD_READER!r} reader "
                                         f"(readers: {readers}); is vpcd configured?")
            time.sleep(POLL_S)  # another process's start-up
            readers = _readers()
        self.status = {"available": True, "reader": VPCD_READER,
                       "pcscd": "started" if self._pcscd else "already running"}
        return self.status

    def _unavailable(self, reason: str, detail: str) -> dict[str, Any]:
        self.status = {"available": False, "reason": reason, "detail": detail}
        return self.status

    def place(self, timeout_s: float = 10.0) -> None:
        if not self.status.get("available"):
            raise SimulationError(f"no simulated 社保卡 reader: {self.status.get('detail')}")
        from devices.sscard.virtual_card import VirtualSsCard

        if self._card is None:
            self._card = VirtualSsCard(port=VPCD_PORT)
        try:
            self._card.insert(timeout=timeout_s)
        except (OSError, TimeoutError) as err:
            raise SimulationError(f"vpcd did not take the virtual 社保卡 (another card "
                                  f"connected?): {err}") from None

    def remove(self) -> None:
        if self._card is not None:
            self._card.remove()

    def stop(self) -> None:
        self.remove()
        if self._pcscd is not None:
            self._pcscd.stop()
            self._pcscd = None
