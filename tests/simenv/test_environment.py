"""simenv/environment.py: the simulated terminal with real drivers on the far side of real
transports (pty, TCP, image files, vpcd), controlled through its API and its socket.

One environment per module (start-up is a few interpreter starts); each test
leaves it as it found it (no card, printer OK, back office up, no scene)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.base import DeviceState, MediaStatus
from devices.camera.base import Camera
from devices.idcard.base import CardEvent, CardInserted, CardRemoved, IdCardReader
from devices.printer.base import ReceiptPrinter
from kiosk.config.model import load_config
from kiosk.errors import SimulationError
from kiosk.receipts import ReceiptCatalog, TestPageInput, build_test_page
from kiosk.submission.reference import EXAMPLE_PREFIX, simulated_prefix
from kiosk.wiring.devices import DeviceSet
from simenv.environment import SimEnvironment
from simenv.procs import request_json
from tests.waiting import Recorder, wait_until

WAIT_S = 10.0


def test_overlay_gives_every_device_ready(env: SimEnvironment, devices: DeviceSet) -> None:
    assert set(devices) == {"idcard", "sscard", "printer", "camera", "doccam", "scanner",
                            "codescanner"}
    for kind, status in devices.statuses().items():
        if kind == "sscard" and not env.sscard.get("available"):
            # pcscd cannot run here: unavailable, and the environment says why.
            assert status.state is DeviceState.UNAVAILABLE and status.reason, env.sscard
            assert env.sscard["reason"] and env.sscard["detail"]
            continue
        assert status.state is DeviceState.READY, (kind, status)
    assert env.overlay.exists() and env.describe()["backoffice"]["url"] == env.backoffice_url


def test_place_card_reports_the_identity_with_its_test_photo(env: SimEnvironment,
                                                             devices: DeviceSet) -> None:
    reader = devices["idcard"]
    assert isinstance(reader, IdCardReader)
    seen: Recorder[CardEvent] = Recorder()
    reader.add_card_listener(seen)
    reader.enable()
    env.place_card("rare_bmp")
    assert seen.wait_for(lambda events: any(isinstance(e, CardInserted) for e in events),
                         WAIT_S)
    inserted = next(e for e in seen.items if isinstance(e, CardInserted))
    assert inserted.identity.name == "刘䶮"
    assert inserted.identity.id_number.startswith("33010419950606")
    if env.scenes is not None and env.scenes.card_photo is not None:
        assert inserted.photo_reason is None and inserted.identity.photo_bmp
        # The simulator re-encodes it to fit the field: the same picture, not the same bytes.
        got = cv2.imdecode(np.frombuffer(inserted.identity.photo_bmp, np.uint8),
                           cv2.IMREAD_GRAYSCALE)
        sent = cv2.imread(str(env.scenes.card_photo), cv2.IMREAD_GRAYSCALE)
        assert got is not None and sent is not None and got.shape == sent.shape == (126, 102)
        assert float(np.abs(got.astype(np.int16) - sent).mean()) < 12
    env.remove_card()
    assert seen.wait_for(lambda events: isinstance(events[-1], CardRemoved), WAIT_S)


def test_card_unplug_and_replug(env: SimEnvironment, devices: DeviceSet) -> None:
    reader = devices["idcard"]
    env.card_fault("unplug")
    try:
        assert wait_until(lambda: reader.status.state is DeviceState.UNAVAILABLE)
        assert reader.status.reason == "device.reason.idcard_unplugged"
    finally:
        env.card_fault("replug")
    assert wait_until(lambda: reader.status.ready)
    with pytest.raises(SimulationError, match="unknown card fault"):
        env.card_fault("melted")


def test_printed_receipt_appears_as_png_and_faults_reach_the_driver(
        env: SimEnvironment, devices: DeviceSet) -> None:
    printer = devices["printer"]
    assert isinstance(printer, ReceiptPrinter)
    before = len(env.receipts())
    page = build_test_page(TestPageInput(terminal_id=env.terminal_id, printer_name="sim",
                                         printed_at=datetime.now(UTC)),
                           ReceiptCatalog("zh_CN"))
    result = printer.print_document(page)
    assert result.ok, result.error
    assert wait_until(lambda: len(env.receipts()) == before + 1)
    png = cv2.imread(str(env.receipts()[-1]), cv2.IMREAD_GRAYSCALE)
    assert png is not None and png.shape[1] >= 576 and (png < 128).any()  # 80 mm: 576 dots
    env.printer_fault("paper_out")
    status = printer.refresh_status()
    assert status.state is DeviceState.UNAVAILABLE and status.media is MediaStatus.EMPTY
    env.printer_ok()
    assert printer.refresh_status().ready


def test_camera_scenes_reach_the_real_driver(env: SimEnvironment, devices: DeviceSet) -> None:
    camera = devices["doccam"]
    assert isinstance(camera, Camera)
    camera.enable()
    try:
        blank = camera.latest(timeout=WAIT_S).image
        env.camera_scene("doccam", "document")

        def page_shown() -> bool:
            frame = camera.latest(timeout=WAIT_S).image
            return float(np.abs(frame.astype(np.int16) - blank).mean()) > 20

        assert wait_until(page_shown)
        env.camera_scene("doccam", "covered")  # lens covered: black frames
        assert wait_until(lambda: camera.status.reason == "device.reason.camera_black")
        env.camera_scene("doccam", "none")
        assert wait_until(lambda: camera.status.ready)
    finally:
        camera.disable()
        env.camera_scene("doccam", "none")
    with pytest.raises(SimulationError, match="unknown doccam scene"):
        env.camera_scene("doccam", "holder")


def test_control_socket(env: SimEnvironment) -> None:
    state = request_json(env.control_socket, {"op": "state"})
    assert state["ok"] and state["result"]["overlay"] == str(env.overlay)
    placed = request_json(env.control_socket, {"op": "place_card", "profile": "elderly"})
    assert placed["ok"] and placed["result"]["card"] == "elderly"
    assert request_json(env.control_socket, {"op": "remove_card"})["ok"]
    bad = request_json(env.control_socket, {"op": "explode"})
    assert not bad["ok"] and "unknown op" in bad["error"]
    assert oct(env.control_socket.stat().st_mode & 0o777) == "0o600"


def test_children_stop_on_exit_even_after_an_exception() -> None:
    pids: list[int] = []
    with pytest.raises(RuntimeError, match="boom"), SimEnvironment(control_socket=False) as sim:
        pids = [p["pid"] for p in sim.describe()["processes"].values() if p["pid"]]
        directory = sim.dir
        raise RuntimeError("boom")
    assert len(pids) >= 3
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not directory.exists()  # a temporary directory is removed


@pytest.mark.pcsc
def test_virtual_social_security_card_through_pcscd(env: SimEnvironment,
                                                     devices: DeviceSet) -> None:
    if not env.sscard.get("available"):
        pytest.skip(f"pcscd cannot run here: {env.sscard.get('detail')}")
    reader = devices["sscard"]
    seen: Recorder[object] = Recorder()
    reader.add_card_listener(seen)  # type: ignore[attr-defined]
    reader.enable()
    env.place_sscard()
    try:
        assert seen.wait_for(lambda events: any(isinstance(e, CardInserted) for e in events),
                             WAIT_S), seen.items
    finally:
        env.remove_sscard()
    assert seen.wait_for(lambda events: isinstance(events[-1], CardRemoved), WAIT_S), \
        seen.items


def test_pcscd_that_cannot_run_is_a_reason_not_a_failure(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from simenv import pcsc as simenv_pcsc

    monkeypatch.setattr(simenv_pcsc, "_readers", lambda: None)  # no PC/SC service answers
    monkeypatch.setattr(simenv_pcsc.shutil, "which", lambda _name: None)
    sim = simenv_pcsc.PcscSim(tmp_path)
    status = sim.start(timeout_s=1.0)
    assert status == {"available": False, "reason": "device.reason.sscard_no_service",
                      "detail": status["detail"]} and "not installed" in status["detail"]
    with pytest.raises(SimulationError, match="no simulated 社保卡 reader"):
        sim.place()
    sim.stop()


def test_the_simulated_terminal_is_registered_with_its_own_reference_prefix(
        env: SimEnvironment) -> None:
    config = load_config(overlays=(env.overlay,))
    assert config.terminal.simulated
    assert config.terminal.ref_prefix == simulated_prefix(config.terminal.id) != EXAMPLE_PREFIX
    listed = json.loads(env.backoffice_cli("terminal", "list"))
    assert {"id": config.terminal.id, "ref_prefix": config.terminal.ref_prefix} in [
        {"id": t["id"], "ref_prefix": t["ref_prefix"]} for t in listed["terminals"]]
