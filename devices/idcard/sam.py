"""Talking to a SAM over any byte transport: one command, one answer, bounded retries.

:class:`SamClient` knows the command sequence of GA/T 467 (find, select, read,
appended address) and nothing about serial ports: the transport is a
:class:`ByteTransport` (pyserial in ``sam_serial.py``; a fake in unit tests).
:class:`SamReader` turns those commands into the primitives of
:class:`devices.idcard.base.IdCardReader`; a driver only adds how to connect.

Why these rules:

* **Per-command timeouts.** Find/select/status answer within ~100 ms, a read
  (1295 B at 115200 baud is 112 ms on the wire, plus the card exchange) within
  ~2 s; a command waits for the configured timeout of its class only.
* **Resynchronise, then retry.** Before each attempt stale input is dropped and
  the frame decoder reset, so bytes that came late for an earlier attempt are not
  parsed as the current answer. (An answer still on its way when we retry can be:
  SAM answers carry no sequence number; it is then the answer to the very same
  command, so taking it is right.) A corrupt frame (checksum, truncated, absurd length), a
  frame the SAM itself rejected (SW3 10/11/21) or no answer are retried, at most
  ``retries`` more times. Card and SAM statuses are answers, never retried here.
* **The appended address is optional.** SAM modules older than the appended-address
  read (30 03, GA/T 490 追加住址) answer it with SW3 21 (command error): the
  identity is then returned without appended addresses and the SAM's ID is
  remembered in :class:`SamCapabilities`, so that SAM is not asked again (the
  reader keeps the capabilities across reconnects; diagnostics show them).
  SW3 91 (no content) is a card without appended addresses.
* **Errors typed once.** The transport raises ``DeviceUnavailable`` for a dead
  port; after the last retry a silent SAM is ``DeviceTimeout`` and garbage is
  ``ProtocolError``. Nothing else escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from devices.idcard.base import IdCardReader
from devices.idcard.errors import NoContent, SamRejectedFrame, UnknownStatus
from devices.idcard.protocol import (
    CardData,
    Command,
    FrameDecoder,
    Framing,
    Request,
    Response,
    SamFraming,
    Sw3,
    Timing,
    parse_sam_id,
    split_addresses,
)
from devices.idcard.text import decode_address, decode_text
from devices.identity import CardType, Identity
from kiosk.clock import Clock
from kiosk.errors import (
    CardError,
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    NoCard,
    ProtocolError,
)


class ByteTransport(Protocol):
    def write(self, data: bytes) -> None:
        """Send all of ``data``; DeviceUnavailable when the port is gone."""
        ...

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes, waiting at most ``timeout`` s; fewer (even none) on timeout."""
        ...

    def discard_input(self) -> None:
        ...

    def close(self) -> None:
        ...


@dataclass(frozen=True)
class Timeouts:
    short_s: float = 0.3   # find, select, SAM status/ID
    long_s: float = 3.0    # reset, reads

    def of(self, command: Command) -> float:
        return self.short_s if command.timing is Timing.SHORT else self.long_s


@dataclass
class ExchangeStats:
    commands: int = 0
    retries: int = 0
    bad_frames: int = 0
    timeouts: int = 0
    discarded_bytes: int = 0


@dataclass(frozen=True)
class CardRead:
    identity: Identity
    fingerprint: bytes = b""


@dataclass
class SamCapabilities:
    """What each SAM (by SAM ID; "" when it did not tell) turned out not to support."""

    no_appended_address: set[str] = field(default_factory=set)

    def appended_address(self, sam_id: str) -> bool:
        return sam_id not in self.no_appended_address


