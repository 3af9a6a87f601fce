"""The error states of the journey for the headless walk, reached through the
simulators' fault injection: a card the reader cannot read, an expired card, a
face that does not match the card (→ staff check). Paper out and the back office
down are on the walk's main journey (screens/journey/walkthrough.py).

Each scenario starts its own journey and ends it; a PNG (and an audit) of every
error screen in both languages and modes, named like the journey's screens.
"""

from __future__ import annotations

from typing import Any

from kiosk.clock import FakeClock
from kiosk.session import EndReason


def _notice_or_error(walker: Any) -> bool:
    journey = getattr(walker.shell.current, "journey", None)
    if journey is None:
        return False
    return journey.data.notice is not None or walker.state == "error"


def _start(walker: Any, code: str) -> None:
    walker.kiosk.session.end(EndReason.CANCEL)
    walker.kiosk.session.touch()
    walker.shell.go("journey", code=code)
    walker.wait(lambda: walker.state == "identity", "identity step")


def _end(walker: Any) -> None:
    sim = walker.sim
    sim.card_fault("clear")
    sim.remove_card()
    walker.kiosk.session.end(EndReason.CANCEL)
    walker.h.render()


def _card_problem(walker: Any, code: str, profile: str, shot: str,
                  fault: str | None = None) -> None:
    _start(walker, code)
    if fault is not None:
        walker.sim.card_fault(fault)
    walker.sim.place_card(profile)
    walker.wait(lambda: _notice_or_error(walker), f"the notice for {shot}")
    walker.shots(shot)
    _end(walker)


def card_unreadable(walker: Any, code: str) -> None:
    _card_problem(walker, code, "resident", "identity-card-unreadable", "remove_mid_read")


def card_expired(walker: Any, code: str) -> None:
    _card_problem(walker, code, "expired", "identity-card-expired")


def face_mismatch(walker: Any, code: str) -> None:
    _start(walker, code)
    walker.sim.camera_scene("camera", "other")
    walker.sim.place_card("resident")
    # Each attempt has a time budget on the kiosk's clock, which the walk's FakeClock
    # only moves when told: move it a second per poll (the citizen stays, so the
    # session is touched too) until the attempts are used up.
    clock, session = walker.kiosk.clock, walker.kiosk.session

    def decided() -> bool:
        if isinstance(clock, FakeClock) and walker.state == "face":
            clock.advance(1.0)
            session.touch()
        return walker.state in ("face_fallback", "error")

    walker.wait(decided, "the staff check")
    walker.shots(f"face-mismatch-{walker.state.replace('_', '-')}")
    walker.sim.camera_scene("camera", "holder_live")
    _end(walker)


def identity_code(walker: Any, code: str) -> None:
    """亮码 where the site offers it: a barcode that is not an identity code (its reason
    on the identity step), then a code the back office issued, on to the next step."""
    if not walker.kiosk.site.offers_code:
        return
    _start(walker, code)
    walker.sim.scan_code("6901234567892")
    walker.wait(lambda: _notice_or_error(walker), "the notice for a barcode")
    walker.shots("identity-code-unknown")
    walker.sim.camera_scene("camera", "none")
    walker.sim.present_code("resident")
    walker.wait(lambda: walker.state not in ("identity", "code_checking"), "the code resolved")
    if walker.state != "face":
        raise RuntimeError(f"after the code: {walker.state}")
    _end(walker)


SCENARIOS = (card_unreadable, card_expired, face_mismatch, identity_code)


def walk_faults(walker: Any, code: str) -> list[str]:
    """Run every scenario; the failures (one line each) of those that did not reach
    their error screen."""
    failures = []
    for scenario in SCENARIOS:
        try:
            scenario(walker, code)
        except Exception as exc:  # noqa: BLE001 - reported by the walk, exit code 1
            failures.append(f"journey-{walker.orient}-{scenario.__name__}: "
                            f"{type(exc).__name__}: {exc}")
            try:
                _end(walker)
            except Exception as again:  # noqa: BLE001 - the next scenario starts afresh
                failures.append(f"journey-{walker.orient}: cleanup: {again}")
    return failures
