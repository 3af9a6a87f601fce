"""scripts/diagnose idcard, the simulator as a process with its control socket, photo decoders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.base import DeviceState
from devices.idcard.base import CardEvent, CardInserted
from devices.idcard.factory import make_reader
from devices.idcard.photo import (
    REASON_DECODER,
    SimJpegTestCodec,
    WltLibrary,
    make_photo_decoder,
)
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command
from devices.idcard.sam import Timeouts
from devices.idcard.sam_serial import SamSerialReader
from devices.idcard.sim_control import apply
from devices.idcard.sim_model import OLD_SAM_ID, SamGeneration
from devices.idcard.simulator import SamSimulator
from devices.simcontrol import request_json
from kiosk.clock import SystemClock
from kiosk.config.model import IdCardConfig
from kiosk.errors import DeviceUnavailable
from kiosk.wiring import devicecheck

ROOT = Path(__file__).resolve().parents[3]
PROFILES = builtin_profiles()


def test_diagnose_reads_a_card_and_masks_it(sim: SamSimulator,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    sim.model.place(PROFILES["resident"])
    code = devicecheck.main(["idcard", "--json", "--port", sim.port, "--wait", "0"])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert code == 0 and report["ok"]
    assert report["sam_id"] == sim.model.sam_id
    full = PROFILES["resident"].fields["id_number"]
    assert full not in out and PROFILES["resident"].fields["name"] not in out
    assert report["card"]["id_number"] == full[:6] + "********" + full[-4:]
    assert set(report["timings_ms"]) == {"open_and_status", "sam_id", "find", "select_and_read"}


def test_diagnose_without_card_and_without_reader(sim: SamSimulator, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert devicecheck.main(["idcard", "--port", sim.port, "--wait", "0"]) == 0
    assert "card: None" in capsys.readouterr().out
    assert devicecheck.main(["idcard", "--json", "--port", str(tmp_path / "none"),
                             "--wait", "0"]) == 1
    assert json.loads(capsys.readouterr().out)["i18n_key"] == "error.device_unavailable"


def test_simulator_process_with_control_socket(tmp_path: Path) -> None:
    link, sock = tmp_path / "tty", tmp_path / "ctl.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.idcard.simulator", "--link", str(link),
         "--control", str(sock)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader = None
    try:
        deadline = time.monotonic() + 20
        while not (sock.exists() and link.exists()) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        events: list[CardEvent] = []
        reader = SamSerialReader(clock=SystemClock(), port=str(link), timeouts=Timeouts(0.3, 1))
        reader.add_card_listener(events.append)
        reader.enable()
        reader.poll_once()
        assert reader.status.ready
        assert request_json(sock, {"op": "place", "profile": "rare_astral"})["ok"]
        reader.poll_once()
        assert isinstance(events[0], CardInserted) and events[0].identity.name == "𠮷田花"
        assert request_json(sock, {"op": "unplug"})["plugged"] is False
        reader.poll_once()
        assert reader.status.state is DeviceState.UNAVAILABLE
    finally:
        if reader is not None:
            reader.close()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)   # also closes the pipes
    assert proc.returncode == 0
    assert not link.exists() and not sock.exists()


def test_photo_decoder_selection(tmp_path: Path) -> None:
    assert make_photo_decoder("") is None
    assert isinstance(make_photo_decoder("sim-jpeg"), SimJpegTestCodec)
    lib = make_photo_decoder(str(tmp_path / "libwlt.so"))
    assert isinstance(lib, WltLibrary)
    with pytest.raises(DeviceUnavailable) as info:   # loaded lazily, fails on first use
        lib.decode(bytes(1024))
    assert info.value.i18n_key == REASON_DECODER


def test_wlt_library_missing_symbol() -> None:
    libc = WltLibrary("libc.so.6", symbol="no_such_wlt_function")
    with pytest.raises(DeviceUnavailable):
        libc.decode(bytes(1024))


def test_sim_jpeg_round_trip_and_limits() -> None:
    jpeg = b"\xff\xd8" + bytes(500) + b"\xff\xd9"
    field = SimJpegTestCodec.embed(jpeg)
    assert len(field) == 1024
    assert SimJpegTestCodec().decode(field) == jpeg
    with pytest.raises(ValueError):
        SimJpegTestCodec.embed(b"\xff\xd8" + bytes(1100))
    with pytest.raises(DeviceUnavailable):
        SimJpegTestCodec().decode(PROFILES["resident"].photo_bytes())


def test_make_reader_from_config() -> None:
    assert make_reader(IdCardConfig(driver="none"), clock=SystemClock()) is None
    reader = make_reader(IdCardConfig(port="var/run/idcard-tty", photo_decoder="sim-jpeg"),
                         clock=SystemClock())
    assert reader is not None and reader.port.endswith("var/run/idcard-tty")
    assert reader.diagnostics()["photo_decoder"] == "sim-jpeg"


FACE = Path("/usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg")


@pytest.mark.skipif(not FACE.exists(), reason="Debian's facedetect package ships the photo")
def test_test_photo_travels_through_the_pty_to_the_decoder(sim: SamSimulator,
                                                          tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from devices.idcard.sim_control import control_server

    server = control_server(sim, tmp_path / "ctl.sock")
    events: list[CardEvent] = []
    reader = SamSerialReader(clock=SystemClock(), port=sim.port, timeouts=Timeouts(0.3, 1),
                             photo_decoder=SimJpegTestCodec())
    reader.add_card_listener(events.append)
    reader.enable()
    try:
        assert request_json(server.path, {"op": "place", "profile": "resident",
                                          "photo_jpeg": str(FACE)})["ok"]
        reader.poll_once()
        assert isinstance(events[0], CardInserted) and events[0].photo_reason is None
        image = cv2.imdecode(np.frombuffer(events[0].identity.photo_bmp, np.uint8),
                             cv2.IMREAD_COLOR)
        assert image.shape[:2] == (126, 102)
    finally:
        reader.close()
        server.close()


STUB_WLT = r"""
/* A stand-in for a vendor WLT library with the ABI WltLibrary expects. It does not
   decode anything: it writes a valid 102x126 24-bit BMP header and a grey body,
   or fails (returns 0) when the photo field starts with 0xFF. */
