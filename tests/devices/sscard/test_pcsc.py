"""pyscard against a real PC/SC stack (pcscd + vpcd) and our virtual social security card."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devices.base import DeviceState, MediaStatus
from devices.idcard.base import CardFailed, CardInserted, CardRemoved
from devices.sscard import pyscard_backend
from devices.sscard.base import REASON_NO_READER, REASON_NO_SERVICE, ReadersChanged, SsCardReader
from devices.sscard.errors import NotSocialSecurityCard, SsCardRemoved
from devices.sscard.virtual_card import DEFAULT_ATR, SsPerson, VirtualSsCard
from kiosk.clock import SystemClock
from kiosk.errors import DeviceUnavailable, NoCard

from .conftest import reader_empty, wait_for

pytestmark = pytest.mark.pcsc
Event = CardInserted | CardRemoved | CardFailed | ReadersChanged


@pytest.fixture
def card(pcscd: str) -> Iterator[VirtualSsCard]:
    c = VirtualSsCard(SsPerson(name="欧阳䶮", id_number="330106199001011237"))
    yield c
    c.remove()
    # vpcd takes the next card only once pcscd has seen this one leave.
    assert wait_for(lambda: reader_empty(pcscd), 10)


@pytest.fixture
def reader(pcscd: str) -> Iterator[tuple[SsCardReader, list[Event]]]:
    r = SsCardReader(clock=SystemClock(), reader_filter=pcscd)
    events: list[Event] = []
    r.add_card_listener(events.append)
    r.enable()
    yield r, events
    r.close()


def insert(card: VirtualSsCard, reader: SsCardReader, events: list[Event]) -> None:
    assert wait_for(lambda: reader_empty(reader.reader_filter), 10)
    card.insert()
    assert wait_for(lambda: (reader.poll_once(), any(
        isinstance(e, CardInserted | CardFailed) for e in events))[1], 10)


def test_readers_are_listed_and_reported(reader: tuple[SsCardReader, list[Event]],
                                         pcscd: str) -> None:
    r, events = reader
    r.poll_once()
    assert r.status.state is DeviceState.READY and r.status.media is MediaStatus.ABSENT
    assert isinstance(events[0], ReadersChanged) and pcscd in events[0].added
    assert r.diagnostics()["reader"] == pcscd


def test_card_basics_atr_uid_and_chaining(reader: tuple[SsCardReader, list[Event]],
                                          card: VirtualSsCard) -> None:
    r, events = reader
    insert(card, r, events)
    inserted = [e for e in events if isinstance(e, CardInserted)]
    assert len(inserted) == 1
    ident = inserted[0].identity
    assert (ident.name, ident.id_number, ident.sex, ident.nation) == \
        ("欧阳䶮", "330106199001011237", "1", "01")
    assert r.last_atr == DEFAULT_ATR
    sent = [a.hex().upper() for a in card.apdus]
    assert sent[0] == "FFCA000000"                       # UID first
    assert "00C0000013" in sent                          # 61xx -> GET RESPONSE
    assert "00B2080000" in sent and "00B2080014" in sent  # 6Cxx -> resent with Le
    for _ in range(3):
        r.poll_once()
    assert len([e for e in events if isinstance(e, CardInserted)]) == 1   # not re-read


def test_card_removal_is_reported(reader: tuple[SsCardReader, list[Event]],
                                  card: VirtualSsCard) -> None:
    r, events = reader
    insert(card, r, events)
    card.remove()
    assert wait_for(lambda: (r.poll_once(), isinstance(events[-1], CardRemoved))[1], 10)
    assert r.status.media is MediaStatus.ABSENT
    assert wait_for(lambda: reader_empty(r.reader_filter), 10)
    card.insert()
    assert wait_for(lambda: (r.poll_once(), isinstance(events[-1], CardInserted))[1], 10)


def test_card_pulled_mid_read(reader: tuple[SsCardReader, list[Event]],
                              card: VirtualSsCard) -> None:
    r, events = reader
    card.remove_after = 4
    insert(card, r, events)
    failed = [e for e in events if isinstance(e, CardFailed)]
    assert failed and isinstance(failed[0].error, SsCardRemoved | DeviceUnavailable)
    assert not any(isinstance(e, CardInserted) for e in events)


def test_foreign_card(reader: tuple[SsCardReader, list[Event]], card: VirtualSsCard) -> None:
    r, events = reader
    card.foreign = True
    insert(card, r, events)
    failed = [e for e in events if isinstance(e, CardFailed)]
    assert isinstance(failed[0].error, NotSocialSecurityCard)
    assert failed[0].error.i18n_key == "sscard.error.not_sscard"


def test_disabled_reader_reads_nothing(reader: tuple[SsCardReader, list[Event]],
                                       card: VirtualSsCard) -> None:
    r, events = reader
    r.disable()
    assert wait_for(lambda: reader_empty(r.reader_filter), 10)
    card.insert()
    for _ in range(5):
        r.poll_once()
    assert not any(isinstance(e, CardInserted) for e in events)
    assert card.apdus == []


def test_no_matching_reader(pcscd: str) -> None:
    r = SsCardReader(clock=SystemClock(), reader_filter="No Such Reader")
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE and r.status.reason == REASON_NO_READER


def test_no_pcsc_service_is_unavailable_with_reason() -> None:
    def no_service() -> list[str]:
        raise DeviceUnavailable("SCARD_E_NO_SERVICE", i18n_key=REASON_NO_SERVICE)
    r = SsCardReader(clock=SystemClock(), list_readers=no_service)
    r.poll_once()
    assert r.status.reason == REASON_NO_SERVICE


def test_backend_connect_without_card_is_nocard(pcscd: str) -> None:
    with pytest.raises(NoCard):
        pyscard_backend.connect(pcscd)


def test_diagnose_reads_and_masks(pcscd: str, card: VirtualSsCard,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.wiring import devicecheck
    assert wait_for(lambda: reader_empty(pcscd), 10)
    card.insert()
    assert wait_for(lambda: not reader_empty(pcscd), 10)
    assert devicecheck.main(["sscard", "--json", "--reader", pcscd, "--wait", "3"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["card"]["id_number"] == "330106********1237"
    assert "330106199001011237" not in out and "欧阳䶮" not in out
    assert report["card"]["atr"] == DEFAULT_ATR.hex(" ")


def test_diagnose_without_card(pcscd: str, capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.wiring import devicecheck
    assert wait_for(lambda: reader_empty(pcscd), 10)
    assert devicecheck.main(["sscard", "--json", "--reader", pcscd, "--wait", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["card"] is None
    assert devicecheck.main(["sscard", "--json", "--reader", "No Such Reader", "--wait", "0"]) == 1
