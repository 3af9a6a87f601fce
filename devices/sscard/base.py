"""The social security card reader: reader and card monitoring, once-per-card reads.

The hardware seams are parameters (pyscard style): ``list_readers()`` returns the
PC/SC reader names and ``connect(name)`` returns a :class:`CardConnection` to the
card in that reader. The defaults are the PC/SC driver's
(:mod:`devices.sscard.pyscard_backend`, pyscard against the running ``pcscd``);
tests use them against pcscd + vpcd + :mod:`devices.sscard.virtual_card`, or
inject a bench. The thread, ``open()``/``close()`` and the listeners are
:class:`devices.cards.CardReader`'s.

Each poll (the thread calls ``poll_once()`` every ``poll_interval_s``):

* **Readers** are listed and diffed: :class:`ReadersChanged` is reported when
  readers appear or disappear. No PC/SC service, or no reader matching the
  configured name, makes the device UNAVAILABLE (``device.reason.sscard_*``);
  it comes back by itself when the reader does.
* **Cards**, only while enabled (a citizen session): a new card is read once
  (ATR, UID, the basics) and reported as ``CardInserted`` (the card events of
  :mod:`devices.cards`, as the ID card reader's, so the journey treats both
  alike); while it stays
  connected it is not read again; ``SCardStatus`` saying it left gives
  ``CardRemoved``. Failed reads are retried on the next polls, at most
  ``max_read_attempts`` per insertion, each reported as ``CardFailed``.

pyscard exceptions become project errors in the driver, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from devices.base import REASON_CLOSED as REASON_CLOSED
from devices.base import DeviceState, DeviceStatus, MediaStatus
from devices.cards import CardFailed, CardInserted, CardReader, CardRemoved
from devices.identity import Identity
from devices.sscard.apdu import (
    BASICS,
    CARD_NUMBER,
    EF06,
    GET_UID,
    SSSE_AID,
    RApdu,
    check,
    decode_basics,
    decode_value,
    exchange,
    read_record,
    select_by_name,
    select_ef,
    unwrap_record,
)
from kiosk.clock import Clock
from kiosk.errors import CardError, DeviceUnavailable, KioskError, NoCard, ProtocolError

REASON_NO_SERVICE = "device.reason.sscard_no_service"
REASON_NO_READER = "device.reason.sscard_no_reader"
REASON_LIBRARY = "device.reason.sscard_library_missing"
PHOTO_NONE = "idcard.photo.unavailable"   # a social security card carries no chip photo here


class CardConnection(Protocol):
    def transmit(self, apdu: bytes) -> RApdu:
        """One APDU exchange. SsCardRemoved when the card left, DeviceUnavailable otherwise."""
        ...

    def atr(self) -> bytes:
        ...

    def present(self) -> bool:
        """Whether the card we are connected to is still in the reader."""
        ...

    def close(self) -> None:
        ...


ListReaders = Callable[[], list[str]]
Connect = Callable[[str], CardConnection]


@dataclass(frozen=True)
class ReadersChanged:
    added: tuple[str, ...]
    removed: tuple[str, ...]


#: What the 社保卡 reader reports: the card events, and readers coming and going.
SsCardEvent = CardInserted | CardRemoved | CardFailed | ReadersChanged
SsCardListener = Callable[[SsCardEvent], None]


@dataclass(frozen=True)
class SsCardRead:
    identity: Identity
    atr: bytes
    uid: bytes
    card_number: str


def read_basics(conn: CardConnection) -> SsCardRead:
    """ATR, UID (if the reader gives one) and the holder's basics."""
    def tx(raw: bytes) -> RApdu:
        return conn.transmit(raw)

    uid_answer = exchange(tx, GET_UID)
    uid = uid_answer.data if uid_answer.sw == 0x9000 else b""   # not all readers/cards
    check(exchange(tx, select_by_name(SSSE_AID)), "select SSSE")
    number = decode_value(CARD_NUMBER, unwrap_record(CARD_NUMBER, check(
        exchange(tx, read_record(CARD_NUMBER.number, 0x2C)), "read EF05/07").data))
    check(exchange(tx, select_ef(EF06)), "select EF06")
    values: dict[str, str] = {}
    for key, record in BASICS.items():
        data = check(exchange(tx, read_record(record.number)), f"read EF06/{record.number:02X}")
        values[key] = decode_value(record, unwrap_record(record, data.data))
    return SsCardRead(decode_basics(values), conn.atr(), uid, number)


