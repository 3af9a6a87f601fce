"""The emulator's control operations: fault injection for scripts/run and tests.

Served on :mod:`devices.simcontrol`'s socket, one JSON object per line:
``{"op": "faults", "paper": "out" | "near_end" | "ok", "cover": "open" | "closed",
"offline": bool, "slow_bps": int | null, "paper_out_after": int | null}``,
``{"op": "status"}``, ``{"op": "jobs"}`` (the PNG of each job, for the session
to show).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from devices.printer.emulator import PrinterEmulator
from devices.simcontrol import Answer, ControlServer, Request, dispatch

FAULT_KEYS = ("paper", "cover", "offline", "slow_bps", "paper_out_after")


def _faults(emu: PrinterEmulator, request: Request) -> Answer:
    emu.set_faults(**{k: request[k] for k in FAULT_KEYS if k in request})
    return {"ok": True, **emu.snapshot()}


def _jobs(emu: PrinterEmulator, _request: Request) -> Answer:
    return {"ok": True, "jobs": [
        {"index": j.index, "path": str(j.path), "complete": j.complete,
         "lines": len(j.lines), "qr": list(j.qr_payloads), "rasters": len(j.rasters)}
        for j in emu.jobs]}


def _status(emu: PrinterEmulator, _request: Request) -> Answer:
    return {"ok": True, **emu.snapshot()}


_OPS: dict[str, Callable[[PrinterEmulator, Request], Answer]] = {
    "faults": _faults, "status": _status, "jobs": _jobs,
}


def handle(emu: PrinterEmulator, request: Request) -> Answer:
    """Carry out one control request (also usable in-process)."""
    return dispatch({op: functools.partial(f, emu) for op, f in _OPS.items()}, request)


def control_server(emu: PrinterEmulator, path: Path) -> ControlServer:
    """Serve the emulator's control operations on a UNIX socket at ``path``."""
    return ControlServer(path, lambda request: handle(emu, request),
                         name="printer-emu-control")
