"""The identity card reader interface: polling, card events and recovery.

Drivers supply five primitives (``_open_transport``, ``_close_transport``,
``_check_health``, ``_card_in_field``, ``_read_card``); this class owns what every
reader does:

* **Once per card.** A card found in the field is read once and reported as
  :class:`CardInserted`; while it lies there it is not read again. When the field
  is empty again :class:`CardRemoved` follows. A failed read is retried on the
  next polls (``max_read_attempts`` per placement), each failure reported as
  :class:`CardFailed` so the screen can say "keep the card still".
* **Privacy.** Cards are looked for only while the reader is enabled (a citizen
  session is active). Disabled, the reader only asks the SAM for its status, so
  that an unplugged reader is still noticed; nothing read survives ``disable()``.
* **Unplug and recovery.** A dead port, a silent or failing SAM makes the reader
  UNAVAILABLE with a reason (``device.reason.idcard_*``) at once; the transport is
  closed and reopened every ``reopen_interval_s`` until the SAM answers, then the
  reader is READY again. With the defaults (poll 0.25 s, reopen 0.5 s) both
  happen well within the 2 s the kiosk promises.

Time comes from the injected clock. The thread, ``open()``/``close()`` and the
listeners are :class:`devices.cards.CardReader`'s (one lifecycle for every
polling device); tests call ``poll_once()`` directly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from devices.base import REASON_CLOSED as REASON_CLOSED
from devices.base import DeviceState, DeviceStatus, MediaStatus
from devices.cards import CardEvent as CardEvent
from devices.cards import CardFailed as CardFailed
from devices.cards import CardInserted as CardInserted
from devices.cards import CardListener as CardListener
from devices.cards import CardReader
from devices.cards import CardRemoved as CardRemoved
from devices.idcard.errors import SamFault, SamNotAuthorised
from devices.idcard.photo import PHOTO_UNAVAILABLE, PhotoDecoder
from devices.idcard.text import is_expired
from devices.identity import Identity
from kiosk.clock import Clock
from kiosk.errors import (
    CardError,
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    KioskError,
    NoCard,
    ProtocolError,
)

REASON_UNPLUGGED = "device.reason.idcard_unplugged"
REASON_NO_ANSWER = "device.reason.idcard_no_answer"
REASON_GARBLED = "device.reason.idcard_garbled"
REASON_SAM_FAULT = "device.reason.idcard_sam_fault"
REASON_SAM_UNAUTHORISED = "device.reason.idcard_sam_unauthorised"


def reason_for(error: BaseException) -> str:
    if isinstance(error, SamNotAuthorised):
        return REASON_SAM_UNAUTHORISED
    if isinstance(error, SamFault):
        return REASON_SAM_FAULT
    if isinstance(error, DeviceTimeout):
        return REASON_NO_ANSWER
    if isinstance(error, ProtocolError):
        return REASON_GARBLED
    return REASON_UNPLUGGED


class IdCardReader(CardReader[CardEvent]):
    kind = "idcard"

    def __init__(self, name: str, *, clock: Clock, poll_interval_s: float = 0.25,
                 reopen_interval_s: float = 0.5, max_read_attempts: int = 3,
                 photo_decoder: PhotoDecoder | None = None) -> None:
        super().__init__(name, clock=clock, poll_interval_s=poll_interval_s,
                         reopen_interval_s=reopen_interval_s)
        self._max_read_attempts = max_read_attempts
        self._photo_decoder = photo_decoder
        self._transport_open = False
        self._present = False       # a card was read and reported, and still lies there
        self._attempts = 0          # failed reads of the card now in the field
        for key in ("cards_read", "read_failures", "reopens", "unplugs"):
            self.counters.extra[key] = 0
        self.last_read_s: float | None = None

    # -- primitives (drivers) ----------------------------------------------------
    def _open_transport(self) -> None:
        """Open the port and make sure a SAM answers. DeviceUnavailable if not."""
        raise NotImplementedError

    def _close_transport(self) -> None:
        raise NotImplementedError

    def _check_health(self) -> None:
        """Ask the SAM for its status; raise a DeviceError if it is unwell."""
        raise NotImplementedError

    def _card_in_field(self) -> bool:
        """True when a card is in the field; False for "no card" (never raises NoCard)."""
        raise NotImplementedError

    def _read_card(self) -> Identity:
        """Read and decode the card in the field (photo still WLT)."""
        raise NotImplementedError

    # -- lifecycle ------------------------------------------------------------
    def _closed(self) -> None:
        self._release()
        self._present = False
        self._attempts = 0

    def disable(self) -> None:
        with self._lock:
            super().disable()
            # Privacy: forget the card; the next session reads it afresh.
            self._present = False
            self._attempts = 0
            if self._status.state is not DeviceState.UNAVAILABLE:
                self._update_status(media=MediaStatus.UNKNOWN)

    # -- one step of the state machine ----------------------------------------
    def poll_once(self) -> None:
        with self._poll_lock:
            if not self._transport_open and not self._try_open():
                return
            try:
                if not self.enabled:
                    self._check_health()
                    return
                if self._card_in_field():
                    self._card_seen()
                else:
                    self._field_empty()
            except DeviceError as err:
                if isinstance(err, CardError) and not isinstance(err, SamFault):
                    # A card status outside a read (e.g. 23 on find): not the reader's fault.
                    self._record_failure(err)
                    return
                self._fail(err)

    def _try_open(self) -> bool:
        now = self._clock.monotonic()
        if not self._reopen_due(now):
            return False
        try:
            self._open_transport()
            self._check_health()
        except DeviceError as err:
            self._release()
            self._schedule_reopen(now)
            self._set_unavailable(reason_for(err), err)
            return False
        with self._lock:
            self._transport_open = True
            self.counters.extra["reopens"] += 1
        media = MediaStatus.ABSENT if self.enabled else MediaStatus.UNKNOWN
        self._set_status(DeviceStatus(DeviceState.READY, media=media))
        return True

    def _card_seen(self) -> None:
        if self._present or self._attempts >= self._max_read_attempts:
            return  # already reported (or given up on) this placement
        self._set_status(DeviceStatus(DeviceState.BUSY, media=MediaStatus.PRESENT))
        started = self._clock.monotonic()
        try:
            identity = self._read_card()
        except (CardError, ProtocolError) as err:
            if isinstance(err, SamFault):
                raise
            self._read_failed(err)
            return
        photo_reason: str | None = PHOTO_UNAVAILABLE
        if self._photo_decoder is not None and identity.photo_wlt:
            try:
                identity = replace(identity, photo_bmp=self._photo_decoder.decode(
                    identity.photo_wlt))
                photo_reason = None
            except DeviceUnavailable as err:
                self._record_failure(err)
        elapsed = self._clock.monotonic() - started
        if not self.enabled:
            # The session ended while we read: the card's data goes nowhere (privacy).
            self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.UNKNOWN))
            return
        with self._lock:
            self._present = True
            self._attempts = 0
            self.counters.extra["cards_read"] += 1
            self.last_read_s = elapsed
        self._record_operation()
        self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.PRESENT))
        self._emit(CardInserted(identity, is_expired(identity, self._clock), photo_reason,
                                elapsed))

    def _read_failed(self, err: KioskError) -> None:
        self._record_failure(err)
        with self._lock:
            self.counters.extra["read_failures"] += 1
            self._attempts = 0 if isinstance(err, NoCard) else self._attempts + 1
            attempt = self._attempts
        final = attempt >= self._max_read_attempts
        media = MediaStatus.ABSENT if isinstance(err, NoCard) else MediaStatus.PRESENT
        self._set_status(DeviceStatus(DeviceState.READY, media=media))
        self._emit(CardFailed(err, max(attempt, 1), final))

    def _field_empty(self) -> None:
        with self._lock:
            was_present, self._present = self._present, False
            self._attempts = 0
        self._set_status(DeviceStatus(DeviceState.READY, media=MediaStatus.ABSENT))
        if was_present:
            self._emit(CardRemoved())

    def _fail(self, err: KioskError) -> None:
        self._release()
        with self._lock:
            was_present, self._present = self._present, False
            self._attempts = 0
            self.counters.extra["unplugs"] += 1
        self._schedule_reopen()
        self._set_unavailable(reason_for(err), err)
        if was_present:
            self._emit(CardRemoved())

    def _release(self) -> None:
        with self._lock:
            self._transport_open = False
        self._close_transport()  # idempotent; also cleans up a half-opened transport

    # -- technicians ------------------------------------------------------------
    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["last_read_s"] = self.last_read_s
        data["photo_decoder"] = self._photo_decoder.name if self._photo_decoder else ""
        return data
