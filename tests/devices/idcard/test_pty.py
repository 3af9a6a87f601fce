"""End to end through a real pseudo-terminal at 115200 baud: the real pyserial driver
against the simulator, for every card profile and the line faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import DeviceState
from devices.idcard.base import CardEvent, CardFailed, CardInserted, CardRemoved
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command
from devices.idcard.sam import Timeouts
from devices.idcard.sam_serial import SamSerialReader, candidate_ports
from devices.idcard.sim_control import control_server
from devices.idcard.sim_model import Fault, FaultKind
from devices.idcard.simulator import SamSimulator, wire_time
from devices.idcard.text import decode_text
from devices.simcontrol import request_json
from kiosk.clock import SystemClock

PROFILES = builtin_profiles()
Reader = tuple[SamSerialReader, list[CardEvent]]


def make_reader(port: str, events: list[CardEvent] | None = None,
                **kw: object) -> SamSerialReader:
    r = SamSerialReader(clock=SystemClock(), port=port,
                        timeouts=Timeouts(0.3, 0.6), **kw)  # type: ignore[arg-type]
    if events is not None:
        r.add_card_listener(events.append)
    r.enable()
    return r


@pytest.fixture
def pty_reader(sim: SamSimulator) -> Iterator[Reader]:
    """The serial driver on the simulator's pty, enabled, with the card events it sends."""
    events: list[CardEvent] = []
    reader = make_reader(sim.port, events)
    yield reader, events
    reader.close()


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_card_placed_to_identity(sim: SamSimulator, pty_reader: Reader, key: str) -> None:
    reader, events = pty_reader
    reader.poll_once()
    assert reader.status.state is DeviceState.READY
    sim.model.place(PROFILES[key])
    reader.poll_once()
    assert len(events) == 1 and isinstance(events[0], CardInserted), events
    got = events[0].identity
    assert got == decode_text(PROFILES[key].text(), photo_wlt=PROFILES[key].photo_bytes(),
                              appended_addresses=PROFILES[key].appended_addresses)
    # At 115200 8N1 the 1295-byte read answer alone takes 112 ms on the wire.
    assert events[0].read_s >= wire_time(1295, 115200)


@pytest.mark.parametrize("kind", [FaultKind.BAD_CHECKSUM, FaultKind.TRUNCATE,
                                  FaultKind.GARBAGE, FaultKind.DELAY])
def test_line_faults_on_the_pty(sim: SamSimulator, pty_reader: Reader, kind: FaultKind) -> None:
    reader, events = pty_reader
    reader.poll_once()
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(kind, command=Command.READ_TEXT_PHOTO, delay_s=0.2))
    reader.poll_once()
    assert isinstance(events[0], CardInserted)
    assert reader.status.ready


@pytest.mark.parametrize(("command", "sw3", "error_key"), [
    (Command.SELECT_CARD, 0x81, "idcard.error.no_card"),
    (Command.READ_TEXT_PHOTO, 0x41, "idcard.error.read_failed"),
    (Command.SELECT_CARD, 0x40, "idcard.error.unknown_card"),
])
def test_card_failures_on_the_pty(sim: SamSimulator, pty_reader: Reader, command: Command,
                                  sw3: int, error_key: str) -> None:
    reader, events = pty_reader
    reader.poll_once()
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(FaultKind.STATUS, command=command, sw3=sw3))
    reader.poll_once()
    assert isinstance(events[0], CardFailed) and events[0].error.i18n_key == error_key
    reader.poll_once()
    assert isinstance(events[1], CardInserted)


def test_card_removed_mid_read_on_the_pty(sim: SamSimulator, pty_reader: Reader) -> None:
    reader, events = pty_reader
    reader.poll_once()
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(FaultKind.REMOVE_MID_READ))
    reader.poll_once()
    assert isinstance(events[0], CardFailed) and not events[0].final
    reader.poll_once()
    assert len(events) == 1 and reader.status.ready   # empty field: nothing more to say


def test_find_failure_means_no_card(sim: SamSimulator, pty_reader: Reader) -> None:
    reader, events = pty_reader
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(FaultKind.STATUS, command=Command.FIND_CARD, sw3=0x80))
    reader.poll_once()
    assert events == []
    reader.poll_once()
    assert isinstance(events[0], CardInserted)


def test_sam_not_authorised_on_the_pty(sim: SamSimulator) -> None:
    sim.model.set_sam_status(0x66)
    reader = make_reader(sim.port)
    try:
        reader.poll_once()
        assert reader.status.state is DeviceState.UNAVAILABLE
        assert reader.status.reason == "device.reason.idcard_sam_unauthorised"
    finally:
        reader.close()


