"""Keyboard-wedge scanners: real struct input_event records through a FIFO."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codescanner.evdev import (
    EV_KEY,
    EVENT,
    KEY_CAPSLOCK,
    KEY_ENTER,
    KeyDecoder,
    open_input,
    pack,
    type_text,
)
from kiosk.errors import DeviceUnavailable

PRINTABLE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e),
                    min_size=1, max_size=120)


def test_record_layout_is_the_kernels() -> None:
    assert EVENT.size == 24
    # KEY_A (30) press at t=1.5 s
    assert pack(EV_KEY, 30, 1, 1, 500000) == (
        (1).to_bytes(8, "little") + (500000).to_bytes(8, "little")
        + (1).to_bytes(2, "little") + (30).to_bytes(2, "little") + (1).to_bytes(4, "little"))


def test_url_with_shifted_characters() -> None:
    d = KeyDecoder()
    url = "https://zlb.example/QR?t=AbC_9%2F&x=1"
    assert list(d.feed(type_text(url))) == [url]


def test_caps_lock_and_unknown_keys() -> None:
    d = KeyDecoder()
    caps = pack(EV_KEY, KEY_CAPSLOCK, 1) + pack(EV_KEY, KEY_CAPSLOCK, 0)
    assert list(d.feed(caps + type_text("abc1"))) == ["ABC1"]
    d = KeyDecoder()
    f13 = pack(EV_KEY, 183, 1) + pack(EV_KEY, 183, 0)  # a key no scanner should send
    assert list(d.feed(type_text("ab", enter=False) + f13 + type_text("c"))) == [None]
    assert list(d.feed(type_text("ok"))) == ["ok"]


def test_records_split_anywhere() -> None:
    d = KeyDecoder()
    data = type_text("330109-SB-0001")
    out: list[str | None] = []
    for i in range(0, len(data), 7):
        out += d.feed(data[i:i + 7])
    assert out == ["330109-SB-0001"]
    assert not d.pending()


@given(PRINTABLE)
def test_any_ascii_code_round_trips(text: str) -> None:
    assert list(KeyDecoder().feed(type_text(text))) == [text]


@given(st.binary(max_size=24 * 40))
def test_any_bytes_never_raise(data: bytes) -> None:
    for line in KeyDecoder().feed(data):
        assert line is None or isinstance(line, str)


def test_fifo_is_read_without_grab_and_missing_node_is_unavailable(tmp_path: Path) -> None:
    fifo = tmp_path / "event-scanner"
    os.mkfifo(fifo)
    fd = open_input(str(fifo))
    writer = os.open(fifo, os.O_WRONLY)
    try:
        os.write(writer, type_text("HELLO"))
        data = os.read(fd, 4096)
        assert list(KeyDecoder().feed(data)) == ["HELLO"]
    finally:
        os.close(writer)
        os.close(fd)
    with pytest.raises(DeviceUnavailable, match="open"):
        open_input(str(tmp_path / "missing"))
    assert pack(EV_KEY, KEY_ENTER, 1)
