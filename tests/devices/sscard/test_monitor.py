"""SsCardReader's monitoring logic with injected list_readers/connect (no PC/SC needed)."""

from __future__ import annotations

import threading

from devices.base import DeviceState, MediaStatus
from devices.cards import CardFailed, CardInserted, CardRemoved
from devices.sscard.apdu import RApdu
from devices.sscard.base import REASON_NO_READER, ReadersChanged, SsCardReader
from devices.sscard.errors import SsCardRemoved
from devices.sscard.virtual_card import VirtualSsCard
from kiosk.clock import FakeClock
from kiosk.errors import NoCard

Event = CardInserted | CardRemoved | CardFailed | ReadersChanged


class Bench:
    """A reader slot: which readers exist and which card (the card logic) is in it."""

    def __init__(self) -> None:
        self.readers = ["ACS ACR39U 00 00"]
        self.card: VirtualSsCard | None = None
        self.pull_after: int | None = None
        self.sent = 0

    def list_readers(self) -> list[str]:
        return list(self.readers)

    def connect(self, name: str) -> Conn:
        if self.card is None:
            raise NoCard("empty")
        return Conn(self, self.card)


class Conn:
    def __init__(self, bench: Bench, card: VirtualSsCard) -> None:
        self.bench, self.card = bench, card

    def transmit(self, apdu: bytes) -> RApdu:
        self.bench.sent += 1
        if self.bench.pull_after is not None and self.bench.sent > self.bench.pull_after:
            self.bench.card = None
        if self.bench.card is not self.card:
            raise SsCardRemoved("card removed")
        return self.card.answer(apdu)

    def atr(self) -> bytes:
        return self.card.atr

    def present(self) -> bool:
        return self.bench.card is self.card

    def close(self) -> None:
        pass


def make() -> tuple[Bench, SsCardReader, list[Event]]:
    bench = Bench()
    reader = SsCardReader(clock=FakeClock(), list_readers=bench.list_readers,
                          connect=bench.connect)
    events: list[Event] = []
    reader.add_card_listener(events.append)
    reader.enable()
    return bench, reader, events


def test_readers_appearing_and_disappearing() -> None:
    bench, reader, events = make()
    reader.poll_once()
    assert reader.status.ready and events == [ReadersChanged(("ACS ACR39U 00 00",), ())]
    bench.readers = []
    reader.poll_once()
    assert reader.status.state is DeviceState.UNAVAILABLE
    assert reader.status.reason == REASON_NO_READER
    assert events[-1] == ReadersChanged((), ("ACS ACR39U 00 00",))
    bench.readers = ["ACS ACR39U 00 00"]
    reader.poll_once()
    assert reader.status.ready


def test_card_once_then_removed_and_unplugged_reader_removes_the_card() -> None:
    bench, reader, events = make()
    bench.card = VirtualSsCard()
    for _ in range(3):
        reader.poll_once()
    assert [type(e) for e in events] == [ReadersChanged, CardInserted]
    bench.card = None
    reader.poll_once()
    assert isinstance(events[-1], CardRemoved) and reader.status.media is MediaStatus.ABSENT
    bench.card = VirtualSsCard()
    reader.poll_once()
    bench.readers = []
    reader.poll_once()
    assert isinstance(events[-2], ReadersChanged) and isinstance(events[-1], CardRemoved)


def test_pulled_mid_read_then_retry_on_a_new_insertion() -> None:
    bench, reader, events = make()
    bench.card, bench.pull_after = VirtualSsCard(), 5
    reader.poll_once()
    assert isinstance(events[-1], CardFailed) and isinstance(events[-1].error, SsCardRemoved)
    bench.pull_after = None
    bench.card = VirtualSsCard()
    reader.poll_once()
    assert isinstance(events[-1], CardInserted)


def test_failures_are_bounded_per_insertion() -> None:
    bench, reader, events = make()
    card = VirtualSsCard()
    card.foreign = True
    bench.card = card
    for _ in range(6):
        reader.poll_once()
    failed = [e for e in events if isinstance(e, CardFailed)]
    assert [(f.attempt, f.final) for f in failed] == [(1, False), (2, False), (3, True)]


def test_disable_forgets_the_card() -> None:
    bench, reader, events = make()
    bench.card = VirtualSsCard()
    reader.poll_once()
    reader.disable()
    reader.poll_once()
    reader.enable()
    reader.poll_once()
    assert [type(e) for e in events].count(CardInserted) == 2


def test_a_removed_listener_hears_no_more_cards() -> None:
    bench, reader, events = make()
    heard: list[Event] = []
    reader.add_card_listener(heard.append)
    reader.poll_once()
    reader.remove_card_listener(heard.append)
    bench.card = VirtualSsCard()
    reader.poll_once()
    assert isinstance(events[-1], CardInserted)   # the reader read the card...
    assert [type(e) for e in heard] == [ReadersChanged]  # ...for the listener still there


def test_close_stops_the_thread_and_reports_not_opened() -> None:
    bench, reader, _events = make()
    bench.card = VirtualSsCard()
    reader.open()
    reader.open()   # a second open starts no second thread
    names = [t.name for t in threading.enumerate()]
    assert names.count("sscard-sscard") == 1
    reader.close()
    assert "sscard-sscard" not in [t.name for t in threading.enumerate()]
    assert reader.status.state is DeviceState.UNAVAILABLE
    assert reader.status.reason == "device.reason.not_opened"
