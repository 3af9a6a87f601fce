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
socket is created 0600: it is a test tool, not a service.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices.idcard.photo import SimJpegTestCodec
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command
from devices.idcard.sim_model import Fault, FaultKind, SamGeneration

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


def apply(sim: SamSimulator, msg: dict[str, Any]) -> dict[str, Any]:
    """Carry out one control request (also usable in-process)."""
    op = msg.get("op")
    model = sim.model
    if op == "place":
        profiles = builtin_profiles()
        key = str(msg.get("profile", "resident"))
        if key not in profiles:
            raise ValueError(f"unknown profile {key!r}")
        card = profiles[key]
        if msg.get("photo_jpeg"):
            card = replace(card, photo=SimJpegTestCodec.embed(
                card_sized_jpeg(Path(str(msg["photo_jpeg"])).read_bytes())))
        model.place(card)
    elif op == "remove":
        model.remove()
    elif op == "fault":
        command = msg.get("command")
        model.inject(Fault(
            FaultKind(str(msg["kind"])),
            command=Command[str(command).upper()] if command else None,
            count=int(msg.get("count", 1)),
            sw3=int(msg.get("sw3", 0x24)),
            delay_s=float(msg.get("delay_s", 0.0))))
    elif op == "clear_faults":
        model.clear_faults()
    elif op == "sam_status":
        model.set_sam_status(int(msg["sw3"]))
    elif op == "sam_generation":
        model.set_generation(SamGeneration(str(msg["generation"])))
    elif op == "unplug":
        sim.unplug()
    elif op == "replug":
        sim.replug()
    elif op == "profiles":
        return {"ok": True, "profiles": sorted(builtin_profiles())}
    elif op != "state":
        raise ValueError(f"unknown op {op!r}")
    current = model.card
    return {"ok": True, "card": current.key if current else None, "plugged": sim.plugged,
            "port": sim.port if sim.plugged or sim.link else None,
            "faults": [f.kind.value for f in model.faults], "sam_status": model.sam_status,
            "sam_generation": model.generation.value}


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        for line in self.rfile:
            try:
                answer = apply(self.server.sim, json.loads(line))
            except (ValueError, KeyError, TypeError, OSError) as err:
                answer = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            self.wfile.write(json.dumps(answer).encode() + b"\n")
            self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    sim: SamSimulator


class ControlServer:
    def __init__(self, sim: SamSimulator, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old = os.umask(0o177)
        try:
            self._server = _Server(str(self.path), _Handler)
        finally:
            os.umask(old)
        self._server.sim = sim
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="idcard-sim-control", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def control(path: str | os.PathLike[str], timeout: float = 5.0, **msg: Any) -> dict[str, Any]:
    """Send one request to a simulator's control socket and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(json.dumps(msg).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    answer: dict[str, Any] = json.loads(buf)
    return answer
