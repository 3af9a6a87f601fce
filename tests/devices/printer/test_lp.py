"""The USB printer class transport (/dev/usb/lpN) against the emulator on a character
device (a pty: read and write like usblp), status included."""

from __future__ import annotations

from pathlib import Path

from devices.base import DeviceState, MediaStatus
from devices.printer.drivers import make_printer
from devices.printer.emulator import PrinterEmulator
from devices.printer.glyphs import GlyphCache
from devices.printer.lp import LinuxLpPrinter
from devices.printer.profile import profile_for
from devices.settings import PrinterConfig
from tests.devices.printer.helpers import check_status_and_print


def test_lp_printer_prints_and_reads_status(emulator: PrinterEmulator,
                                            glyphs: GlyphCache) -> None:
    path = emulator.open_pty()
    p = LinuxLpPrinter("printer", profile_for(80), path, glyphs=glyphs)
    p.open()
    try:
        check_status_and_print(p, emulator)
        emulator.set_faults(paper="out")
        assert p.refresh_status().media is MediaStatus.EMPTY
        assert p.transport_name() == f"lp:{path}"
    finally:
        p.close()


def test_missing_lp_device_is_unavailable(tmp_path: Path, glyphs: GlyphCache) -> None:
    cfg = PrinterConfig(driver="lp", lp_path=str(tmp_path / "lp9"))
    p = make_printer(cfg)
    assert isinstance(p, LinuxLpPrinter)
    p.open()
    try:
        assert p.status.state is DeviceState.UNAVAILABLE
        assert "lp9" in p.status.detail
    finally:
        p.close()
