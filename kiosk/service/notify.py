"""systemd's notification protocol (sd_notify(3)), in a few lines of stdlib.

A service of ``Type=notify`` tells the service manager it is ready, and keeps telling
it that it is alive, by datagrams of newline-separated ``KEY=VALUE`` assignments sent
to the AF_UNIX socket named in ``$NOTIFY_SOCKET``:

* ``READY=1`` once start-up is finished (the kiosk: Home is on screen and takes a touch);
* ``WATCHDOG=1`` at least every ``$WATCHDOG_USEC`` microseconds (``WatchdogSec=`` of the
  unit); if none comes in time, systemd kills the service (SIGABRT) and ``Restart=``
  starts it again. The kiosk sends it from the Kivy UI loop itself (screens/supervision.py):
  a UI that hangs stops pinging, whatever its other threads still do;
* ``STATUS=...`` a line ``systemctl status`` shows; ``STOPPING=1`` on the way out.

A socket name starting with ``@`` is in Linux's abstract namespace: the ``@`` becomes a
NUL byte. ``$WATCHDOG_PID``, when set, names the process the watchdog is meant for;
another process (a child) must not ping on its behalf.

Without ``$NOTIFY_SOCKET`` (a developer's ``scripts/run``) every call does nothing.
Failures to send are logged once and never raised: the kiosk serves citizens whether
or not a service manager listens.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


def socket_address(name: str) -> str | bytes:
    """The address to send to for ``$NOTIFY_SOCKET`` = ``name``: a path, or for an
    abstract socket (``@name``) the bytes with a leading NUL."""
    if name.startswith("@"):
        return b"\0" + name[1:].encode()
    return name


def message(**fields: str | int) -> bytes:
    """One notification: ``message(READY=1, STATUS="Home")`` -> ``b"READY=1\\nSTATUS=Home"``.
    A value may hold no newline (it would start a new assignment)."""
    parts = []
    for key, value in fields.items():
        text = str(value)
        if "\n" in text or not key.isupper():
            raise ValueError(f"bad notification field {key}={text!r}")
        parts.append(f"{key}={text}")
    return "\n".join(parts).encode()


def watchdog_interval_s(environ: Mapping[str, str], pid: int) -> float | None:
    """``$WATCHDOG_USEC`` in seconds when it is meant for ``pid``; None: no watchdog."""
    usec = environ.get("WATCHDOG_USEC", "")
    owner = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if owner and owner != str(pid):
        return None
    return int(usec) / 1_000_000


@dataclass
class Notifier:
    """Sends notifications to one socket (``address`` None: does nothing)."""

    address: str | bytes | None
    #: The watchdog's timeout (``$WATCHDOG_USEC``) in seconds; None: no watchdog.
    watchdog_s: float | None = None
    _failed: bool = field(default=False, init=False, repr=False)
    _ready: bool = field(default=False, init=False, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], pid: int | None = None) -> Notifier:
        name = environ.get("NOTIFY_SOCKET", "")
        return cls(socket_address(name) if name else None,
                   watchdog_interval_s(environ, os.getpid() if pid is None else pid))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def ping_interval_s(self) -> float | None:
        """How often to send ``WATCHDOG=1``: half the timeout, as sd_watchdog_enabled(3)
        advises, so one late frame does not cost a restart."""
        return None if self.watchdog_s is None else self.watchdog_s / 2

    def send(self, data: bytes) -> bool:
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.sendto(data, self.address)
        except OSError as exc:
            if not self._failed:
                log.warning("service manager notification failed: %s", exc)
                self._failed = True
            return False
        return True

    def notify(self, **fields: str | int) -> bool:
        return self.send(message(**fields))

    def ready(self, status: str = "") -> bool:
        """``READY=1`` (once; later calls do nothing)."""
        if self._ready:
            return False
        self._ready = True
        return self.notify(READY=1, **({"STATUS": status} if status else {}))

    @property
    def is_ready(self) -> bool:
        return self._ready

    def ping(self) -> bool:
        return self.notify(WATCHDOG=1)

    def stopping(self) -> bool:
        return self.notify(STOPPING=1)
