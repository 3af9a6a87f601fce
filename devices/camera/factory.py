"""Build a camera from its config section (``devices.camera`` / ``devices.doccam``).

``source`` is what ``cv2.VideoCapture`` understands (an index such as ``"0"``,
``/dev/video2``, a video file, an ``rtsp://`` URL), or a simulator spec that
``scripts/run`` writes into its overlay:

* ``sim:dir:PATH``  the newest image dropped into PATH (see DirectoryScene);
* ``sim:doc:SEED``  a synthetic page on a desk;
* ``sim:file:PATH`` an image file (shown as a still) or a video file (looped).
"""

from __future__ import annotations

from devices.base import resolve_path
from devices.camera.base import Camera
from devices.camera.opencv import CaptureFactory, OpenCVCamera
from devices.camera.scenes import document_scene
from devices.camera.simulator import (
    IMAGE_SUFFIXES,
    DirectoryScene,
    Scene,
    SimulatorFactory,
    StillScene,
    VideoFileScene,
)
from devices.camera.sources import check_source
from devices.settings import CameraConfig
from kiosk.clock import Clock


def simulator_scene(spec: str, size: tuple[int, int]) -> Scene:
    check_source(spec)
    kind, _, arg = spec.removeprefix("sim:").partition(":")
    if kind == "dir":
        return DirectoryScene(resolve_path(arg), size=size)
    if kind == "doc":
        return document_scene(int(arg or "0"), size=size)
    if kind == "file":
        path = resolve_path(arg)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return StillScene([path], size=size)
        return VideoFileScene(path)
    raise AssertionError(kind)  # check_source knows every kind above


def make_camera(config: CameraConfig, *, clock: Clock, name: str = "camera",
                capture_factory: CaptureFactory | None = None) -> Camera | None:
    """None when the driver is ``none`` (the site has no such camera)."""
    if config.driver == "none":
        return None
    factory = capture_factory
    if factory is None and config.source.startswith("sim:"):
        scene = simulator_scene(config.source, (config.width, config.height))
        factory = SimulatorFactory(scene, clock=clock, fps=config.fps)
    return OpenCVCamera(name, config.source, clock=clock, width=config.width,
                        height=config.height, fps=config.fps,
                        frozen_after_s=config.frozen_after_s, capture_factory=factory)


