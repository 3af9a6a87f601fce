"""A journey and the citizen session end together; devices off, everything wiped."""

from __future__ import annotations

from pathlib import Path

from devices.base import Device
from kiosk.clock import FakeClock
from kiosk.config.model import IdleConfig
from kiosk.journey.apply import Journey, JourneySettings, SubmitOutcome
from kiosk.journey.plan import plan_for
from kiosk.journey.session import JourneyBinding
from kiosk.session import EndReason, SessionManager
from tests.fakes import ReceiptPrinter
from tests.kiosk.journey_factory import ID_NUMBER, JPEG, NAME, catalog, find_personal, identity

SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001")


def started(clock: FakeClock) -> tuple[Journey, SessionManager, Device]:
    camera = Device("camera0")
    session = SessionManager(clock, IdleConfig(timeout_s=60, warning_s=20), [camera])
    session.touch()
    assert camera.enabled
    j = Journey(plan_for("T-SIMPLE", catalog()), SETTINGS, clock=clock)
    JourneyBinding(j, session)
    j.fire("card_read", identity=identity())
    j.fire("material_ticked", code="HK")
    j.fire("next")
    j.fire("page_added", data=JPEG)
    return j, session, camera


def test_card_removal_ends_the_session_and_wipes() -> None:
    clock = FakeClock()
    j, session, camera = started(clock)
    j.fire("card_removed")
    assert j.state == "card_gone"
    assert not session.active and session.last_end_reason is EndReason.CANCEL
    assert not camera.enabled
    assert find_personal(j, (NAME, ID_NUMBER), set()) == []


def test_idle_timeout_times_the_journey_out() -> None:
    clock = FakeClock()
    j, session, camera = started(clock)
    clock.advance(61)
    session.tick()
    assert j.state == "timed_out" and not camera.enabled
    assert session.last_end_reason is EndReason.TIMEOUT
    assert find_personal(j, (NAME, ID_NUMBER), set()) == []


def test_done_ends_the_session_as_done() -> None:
    clock = FakeClock()
    j, session, _ = started(clock)
    j.fire("next")
    j.fire("field_set", name="phone", value="13800000000")
    j.fire("next")
    j.fire("next")
    j.fire("next")
    j.fire("submit_ok", outcome=SubmitOutcome(("XD-261122-0001-X",), ("XS20261122000001",)))
    assert session.active
    j.fire("printed")
    assert session.last_end_reason is EndReason.DONE and not session.active
    assert j.data.identity is None


def test_a_session_ended_elsewhere_wipes_a_journey_that_cannot_time_out() -> None:
    clock = FakeClock()
    j, session, _ = started(clock)
    j._wf.reset("submitting")
    session.end(EndReason.CANCEL)
    assert j.state == "submitting" and j.data.identity is None and j.data.pages == {}


def test_starter_wires_journey_runner_and_session(tmp_path: Path) -> None:
    import os

    from kiosk.journey.runner import ReceiptContext
    from kiosk.journey.starter import JourneyStarter
    from kiosk.submission.crypto import Sealer
    from kiosk.submission.outbox import Outbox

    clock = FakeClock()
    printer = ReceiptPrinter()
    session = SessionManager(clock, IdleConfig(timeout_s=60, warning_s=20), [])
    outbox = Outbox(tmp_path / "o.sqlite3", Sealer(os.urandom(32)), ref_prefix="XD",
                    clock=clock)
    try:
        starter = JourneyStarter(catalog(), SETTINGS, clock, outbox, None, printer,
                                 ReceiptContext("站点", "https://q"), session)
        session.touch()
        first = starter.start("T-SIMPLE")
        first.fire("card_read", identity=identity())
        j = starter.start("T-SIMPLE", lang="en")  # the citizen chose another item
        assert first.data.identity is None and starter.current is j
        j.fire("card_read", identity=identity())
        j.fire("all_ticked")
        j.fire("next")
        j.fire("page_added", data=JPEG)
        j.fire("next")
        j.fire("field_set", name="phone", value="13800000000")
        j.fire("next")
        j.fire("next")
        j.fire("rated", score=5)
        assert j.state == "done" and [r.item_name for r in printer.printed] == ["Item T-SIMPLE"]
        assert outbox.stats().pending == 1 and not session.active
        assert j.data.identity is None
    finally:
        outbox.close()


def test_no_journey_starts_in_maintenance() -> None:
    """暂停服务 (kiosk/fleet/maintenance.py): the starter refuses whatever a screen asks."""
    from kiosk.errors import WorkflowError
    from kiosk.fleet.maintenance import Maintenance
    from kiosk.journey.runner import ReceiptContext
    from kiosk.journey.starter import JourneyStarter

    clock = FakeClock()
    maintenance = Maintenance()
    session = SessionManager(clock, IdleConfig(timeout_s=60, warning_s=20), [])
    starter = JourneyStarter(catalog(), SETTINGS, clock, None, None,  # type: ignore[arg-type]
                             ReceiptPrinter(), ReceiptContext("站点", "https://q"), session,
                             suspended=lambda: maintenance.on)
    maintenance.enter("设备维护中", clock.now())
    try:
        starter.start("T-SIMPLE")
    except WorkflowError as exc:
        assert exc.i18n_key == "availability.reason.maintenance"
    else:
        raise AssertionError("a journey started in maintenance")
    assert starter.current is None
    maintenance.leave()
    assert starter.start("T-SIMPLE").plan.code == "T-SIMPLE"
