"""Fixtures: the ESC/POS emulator on a free loopback port, and a network printer on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.printer.drivers import NetworkPrinter
from devices.printer.emulator import PrinterEmulator
from devices.printer.glyphs import GlyphCache
from tests.devices.printer.helpers import network_printer


@pytest.fixture(scope="session")
def glyphs() -> GlyphCache:
    return GlyphCache()  # loading the CJK faces takes a moment: once per run


@pytest.fixture
def emulator(tmp_path: Path, glyphs: GlyphCache) -> Iterator[PrinterEmulator]:
    emu = PrinterEmulator(tmp_path / "receipts", port=0, glyphs=glyphs).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def printer(emulator: PrinterEmulator, glyphs: GlyphCache) -> Iterator[NetworkPrinter]:
    p = network_printer(emulator, glyphs)
    try:
        yield p
    finally:
        p.close()


