"""The sd_notify client (kiosk/service/notify.py): the bytes systemd receives."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from kiosk.service.notify import Notifier, message, socket_address, watchdog_interval_s
from tests.deploy.notifysocket import NotifySocket


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    sock = NotifySocket.open()
    yield sock
    sock.close()


def test_ready_status_watchdog_and_stopping_are_the_exact_datagrams(
        notify: NotifySocket) -> None:
    n = Notifier.from_environ({"NOTIFY_SOCKET": str(notify.path)})
    assert n.ready("Home")
    assert not n.ready("again")  # READY=1 once
    assert n.ping()
    assert n.stopping()
    assert notify.wait_for("STOPPING", timeout_s=5)
    assert notify.raw == [b"READY=1\nSTATUS=Home", b"WATCHDOG=1", b"STOPPING=1"]


def test_an_abstract_socket_name_starts_with_a_nul_byte() -> None:
    name = f"@kiosk-test-{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(b"\0" + name[1:].encode())
    server.settimeout(5)
    try:
        assert socket_address(name) == b"\0" + name[1:].encode()
        assert Notifier.from_environ({"NOTIFY_SOCKET": name}).ping()
        assert server.recv(64) == b"WATCHDOG=1"
    finally:
        server.close()


def test_no_socket_means_nothing_is_sent_and_nothing_fails(tmp_path: object) -> None:
    n = Notifier.from_environ({})
    assert not n.enabled
    assert not n.ready() and not n.ping()
    # A socket that went away: logged once, never raised.
    gone = Notifier.from_environ({"NOTIFY_SOCKET": "/nonexistent/notify"})
    assert not gone.ping()


def test_watchdog_interval_is_for_this_process_only() -> None:
    assert watchdog_interval_s({"WATCHDOG_USEC": "20000000"}, 42) == 20.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "42"}, 42) == 20.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "7"}, 42) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "0"}, 42) is None
    n = Notifier.from_environ({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "8000000"}, pid=1)
    assert n.ping_interval_s == 4.0


def test_a_field_cannot_smuggle_a_second_assignment() -> None:
    assert message(READY=1, STATUS="a b") == b"READY=1\nSTATUS=a b"
    with pytest.raises(ValueError):
        message(STATUS="ok\nREADY=1")
