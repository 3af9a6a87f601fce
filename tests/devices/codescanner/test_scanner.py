"""Scanners end to end: the real drivers (pyserial on a pty, an input node as a FIFO of
struct input_event records) against the simulators, with faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.base import DeviceState
from devices.codescanner.base import CodeScanned, ScanEvent, ScanRejected
from devices.codescanner.drivers import EvdevCodeScanner, SerialCodeScanner
from devices.codescanner.framing import Code, Reject, Terminator
from devices.codescanner.simulator import EvdevScannerSim, SerialScannerSim
from devices.simcontrol import ControlServer, request_json
from kiosk.clock import FakeClock

RECEIPT_QR = "https://kiosk.example/q/XD-261122-0042-7?t=9f2c"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serial_sim(tmp_path: Path) -> Iterator[SerialScannerSim]:
    with SerialScannerSim(tmp_path / "scanner-tty") as sim:
        yield sim


@pytest.fixture
def evdev_sim(tmp_path: Path) -> Iterator[EvdevScannerSim]:
    with EvdevScannerSim(tmp_path / "event-scanner") as sim:
        yield sim


def _scanners(kind: str, serial_sim: SerialScannerSim, evdev_sim: EvdevScannerSim,
              clock: FakeClock) -> tuple[object, object]:
    if kind == "serial":
        return serial_sim, SerialCodeScanner(port=serial_sim.port, clock=clock,
                                             poll_interval_s=0.02)
    return evdev_sim, EvdevCodeScanner(path=str(evdev_sim.path), clock=clock,
                                       poll_interval_s=0.02)


@pytest.fixture(params=["serial", "evdev"])
def pair(request: pytest.FixtureRequest, serial_sim: SerialScannerSim,
         evdev_sim: EvdevScannerSim, clock: FakeClock) -> Iterator[tuple[Any, Any]]:
    """(simulator, scanner) of each kind, the scanner closed afterwards."""
    sim, scanner = _scanners(request.param, serial_sim, evdev_sim, clock)
    try:
        yield sim, scanner
    finally:
        scanner.close()


def _poll(scanner: object, n: int = 5) -> list[ScanEvent]:
    out: list[ScanEvent] = []
    for _ in range(n):
        out += scanner.poll_once()
    return out


def test_code_presented_during_a_session_is_reported_once(pair: tuple[Any, Any]) -> None:
    sim, scanner = pair
    heard: list[ScanEvent] = []
    scanner.add_scan_listener(heard.append)
    scanner.poll_once()
    assert scanner.status.state is DeviceState.READY
    scanner.enable()
    sim.present(RECEIPT_QR)
    assert _poll(scanner) == [CodeScanned(Code(RECEIPT_QR))]
    assert heard == [CodeScanned(Code(RECEIPT_QR))]


def test_code_presented_to_an_idle_kiosk_is_dropped(pair: tuple[Any, Any]) -> None:
    sim, scanner = pair
    scanner.poll_once()
    sim.present("SOMEONE-ELSES-CODE")
    assert _poll(scanner) == []
    scanner.enable()
    assert _poll(scanner) == []  # it does not pop up in the next session
    assert scanner.counters.extra["dropped_idle"] == 1


def test_partial_and_garbage_are_rejected_then_a_good_code_reads(pair: tuple[Any, Any],
                                                                 clock: FakeClock) -> None:
    sim, scanner = pair
    scanner.poll_once()
    scanner.enable()
    sim.partial(RECEIPT_QR)
    assert _poll(scanner, 3) == []
    clock.advance(1.0)  # the line stays quiet: the half code is dropped
    assert _poll(scanner, 2) == [ScanRejected(Reject.PARTIAL)]
    sim.garbage()
    events = _poll(scanner)
    assert ScanRejected(Reject.GARBLED) in events
    assert all(not isinstance(e, CodeScanned) or e.code.text == "x" for e in events)
    sim.present("GOOD")
    assert _poll(scanner) == [CodeScanned(Code("GOOD"))]


def test_unplug_then_replug_recovers(pair: tuple[Any, Any], clock: FakeClock) -> None:
    sim, scanner = pair
    scanner.poll_once()
    scanner.enable()
    sim.unplug()
    _poll(scanner, 3)
    status = scanner.status
    assert status.state is DeviceState.UNAVAILABLE
    assert status.reason == "device.reason.codescanner_unplugged"
    clock.advance(2)
    _poll(scanner, 2)
    assert scanner.status.state is DeviceState.UNAVAILABLE
    sim.plug()
    clock.advance(2)
    scanner.poll_once()
    assert scanner.status.state is DeviceState.READY
    sim.present("AGAIN")
    assert _poll(scanner) == [CodeScanned(Code("AGAIN"))]


def test_aim_identifiers_and_crlf_on_serial(serial_sim: SerialScannerSim,
                                            clock: FakeClock) -> None:
    serial_sim.terminator, serial_sim.aim = Terminator.CRLF, "]Q1"
    scanner = SerialCodeScanner(port=serial_sim.port, clock=clock, poll_interval_s=0.02,
                                terminator=Terminator.CRLF, aim_prefix=True)
    try:
        scanner.poll_once()
        scanner.enable()
        serial_sim.present("ZLB-TOKEN-123")
        assert _poll(scanner) == [CodeScanned(Code("ZLB-TOKEN-123", "qr"))]
    finally:
        scanner.close()


def test_control_socket_drives_the_simulator(evdev_sim: EvdevScannerSim, tmp_path: Path,
                                             clock: FakeClock) -> None:
    scanner = EvdevCodeScanner(path=str(evdev_sim.path), clock=clock, poll_interval_s=0.02)
    server = ControlServer(tmp_path / "scanner.sock", evdev_sim.control)
    try:
        scanner.poll_once()
        scanner.enable()
        assert request_json(tmp_path / "scanner.sock", {"op": "present", "code": "VIA-SOCKET"}) \
            == {"ok": True, "plugged": True}
        assert _poll(scanner) == [CodeScanned(Code("VIA-SOCKET"))]
        answer = request_json(tmp_path / "scanner.sock", {"op": "nonsense"})
        assert answer["ok"] is False
    finally:
        server.close()
        scanner.close()


def test_diagnose_reports_symbology_and_length_never_the_code(
        serial_sim: SerialScannerSim, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys
    import threading

    overlay = tmp_path / "scanner.yaml"
    overlay.write_text("devices:\n  codescanner:\n    driver: serial\n"
                       f"    port: {serial_sim.port}\n")
    stop = threading.Event()

    def keep_presenting() -> None:  # pyserial drops what came before it opened the port
        while not stop.wait(0.3):
            serial_sim.present("SECRET-TOKEN-42")

    presenter = threading.Thread(target=keep_presenting)
    presenter.start()
    try:
        done = subprocess.run([sys.executable, "-m", "kiosk.wiring.devicecheck", "codescanner",
                               "--json", "--config", str(overlay), "--wait", "20"],
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        stop.set()
        presenter.join()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["code"]["length"] == len("SECRET-TOKEN-42")
    assert "SECRET" not in done.stdout
    missing = tmp_path / "missing.yaml"
    missing.write_text("devices:\n  codescanner:\n    driver: evdev\n"
                       f"    input_path: {tmp_path / 'no-such-node'}\n")
    done = subprocess.run([sys.executable, "-m", "kiosk.wiring.devicecheck", "codescanner",
                           "--json", "--config", str(missing), "--wait", "1"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and json.loads(done.stdout)["ok"] is False
