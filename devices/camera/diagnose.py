"""``scripts/diagnose camera [--json]``: can the kiosk see through its cameras?

Opens the face camera (or ``--which doccam``), enables it for a few seconds,
counts frames and reports the frame rate, the resolution it actually got, the
mean brightness and whether it is frozen, black or unplugged; then checks that
the face models load. No frame is ever written anywhere (privacy): only
numbers are reported. Exit status: 0 ok, 1 needs attention, 2 bad configuration.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from devices.camera.base import Camera
from devices.camera.factory import make_camera
from devices.diagnose_cli import report_main
from kiosk.clock import Clock, SystemClock
from kiosk.config.model import load_config
from kiosk.errors import DeviceError, DeviceUnavailable


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


def face_models() -> dict[str, Any]:
    try:
        from kiosk.face.engine import FaceEngine, find_model_files

        files = find_model_files()
        FaceEngine(files)
    except DeviceUnavailable as error:
        return {"ok": False, "problem": str(error)}
    return {"ok": True, "detector": files.detector[0].name,
            "recognizer": files.recognizer[0].name}


def run(argv: list[str]) -> tuple[int, dict[str, Any]]:
    p = argparse.ArgumentParser(prog="scripts/diagnose camera", description=__doc__)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--config", type=Path, action="append", default=[],
                   help="config overlay (may repeat)")
    p.add_argument("--which", choices=("camera", "doccam"), default="camera")
    p.add_argument("--source", help="override the configured source (e.g. 0, sim:doc:1)")
    p.add_argument("--frames", type=int, default=25)
    p.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config))
    section = getattr(config.devices, args.which)
    if args.source is not None:
        section = section.model_copy(update={"source": args.source})
    clock = SystemClock()
    camera = make_camera(section, clock=clock, name=args.which)
    report: dict[str, Any] = {"which": args.which, "driver": section.driver}
    if camera is None:
        report["ok"] = True
        return 0, report
    report.update(probe(camera, clock, args.frames, args.seconds))
    if args.which == "camera":
        report["face_models"] = face_models()
        report["ok"] = report["ok"] and report["face_models"]["ok"]
    return (0 if report["ok"] else 1), report


def main(argv: list[str] | None = None) -> int:
    return report_main(run, argv,
                       keys=("which", "driver", "frames", "fps", "shape", "mean_brightness",
                             "status", "problem", "face_models", "ok"), width=16)


if __name__ == "__main__":
    raise SystemExit(main())
