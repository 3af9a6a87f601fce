"""The reader's state machine on a FakeClock: once per card, removal, failures, recovery."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.base import DeviceState, MediaStatus
from devices.idcard import errors as e
from devices.idcard.base import (
    REASON_NO_ANSWER,
    REASON_SAM_UNAUTHORISED,
    REASON_UNPLUGGED,
    CardEvent,
    CardFailed,
    CardInserted,
    CardRemoved,
)
from devices.idcard.photo import PHOTO_UNAVAILABLE, SimJpegTestCodec
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command, Sw3
from devices.idcard.sim_model import Fault, FaultKind, SamModel
from kiosk.clock import FakeClock
from kiosk.errors import NoCard

from .loopback import LoopbackReader

PROFILES = builtin_profiles()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))


@pytest.fixture
def model() -> SamModel:
    return SamModel()


@pytest.fixture
def events() -> list[CardEvent]:
    return []


@pytest.fixture
def reader(model: SamModel, clock: FakeClock, events: list[CardEvent]) -> LoopbackReader:
    r = LoopbackReader(model, clock)
    r.add_card_listener(events.append)
    r.enable()
    r.poll_once()
    assert r.status.state is DeviceState.READY
    return r


def test_card_reported_once_then_removed(reader: LoopbackReader, model: SamModel,
                                         events: list[CardEvent]) -> None:
    reader.poll_once()
    assert events == []
    assert reader.status.media is MediaStatus.ABSENT
    model.place(PROFILES["resident"])
    for _ in range(5):
        reader.poll_once()
    assert len(events) == 1 and isinstance(events[0], CardInserted)
    assert events[0].identity.name == "张三"
    assert not events[0].expired
    assert events[0].photo_reason == PHOTO_UNAVAILABLE
    assert model.requests.count(Command.READ_TEXT_PHOTO) == 1   # no re-reading
    assert reader.status.media is MediaStatus.PRESENT
    model.remove()
    reader.poll_once()
    assert isinstance(events[-1], CardRemoved)
    assert reader.status.media is MediaStatus.ABSENT
    model.place(PROFILES["hmt_permit"])
    reader.poll_once()
    assert isinstance(events[-1], CardInserted)
    assert events[-1].identity.permit_number == "H12345678"


def test_expired_card_is_flagged_against_the_clock(reader: LoopbackReader, model: SamModel,
                                                   events: list[CardEvent]) -> None:
    model.place(PROFILES["expired"])
    reader.poll_once()
    assert isinstance(events[0], CardInserted) and events[0].expired


def test_disabled_reader_reads_nothing(reader: LoopbackReader, model: SamModel,
                                       events: list[CardEvent]) -> None:
    reader.disable()
    model.place(PROFILES["resident"])
    model.requests.clear()
    reader.poll_once()
    assert events == []
    assert model.requests == [Command.SAM_STATUS]   # health only
    reader.enable()
    reader.poll_once()
    assert isinstance(events[0], CardInserted)
    reader.disable()
    reader.enable()
    reader.poll_once()
    # A new session reads the card that still lies there afresh.
    assert [type(x) for x in events] == [CardInserted, CardInserted]


def test_failed_reads_are_retried_then_given_up(reader: LoopbackReader, model: SamModel,
                                               events: list[CardEvent]) -> None:
    model.place(PROFILES["resident"])
    model.inject(Fault(FaultKind.STATUS, command=Command.READ_TEXT_PHOTO, sw3=0x41, count=-1))
    for _ in range(6):
        reader.poll_once()
    fails = [x for x in events if isinstance(x, CardFailed)]
    assert [(f.attempt, f.final) for f in fails] == [(1, False), (2, False), (3, True)]
    assert isinstance(fails[0].error, e.CardReadFailed)
    assert fails[0].error.i18n_key == "idcard.error.read_failed"
    assert reader.status.state is DeviceState.READY
    model.clear_faults()
    model.remove()
    reader.poll_once()
    model.place(PROFILES["resident"])
    reader.poll_once()
    assert isinstance(events[-1], CardInserted)


def test_one_failure_then_success(reader: LoopbackReader, model: SamModel,
                                  events: list[CardEvent]) -> None:
    model.place(PROFILES["resident"])
    model.inject(Fault(FaultKind.STATUS, command=Command.SELECT_CARD, sw3=0x31))
    reader.poll_once()
    reader.poll_once()
    assert isinstance(events[0], CardFailed) and isinstance(events[0].error, e.CardAuthFailed)
    assert isinstance(events[1], CardInserted)


def test_card_removed_mid_read(reader: LoopbackReader, model: SamModel,
                               events: list[CardEvent]) -> None:
    model.place(PROFILES["resident"])
    model.inject(Fault(FaultKind.REMOVE_MID_READ))
    reader.poll_once()
    assert isinstance(events[0], CardFailed) and not events[0].final
    reader.poll_once()
    assert reader.status.media is MediaStatus.ABSENT
    assert not any(isinstance(x, CardInserted | CardRemoved) for x in events)


def test_unplug_and_reopen(reader: LoopbackReader, model: SamModel, clock: FakeClock,
                           events: list[CardEvent]) -> None:
    statuses: list[DeviceState] = []
    reader.add_listener(lambda _d, s: statuses.append(s.state))
    model.place(PROFILES["resident"])
    reader.poll_once()
    reader.unplug()
    reader.poll_once()
    assert reader.status.state is DeviceState.UNAVAILABLE
    assert reader.status.reason == REASON_UNPLUGGED
    assert isinstance(events[-1], CardRemoved)
    reader.unplugged = False
    reader.poll_once()                      # too early: reopen waits reopen_interval_s
    assert reader.status.state is DeviceState.UNAVAILABLE
    clock.advance(0.5)
    reader.poll_once()
    assert reader.status.state is DeviceState.READY
    assert reader.counters.extra["reopens"] == 2
    reader.poll_once()
    assert isinstance(events[-1], CardInserted)   # the card on it is read again
    assert statuses.count(DeviceState.UNAVAILABLE) == 1


def test_silent_sam_is_unavailable(reader: LoopbackReader, model: SamModel) -> None:
    model.inject(Fault(FaultKind.SILENT, count=-1))
    reader.poll_once()
    assert reader.status.state is DeviceState.UNAVAILABLE
    assert reader.status.reason == REASON_NO_ANSWER


def test_sam_not_authorised_is_unavailable_with_reason(model: SamModel,
                                                       clock: FakeClock) -> None:
    model.set_sam_status(Sw3.SAM_NOT_AUTHORISED)
    r = LoopbackReader(model, clock)
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE
    assert r.status.reason == REASON_SAM_UNAUTHORISED
    model.set_sam_status(Sw3.OK)
    clock.advance(1)
    r.poll_once()
    assert r.status.ready


def _read_with_test_codec(model: SamModel, clock: FakeClock) -> CardInserted:
    """The card on ``model`` read by a reader with the simulator's photo codec."""
    events: list[CardEvent] = []
    r = LoopbackReader(model, clock, photo_decoder=SimJpegTestCodec())
    r.add_card_listener(events.append)
    r.enable()
    r.poll_once()
    r.poll_once()
    assert isinstance(events[0], CardInserted)
    return events[0]


