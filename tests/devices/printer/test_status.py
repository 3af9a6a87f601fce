"""DLE EOT answers -> device state, media status and the job error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.base import DeviceState, MediaStatus
from devices.printer.status import PrinterStatusBits
from kiosk.errors import CoverOpen, PaperOut, PrinterError, ProtocolError

READY, DOWN = DeviceState.READY, DeviceState.UNAVAILABLE


@pytest.mark.parametrize(("printer", "offline", "paper", "state", "media", "reason", "error"), [
    (0x12, 0x12, 0x12, READY, MediaStatus.PRESENT, None, None),
    (0x12, 0x12, 0x1E, READY, MediaStatus.LOW, "device.reason.paper_low", None),
    (0x1A, 0x32, 0x72, DOWN, MediaStatus.EMPTY, "device.reason.paper_out", PaperOut),
    (0x1A, 0x32, 0x7E, DOWN, MediaStatus.EMPTY, "device.reason.paper_out", PaperOut),
    (0x1A, 0x16, 0x12, DOWN, MediaStatus.PRESENT, "device.reason.cover_open", CoverOpen),
    (0x1A, 0x12, 0x12, DOWN, MediaStatus.PRESENT, "device.reason.offline", PrinterError),
    (0x1A, 0x52, 0x12, DOWN, MediaStatus.PRESENT, "device.reason.printer_error", PrinterError),
])
def test_status_mapping(printer: int, offline: int, paper: int, state: DeviceState,
                        media: MediaStatus, reason: str | None,
                        error: type[PrinterError] | None) -> None:
    bits = PrinterStatusBits.parse(printer, offline, paper)
    status = bits.device_status()
    assert (status.state, status.media, status.reason) == (state, media, reason)
    found = bits.error_for()
    assert (found is None) if error is None else type(found) is error


def test_paper_out_matches_python_escpos_reading() -> None:
    # python-escpos paper_status(): byte & 114 == 114 -> 0 (out); & 30 == 30 -> 1 (near end)
    for byte, expected in ((0x72, "out"), (0x1E, "near_end"), (0x12, "ok")):
        assert PrinterStatusBits.parse(0x12, 0x12, byte).paper == expected


@pytest.mark.parametrize("bad", [0x00, 0xFF, 0x13, 0x92])
def test_a_byte_that_is_not_a_status_is_a_protocol_error(bad: int) -> None:
    with pytest.raises(ProtocolError):
        PrinterStatusBits.parse(bad, 0x12, 0x12)


@given(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
def test_fuzz_any_three_bytes_parse_or_raise_protocol_error(answers: tuple[int, int, int]) -> None:
    try:
        bits = PrinterStatusBits.parse(*answers)
    except ProtocolError:
        return
    assert bits.device_status().state in (READY, DOWN)
