"""Serial (pty), file and configured drivers; the emulator as a separate process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devices.base import DeviceState, MediaStatus
from devices.printer.drivers import FilePrinter, NetworkPrinter, SerialPrinter, make_printer
from devices.printer.emu_paper import Paper
from devices.printer.emu_parser import Parser
from devices.printer.emulator import PrinterEmulator
from devices.printer.glyphs import GlyphCache
from devices.printer.profile import profile_for
from devices.simcontrol import request_json
from kiosk.config.model import PrinterConfig, resolve
from tests.devices.printer.helpers import QUERY_BASE, REF, acceptance, check_status_and_print


def test_serial_printer_on_a_pty(emulator: PrinterEmulator, glyphs: GlyphCache) -> None:
    path = emulator.open_pty()
    p = SerialPrinter("printer", profile_for(80), path, 115200, glyphs=glyphs)
    p.open()
    check_status_and_print(p, emulator)
    assert p.transport_name() == f"serial:{path}@115200"
    p.close()


def test_file_printer_writes_the_job_and_has_no_status(tmp_path: Path,
                                                       glyphs: GlyphCache) -> None:
    out = tmp_path / "lp0"
    p = FilePrinter("printer", profile_for(58), str(out), glyphs=glyphs)
    p.open()
    assert p.status.state is DeviceState.READY and p.status.media is MediaStatus.UNKNOWN
    assert p.print_document(acceptance(), "text").ok
    p.close()
    paper = Paper(384, glyphs)
    finished = [j for e in Parser().feed(out.read_bytes()) if (j := paper.apply(e))]
    assert len(finished) == 1 and finished[0].qr_payloads == [f"{QUERY_BASE}/q/{REF}"]


def test_make_printer_follows_the_config(tmp_path: Path) -> None:
    net = make_printer(PrinterConfig(host="127.0.0.1", port=9101, paper_mm=58,
                                     text_charset="gb18030", native_qr=False))
    assert isinstance(net, NetworkPrinter) and net.profile.dots == 384
    assert net.profile.text_charset == "gb18030" and not net.profile.native_qr
    file = make_printer(PrinterConfig(driver="file", file_path=str(tmp_path / "x")))
    assert isinstance(file, FilePrinter) and not file.supports_status
    assert make_printer(PrinterConfig(driver="none")) is None
    usb = make_printer(PrinterConfig(driver="usb", usb_vendor=0x0416, usb_product=0x5011))
    assert usb is not None
    usb.open()  # pyusb may be missing, and there is no such device here: never raises
    assert usb.status.state is DeviceState.UNAVAILABLE and usb.status.reason


@pytest.mark.slow
def test_emulator_process_with_control_socket(tmp_path: Path, glyphs: GlyphCache) -> None:
    control = tmp_path / "printer.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.printer.emulator", "--port", "0", "--out",
         str(tmp_path / "out"), "--control", str(control)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=resolve("."),
        env={**os.environ, "PYTHONPATH": str(resolve("."))})
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        p = NetworkPrinter("printer", profile_for(80), "127.0.0.1", info["port"], glyphs=glyphs)
        p.open()
        assert p.status.ready
        answer = request_json(control, {"op": "faults", "cover": "open"})
        assert answer["ok"] and answer["cover"] == "open"
        assert p.refresh_status().reason == "device.reason.cover_open"
        request_json(control, {"op": "faults", "cover": "closed"})
        assert p.print_document(acceptance(), "text").ok
        p.close()
        # The last status answer came after the cut in the same stream: the job is done.
        jobs = request_json(control, {"op": "jobs"})["jobs"]
        assert Path(jobs[0]["path"]).exists() and jobs[0]["complete"]
        assert request_json(control, {"op": "nope"})["ok"] is False
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _start_emulator(tmp_path: Path, port: int, name: str) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.printer.emulator", "--port", str(port), "--out",
         str(tmp_path / name)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=resolve("."),
        env={**os.environ, "PYTHONPATH": str(resolve("."))})
    assert proc.stdout is not None
    return proc, int(json.loads(proc.stdout.readline())["port"])


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.mark.slow
def test_printer_process_killed_then_back(tmp_path: Path, glyphs: GlyphCache) -> None:
    first, port = _start_emulator(tmp_path, 0, "a")
    p = NetworkPrinter("printer", profile_for(80), "127.0.0.1", port, glyphs=glyphs)
    try:
        p.open()
        assert p.print_document(acceptance(), "text").ok
        _stop(first, signal.SIGKILL)  # the printer is switched off without warning
        failed = p.print_document(acceptance(name="李四"), "text")
        assert not failed.ok and p.status.state is DeviceState.UNAVAILABLE
        second, _ = _start_emulator(tmp_path, port, "b")  # switched on again
        try:
            assert p.refresh_status().ready
            assert p.reprint_last().ok
            assert len(list((tmp_path / "b").glob("job-*.png"))) == 1
        finally:
            _stop(second)
    finally:
        p.close()
        if first.poll() is None:
            _stop(first)
