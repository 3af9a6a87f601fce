"""The emulator's control socket: fault injection for scripts/run and tests.

One JSON object per line on a unix socket, one JSON line back:
``{"op": "faults", "paper": "out" | "near_end" | "ok", "cover": "open" | "closed",
"offline": bool, "slow_bps": int | null, "paper_out_after": int | null}``,
``{"op": "status"}``, ``{"op": "jobs"}`` (the PNG of each job, for the session
to show).
"""

from __future__ import annotations

import contextlib
import json
import socket
from pathlib import Path
from typing import Any

from devices.printer.emulator import PrinterEmulator


def handle(emu: PrinterEmulator, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "faults":
        args = {k: request[k] for k in ("paper", "cover", "offline", "slow_bps",
                                         "paper_out_after") if k in request}
        try:
            emu.set_faults(**args)
        except (TypeError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, **emu.snapshot()}
    if op == "status":
        return {"ok": True, **emu.snapshot()}
    if op == "jobs":
        return {"ok": True, "jobs": [
            {"index": j.index, "path": str(j.path), "complete": j.complete,
             "lines": len(j.lines), "qr": list(j.qr_payloads), "rasters": len(j.rasters)}
            for j in emu.jobs]}
    return {"ok": False, "error": f"unknown op {op!r}"}


class ControlServer:
    def __init__(self, emu: PrinterEmulator, path: Path) -> None:
        self.emu = emu
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(str(path))
        srv.listen(2)
        srv.settimeout(0.2)
        self._srv = srv
        emu.spawn(self._loop, "printer-emu-control")

    def close(self) -> None:
        self._srv.close()
        self.path.unlink(missing_ok=True)

    def _loop(self) -> None:
        while not self.emu.stopping:
            try:
                conn, _ = self._srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, conn.makefile("rwb") as stream:
                for raw in stream:
                    try:
                        request = json.loads(raw)
                        answer = handle(self.emu, request if isinstance(request, dict) else {})
                    except json.JSONDecodeError as exc:
                        answer = {"ok": False, "error": f"bad JSON: {exc}"}
                    stream.write(json.dumps(answer).encode() + b"\n")
                    stream.flush()


def control_request(path: Path, request: dict[str, Any], timeout_s: float = 5.0) -> dict[str, Any]:
    """Send one control request to a running emulator (for scripts and tests)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout_s)
        s.connect(str(path))
        s.sendall(json.dumps(request).encode() + b"\n")
        with s.makefile("rb") as stream:
            answer: dict[str, Any] = json.loads(stream.readline())
            return answer
