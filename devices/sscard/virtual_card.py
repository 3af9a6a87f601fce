"""A virtual social security card speaking the vpcd socket protocol.

Debian's ``vsmartcard-vpcd`` is a pcscd reader driver that waits on loopback TCP
(35963 for ``Virtual PCD 00 00``, 35964 for ``... 00 01``) for a card to
*connect*. Each message either way is a 2-byte big-endian length and a payload.
From vpcd: a 1-byte payload is a control message (0 power off, 1 power on,
2 reset, 4 ATR request: we answer with the ATR); anything longer is a command
APDU that the card answers with a response APDU. Connecting is inserting the
card; closing the socket is pulling it out.

The card behaves like a T=0 social security card (see ``apdu.py`` for the
layout): SELECT answers ``61 xx`` (FCI waiting for GET RESPONSE), READ RECORD
sent with the wrong Le answers ``6C xx``. Faults: ``remove_after`` (APDUs
answered before the card is pulled) and ``foreign`` (no social security
application: SELECT answers 6A82).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

from devices.sscard.apdu import BASICS, CARD_NUMBER, EF05, EF06, SSSE_AID, RApdu, encode_value

VPCD_PORT = 35963
#: T=0 only, no interface bytes beyond TB1/TC1: a typical contact CPU card.
DEFAULT_ATR = bytes.fromhex("3B680000 0073C840 12009000".replace(" ", ""))


@dataclass(frozen=True)
class SsPerson:
    """An invented card holder (all values as stored on the card)."""

    name: str = "张三"
    id_number: str = "330106199001011237"
    sex: str = "1"
    nation: str = "01"
    birth_place: str = "330106"
    birth: str = "19900101"
    card_number: str = "A33010600"
    uid: bytes = field(default=bytes.fromhex("5A3C7E01"))


class VirtualSsCard:
    def __init__(self, person: SsPerson | None = None, *, host: str = "127.0.0.1",
                 port: int = VPCD_PORT, atr: bytes = DEFAULT_ATR) -> None:
        self.person = person or SsPerson()
        self.host, self.port, self.atr = host, port, atr
        self.remove_after: int | None = None   # pull the card after this many APDUs
        self.foreign = False                   # no social security application
        self.apdus: list[bytes] = []           # what the reader sent (for tests)
        self.powered = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._selected_df = False
        self._current_ef = b""
        self._pending = b""                    # FCI waiting for GET RESPONSE

    # -- insertion ------------------------------------------------------------
    def insert(self, timeout: float = 10.0) -> None:
        """Connect to vpcd and wait until it talks to us: the reader now has a card.

        vpcd serves one card at a time and re-opens its listening socket after a
        card leaves, so a connection made in that moment can be dropped unanswered;
        we then connect again (bounded by ``timeout``).
        """
        if self._sock is not None:
            return
        deadline = time.monotonic() + timeout
        while True:
            greeted = threading.Event()
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
            sock.settimeout(None)
            self._sock = sock
            self._thread = threading.Thread(target=self._run, args=(sock, greeted),
                                            name="virtual-sscard", daemon=True)
            self._thread.start()
            if greeted.wait(min(2.0, max(0.1, deadline - time.monotonic()))):
                return
            self.remove()
            if time.monotonic() >= deadline:
                raise TimeoutError("vpcd did not take the virtual card")
            time.sleep(0.2)

    def remove(self) -> None:
        """Close the connection: the card leaves the reader."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    # -- the vpcd loop ------------------------------------------------------------
    def _run(self, sock: socket.socket, greeted: threading.Event) -> None:
        try:
            while True:
                head = _recv_exact(sock, 2)
                if head is None:
                    return
                payload = _recv_exact(sock, int.from_bytes(head, "big"))
                if payload is None:
                    return
                if payload in (b"\x01", b"\x04"):   # power on / ATR: vpcd took the card
                    greeted.set()
                answer = self._on_message(payload)
                if answer is not None:
                    sock.sendall(len(answer).to_bytes(2, "big") + answer)
                if self.remove_after is not None and len(self.apdus) >= self.remove_after:
                    threading.Thread(target=self.remove, daemon=True).start()
                    return
        except OSError:
            return   # the socket was closed under us: the card was removed

    def _on_message(self, payload: bytes) -> bytes | None:
        if len(payload) == 1:
            control = payload[0]
            if control == 4:
                return self.atr
            self.powered = control in (1, 2)
            self._selected_df, self._current_ef, self._pending = False, b"", b""
            return None
        self.apdus.append(payload)
        return self.answer(payload).encode()

    # -- the card's application ------------------------------------------------------
    def answer(self, apdu: bytes) -> RApdu:
        if len(apdu) < 4:
            return RApdu(b"", 0x67, 0x00)
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        if (cla, ins) == (0xFF, 0xCA):                      # PC/SC GET DATA: UID
            return RApdu(self.person.uid, 0x90, 0x00)
        if cla != 0x00:
            return RApdu(b"", 0x6E, 0x00)
        if ins == 0xA4:
            data = body[1:1 + body[0]] if body else b""
            return self._select(p1, data)
        if ins == 0xC0:                                      # GET RESPONSE
            if not self._pending:
                return RApdu(b"", 0x69, 0x85)
            le = body[0] if body else 0
            chunk, self._pending = self._pending[:le or 256], self._pending[le or 256:]
            return RApdu(chunk, *((0x61, len(self._pending)) if self._pending else (0x90, 0)))
        if ins == 0xB2:
            return self._read_record(p1, p2, body[0] if body else None)
        return RApdu(b"", 0x6D, 0x00)

    def _select(self, p1: int, data: bytes) -> RApdu:
        if p1 == 0x04:
            if self.foreign or data != SSSE_AID:
                return RApdu(b"", 0x6A, 0x82)
            self._selected_df = True
            # FCI: DF name template (ISO 7816-4 6F/84), fetched with GET RESPONSE (T=0).
            self._pending = b"\x6f" + bytes([len(data) + 2]) + b"\x84" + bytes([len(data)]) + data
            return RApdu(b"", 0x61, len(self._pending))
        if p1 == 0x02 and self._selected_df and data in (EF05, EF06):
            self._current_ef = data
            return RApdu(b"", 0x90, 0x00)
        return RApdu(b"", 0x6A, 0x82)

    def _read_record(self, number: int, p2: int, le: int | None) -> RApdu:
        if not self._selected_df:
            return RApdu(b"", 0x69, 0x86)
        ef = EF05 if p2 == 0x2C else EF06 if p2 == 0x34 else self._current_ef
        records = {CARD_NUMBER.number: (CARD_NUMBER, self.person.card_number)} if ef == EF05 \
            else {r.number: (r, getattr(self.person, k)) for k, r in BASICS.items()} \
            if ef == EF06 else {}
        if number not in records:
            return RApdu(b"", 0x6A, 0x83)
        record, text = records[number]
        value = encode_value(record, text)
        tlv = bytes([number, len(value)]) + value
        if le != len(tlv):
            return RApdu(b"", 0x6C, len(tlv))   # T=0: "send it again with this Le"
        return RApdu(tlv, 0x90, 0x00)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf
