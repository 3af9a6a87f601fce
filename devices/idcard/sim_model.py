"""What a SAM reader answers, and how it misbehaves: the simulator's pure core.

:class:`SamModel` turns one request body into the bytes a SAM module would send
back (GA/T 467 framing, see ``protocol.py``), including the timing gaps, for the
card now in the field. It holds no file descriptors and no threads, so tests can
check it byte for byte; ``simulator.py`` puts it behind a pseudo-terminal.

Faults (``inject``) are one-shot by default (``count``), optionally limited to one
command, and cover what the real line and card do wrong: a status code instead
of the answer, a wrong checksum, a frame cut short, noise before the frame, a
slow answer, no answer at all, and the card lifted in the middle of a read.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass

from devices.idcard.profiles import CardProfile
from devices.idcard.protocol import (
    CardData,
    Command,
    Request,
    SamFraming,
    Sw3,
    encode_sam_id,
    response_for,
)
from kiosk.errors import ProtocolError

DEFAULT_SAM_ID = "05.01-20201120-0012345678-1234567890"
#: An older module, from before the appended-address read (30 03) existed.
OLD_SAM_ID = "05.01-20080315-0000471100-0000000042"


class SamGeneration(enum.Enum):
    CURRENT = "current"   # answers every command of GA/T 467, including 30 03
    OLD = "old"           # answers 30 03 with SW3 21 (command error), as early modules do


_SAM_IDS = {SamGeneration.CURRENT: DEFAULT_SAM_ID, SamGeneration.OLD: OLD_SAM_ID}


class FaultKind(enum.Enum):
    STATUS = "status"                    # answer with ``sw3`` instead
    BAD_CHECKSUM = "bad_checksum"        # last byte flipped
    TRUNCATE = "truncate"                # only the first half of the frame, then nothing
    GARBAGE = "garbage"                  # noise bytes before the frame
    DELAY = "delay"                      # the answer comes ``delay_s`` late
    SILENT = "silent"                    # no answer
    REMOVE_MID_READ = "remove_mid_read"  # half a read answer, and the card is gone


@dataclass
class Fault:
    kind: FaultKind
    command: Command | None = None       # None: whichever command comes next
    count: int = 1                       # -1: until cleared
    sw3: int = Sw3.UNKNOWN_ERROR
    delay_s: float = 0.0
    garbage: bytes = b"\x00\x13\xaa\x96\x55\xaa\xaa"


@dataclass(frozen=True)
class Output:
    """Bytes to send after waiting ``delay_s``."""

    delay_s: float
    data: bytes


class SamModel:
    def __init__(self, *, sam_id: str | None = None,
                 generation: SamGeneration = SamGeneration.CURRENT) -> None:
        self.framing = SamFraming()
        self.sam_id = sam_id or _SAM_IDS[generation]
        self.generation = generation
        self.sam_status = int(Sw3.OK)
        self.card: CardProfile | None = None
        self.faults: list[Fault] = []
        self.requests: list[Command] = []   # what the driver sent (for tests)
        self._lock = threading.Lock()

    # -- control -------------------------------------------------------------
    def place(self, card: CardProfile) -> None:
        with self._lock:
            self.card = card

    def remove(self) -> None:
        with self._lock:
            self.card = None

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def set_generation(self, generation: SamGeneration) -> None:
        """Swap in another SAM module (with its own SAM ID)."""
        with self._lock:
            self.generation = generation
            self.sam_id = _SAM_IDS[generation]

    def set_sam_status(self, sw3: int) -> None:
        with self._lock:
            self.sam_status = sw3

    # -- the wire --------------------------------------------------------------
    def handle_bad_frame(self, error: ProtocolError) -> list[Output]:
        """A request that does not check out: the SAM answers SW3 10 (checksum error)."""
        return [Output(0.0, self.framing.wrap(response_for(Sw3.CHECKSUM_ERROR).body()))]

    def handle(self, body: bytes) -> list[Output]:
        try:
            request = Request.parse(body)
        except ProtocolError:
            return [Output(0.0, self._frame(Sw3.COMMAND_ERROR))]
        with self._lock:
            self.requests.append(request.command)
            fault = self._take_fault(request.command)
            if fault is not None and fault.kind is FaultKind.STATUS:
                return [Output(0.0, self._frame(fault.sw3))]
            wire = self._answer(request.command)
            if fault is None:
                return [Output(0.0, wire)]
            return self._apply(fault, request.command, wire)

    def _take_fault(self, command: Command) -> Fault | None:
        for fault in self.faults:
            if fault.command in (None, command):
                if fault.kind is FaultKind.REMOVE_MID_READ and command not in _READS:
                    continue
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _apply(self, fault: Fault, command: Command, wire: bytes) -> list[Output]:
        kind = fault.kind
        if kind is FaultKind.BAD_CHECKSUM:
            return [Output(0.0, wire[:-1] + bytes([wire[-1] ^ 0xFF]))]
        if kind is FaultKind.TRUNCATE:
            return [Output(0.0, wire[:len(wire) // 2])]
        if kind is FaultKind.GARBAGE:
            return [Output(0.0, fault.garbage), Output(0.0, wire)]
        if kind is FaultKind.DELAY:
            return [Output(fault.delay_s, wire)]
        if kind is FaultKind.SILENT:
            return []
        # REMOVE_MID_READ
        self.card = None
        return [Output(0.0, wire[:len(wire) // 2])]

    def _frame(self, sw3: int, data: bytes = b"") -> bytes:
        return self.framing.wrap(response_for(sw3, data).body())

    def _answer(self, command: Command) -> bytes:
        if command in (Command.RESET_SAM, Command.SAM_STATUS):
            return self._frame(self.sam_status)
        if self.sam_status != Sw3.OK:
            return self._frame(self.sam_status)
        if command is Command.SAM_ID:
            return self._frame(Sw3.OK, encode_sam_id(self.sam_id))
        if command is Command.READ_APPENDED_ADDRESS and self.generation is SamGeneration.OLD:
            return self._frame(Sw3.COMMAND_ERROR)
        card = self.card
        if command is Command.FIND_CARD:
            return self._frame(Sw3.FIND_OK, bytes(4)) if card else self._frame(Sw3.FIND_FAILED)
        if command is Command.SELECT_CARD:
            return self._frame(Sw3.OK, bytes(8)) if card else self._frame(Sw3.SELECT_FAILED)
        if card is None:
            return self._frame(Sw3.READ_FAILED)
        if command is Command.READ_APPENDED_ADDRESS:
            extra = card.appended_address_bytes()
            return self._frame(Sw3.OK, extra) if extra else self._frame(Sw3.NO_CONTENT)
        with_fp = command is Command.READ_TEXT_PHOTO_FP
        data = CardData(card.text(), card.photo_bytes(),
                        card.fingerprint_bytes() if with_fp else b"")
        return self._frame(Sw3.OK, data.encode(with_fp))


_READS = (Command.READ_TEXT_PHOTO, Command.READ_TEXT_PHOTO_FP)
