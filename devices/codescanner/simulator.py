"""Simulated scanners on the far side of the real transports.

* :class:`SerialScannerSim`: a pseudo-terminal; the driver opens its slave path
  with pyserial exactly as a USB-CDC scanner's ``/dev/ttyACM0``. A stable symlink
  survives replug (the pts number changes). Unplug closes the master, so the
  driver's reads fail as with a pulled cable.
* :class:`EvdevScannerSim`: a FIFO standing in for ``/dev/input/eventN`` (these
  machines have no ``/dev/uinput``), into which it writes real ``struct
  input_event`` records as a US-layout keyboard-wedge scanner types them. Unplug
  closes and removes it.

Both take the same faults: ``present(code)`` (a whole code), ``partial(code)`` (the
first half, then silence), ``garbage()`` (line noise or keys no scanner sends),
``unplug()``/``plug()``. Control from outside through the shared JSON-lines
socket (:mod:`devices.simcontrol`): ops ``present``, ``partial``, ``garbage``,
``unplug``, ``plug``, ``status``.
"""

from __future__ import annotations

import contextlib
import os
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Self

from devices.codescanner.evdev import EV_KEY, pack, type_text
from devices.codescanner.framing import Terminator
from devices.simcontrol import Answer, Handler, Request, dispatch


class _ScannerSim:
    #: Where the simulated scanner writes what it "sends" (-1 while unplugged).
    _out = -1

    def _emit(self, data: bytes) -> None:
        if not self.plugged:
            raise OSError("scanner unplugged")
        os.write(self._out, data)

    def __enter__(self) -> Self:
        self.plug()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unplug()

    def encode(self, code: str) -> bytes:
        raise NotImplementedError

    def present(self, code: str) -> None:
        self._emit(self.encode(code))

    def partial(self, code: str) -> None:
        whole = self.encode(code)
        self._emit(whole[: len(whole) // 2])

    def garbage(self) -> None:
        raise NotImplementedError

    @property
    def plugged(self) -> bool:
        return self._out >= 0

    def plug(self) -> None:
        raise NotImplementedError

    def unplug(self) -> None:
        raise NotImplementedError

    def control_table(self) -> dict[str, Handler]:
        def run(action: Callable[[Request], object]) -> Handler:
            def handler(request: Request) -> Answer:
                action(request)
                return {"ok": True, "plugged": self.plugged}
            return handler

        return {
            "present": run(lambda r: self.present(str(r["code"]))),
            "partial": run(lambda r: self.partial(str(r["code"]))),
            "garbage": run(lambda r: self.garbage()),
            "unplug": run(lambda r: self.unplug()),
            "plug": run(lambda r: self.plug()),
            "status": run(lambda r: None),
        }

    def control(self, request: Request) -> Answer:
        return dispatch(self.control_table(), request)


class SerialScannerSim(_ScannerSim):
    def __init__(self, link: str | Path | None = None, *,
                 terminator: Terminator = Terminator.CR, aim: str = "") -> None:
        self.link = Path(link) if link is not None else None
        self.terminator = terminator
        self.aim = aim      # e.g. "]Q1" when the scanner is set to send AIM identifiers
        self._out = -1      # the pty's master side
        self._slave = -1
        self.path = ""

    @property
    def port(self) -> str:
        return str(self.link) if self.link is not None else self.path

    def plug(self) -> None:
        if self.plugged:
            return
        self._out, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.path)
            tmp.replace(self.link)

    def unplug(self) -> None:
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        for fd in (self._out, self._slave):
            if fd >= 0:
                os.close(fd)
        self._out = self._slave = -1

    def encode(self, code: str) -> bytes:
        return (self.aim + code).encode("utf-8") + self.terminator.value

    def garbage(self) -> None:
        self._emit(b"\x00\x13\xff\xfe" + b"\x07noise" + self.terminator.value)


class EvdevScannerSim(_ScannerSim):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._out = -1

    def plug(self) -> None:
        if self.plugged:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.mkfifo(self.path, 0o600)
        # O_RDWR never blocks on a FIFO and keeps a writer present while plugged.
        self._out = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)

    def unplug(self) -> None:
        if self._out >= 0:
            os.close(self._out)
        self._out = -1
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def encode(self, code: str) -> bytes:
        return type_text(code)

    def garbage(self) -> None:
        # F13 and a bare Enter: keys a scanner in its factory setting never types
        self._emit(pack(EV_KEY, 183, 1) + pack(EV_KEY, 183, 0) + type_text("x"))