def test_sim_jpeg_photo_is_decoded_when_configured(model: SamModel, clock: FakeClock) -> None:
    from dataclasses import replace
    jpeg = b"\xff\xd8" + bytes(100) + b"\xff\xd9"
    model.place(replace(PROFILES["resident"], photo=SimJpegTestCodec.embed(jpeg)))
    inserted = _read_with_test_codec(model, clock)
    assert inserted.photo_reason is None and inserted.identity.photo_bmp == jpeg


def test_test_codec_refuses_a_real_photo_field(model: SamModel, clock: FakeClock) -> None:
    model.place(PROFILES["resident"])
    inserted = _read_with_test_codec(model, clock)
    assert inserted.photo_reason == PHOTO_UNAVAILABLE and inserted.identity.photo_bmp == b""


def test_diagnostics_hold_no_personal_data(reader: LoopbackReader, model: SamModel) -> None:
    model.place(PROFILES["resident"])
    reader.poll_once()
    text = repr(reader.diagnostics())
    ident = PROFILES["resident"].fields
    assert ident["name"] not in text and ident["id_number"] not in text
    assert reader.diagnostics()["sam_id"] == model.sam_id


def test_no_card_error_class_is_nocard() -> None:
    assert issubclass(e.CardNotFound, NoCard)


def test_session_ending_during_a_read_drops_the_card(model: SamModel,
                                                     clock: FakeClock) -> None:
    class Racing(LoopbackReader):
        def _read_card(self):  # type: ignore[no-untyped-def]
            identity = super()._read_card()
            self.disable()   # the citizen's session ends while the read is in flight
            return identity

    events: list[CardEvent] = []
    r = Racing(model, clock)
    r.add_card_listener(events.append)
    r.enable()
    model.place(PROFILES["resident"])
    r.poll_once()
    assert events == []
    assert r.status.state is DeviceState.READY