#include <string.h>
int unpack(char *wlt, char *bmp, int save) {
    (void)save;
    if ((unsigned char)wlt[0] == 0xFF) return 0;
    memset(bmp, 0x80, 38862);
    unsigned char h[54] = {'B','M', 0xCE,0x97,0,0, 0,0,0,0, 54,0,0,0, 40,0,0,0,
                           102,0,0,0, 126,0,0,0, 1,0, 24,0};
    memcpy(bmp, h, 54);
    return 1;
}
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler for the stub library")
def test_wlt_library_adapter_calls_the_vendor_abi(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    src = tmp_path / "wlt.c"
    src.write_text(STUB_WLT)
    lib = tmp_path / "libwlt.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True,
                   timeout=60)
    decoder = WltLibrary(str(lib))
    bmp = decoder.decode(PROFILES["resident"].photo_bytes())
    image = cv2.imdecode(np.frombuffer(bmp, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (126, 102, 3)
    with pytest.raises(DeviceUnavailable, match="returned 0"):
        decoder.decode(b"\xff" + bytes(1023))


def test_diagnose_on_an_old_sam_reads_the_card_and_says_30_03_is_unsupported(
        sim: SamSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    apply(sim, {"op": "sam_generation", "generation": "old"})
    sim.model.place(PROFILES["elderly"])
    code = devicecheck.main(["idcard", "--json", "--port", sim.port, "--wait", "0"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"], report.get("error")
    assert report["sam_id"] == OLD_SAM_ID
    assert report["card"]["name"] == "赵**"
    assert report["card"]["appended_addresses"] == 0
    assert report["appended_address_read"].startswith("not supported")


def test_reader_on_an_old_sam_reads_every_card_and_asks_30_03_once(sim: SamSimulator) -> None:
    sim.model.set_generation(SamGeneration.OLD)
    events: list[CardEvent] = []
    reader = SamSerialReader(clock=SystemClock(), port=sim.port, timeouts=Timeouts(0.3, 1))
    reader.add_card_listener(events.append)
    try:
        reader.enable()
        reader.poll_once()
        for _ in range(2):
            sim.model.place(PROFILES["elderly"])
            reader.poll_once()
            sim.model.remove()
            reader.poll_once()
        inserted = [ev for ev in events if isinstance(ev, CardInserted)]
        assert [ev.identity.name for ev in inserted] == ["赵桂英", "赵桂英"]
        # Asked (with the client's retries) for the first card only.
        assert sim.model.requests.count(Command.READ_APPENDED_ADDRESS) == 3
        assert reader.diagnostics()["appended_address_read"] == "not supported by this SAM"
    finally:
        reader.close()
