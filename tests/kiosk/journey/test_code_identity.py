"""亮码 in the journey table: a code read on the identity step is resolved by the back
office and continues the journey exactly as a card would (face check against the photo
the platform returned), or returns to the identity step with the reason; codes shown at
any other moment are let go."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest

from devices.codescanner.base import CodeScanned, ScanRejected
from devices.codescanner.framing import Code, Reject
from kiosk.clock import FakeClock
from kiosk.config.model import SiteProfile, load_config, load_site
from kiosk.errors import BackofficeUnreachable, ConfigError, PermanentError
from kiosk.identity import Identity
from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for, plan_item
from kiosk.journey.runner import JourneyRunner, ReceiptContext
from kiosk.journey.tables import journey_table
from kiosk.submission.client import IdentityResolved
from kiosk.submission.identitycode import CodeResolver, IdentityCodeError
from tests.kiosk.journey_factory import ID_NUMBER, NAME, catalog, find_personal, identity

CODE = "ZJID1." + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001", code_identity=True)
PHOTO = b"\xff\xd8\xff\xe0photo"


class Resolver:
    def __init__(self, answer: Identity | Exception) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def resolve(self, code: str) -> Identity:
        self.asked.append(code)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class NoQueue:
    def enqueue(self, case: Any) -> str:
        raise AssertionError("not in these tests")


def run(code: str, resolver: Resolver | None = None,
        settings: JourneySettings = SETTINGS) -> tuple[Journey, Resolver]:
    resolver = resolver or Resolver(identity())
    j = Journey(plan_for(code, catalog()), settings, clock=FakeClock())
    JourneyRunner(j, queue=NoQueue(), waiter=None, printer=NoQueue(),  # type: ignore[arg-type]
                  context=ReceiptContext("site", "https://q.example"), clock=FakeClock(),
                  codes=resolver)
    return j, resolver


def scanned(text: str = CODE) -> CodeScanned:
    return CodeScanned(Code(text))


def test_the_table_has_the_code_rows_only_where_codes_are_taken() -> None:
    plan = plan_for("T-SIMPLE", catalog())
    assert "code_checking" not in journey_table(plan).states
    table = journey_table(plan, code=True)
    assert "code_checking" in table.states
    assert table.allowed("identity")[:3] == ("card_read", "card_removed", "card_failed")
    assert {"code_scanned", "code_unreadable"} <= set(table.allowed("identity"))
    assert set(table.allowed("code_checking")) >= {"code_ok", "code_failed", "leave", "timeout"}
    assert not Journey(plan, JourneySettings(site_id="s", terminal_id="T"),
                       clock=FakeClock()).offers_code  # the site does not offer it


def test_a_code_gives_the_identity_and_the_journey_goes_on_as_after_a_card() -> None:
    j, resolver = run("T-SIMPLE")
    view = j.view()
    assert view["accepts_code"] and view["scan_code"]
    assert view["message"] == "workflow.identity.card_or_code"
    j.on_scan_event(scanned())
    assert resolver.asked == [CODE]
    assert j.state == "checklist"
    assert j.data.identity is not None and j.data.identity.name == NAME
    assert j.data.identity_source == "code" and j.data.code is None
    assert j.data.verification is not None and j.data.verification.method == "code"
    assert j.data.form["id_number"] == ID_NUMBER  # prefilled as from a card
    assert not j.view().get("scan_code")
    j.on_scan_event(scanned())  # a code shown later is let go
    assert j.state == "checklist" and resolver.asked == [CODE]


def test_checking_shows_on_the_identity_step_and_turns_the_scanner_off() -> None:
    j = Journey(plan_for("T-SIMPLE", catalog()), SETTINGS, clock=FakeClock())  # no runner
    j.on_scan_event(scanned())
    assert j.state == "code_checking"
    view = j.view()
    assert view["step"] == "identity" and view["step_index"] == 0
    assert view["checking"] and not view["scan_code"]
    assert view["message"] == "workflow.code.checking"
    j.on_scan_event(scanned())  # one code at a time: another one meanwhile is let go
    assert j.state == "code_checking"
    j.fire("leave")  # nothing handed over yet: ends at once
    assert j.state == "cancelled"


def test_with_a_face_check_the_face_is_compared_with_the_platforms_photo() -> None:
    from dataclasses import replace
    j, _ = run("T-B1", Resolver(replace(identity(), photo_bmp=PHOTO)))
    j.on_scan_event(scanned())
    assert j.state == "face" and j.data.identity is not None
    assert j.data.identity.photo_bmp == PHOTO
    j.fire("face_ok", score=0.7)
    assert j.data.verification is not None and j.data.verification.method == "code+face"


@pytest.mark.parametrize("key", ["workflow.code.expired", "workflow.code.used",
                                 "workflow.code.unknown", "workflow.code.offline"])
def test_a_refused_code_returns_to_the_identity_step_saying_why(key: str) -> None:
    j, _ = run("T-SIMPLE", Resolver(IdentityCodeError("refused", i18n_key=key)))
    j.on_scan_event(scanned())
    assert j.state == "identity" and j.data.notice == key and j.data.code is None
    assert j.view()["scan_code"]  # show a fresh code, or the card
    j.fire("card_read", identity=identity())
    assert j.state == "checklist" and j.data.identity_source == "card"


def test_what_is_not_an_identity_code_is_not_sent() -> None:
    j, resolver = run("T-SIMPLE")
    j.on_scan_event(scanned("6901234567892"))  # a product barcode
    assert j.state == "identity" and j.data.notice == "workflow.code.unknown"
    j.on_scan_event(ScanRejected(Reject.PARTIAL))
    assert j.data.notice == "workflow.code.unreadable"
    assert resolver.asked == []


def test_an_expired_document_behind_a_code_is_refused_like_the_card() -> None:
    j, _ = run("T-SIMPLE", Resolver(identity(valid_to=date(2020, 1, 1))))
    j.on_scan_event(scanned())
    assert j.state == "identity" and j.data.notice == "workflow.identity.expired"
    assert j.data.identity is None


def test_a_card_taken_away_does_not_end_a_journey_started_with_a_code() -> None:
    j, _ = run("T-SIMPLE")
    j.on_scan_event(scanned())
    j.fire("card_removed")
    assert j.state == "checklist" and not j.ended


def test_an_item_that_needs_the_card_takes_no_code() -> None:
    item = catalog().item("T-SIMPLE").model_copy(update={"identity_code": False})
    plan = plan_item(item)
    j = Journey(plan, SETTINGS, clock=FakeClock())
    assert not j.offers_code and not j.view()["accepts_code"]
    assert j.on_scan_event(scanned()) is None and j.state == "identity"


def test_the_code_leaves_nothing_behind_after_the_session() -> None:
    j, _ = run("T-SIMPLE", Resolver(IdentityCodeError("x", i18n_key="workflow.code.used")))
    j.on_scan_event(scanned())
    j.fire("leave")
    assert find_personal(j.data, (CODE,), set()) == []


# -- the resolver: answers and refusals of the back office -------------------------------

class Client:
    def __init__(self, answer: IdentityResolved | Exception) -> None:
        self.answer = answer

    def identity_code(self, code: str) -> IdentityResolved:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def answer(photo: str | None) -> IdentityResolved:
    return IdentityResolved.model_validate({
        "identity": {"card_type": "resident", "name": NAME, "id_number": ID_NUMBER.lower(),
                     "sex": "2", "nation": "01", "birth": "1985-03-12", "address": "地址",
                     "long_term": True},
        "photo_jpeg": photo, "issued_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat()})


def test_the_resolver_gives_the_identity_with_the_photo(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    who = CodeResolver(Client(answer(base64.b64encode(PHOTO).decode()))).resolve(CODE)
    assert who.id_number == ID_NUMBER and who.birth == date(1985, 3, 12) and who.long_term
    assert who.photo_bmp == PHOTO
    assert CodeResolver(Client(answer("not base64!"))).resolve(CODE).photo_bmp == b""
    assert CODE not in caplog.text and CODE[6:] not in caplog.text
    assert ID_NUMBER not in caplog.text


@pytest.mark.parametrize(("error", "key"), [
    (PermanentError("x", status=410, code="code_expired"), "workflow.code.expired"),
    (PermanentError("x", status=410, code="code_used"), "workflow.code.used"),
    (PermanentError("x", status=404, code="code_unknown"), "workflow.code.unknown"),
    (PermanentError("x", status=422, code="invalid_request"), "workflow.code.offline"),
    (BackofficeUnreachable("refused"), "workflow.code.offline"),
])
def test_the_resolver_names_each_refusal(error: Exception, key: str) -> None:
    with pytest.raises(IdentityCodeError) as caught:
        CodeResolver(Client(error)).resolve(CODE)
    assert caught.value.i18n_key == key and CODE not in str(caught.value)


def test_a_site_offers_codes_only_with_a_code_scanner() -> None:
    config = load_config()
    assert load_site(config, "township").offers_code
    assert not load_site(config, "bank-branch").offers_code
    data = load_site(config, "bank-branch").model_dump(mode="json")
    data["identity_methods"] = ["card", "code"]
    with pytest.raises(ValueError, match="code scanner"):
        SiteProfile.model_validate(data, strict=False)
    data["identity_methods"] = ["code"]
    with pytest.raises((ValueError, ConfigError)):
        SiteProfile.model_validate(data, strict=False)


def test_a_journey_started_while_the_scanner_is_gone_offers_the_card_alone() -> None:
    from kiosk.config.model import IdleConfig
    from kiosk.journey.starter import JourneyStarter
    from kiosk.session import SessionManager

    ready = [False]
    clock = FakeClock()
    starter = JourneyStarter(catalog=catalog(), settings=SETTINGS, clock=clock,
                             queue=NoQueue(), waiter=None, printer=NoQueue(),  # type: ignore[arg-type]
                             context=ReceiptContext("site", "https://q.example"),
                             session=SessionManager(clock, IdleConfig()),
                             codes=Resolver(identity()), code_ready=lambda: ready[0])
    assert not starter.start("T-SIMPLE").offers_code
    ready[0] = True
    j = starter.start("T-SIMPLE")
    assert j.offers_code
    j.on_scan_event(scanned())
    assert j.state == "checklist"  # the starter's runner resolved it
