"""The journey driven by the real ID card driver against the SAM simulator on a pty:
a card read starts it; a card pulled away mid-read asks again; removal ends it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.idcard.base import CardEvent
from devices.idcard.profiles import builtin_profiles
from devices.idcard.sam import Timeouts
from devices.idcard.sam_serial import SamSerialReader
from devices.idcard.sim_model import Fault, FaultKind
from devices.idcard.simulator import SamSimulator
from kiosk.clock import FakeClock, SystemClock
from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for
from tests.kiosk.journey_factory import catalog

PROFILES = builtin_profiles()
SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001")


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SamSimulator]:
    with SamSimulator(tmp_path / "idcard-tty", baud=115200) as simulator:
        yield simulator


@pytest.fixture
def reader(sim: SamSimulator) -> Iterator[SamSerialReader]:
    r = SamSerialReader(clock=SystemClock(), port=sim.port, timeouts=Timeouts(0.3, 0.6))
    r.enable()
    r.poll_once()
    yield r
    r.close()


def bind(reader: SamSerialReader, code: str) -> tuple[Journey, list[CardEvent]]:
    # The real clock: the simulator's sample cards have real validity dates.
    j = Journey(plan_for(code, catalog()), SETTINGS, clock=SystemClock())
    events: list[CardEvent] = []

    def on_event(event: CardEvent) -> None:
        events.append(event)
        j.on_card_event(event)

    reader.add_card_listener(on_event)
    return j, events


def test_card_read_starts_and_removal_ends(sim: SamSimulator, reader: SamSerialReader) -> None:
    j, _ = bind(reader, "T-SIMPLE")
    sim.model.place(PROFILES["resident"])
    reader.poll_once()
    assert j.state == "checklist" and j.data.identity is not None
    assert j.data.identity.name == "张三"
    reader.poll_once()  # the card still lies there: not read again
    sim.model.remove()
    reader.poll_once()
    assert j.state == "card_gone" and j.ended


def test_card_pulled_away_mid_read_asks_again(sim: SamSimulator,
                                             reader: SamSerialReader) -> None:
    j, events = bind(reader, "T-SIMPLE")
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(FaultKind.REMOVE_MID_READ))
    for _ in range(3):
        reader.poll_once()
    # The simulator's card left the field halfway through the answer: the reader
    # reports a failed read, the screen says so and waits for the card again.
    assert j.state == "identity" and j.data.identity is None, events
    assert j.view()["notice"] == events[0].error.i18n_key  # type: ignore[union-attr]
    sim.model.place(PROFILES["resident"])
    for _ in range(3):
        reader.poll_once()
        if j.state != "identity":
            break
    assert j.state == "checklist" and j.view()["notice"] is None, events


def test_anything_but_an_identity_is_unreadable() -> None:
    j = Journey(plan_for("T-SIMPLE", catalog()), SETTINGS, clock=FakeClock())
    assert j.card_problem(object()) == "workflow.identity.unreadable"