class SamClient:
    def __init__(self, transport: ByteTransport, *, clock: Clock,
                 timeouts: Timeouts | None = None, retries: int = 2,
                 framing: Framing | None = None,
                 capabilities: SamCapabilities | None = None) -> None:
        self.transport = transport
        self.capabilities = capabilities or SamCapabilities()
        #: The ID this SAM gave (``sam_id()``); keys the capabilities.
        self.known_sam_id = ""
        self.clock = clock
        self.timeouts = timeouts or Timeouts()
        self.retries = retries
        self.framing: Framing = framing or SamFraming()
        self.stats = ExchangeStats()
        self._decoder = FrameDecoder(self.framing)

    # -- one command ------------------------------------------------------------
    def transact(self, command: Command, data: bytes = b"") -> Response:
        """Send ``command`` and return its successful response; raise the typed error."""
        wire = self.framing.wrap(Request(command, data).body())
        self.stats.commands += 1
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
            self.transport.discard_input()
            self._decoder.reset()
            self.transport.write(wire)
            try:
                response = self._await_response(command)
                return response.check(command)
            except (UnknownStatus, CardError):
                raise  # answers: retrying would not change them
            except SamRejectedFrame as err:
                last = err
            except DeviceTimeout as err:
                self.stats.timeouts += 1
                last = err
            except ProtocolError as err:   # counted in bad_frames as it arrived
                last = err
        assert last is not None
        raise last

    def _await_response(self, command: Command) -> Response:
        deadline = self.clock.monotonic() + self.timeouts.of(command)
        bad: ProtocolError | None = None
        while True:
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                if bad is not None:
                    raise bad
                raise DeviceTimeout(f"{command.name}: no answer in {self.timeouts.of(command)} s")
            chunk = self.transport.read(self._decoder.wanted, remaining)
            if not chunk:
                continue
            before = self._decoder.discarded
            events = self._decoder.feed(chunk)
            self.stats.discarded_bytes += self._decoder.discarded - before
            for event in events:
                if isinstance(event, ProtocolError):
                    # Keep listening: a good frame may follow the corrupt one.
                    self.stats.bad_frames += 1
                    bad = event
                    continue
                return Response.parse(event.body)

    # -- the SAM's commands -----------------------------------------------------------
    def reset(self) -> None:
        self.transact(Command.RESET_SAM)

    def status(self) -> None:
        self.transact(Command.SAM_STATUS)

    def sam_id(self) -> str:
        self.known_sam_id = parse_sam_id(self.transact(Command.SAM_ID).data)
        return self.known_sam_id

    @property
    def appended_address_supported(self) -> bool:
        return self.capabilities.appended_address(self.known_sam_id)

    def find(self) -> None:
        """Raises ``CardNotFound`` (a ``NoCard``) when the field is empty."""
        self.transact(Command.FIND_CARD)

    def select(self) -> None:
        self.transact(Command.SELECT_CARD)

    def read(self, *, fingerprint: bool = False, appended_address: bool = True) -> CardRead:
        """Select and read the card that ``find`` saw; decode it into an Identity."""
        self.select()
        command = Command.READ_TEXT_PHOTO_FP if fingerprint else Command.READ_TEXT_PHOTO
        data = CardData.parse(self.transact(command).data, fingerprint)
        identity = decode_text(data.text, photo_wlt=data.photo)
        if (appended_address and identity.card_type is CardType.RESIDENT
                and self.appended_address_supported):
            # 追加住址 exists only on resident cards (GA/T 490).
            records = self._appended_address_records()
            addresses = tuple(a for a in map(decode_address, records) if a)
            identity = replace(identity, appended_addresses=addresses)
        return CardRead(identity, data.fingerprint)

    def _appended_address_records(self) -> tuple[bytes, ...]:
        try:
            return split_addresses(self.transact(Command.READ_APPENDED_ADDRESS).data)
        except NoContent:       # SW3 91: none written on this card
            return ()
        except SamRejectedFrame as err:
            if err.sw3 != Sw3.COMMAND_ERROR:
                raise
            # SW3 21 on every attempt: an older SAM that does not know 30 03.
            self.capabilities.no_appended_address.add(self.known_sam_id)
            return ()


class SamReader(IdCardReader):
    """An :class:`IdCardReader` whose primitives are SAM commands.

    Transports differ only in how a :class:`SamClient` is obtained
    (``_connect_client``: open a port, probe, check the SAM answers).
    """

    read_fingerprint = False

    def __init__(self, name: str, **base: Any) -> None:
        super().__init__(name, **base)
        self._client: SamClient | None = None
        self.sam_id = ""
        #: Survives reconnects: a SAM that lacks a command is not asked again.
        self.capabilities = SamCapabilities()

    def _connect_client(self) -> SamClient:
        """A client on an open transport whose SAM answered a status request."""
        raise NotImplementedError

    def _open_transport(self) -> None:
        self._close_transport()
        self._client = self._connect_client()
        try:
            self.sam_id = self._client.sam_id()
        except DeviceError as err:
            # The ID is for technicians only; a SAM that answers status is usable.
            self._record_failure(err)

    def _close_transport(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.transport.close()

    def _require(self) -> SamClient:
        if self._client is None:
            raise DeviceUnavailable("port not open")
        return self._client

    def _check_health(self) -> None:
        self._require().status()

    def _card_in_field(self) -> bool:
        try:
            self._require().find()
        except NoCard:
            return False
        return True

    def _read_card(self) -> Identity:
        return self._require().read(fingerprint=self.read_fingerprint).identity

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        client = self._client
        data["sam_id"] = self.sam_id
        data["appended_address_read"] = ("supported" if self.capabilities.appended_address(
            self.sam_id) else "not supported by this SAM")
        data["exchange"] = vars(client.stats).copy() if client else {}
        return data