class SsCardReader(CardReader[SsCardEvent]):
    kind = "sscard"

    def __init__(self, name: str = "sscard", *, clock: Clock, reader_filter: str = "",
                 poll_interval_s: float = 0.5, max_read_attempts: int = 3,
                 list_readers: ListReaders | None = None, connect: Connect | None = None) -> None:
        super().__init__(name, clock=clock, poll_interval_s=poll_interval_s)
        self.reader_filter = reader_filter
        self._max_read_attempts = max_read_attempts
        self._list_readers = list_readers
        self._connect = connect
        self._readers: tuple[str, ...] = ()
        self.reader: str | None = None
        self._conn: CardConnection | None = None
        self._present = False
        self._attempts = 0
        self.last_atr = b""
        for key in ("cards_read", "read_failures"):
            self.counters.extra[key] = 0

    # -- lifecycle ---------------------------------------------------------------
    def _closed(self) -> None:
        self._drop_card(report=False)

    def disable(self) -> None:
        with self._poll_lock:
            super().disable()
            self._drop_card(report=False)   # privacy: the next session reads afresh

    # -- one poll ------------------------------------------------------------------
    def poll_once(self) -> None:
        with self._poll_lock:
            try:
                names = tuple(self._resolve_list_readers()())
            except DeviceUnavailable as err:
                self._unavailable(err.i18n_key, err)
                return
            if names != self._readers:
                added = tuple(n for n in names if n not in self._readers)
                removed = tuple(n for n in self._readers if n not in names)
                self._readers = names
                self._emit(ReadersChanged(added, removed))
            reader = next((n for n in names if self.reader_filter in n), None)
            if reader is None:
                self._unavailable(REASON_NO_READER, DeviceUnavailable(
                    f"no reader matching {self.reader_filter!r} among {list(names)}"))
                return
            if reader != self.reader:
                self._drop_card(report=True)
                self.reader = reader
            if not self.status.ready and self.status.state is not DeviceState.BUSY:
                self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.UNKNOWN))
            if self.enabled:
                self._poll_card(reader)

    def _poll_card(self, reader: str) -> None:
        if self._conn is not None:
            if self._conn.present():
                if not self._present and self._attempts < self._max_read_attempts:
                    self._read()
                return
            self._drop_card(report=True)
            self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.ABSENT))
            return
        try:
            self._conn = self._resolve_connect()(reader)
        except NoCard:
            self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.ABSENT))
            return
        except DeviceUnavailable as err:
            self._record_failure(err)
            return
        self._attempts = 0
        self._read()

    def _read(self) -> None:
        assert self._conn is not None
        self._set_status(DeviceStatus(DeviceState.BUSY, media=MediaStatus.PRESENT))
        started = self._clock.monotonic()
        try:
            result = read_basics(self._conn)
        except (CardError, ProtocolError, DeviceUnavailable) as err:
            self._read_failed(err)
            return
        self._present = True
        self.last_atr = result.atr
        self.counters.extra["cards_read"] += 1
        self._record_operation()
        self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.PRESENT))
        self._emit(CardInserted(result.identity, False, PHOTO_NONE,
                                self._clock.monotonic() - started))

    def _read_failed(self, err: KioskError) -> None:
        self._record_failure(err)
        self.counters.extra["read_failures"] += 1
        if isinstance(err, NoCard):
            self._drop_card(report=False)
            self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.ABSENT))
            self._emit(CardFailed(err, 1, False))
            return
        self._attempts += 1
        final = self._attempts >= self._max_read_attempts
        self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.PRESENT))
        self._emit(CardFailed(err, self._attempts, final))

    def _drop_card(self, *, report: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        was_present, self._present = self._present, False
        self._attempts = 0
        if report and was_present:
            self._emit(CardRemoved())

    def _unavailable(self, reason: str, err: KioskError) -> None:
        self._drop_card(report=True)
        self.reader = None
        self._set_unavailable(reason, err)

    # -- the pyscard defaults, imported only when used ---------------------------------
    def _resolve_list_readers(self) -> ListReaders:
        if self._list_readers is None:
            try:
                from devices.sscard import pyscard_backend
            except ImportError as err:
                raise DeviceUnavailable(f"pyscard: {err}", i18n_key=REASON_LIBRARY) from None
            self._list_readers = pyscard_backend.list_readers
            self._connect = self._connect or pyscard_backend.connect
        return self._list_readers

    def _resolve_connect(self) -> Connect:
        if self._connect is None:
            self._resolve_list_readers()
        assert self._connect is not None
        return self._connect

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data.update({"readers": list(self._readers), "reader": self.reader,
                     "reader_filter": self.reader_filter, "atr": self.last_atr.hex(" ")})
        return data