def test_auto_probe_finds_the_sam_among_dead_ports(sim: SamSimulator, tmp_path: Path) -> None:
    silent = SamSimulator(tmp_path / "silent")
    silent.plug()
    silent.model.inject(Fault(FaultKind.SILENT, count=-1))
    ports = [str(tmp_path / "missing"), silent.port, sim.port]
    reader = SamSerialReader(clock=SystemClock(), port="auto", list_ports=lambda: list(ports),
                             timeouts=Timeouts(0.1, 0.5))
    try:
        reader.poll_once()
        assert reader.status.ready
        assert reader.found_port == sim.port
        assert reader.diagnostics()["sam_id"] == sim.model.sam_id
    finally:
        reader.close()
        silent.unplug()


def test_candidate_ports_order() -> None:
    fake = {"/dev/ttyUSB*": ["/dev/ttyUSB1", "/dev/ttyUSB0"], "/dev/ttyACM*": ["/dev/ttyACM0"],
            "/dev/ttyS*": ["/dev/ttyS0"]}
    assert candidate_ports(lambda p: fake[p]) == [
        "/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyACM0", "/dev/ttyS0"]


def test_control_socket_places_and_removes(sim: SamSimulator, tmp_path: Path) -> None:
    server = control_server(sim, tmp_path / "ctl.sock")
    events: list[CardEvent] = []
    reader = make_reader(sim.port, events)
    try:
        assert "resident" in request_json(server.path, {"op": "profiles"})["profiles"]
        placed = request_json(server.path, {"op": "place", "profile": "long_term"})
        assert placed["card"] == "long_term"
        reader.poll_once()
        assert isinstance(events[0], CardInserted) and events[0].identity.long_term
        request_json(server.path, {"op": "remove"})
        reader.poll_once()
        assert isinstance(events[1], CardRemoved)
        assert request_json(server.path, {"op": "place", "profile": "nobody"})["ok"] is False
        request_json(server.path, {"op": "fault", "kind": "status", "command": "find_card",
                                   "sw3": 0x80})
        assert request_json(server.path, {"op": "state"})["faults"] == ["status"]
    finally:
        reader.close()
        server.close()


def test_hot_unplug_and_replug(sim: SamSimulator) -> None:
    """Behaviour deadlines from the spec (2 s each), with real threads and time."""
    before = set(threading.enumerate())
    events: list[CardEvent] = []
    changes: list[tuple[float, DeviceState]] = []
    reader = make_reader(sim.port, events)
    reader.add_listener(lambda _d, s: changes.append((time.monotonic(), s.state)))
    sim.model.place(PROFILES["resident"])
    reader.open()
    try:
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            time.sleep(0.02)
        assert isinstance(events[0], CardInserted)

        t_unplug = time.monotonic()
        sim.unplug()
        while reader.status.state is not DeviceState.UNAVAILABLE \
                and time.monotonic() < t_unplug + 3:
            time.sleep(0.01)
        assert reader.status.state is DeviceState.UNAVAILABLE
        assert time.monotonic() - t_unplug < 2.0
        assert reader.status.reason == "device.reason.idcard_unplugged"
        assert isinstance(events[-1], CardRemoved)

        time.sleep(0.3)                      # unplugged for a while: it stays unavailable
        assert reader.status.state is DeviceState.UNAVAILABLE
        t_replug = time.monotonic()
        sim.plug()
        while not reader.status.ready and time.monotonic() < t_replug + 3:
            time.sleep(0.01)
        assert reader.status.ready
        assert time.monotonic() - t_replug < 2.0
    finally:
        reader.close()
        sim.unplug()   # the replugged pty's thread is the simulator's, not the driver's
    assert set(threading.enumerate()) - before == set(), "leaked threads"


def _open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


@pytest.mark.slow
def test_repeated_unplug_cycles_leak_neither_threads_nor_descriptors(sim: SamSimulator) -> None:
    reader = make_reader(sim.port)
    reader.poll_once()
    assert reader.status.ready
    threads, fds = set(threading.enumerate()), _open_fds()
    for _ in range(5):
        sim.unplug()
        reader.poll_once()
        assert reader.status.state is DeviceState.UNAVAILABLE
        sim.plug()
        time.sleep(0.55)          # the reader's reopen interval
        reader.poll_once()
        assert reader.status.ready
    assert _open_fds() == fds
    assert {t.name for t in threading.enumerate()} == {t.name for t in threads}
    reader.close()
