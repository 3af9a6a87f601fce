"""scripts/diagnose camera and the config factory, on simulator sources."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.camera.factory import make_camera, simulator_scene
from devices.camera.simulator import DirectoryScene, StillScene
from kiosk.clock import FakeClock
from kiosk.config.model import CameraConfig
from kiosk.errors import ConfigError
from kiosk.wiring import devicecheck


def test_diagnose_on_a_simulated_document_camera() -> None:
    code, report = devicecheck.run_camera(["--which", "doccam", "--source", "sim:doc:3",
                                           "--frames", "3", "--json"])
    assert code == 0, report
    assert report["frames"] == 3
    assert report["shape"] == [1080, 1920, 3]
    assert report["status"]["state"] == "ready"


def test_diagnose_reports_a_missing_camera(tmp_path: Path) -> None:
    code, report = devicecheck.run_camera(["--source", str(tmp_path / "none.avi"),
                                           "--seconds", "0.3", "--json"])
    assert code == 1
    assert report["status"]["reason"] == "device.reason.camera_unplugged"
    assert report["face_models"]["ok"]


def test_factory_specs(tmp_path: Path) -> None:
    assert isinstance(simulator_scene(f"sim:dir:{tmp_path}", (64, 48)), DirectoryScene)
    picture = tmp_path / "face.png"
    cv2.imwrite(str(picture), np.full((48, 64, 3), 128, np.uint8))
    assert isinstance(simulator_scene(f"sim:file:{picture}", (64, 48)), StillScene)
    with pytest.raises(ConfigError):
        simulator_scene("sim:nonsense", (64, 48))
    assert make_camera(CameraConfig(driver="none"), clock=FakeClock()) is None
    camera = make_camera(CameraConfig(source=f"sim:file:{picture}"), clock=FakeClock())
    assert camera is not None
    camera.open_without_thread()
    camera.enable()
    frame = camera.poll_once()
    assert frame is not None and frame.image.shape == (480, 640, 3)
