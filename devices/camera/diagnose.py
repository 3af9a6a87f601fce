"""Can the kiosk see through a camera?
(``scripts/diagnose camera``, run by ``kiosk.wiring.devicecheck``)

Opens the camera, enables it for a few seconds, counts frames and reports the
frame rate, the resolution it actually got, the mean brightness and whether it
is frozen, black or unplugged. No frame is ever written anywhere (privacy): only
numbers are reported.
"""

from __future__ import annotations

from typing import Any

from devices.camera.base import Camera
from devices.camera.factory import make_camera
from devices.settings import CameraConfig
from kiosk.clock import Clock
from kiosk.errors import DeviceError


def probe(camera: Camera, clock: Clock, frames: int, seconds: float) -> dict[str, Any]:
    camera.open()
    camera.enable()
    got = 0
    first_t = last_t = None
    shape: list[int] | None = None
    brightness = 0.0
    seq = 0
    deadline = clock.monotonic() + seconds
    problem = ""
    try:
        while got < frames and clock.monotonic() < deadline:
            try:
                frame = camera.latest(timeout=max(0.05, deadline - clock.monotonic()),
                                      after_seq=seq)
            except DeviceError as error:
                problem = f"{type(error).__name__}: {error}"
                break
            seq = frame.seq
            got += 1
            first_t = frame.t if first_t is None else first_t
            last_t = frame.t
            shape = list(frame.image.shape)
            brightness = float(frame.image.mean())
    finally:
        camera.disable()
        status = camera.status.as_dict()
        diagnostics = camera.diagnostics()
        camera.close()
    fps = (got - 1) / (last_t - first_t) if got > 1 and last_t and first_t and \
        last_t > first_t else 0.0
    return {"frames": got, "fps": round(fps, 1), "shape": shape,
            "mean_brightness": round(brightness, 1), "status": status,
            "problem": problem, "diagnostics": diagnostics,
            "ok": got >= min(frames, 2) and status["state"] == "ready"}



def check(section: CameraConfig, *, name: str, frames: int, seconds: float,
          clock: Clock) -> dict[str, Any]:
    """The camera the settings describe, probed; ``ok`` True also when there is none."""
    camera = make_camera(section, clock=clock, name=name)
    report: dict[str, Any] = {"which": name, "driver": section.driver}
    if camera is None:
        report["ok"] = True
        return report
    report.update(probe(camera, clock, frames, seconds))
    return report
