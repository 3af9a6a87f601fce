"""A stand-in for systemd's end of the notification protocol: an AF_UNIX datagram socket
that collects what a service sends, and a watchdog judged as systemd judges it."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Received:
    at: float
    fields: dict[str, str]


@dataclass
class NotifySocket:
    path: Path
    sock: socket.socket
    messages: list[Received] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _stop: bool = False

    @classmethod
    def open(cls) -> NotifySocket:
        # Short path: AF_UNIX names hold 107 bytes at most.
        path = Path(tempfile.mkdtemp(prefix="ntf", dir="/tmp")) / "notify"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(path))
        sock.settimeout(0.1)
        me = cls(path, sock)
        threading.Thread(target=me._run, name="notify-socket", daemon=True).start()
        return me

    def _run(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
            with self._cond:
                self.raw.append(data)
                self.messages.append(Received(time.monotonic(), fields))
                self._cond.notify_all()

    def wait_for(self, key: str, value: str = "1", timeout_s: float = 30.0,
                 after: float = 0.0) -> Received | None:
        def found() -> Received | None:
            return next((m for m in self.messages
                         if m.at >= after and m.fields.get(key) == value), None)
        with self._cond:
            self._cond.wait_for(lambda: found() is not None, timeout_s)
            return found()

    def times(self, key: str, after: float = 0.0) -> list[float]:
        with self._cond:
            return [m.at for m in self.messages if m.at >= after and key in m.fields]

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        self.path.unlink(missing_ok=True)
        self.path.parent.rmdir()


class SystemdWatchdog:
    """Judges ``WATCHDOG=1`` as systemd does: once armed, the service is hung when no
    ping came for ``timeout_s`` (``WatchdogSec=``). Checked by a thread of its own, so
    it keeps judging while the code under test blocks its own thread."""

    def __init__(self, notify: NotifySocket, timeout_s: float) -> None:
        self.notify = notify
        self.timeout_s = timeout_s
        self.expired_at: float | None = None
        self._armed_at = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchdog-judge", daemon=True)
        self._thread.start()

    def last_ping(self) -> float:
        pings = self.notify.times("WATCHDOG", after=self._armed_at)
        return pings[-1] if pings else self._armed_at

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            if self.expired_at is None and time.monotonic() - self.last_ping() > self.timeout_s:
                self.expired_at = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
