"""Fakes shared by the tests: stand-ins at the edges of the kiosk, one of each.

The real drivers and their wire-protocol simulators are tested in tests/devices;
tests of the core and of the screens use these instead.
"""

from __future__ import annotations

from devices.base import Device, DeviceState, DeviceStatus
from kiosk.errors import PaperOut
from kiosk.receipts.inputs import ReceiptInput


class StubDevice(Device):
    """A device whose status the test sets: the core and the UI only read the status
    (and enable the device)."""

    def __init__(self, kind: str, status: DeviceStatus | None = None, *,
                 name: str | None = None) -> None:
        super().__init__(name or f"stub-{kind}")
        self.kind = kind
        self._set_status(status or DeviceStatus(DeviceState.READY))

    def force(self, state: DeviceState | DeviceStatus, reason: str | None = None) -> None:
        """Set the status: a whole DeviceStatus, or a state with an optional reason."""
        status = state if isinstance(state, DeviceStatus) else DeviceStatus(state, reason=reason)
        self._set_status(status)


class ReceiptPrinter:
    """The journey's receipt printer: keeps every receipt; the first ``fail`` calls
    raise PaperOut, as a printer out of paper does."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.printed: list[ReceiptInput] = []

    def print_receipt(self, receipt: ReceiptInput) -> None:
        if self.fail:
            self.fail -= 1
            raise PaperOut("paper out")
        self.printed.append(receipt)
