"""What a camera's ``source`` setting may say, checked without OpenCV or NumPy.

The kiosk builds its cameras after Home is on screen (their libraries take a tenth
of a second to load), but a mistyped simulator spec is the operator's error and must
stop the start with exit 2 like every other bad setting: this module checks it first.
"""

from __future__ import annotations

from kiosk.errors import ConfigError

#: ``sim:KIND:ARG`` specs ``scripts/run`` writes (see devices/camera/factory.py).
SIMULATOR_KINDS = ("dir", "doc", "file")


def check_source(spec: str) -> None:
    """Raise :class:`ConfigError` for a ``sim:`` spec of an unknown kind; anything else
    is for ``cv2.VideoCapture`` to open (or not: that is a device state)."""
    if not spec.startswith("sim:"):
        return
    kind = spec.removeprefix("sim:").partition(":")[0]
    if kind not in SIMULATOR_KINDS:
        raise ConfigError("config/kiosk.yaml", "devices.*.source",
                          f"unknown simulator source {spec!r} (sim:dir:PATH, sim:doc:SEED, "
                          "sim:file:PATH)")
