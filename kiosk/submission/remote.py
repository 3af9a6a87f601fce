"""The UI's side of a sender that runs as a service of its own (``outbox.sender:
service``; kiosk/service/sender.py, deploy/systemd/kiosk-sender.service).

The service holds the outbox's drain lock; the UI opens the outbox without it
(``Outbox(drain=False)``), stores cases, and wakes the service with one datagram on
a socket beside the database (``<outbox>.wake``). :class:`RemoteSender` offers what
the journey and the technician console use of :class:`~kiosk.submission.sender.Sender`:
``wake()`` and ``submit_and_wait()`` (it watches the case's row until the service
settles it or the time runs out), ``alive`` (someone holds the drain lock).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseRecord, CaseState

log = logging.getLogger(__name__)

#: The one wake message (its content is not read: any datagram wakes the sender).
WAKE = b"wake"


def wake_socket_path(outbox_path: Path) -> Path:
    return outbox_path.with_name(outbox_path.name + ".wake")


def send_wake(path: Path) -> bool:
    """Wake the sender service; False when it does not listen (it drains all that is
    due when it starts, so nothing waits longer than that)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.sendto(WAKE, str(path))
    except OSError:
        return False
    return True


class WakeListener:
    """The service's end: calls ``on_wake`` for every datagram on ``path``."""

    def __init__(self, path: Path, on_wake: Callable[[], None]) -> None:
        self.path = path
        self._on_wake = on_wake
        path.unlink(missing_ok=True)  # left by a killed run
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._sock.bind(str(path))
        self._sock.settimeout(0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sender-wake", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sock.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return
            self._on_wake()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()
        self.path.unlink(missing_ok=True)


class RemoteSender:
    def __init__(self, outbox: Outbox, *, poll_s: float = 0.2) -> None:
        self._outbox = outbox
        self._wake_path = wake_socket_path(outbox.path)
        self._poll_s = poll_s
        self._stop = threading.Event()

    def start(self) -> None:
        """Nothing to start here: the service delivers."""

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        return Outbox.drained_elsewhere(self._outbox.path)

    def wake(self) -> None:
        send_wake(self._wake_path)

    def submit_and_wait(self, ref: str, timeout_s: float) -> CaseRecord | None:
        """Wake the service and watch ``ref`` up to ``timeout_s`` (real time: another
        process delivers it) until it is delivered or refused."""
        self.wake()
        deadline = time.monotonic() + timeout_s
        while True:
            record = self._outbox.record(ref)
            if record is None or record.state in (CaseState.DELIVERED, CaseState.REFUSED):
                return record
            left = deadline - time.monotonic()
            if left <= 0 or self._stop.wait(min(self._poll_s, left)):
                return record
