"""The case-sender service: ``python -m kiosk.service.sender [--config FILE]...``
(deploy/systemd/kiosk-sender.service; bin/kiosk-sender of a release).

It takes the outbox's drain lock, delivers every case as the UI's sender thread would
(kiosk/submission/sender.py) and keeps going while the UI restarts. The UI, configured
with ``outbox.sender: service``, only stores cases and wakes it with a datagram
(kiosk/submission/remote.py). ``READY=1`` once the outbox is open and the sender runs;
``WATCHDOG=1`` while the sender thread is alive (a sender thread that died on a bug
stops the pings, and systemd starts the service again). Exit 1 when another process
already drains this outbox, 2 on a configuration error.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sys
import threading
from pathlib import Path

from kiosk.cli import run_main
from kiosk.clock import SystemClock
from kiosk.config.model import load_config
from kiosk.errors import KioskError
from kiosk.logging_setup import setup_logging, stderr_is_journal
from kiosk.service.notify import Notifier
from kiosk.submission.remote import WakeListener, wake_socket_path
from kiosk.submission.sender import Sender, build_submission

log = logging.getLogger("kiosk.service.sender")


def serve(overlays: tuple[Path, ...], stop: threading.Event, notifier: Notifier) -> int:
    config = load_config(None, overlays)
    try:
        submission = build_submission(config, clock=SystemClock(), rng=random.Random(),
                                      create_key=True, role="service")
    except KioskError as exc:
        log.error("the case sender cannot start: %s", exc)
        print(f"kiosk-sender: {exc}", file=sys.stderr)
        return 1
    sender = submission.sender
    assert isinstance(sender, Sender)
    wake = WakeListener(wake_socket_path(submission.outbox.path), sender.wake)
    try:
        sender.start()
        notifier.ready("delivering the outbox")
        log.info("case sender: delivering %s", submission.outbox.path)
        every = notifier.ping_interval_s or 5.0
        while not stop.wait(every):
            if not sender.alive:
                log.error("case sender: the sender thread ended; exiting to be restarted")
                return 1
            notifier.ping()
        return 0
    finally:
        notifier.stopping()
        wake.close()
        submission.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk-sender", description=__doc__.splitlines()[0])
    p.add_argument("--config", action="append", type=Path, default=[], metavar="FILE",
                   help="overlay on the release's config/kiosk.yaml (repeatable)")
    args = p.parse_args(argv)
    # Only journald (or the console, run by hand): the UI owns the rotated log file.
    journal = stderr_is_journal()
    logs = setup_logging(None, journal=journal, console=not journal)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        return serve(tuple(args.config), stop, Notifier.from_environ(os.environ))
    finally:
        logs.close()


if __name__ == "__main__":
    run_main(main)
