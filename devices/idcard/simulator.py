"""A SAM ID card reader on a pseudo-terminal, speaking GA/T 467 bytes.

The real driver opens the pty's slave path with pyserial exactly as it opens a
USB-serial adapter. A stable symlink (``link``) points at the current slave, so
configuration can name one path across unplug/replug (the pts number changes).

* **Pacing.** A pty delivers bytes instantly whatever baud rate is set, so the
  simulator paces its own writes at ``baud`` with 8N1 framing (10 bits per byte),
  and waits a request's own wire time before answering: the driver then sees the
  timing of a real 115200-baud line.
* **Unplug** closes the pty master (the driver's reads and writes fail as with a
  pulled USB adapter) and removes the symlink; **replug** opens a new pty and
  points the symlink at it.
* **Control** in-process (``sim.model.place(...)``, ``inject(...)``) or from
  outside through a JSON-lines UNIX socket (``--control``; see :mod:`devices.idcard.sim_control`),
  which is how ``scripts/run``'s simulated session places and removes cards.

Run: ``python -m devices.idcard.simulator --link var/run/idcard-tty
--control var/run/idcard.sock [--card resident]``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import os
import select
import threading
import tty
from pathlib import Path

from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import FrameDecoder
from devices.idcard.sim_control import control_server
from devices.idcard.sim_model import Output, SamGeneration, SamModel
from devices.simcontrol import StopSignal
from kiosk.clock import Clock, SystemClock
from kiosk.errors import ProtocolError

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit
CHUNK = 32          # paced in slices of 32 bytes (2.8 ms at 115200 baud)


def wire_time(n_bytes: int, baud: int) -> float:
    return n_bytes * BITS_PER_BYTE / baud


class _Pty:
    """One plugged-in reader: a pty pair, and a thread answering on its master."""

    def __init__(self, sim: SamSimulator) -> None:
        self.sim = sim
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        flags = fcntl.fcntl(self.master, fcntl.F_GETFL)
        # Non-blocking: a real UART drops bytes nobody reads; it never stalls the SAM.
        fcntl.fcntl(self.master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self.path = os.ttyname(self.slave)
        self._wake_r, self._wake_w = os.pipe()
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="idcard-sim", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop = True
        os.write(self._wake_w, b"x")
        self.thread.join(timeout=5.0)
        for fd in (self.master, self.slave, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        decoder = FrameDecoder(self.sim.model.framing)
        while not self._stop:
            ready, _, _ = select.select([self.master, self._wake_r], [], [], 1.0)
            if self._stop or self._wake_r in ready:
                return
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError as err:
                if err.errno in (errno.EAGAIN, errno.EIO):
                    continue
                raise
            self.sim.bytes_in += len(data)
            for event in decoder.feed(data):
                if isinstance(event, ProtocolError):
                    outputs = self.sim.model.handle_bad_frame(event)
                else:
                    # The request's own wire time has to pass before a real SAM has it.
                    self.sim.clock.sleep(wire_time(len(event.raw), self.sim.baud))
                    outputs = self.sim.model.handle(event.body)
                self._send(outputs)

    def _send(self, outputs: list[Output]) -> None:
        clock, baud = self.sim.clock, self.sim.baud
        for out in outputs:
            if out.delay_s:
                clock.sleep(out.delay_s)
            start = clock.monotonic()
            for i in range(0, len(out.data), CHUNK):
                if self._stop:
                    return
                due = start + wire_time(i, baud) if self.sim.pace else 0.0
                clock.sleep(due - clock.monotonic())
                try:
                    self.sim.bytes_out += os.write(self.master, out.data[i:i + CHUNK])
                except OSError as err:
                    if err.errno not in (errno.EAGAIN, errno.EIO):
                        raise
            if self.sim.pace:  # the last slice is on the wire only after its own time
                clock.sleep(start + wire_time(len(out.data), baud) - clock.monotonic())


class SamSimulator:
    def __init__(self, link: str | Path | None = None, *, baud: int = 115200,
                 model: SamModel | None = None, clock: Clock | None = None,
                 pace: bool = True) -> None:
        self.link = Path(link) if link is not None else None
        self.baud = baud
        self.model = model or SamModel()
        self.clock: Clock = clock or SystemClock()
        self.pace = pace
        self._pty: _Pty | None = None
        self._lock = threading.Lock()
        #: Bytes received and sent on the line (benchmarks compare against their wire time).
        self.bytes_in = 0
        self.bytes_out = 0

    @property
    def plugged(self) -> bool:
        return self._pty is not None

    @property
    def port(self) -> str:
        """What the driver should open: the symlink if there is one, else the slave."""
        if self.link is not None:
            return str(self.link)
        if self._pty is None:
            raise RuntimeError("simulator not plugged in")
        return self._pty.path

    @property
    def slave_path(self) -> str:
        """The pty slave of the current plug (changes with every replug)."""
        return self._pty.path if self._pty is not None else ""

    def plug(self) -> None:
        with self._lock:
            if self._pty is not None:
                return
            self._pty = _Pty(self)
            if self.link is not None:
                self.link.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.link.with_name(self.link.name + ".new")
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                tmp.symlink_to(self._pty.path)
                tmp.replace(self.link)  # atomic: the path never points nowhere while plugged

    def unplug(self) -> None:
        with self._lock:
            pty, self._pty = self._pty, None
            if self.link is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.link.unlink()
        if pty is not None:
            pty.close()

    def replug(self) -> None:
        self.unplug()
        self.plug()

    start = plug
    stop = unplug

    def __enter__(self) -> SamSimulator:
        self.plug()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unplug()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devices.idcard.simulator",
                                description="SAM ID card reader simulator on a pty")
    p.add_argument("--link", required=True, help="symlink to create for the pty slave")
    p.add_argument("--control", help="JSON-lines UNIX socket for place/remove/fault/unplug")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--card", help="profile placed at start", choices=sorted(builtin_profiles()))
    p.add_argument("--sam", choices=[g.value for g in SamGeneration], default="current",
                   help="SAM module: 'old' answers the appended-address read (30 03) with "
                        "SW3 21 (command error), as modules from before that command do")
    args = p.parse_args(argv)
    sim = SamSimulator(args.link, baud=args.baud,
                       model=SamModel(generation=SamGeneration(args.sam)))
    if args.card:
        sim.model.place(builtin_profiles()[args.card])
    stop = StopSignal()
    server = control_server(sim, args.control) if args.control else None
    sim.plug()
    print(f"idcard simulator: {sim.port} -> {sim.slave_path}", flush=True)
    try:
        stop.wait()
    finally:
        if server is not None:
            server.close()
        sim.unplug()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
