"""The real OpenCV driver and Camera base against the simulator (and real files)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.base import DeviceState
from devices.camera.base import REASON_BLACK, REASON_FROZEN, REASON_UNPLUGGED
from devices.camera.opencv import OpenCVCamera, parse_source
from devices.camera.simulator import (
    DirectoryScene,
    SimFaults,
    SimulatorFactory,
    StillScene,
    VideoFileScene,
)
from kiosk.clock import FakeClock, SystemClock
from kiosk.errors import CameraError, DeviceTimeout, DeviceUnavailable


def _picture(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(30, 220, (120, 160, 3), dtype=np.uint8)


def _camera(clock: FakeClock, faults: SimFaults | None = None, **kw: object
            ) -> tuple[OpenCVCamera, SimulatorFactory]:
    factory = SimulatorFactory(StillScene([_picture()]), clock=clock, faults=faults, fps=25)
    camera = OpenCVCamera("face", "0", clock=clock, capture_factory=factory,
                          frozen_after_s=2.0, **kw)  # type: ignore[arg-type]
    camera.open_without_thread()
    camera.enable()
    return camera, factory


def test_parse_source() -> None:
    assert parse_source("0") == 0
    assert parse_source(" 2 ") == 2
    assert parse_source("/dev/video1") == "/dev/video1"
    assert parse_source("rtsp://cam/stream") == "rtsp://cam/stream"


def test_latest_frame_not_a_queue() -> None:
    clock = FakeClock()
    camera, _ = _camera(clock)
    for _ in range(5):
        camera.poll_once()
    frame = camera.latest(timeout=0)
    assert frame.seq == 5 and frame.image.shape == (120, 160, 3)
    with pytest.raises(DeviceTimeout):
        camera.latest(timeout=0.01, after_seq=5)
    camera.poll_once()
    assert camera.latest(timeout=0, after_seq=5).seq == 6
    assert camera.status.state is DeviceState.READY
    assert camera.diagnostics()["counters"]["frames"] == 6


def test_frames_are_stamped_with_the_injected_clock() -> None:
    clock = FakeClock()
    camera, _ = _camera(clock)
    first = camera.poll_once()
    second = camera.poll_once()
    assert first is not None and second is not None
    # the simulator paces at 25 fps with clock.sleep, which FakeClock makes instant
    assert second.t - first.t == pytest.approx(0.04)


def test_disabled_camera_reads_nothing_and_forgets_its_frame() -> None:
    clock = FakeClock()
    camera, factory = _camera(clock)
    camera.poll_once()
    camera.disable()
    reads = factory.captures[0].reads
    assert camera.poll_once() is None
    assert factory.captures[0].reads == reads
    with pytest.raises(CameraError):
        camera.latest(timeout=0)
    camera.enable()
    with pytest.raises(DeviceTimeout):
        camera.latest(timeout=0)  # the frame from before disable() is gone


def test_frozen_frames_make_the_camera_unavailable_and_it_recovers() -> None:
    clock = FakeClock()
    camera, factory = _camera(clock)
    seen: list[str | None] = []
    camera.add_listener(lambda _d, status: seen.append(status.reason))
    camera.poll_once()
    factory.faults.frozen = True
    for _ in range(60):  # 2.4 s of identical frames
        camera.poll_once()
    assert camera.status.state is DeviceState.UNAVAILABLE
    assert camera.status.reason == REASON_FROZEN
    with pytest.raises(DeviceUnavailable):
        camera.latest(timeout=0.01, after_seq=1)
    factory.faults.frozen = False
    assert camera.poll_once() is not None
    assert camera.status.ready
    assert seen == [REASON_FROZEN, None]
    assert camera.diagnostics()["counters"]["frozen_events"] == 1


def test_no_new_frame_for_too_long_is_frozen() -> None:
    clock = FakeClock()
    camera, _ = _camera(clock)
    camera.poll_once()
    clock.advance(2.5)  # the capture thread is stuck inside a read
    with pytest.raises(DeviceUnavailable):
        camera.latest(timeout=0.01, after_seq=1)
    assert camera.status.reason == REASON_FROZEN


def test_slow_frames_below_the_limit_are_fine() -> None:
    clock = FakeClock()
    camera, factory = _camera(clock)
    factory.faults.slow_s = 0.5
    frames = [camera.poll_once() for _ in range(3)]
    assert all(f is not None for f in frames)
    assert frames[2].t - frames[1].t == pytest.approx(0.5)  # type: ignore[union-attr]
    assert camera.status.ready


def test_unplug_then_replug() -> None:
    clock = FakeClock()
    camera, factory = _camera(clock, reopen_interval_s=1.0)
    camera.poll_once()
    factory.faults.unplugged = True
    for _ in range(5):
        camera.poll_once()
    assert camera.status.state is DeviceState.UNAVAILABLE
    assert camera.status.reason == REASON_UNPLUGGED
    assert not factory.captures[0].isOpened()  # released
    factory.faults.unplugged = False
    assert camera.poll_once() is None  # too early to reopen
    clock.advance(1.0)
    frame = camera.poll_once()
    assert frame is not None and camera.status.ready
    assert len(factory.captures) == 2
    assert camera.diagnostics()["counters"]["reopens"] == 1


def test_no_camera_at_open() -> None:
    clock = FakeClock()
    camera, factory = _camera(clock, faults=SimFaults(no_camera=True))
    assert camera.status.reason == REASON_UNPLUGGED
    assert "cannot be opened" in camera.status.detail
    factory.faults.no_camera = False
    clock.advance(1.0)
    assert camera.poll_once() is not None


def test_black_frames() -> None:
    clock = FakeClock()
    camera, factory = _camera(clock)
    camera.poll_once()
    factory.faults.black = True
    for _ in range(60):
        camera.poll_once()
    assert camera.status.reason == REASON_BLACK
    factory.faults.black = False
    camera.poll_once()
    assert camera.status.ready


def test_corrupt_frames_are_read_failures_not_pictures() -> None:
    clock = FakeClock()
    camera, factory = _camera(clock)
    factory.faults.corrupt_frames = 2
    assert camera.poll_once() is None
    assert camera.poll_once() is None
    frame = camera.poll_once()
    assert frame is not None and frame.seq == 1
    assert camera.status.ready
    assert camera.diagnostics()["counters"]["read_failures"] == 2


def test_capture_thread_delivers_newer_frames() -> None:
    clock = SystemClock()
    factory = SimulatorFactory(StillScene([_picture()]), clock=clock, fps=100)
    camera = OpenCVCamera("face", "0", clock=clock, capture_factory=factory, fps=100)
    camera.open()
    try:
        camera.enable()
        first = camera.latest(timeout=5)
        second = camera.latest(timeout=5, after_seq=first.seq)
        assert second.seq > first.seq
        camera.disable()
        with pytest.raises(CameraError):
            camera.latest(timeout=0.01)
    finally:
        camera.close()
    assert camera.status.state is DeviceState.UNAVAILABLE


def _write_video(path: Path, frames: int = 12) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (160, 120))
    assert writer.isOpened()
    for i in range(frames):
        picture = _picture(i)
        writer.write(picture)
    writer.release()


def test_real_videocapture_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    _write_video(path)
    clock = FakeClock()
    camera = OpenCVCamera("doc", str(path), clock=clock, max_read_failures=3)
    camera.open_without_thread()
    camera.enable()
    frames = [camera.poll_once() for _ in range(12)]
    assert all(f is not None for f in frames)
    # the file ends: reads fail and the driver reports the source as gone
    for _ in range(3):
        camera.poll_once()
    assert camera.status.reason == REASON_UNPLUGGED
    camera.close()


def test_missing_file_source_is_unavailable(tmp_path: Path) -> None:
    camera = OpenCVCamera("doc", str(tmp_path / "nope.avi"), clock=FakeClock())
    camera.open_without_thread()
    assert camera.status.state is DeviceState.UNAVAILABLE
    assert camera.status.reason == REASON_UNPLUGGED


def test_video_file_scene(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    _write_video(path, frames=5)
    scene = VideoFileScene(path)
    assert scene.render(0.0).shape == (120, 160, 3)
    assert not np.array_equal(scene.render(0.0), scene.render(0.04))


def test_directory_scene_shows_the_newest_file(tmp_path: Path) -> None:
    scene = DirectoryScene(tmp_path, size=(160, 120), rescan_s=0.5)
    empty = scene.render(0.0)
    assert empty.shape == (120, 160, 3)
    cv2.imwrite(str(tmp_path / "a.png"), _picture(7))
    assert np.array_equal(scene.render(0.1), empty)  # not rescanned yet
    shown = scene.render(0.6)
    assert not np.array_equal(shown, empty)
    assert np.abs(shown.astype(int) - _picture(7).astype(int)).mean() < 3

