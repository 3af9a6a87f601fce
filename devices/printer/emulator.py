"""An ESC/POS receipt printer on loopback TCP (port 9100) or a pseudo-terminal.

It parses the byte stream as a Chinese thermal printer would, answers
``DLE EOT n`` at once (real-time commands), and writes each job, up to its
cut, as ``job-NNNN.png`` in the output folder (``job-NNNN-incomplete.png``
when the paper ran out or the cover opened mid-job). Faults are injected
through :meth:`PrinterEmulator.set_faults` or the control socket:

* ``paper``: ``ok`` | ``near_end`` | ``out``; ``paper_out_after``: bytes of
  print data after which the paper runs out (mid-job);
* ``cover``: ``open`` | ``closed``; ``offline``: true/false;
* ``slow_bps``: consume at most this many bytes per second (null = full speed).

While the printer cannot print (paper out, cover open, offline) it still
answers status, and discards print data: it models a printer that clears its
receive buffer when it stops, so the host must resend the whole job
(``reprint_last``) once the fault is cleared.

Run: ``python -m devices.printer.emulator --port 9100 --out var/receipts
--control var/run/printer.sock [--pty] [--paper 80]``. Control protocol: one
JSON object per line, ``{"op": "faults", ...}``, ``{"op": "status"}``,
``{"op": "jobs"}``; the answer is one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import threading
import tty
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from devices.fontchain import FontFile
from devices.printer.emu_paper import Paper, PrintedJob
from devices.printer.emu_parser import Block, Event, Parser, Raster, Status, Text
from devices.printer.glyphs import Bitmap, GlyphCache
from kiosk.clock import Clock, SystemClock

log = logging.getLogger(__name__)

#: Jobs whose received GS v 0 images are kept in memory (tests compare them).
KEEP_RASTERS = 20


@dataclass
class Faults:
    paper: str = "ok"  # ok | near_end | out
    cover_open: bool = False
    offline: bool = False
    slow_bps: int | None = None
    paper_out_after: int | None = None  # print-data bytes until the paper runs out

    @property
    def stopped(self) -> bool:
        return self.paper == "out" or self.cover_open or self.offline


@dataclass(frozen=True)
class JobRecord:
    index: int
    path: Path
    complete: bool
    lines: tuple[str, ...]
    qr_payloads: tuple[str, ...]
    rasters: tuple[Bitmap, ...] = field(repr=False, compare=False)
    bytes: int = 0


class PrinterEmulator:
    def __init__(self, out_dir: Path, *, host: str = "127.0.0.1", port: int = 9100,
                 dots: int = 576, clock: Clock | None = None,
                 glyphs: GlyphCache | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.host, self._port = host, port
        self.dots = dots
        self.clock = clock or SystemClock()
        self.faults = Faults()
        self.jobs: list[JobRecord] = []
        self.unknown: list[str] = []
        self._paper = Paper(dots, glyphs or GlyphCache())
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._consumed = 0  # print-data bytes since paper was last loaded
        self._job_bytes = 0
        self._pty_master: int | None = None
        self.pty_path: str | None = None

    # -- lifecycle ------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.getsockname()[1] if self._server else self._port

    def start(self) -> PrinterEmulator:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((self.host, self._port))
        srv.listen(4)
        srv.settimeout(0.2)
        self._server = srv
        self.spawn(self._accept_loop, "printer-emu-accept")
        return self

    def open_pty(self) -> str:
        """Serve the same printer on a pseudo-terminal; returns the path to open."""
        master, slave = os.openpty()
        tty.setraw(slave)  # bytes pass unchanged (no echo, no CR/LF mapping)
        self._pty_master = master
        self.pty_path = os.ttyname(slave)
        self._pty_slave = slave
        self.spawn(self._pty_loop, "printer-emu-pty")
        return self.pty_path

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()
        for t in self._threads:
            t.join(timeout=2)
        if self._pty_master is not None:
            os.close(self._pty_master)
            os.close(self._pty_slave)
            self._pty_master = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def __enter__(self) -> PrinterEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def spawn(self, target: Any, name: str, *args: Any) -> None:
        """Run ``target`` on a daemon thread that :meth:`stop` joins."""
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    # -- transports ------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.spawn(self._serve_conn, "printer-emu-conn", conn)

    def _serve_conn(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # status answers go at once
        parser = Parser()
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(self._read_size())
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                reply = self.receive(parser, data)
                if reply:
                    with contextlib.suppress(OSError):
                        conn.sendall(reply)

    def _pty_loop(self) -> None:
        import select

        parser = Parser()
        assert self._pty_master is not None
        fd = self._pty_master
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, self._read_size())
            except OSError:
                return
            reply = self.receive(parser, data)
            if reply:
                os.write(fd, reply)

    def _read_size(self) -> int:
        bps = self.faults.slow_bps
        return 4096 if not bps else max(1, min(4096, bps // 10))

    # -- the printer ------------------------------------------------------------------------
    def receive(self, parser: Parser, data: bytes) -> bytes:
        """Consume bytes from a host; returns the real-time answers to send back."""
        if self.faults.slow_bps:
            self.clock.sleep(len(data) / self.faults.slow_bps)
        reply = bytearray()
        with self._lock:
            self._job_bytes += len(data)
            for event in parser.feed(data):
                if isinstance(event, Status):
                    reply += self._status_byte(event)
                    continue
                if self.faults.stopped:
                    continue  # receive buffer cleared: the data is lost
                self._consumed += _size(event)
                limit = self.faults.paper_out_after
                if limit is not None and self._consumed > limit:
                    self.faults.paper = "out"
                    self.faults.paper_out_after = None
                    self._finish(self._paper.abandon())
                    continue
                finished = self._paper.apply(event)
                if finished is not None:
                    self._finish(finished)
        return bytes(reply)

    def _status_byte(self, s: Status) -> bytes:
        f = self.faults
        if s.kind != "EOT":
            return b""  # DLE ENQ: no answer
        if s.n == 1:
            offline = f.stopped
            return bytes((0x12 | (0x08 if offline else 0),))
        if s.n == 2:
            return bytes((0x12 | (0x04 if f.cover_open else 0)
                          | (0x20 if f.paper == "out" else 0),))
        if s.n == 3:
            return b"\x12"
        if s.n == 4:
            return bytes((0x12 | {"ok": 0, "near_end": 0x0C, "out": 0x6C}[f.paper],))
        return b""

    def _finish(self, job: PrintedJob) -> None:
        if job.empty:
            return
        index = len(self.jobs) + 1
        suffix = "" if job.complete else "-incomplete"
        path = self.out_dir / f"job-{index:04d}{suffix}.png"
        # Written whole, then renamed: whoever lists the folder never opens half a PNG.
        partial = path.with_name(path.name + ".part")
        job.image(self.dots).save(partial, format="PNG")
        partial.replace(path)
        self.unknown.extend(job.skipped)
        record = JobRecord(index, path, job.complete, tuple(job.lines), tuple(job.qr_payloads),
                           tuple(job.rasters), self._job_bytes)
        self._job_bytes = 0
        self.jobs.append(record)
        if len(self.jobs) > KEEP_RASTERS:  # a long scripts/run session: bounded memory
            old = self.jobs[-KEEP_RASTERS - 1]
            self.jobs[-KEEP_RASTERS - 1] = replace(old, rasters=())
        log.info("emulator: job %d %s (%d lines)", index, path.name, len(job.lines))
        self._changed.notify_all()

    def wait_for_jobs(self, count: int, timeout_s: float = 10.0) -> list[JobRecord]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.jobs) >= count, timeout=timeout_s)
            return list(self.jobs)

    # -- faults and control ----------------------------------------------------------------------
    def set_faults(self, *, paper: str | None = None, cover: str | None = None,
                   offline: bool | None = None, slow_bps: int | str | None = "keep",
                   paper_out_after: int | str | None = "keep") -> Faults:
        with self._lock:
            f = self.faults
            if paper is not None:
                if paper not in ("ok", "near_end", "out"):
                    raise ValueError("paper is ok, near_end or out")
                if paper == "out" and f.paper != "out":
                    self._finish(self._paper.abandon())
                if paper != "out":
                    self._consumed = 0
                f.paper = paper
            if cover is not None:
                if cover not in ("open", "closed"):
                    raise ValueError("cover is open or closed")
                if cover == "open" and not f.cover_open:
                    self._finish(self._paper.abandon())
                f.cover_open = cover == "open"
            if offline is not None:
                f.offline = bool(offline)
            if slow_bps != "keep":
                f.slow_bps = None if slow_bps is None else int(slow_bps)
            if paper_out_after != "keep":
                f.paper_out_after = None if paper_out_after is None else int(paper_out_after)
                self._consumed = 0
            return f

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            f = self.faults
            return {"paper": f.paper, "cover": "open" if f.cover_open else "closed",
                    "offline": f.offline, "slow_bps": f.slow_bps,
                    "paper_out_after": f.paper_out_after, "jobs": len(self.jobs),
                    "port": self.port, "pty": self.pty_path}


def _size(event: Event) -> int:
    """About how many bytes of print data an event took (for paper_out_after)."""
    if isinstance(event, Text | Block | Raster):
        return len(event.data) + (0 if isinstance(event, Text) else 5)
    return 2


def main(argv: list[str] | None = None) -> int:
    from devices.printer.emu_control import control_server  # it imports this module
    from devices.simcontrol import ControlServer, StopSignal

    p = argparse.ArgumentParser(prog="python -m devices.printer.emulator",
                                description="ESC/POS receipt printer emulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9100, help="TCP port (0 = any free port)")
    p.add_argument("--out", type=Path, default=Path("var/receipts"), help="PNG folder")
    p.add_argument("--control", type=Path, help="unix socket for fault injection")
    p.add_argument("--paper", type=int, choices=(58, 80), default=80)
    p.add_argument("--pty", action="store_true", help="also serve on a pseudo-terminal")
    p.add_argument("--font", type=Path, action="append", default=[],
                   help="a fallback font for characters Noto Sans CJK SC lacks (repeatable, "
                        "in order of preference)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emu = PrinterEmulator(args.out, host=args.host, port=args.port,
                          dots=384 if args.paper == 58 else 576,
                          glyphs=GlyphCache(fallbacks=[FontFile(f) for f in args.font]))
    stop = StopSignal()
    emu.start()
    control: ControlServer | None = None
    if args.control:
        control = control_server(emu, args.control)
    if args.pty:
        emu.open_pty()
    print(json.dumps({"port": emu.port, "pty": emu.pty_path, "out": str(args.out)}), flush=True)
    try:
        stop.wait()
    finally:
        if control is not None:
            control.close()
        emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
