"""Controlling a running SAM simulator from outside: JSON lines over a UNIX socket.

One request per line, one answer per line::

    {"op": "place", "profile": "resident"}            -> {"ok": true}
    {"op": "place", "profile": "resident", "photo_jpeg": "/path/face.jpg"}
    {"op": "remove"}
    {"op": "fault", "kind": "status", "command": "FIND_CARD", "sw3": 128, "count": 1}
    {"op": "fault", "kind": "delay", "delay_s": 0.5}
    {"op": "clear_faults"}
    {"op": "sam_status", "sw3": 102}                  (66h: SAM not authorised)
    {"op": "sam_generation", "generation": "old"}     (a SAM without 30 03: SW3 21)
    {"op": "unplug"} / {"op": "replug"}
    {"op": "state"}                                   -> card, plugged, port, faults
    {"op": "profiles"}                                -> the profile keys

``photo_jpeg`` embeds the file with the *test* codec (``photo_decoder: sim-jpeg``),
never a real WLT image. Errors answer ``{"ok": false, "error": "..."}``. The
socket and its client are :mod:`devices.simcontrol`'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from devices.idcard.photo import SimJpegTestCodec
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command
from devices.idcard.sim_model import Fault, FaultKind, SamGeneration
from devices.simcontrol import Answer, ControlServer, Request, dispatch

if TYPE_CHECKING:
    from devices.idcard.simulator import SamSimulator


def card_sized_jpeg(image: bytes) -> bytes:
    """Any image file as a 102×126 JPEG that fits the 1024-byte photo field.

    That is the size of a real card photo (GA/T 490: 102×126), so face
    verification is tested on photos as small as the real ones. Colour, then
    grey, at falling quality until it fits.
    """
    import cv2
    import numpy as np

    decoded = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValueError("not an image file")
    small = cv2.resize(decoded, (102, 126), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    for picture in (small, grey):
        for quality in range(60, 4, -5):
            ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and len(jpeg) <= SimJpegTestCodec.MAX_JPEG:
                return bytes(jpeg.tobytes())
    raise ValueError("image does not fit the photo field")


def _place(sim: SamSimulator, msg: Request) -> None:
    profiles = builtin_profiles()
    key = str(msg.get("profile", "resident"))
    if key not in profiles:
        raise ValueError(f"unknown profile {key!r}")
    card = profiles[key]
    if msg.get("photo_jpeg"):
        card = replace(card, photo=SimJpegTestCodec.embed(
            card_sized_jpeg(Path(str(msg["photo_jpeg"])).read_bytes())))
    sim.model.place(card)


def _fault(sim: SamSimulator, msg: Request) -> None:
    command = msg.get("command")
    sim.model.inject(Fault(
        FaultKind(str(msg["kind"])),
        command=Command[str(command).upper()] if command else None,
        count=int(msg.get("count", 1)),
        sw3=int(msg.get("sw3", 0x24)),
        delay_s=float(msg.get("delay_s", 0.0))))


def _state(sim: SamSimulator) -> Answer:
    model = sim.model
    current = model.card
    return {"ok": True, "card": current.key if current else None, "plugged": sim.plugged,
            "port": sim.port if sim.plugged or sim.link else None,
            "faults": [f.kind.value for f in model.faults], "sam_status": model.sam_status,
            "sam_generation": model.generation.value}


def _remove(sim: SamSimulator, _msg: Request) -> None:
    sim.model.remove()


def _clear_faults(sim: SamSimulator, _msg: Request) -> None:
    sim.model.clear_faults()


def _sam_status(sim: SamSimulator, msg: Request) -> None:
    sim.model.set_sam_status(int(msg["sw3"]))


def _sam_generation(sim: SamSimulator, msg: Request) -> None:
    sim.model.set_generation(SamGeneration(str(msg["generation"])))


def _unplug(sim: SamSimulator, _msg: Request) -> None:
    sim.unplug()


def _replug(sim: SamSimulator, _msg: Request) -> None:
    sim.replug()


def _nothing(_sim: SamSimulator, _msg: Request) -> None:
    pass


#: op -> what it does to the simulator; every one answers with the state afterwards.
_ACTIONS: dict[str, Callable[[SamSimulator, Request], None]] = {
    "place": _place, "remove": _remove, "fault": _fault, "clear_faults": _clear_faults,
    "sam_status": _sam_status, "sam_generation": _sam_generation, "unplug": _unplug,
    "replug": _replug, "state": _nothing,
}


def handlers(sim: SamSimulator) -> dict[str, Callable[[Request], Answer]]:
    """The control operations of one simulator, by name."""
    def act(action: Callable[[SamSimulator, Request], None]) -> Callable[[Request], Answer]:
        def run(msg: Request) -> Answer:
            action(sim, msg)
            return _state(sim)
        return run

    table = {op: act(action) for op, action in _ACTIONS.items()}
    table["profiles"] = lambda _msg: {"ok": True, "profiles": sorted(builtin_profiles())}
    return table


def apply(sim: SamSimulator, msg: Request) -> Answer:
    """Carry out one control request (also usable in-process)."""
    return dispatch(handlers(sim), msg)


def control_server(sim: SamSimulator, path: str | os.PathLike[str]) -> ControlServer:
    """Serve ``sim``'s control operations on a UNIX socket at ``path``."""
    table = handlers(sim)
    return ControlServer(path, lambda msg: dispatch(table, msg), name="idcard-sim-control")
