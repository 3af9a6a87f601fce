"""HID keyboard-wedge scanners, read from their Linux input device.

A wedge scanner is a USB keyboard that types each code and presses Enter. Read as
keystrokes by the focused window, the code would land in whatever field has focus;
so the driver opens the scanner's own ``/dev/input/event*`` node and takes an
exclusive grab (``EVIOCGRAB``): its keystrokes then reach only us.

Records are ``struct input_event`` (linux/input.h): on 64-bit Linux a ``timeval``
(two longs), ``__u16 type``, ``__u16 code``, ``__s32 value`` — 24 bytes. We use
EV_KEY presses (value 1) and auto-repeats (2), track Shift and Caps Lock, and map
key codes through the US layout that scanners emulate by factory default. Enter
(or keypad Enter) ends a code.
"""

from __future__ import annotations

import fcntl
import os
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from kiosk.errors import DeviceUnavailable

EVENT = struct.Struct("llHHi")
EV_SYN, EV_KEY, EV_MSC = 0x00, 0x01, 0x04
KEY_ENTER, KEY_KPENTER = 28, 96
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_CAPSLOCK = 42, 54, 58
#: _IOW('E', 0x90, int): grab the device for this file descriptor only.
EVIOCGRAB = 0x40044590

_ROWS = {2: "1234567890-=", 16: "qwertyuiop[]", 30: "asdfghjkl;'`", 43: "\\zxcvbnm,./"}
_SHIFTED_ROWS = {2: "!@#$%^&*()_+", 16: "QWERTYUIOP{}", 30: 'ASDFGHJKL:"~', 43: "|ZXCVBNM<>?"}
_KEYPAD = {71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+", 79: "1",
           80: "2", 81: "3", 82: "0", 83: ".", 55: "*", 98: "/"}


def _table(rows: dict[int, str]) -> dict[int, str]:
    table = {start + i: ch for start, chars in rows.items() for i, ch in enumerate(chars)}
    table[57] = " "
    table[15] = "\t"
    return table


PLAIN = {**_table(_ROWS), **_KEYPAD}
SHIFTED = {**_table(_SHIFTED_ROWS), **_KEYPAD}


def pack(type_: int, code: int, value: int, sec: int = 0, usec: int = 0) -> bytes:
    """One input_event record (what the kernel writes; tests and the simulator use it)."""
    return EVENT.pack(sec, usec, type_, code, value)


def type_text(text: str, *, enter: bool = True) -> bytes:
    """The records a US-layout wedge scanner sends for ``text`` (ASCII only)."""
    reverse_plain = {ch: code for code, ch in PLAIN.items() if code < 71 or code == 57}
    reverse_shift = {ch: code for code, ch in SHIFTED.items() if code < 71}
    out = bytearray()
    for ch in text:
        if ch in reverse_plain:
            code, shift = reverse_plain[ch], False
        elif ch in reverse_shift:
            code, shift = reverse_shift[ch], True
        else:
            raise ValueError(f"a US keyboard cannot type {ch!r}")
        if shift:
            out += pack(EV_KEY, KEY_LEFTSHIFT, 1)
        out += pack(EV_MSC, 4, 0x70000) + pack(EV_KEY, code, 1) + pack(EV_SYN, 0, 0)
        out += pack(EV_KEY, code, 0) + pack(EV_SYN, 0, 0)
        if shift:
            out += pack(EV_KEY, KEY_LEFTSHIFT, 0)
    if enter:
        out += pack(EV_KEY, KEY_ENTER, 1) + pack(EV_KEY, KEY_ENTER, 0) + pack(EV_SYN, 0, 0)
    return bytes(out)


@dataclass
class KeyDecoder:
    """input_event bytes in, typed lines out. Unknown keys make the line garbled."""

    max_len: int = 4096
    _partial: bytearray = field(default_factory=bytearray, repr=False)
    _line: list[str] = field(default_factory=list, repr=False)
    _shift: set[int] = field(default_factory=set, repr=False)
    _caps: bool = field(default=False, repr=False)
    _garbled: bool = field(default=False, repr=False)

    def feed(self, data: bytes) -> Iterator[str | None]:
        """Yield each finished line (None for a garbled one)."""
        self._partial += data
        size = EVENT.size
        while len(self._partial) >= size:
            record = bytes(self._partial[:size])
            del self._partial[:size]
            _, _, type_, code, value = EVENT.unpack(record)
            line = self._key(type_, code, value)
            if line is not None:
                yield None if self._garbled else line
                self._garbled = False

    def pending(self) -> bool:
        """True while a code is half typed (no Enter yet)."""
        return bool(self._line)

    def reset(self) -> None:
        self._line.clear()
        self._shift.clear()
        self._garbled = False

    def _key(self, type_: int, code: int, value: int) -> str | None:
        if type_ != EV_KEY:
            return None
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            if value:
                self._shift.add(code)
            else:
                self._shift.discard(code)
            return None
        if value == 0:
            return None
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in (KEY_ENTER, KEY_KPENTER):
            line = "".join(self._line)
            self._line.clear()
            return line if line else None
        ch = (SHIFTED if self._shift else PLAIN).get(code)
        if ch is None:
            self._garbled = True
            return None
        if self._caps and ch.isalpha():
            ch = ch.swapcase()
        if len(self._line) < self.max_len:
            self._line.append(ch)
        else:
            self._garbled = True
        return None


def open_input(path: str, *, grab: bool = True) -> int:
    """Open an input node non-blocking and grab it; a FIFO or file (tests) is not grabbed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise DeviceUnavailable(f"open {path}: {exc.strerror}") from None
    if grab and stat.S_ISCHR(os.fstat(fd).st_mode):
        try:
            fcntl.ioctl(fd, EVIOCGRAB, 1)
        except OSError as exc:
            os.close(fd)
            raise DeviceUnavailable(f"grab {path}: {exc.strerror} (another program holds "
                                    "the scanner?)") from None
    return fd
