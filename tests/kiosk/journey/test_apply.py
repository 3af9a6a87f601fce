"""Citizen journeys built from the catalog: steps, 容缺, bundles, faults, wipe."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from kiosk.clock import FakeClock
from kiosk.errors import CameraError, NoCard, PaperOut, ValidationError, WorkflowError
from kiosk.identity import CardType
from kiosk.journey.apply import Journey, JourneySettings, SubmitOutcome
from kiosk.journey.machine import SAME
from kiosk.journey.plan import plan_for
from tests.kiosk.journey_factory import (
    ADDRESS,
    ID_NUMBER,
    JPEG,
    NAME,
    PNG,
    catalog,
    find_personal,
    identity,
)

SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001")


def journey(code: str, settings: JourneySettings = SETTINGS) -> Journey:
    return Journey(plan_for(code, catalog()), settings, clock=FakeClock())


def through_simple_to_review(j: Journey) -> None:
    j.fire("card_read", identity=identity())
    assert j.state == "checklist"
    j.fire("material_ticked", code="HK")
    j.fire("next")
    assert j.state == "capture:HK"
    j.fire("page_added", data=JPEG)
    j.fire("next")
    assert j.state == "form"
    j.fire("field_set", name="phone", value="13800000000")
    j.fire("next")
    assert j.state == "review"


def test_simple_item_from_card_to_done() -> None:
    j = journey("T-SIMPLE")
    assert j.view()["steps"] == ["identity", "checklist", "capture", "form", "review",
                                 "rating"]
    through_simple_to_review(j)
    j.fire("next")
    j.fire("rated", score=5, reasons=["fast", "clear"])
    assert j.state == "submitting"
    (case,) = j.cases()
    assert case.item_code == "T-SIMPLE" and case.bundle_code is None
    assert case.form == {"applicant_name": NAME, "id_number": ID_NUMBER,
                         "phone": "13800000000"}
    assert [m.code for m in case.materials] == ["HK"]
    assert case.materials[0].pages[0].data == JPEG
    assert case.verification.method == "card" and case.rating is not None
    assert case.rating.score == 5 and case.signature is None
    link = "https://q.example/q/XD-261122-0001-7?t=Tok3n"
    j.fire("submit_ok", outcome=SubmitOutcome(("XD-261122-0001-7",), ("XS20261122000001",),
                                              query_links=(link,)))
    assert j.state == "printing"
    view = j.view()
    # the screen shows the receipt's own QR code: the link with the case's token
    assert view["qr"] == link and not view["forwarded"]
    j.fire("printed")
    assert j.state == "done" and j.ended and j.end_reason == "done"


def test_form_is_prefilled_from_the_card_and_offers_keypads() -> None:
    j = journey("T-DEFER")
    j.fire("card_read", identity=identity())
    assert set(j.data.form) == {"applicant_name", "birth"}
    assert j.data.form["birth"] == "1985-03-12"
    j.fire("face_ok", score=0.8)
    j.fire("material_ticked", code="HK")
    j.fire("material_deferred", code="JH")
    j.fire("next")
    j.fire("page_added", data=JPEG)
    j.fire("next")
    view = j.view("en")
    assert view["state"] == "form"
    by_name = {f["name"]: f for f in view["fields"]}
    assert by_name["applicant_name"]["prefilled"] and by_name["applicant_name"]["value"] == NAME
    assert by_name["phone"]["input"] == "phone" and not by_name["phone"]["prefilled"]
    assert by_name["birth"]["input"] == "date_picker"
    assert "next" in view["triggers"]  # the fallback row shows errors, so next is always offered


def test_invalid_form_stays_and_names_the_field() -> None:
    j = journey("T-SIMPLE")
    j.fire("card_read", identity=identity())
    j.fire("material_ticked", code="HK")
    j.fire("next")
    j.fire("page_added", data=JPEG)
    j.fire("next")
    j.fire("field_set", name="phone", value="12345")
    change = j.fire("next")
    assert change.internal and j.state == "form"
    errors = {f["name"]: f["error"] for f in j.view()["fields"]}
    assert errors["phone"] == "form.error.phone"
    j.fire("field_set", name="phone", value="０５７１-８２８８８８８８")
    j.fire("next")
    assert j.state == "review"
    with pytest.raises(WorkflowError):
        j.fire("field_set", name="nope", value="x")


def test_checklist_blocks_next_until_complete() -> None:
    j = journey("T-SIMPLE")
    j.fire("card_read", identity=identity())
    assert "next" not in j.view()["triggers"]
    assert j.view()["missing"] == ["HK"]
    with pytest.raises(WorkflowError):
        j.fire("next")
    j.fire("material_ticked", code="HK")
    j.fire("next")
    assert "next" not in j.view()["triggers"]  # no page yet
    j.fire("page_added", data=JPEG)
    j.fire("page_added", data=JPEG + b"2")
    j.fire("page_retaken", index=0, data=JPEG + b"3")
    j.fire("page_deleted", index=1)
    assert [p["size"] for p in j.view()["pages"]] == [len(JPEG) + 1]
    assert j.page("HK", 0) == JPEG + b"3"
    with pytest.raises(WorkflowError):
        j.fire("page_deleted", index=5)


def test_deferrable_material_gives_a_commitment_with_deadline() -> None:
    j = journey("T-DEFER")
    j.fire("card_read", identity=identity())
    j.fire("face_ok", score=0.77)
    statuses = {m["code"]: m["status"] for m in j.view()["materials"]}
    assert statuses == {"HK": "missing", "JH": "missing", "SB": "shared", "YX": "optional"}
    with pytest.raises(WorkflowError):
        j.fire("material_deferred", code="HK")  # not deferrable
    with pytest.raises(WorkflowError):
        j.fire("material_ticked", code="SB")  # shared: shown, never asked
    j.fire("material_ticked", code="HK")
    j.fire("material_ticked", code="YX")       # optional, capture none: no capture step
    j.fire("material_deferred", code="JH")
    rows = {m["code"]: m for m in j.view()["materials"]}
    assert rows["JH"]["status"] == "deferred" and rows["JH"]["deadline"] == "2026-12-06"
    j.fire("next")
    assert j.state == "capture:HK"
    j.fire("page_added", data=JPEG)
    j.fire("next")
    assert j.state == "form"  # JH's capture step skipped
    j.fire("field_set", name="phone", value="13900000000")
    j.fire("next")
    assert j.state == "signature"
    j.fire("signed", png=PNG)
    j.fire("next")
    j.fire("next")  # skip the rating
    (case,) = j.cases()
    assert [(d.code, d.deadline) for d in case.deferred] == [("JH", date(2026, 12, 6))]
    assert [m.code for m in case.materials] == ["HK"]
    assert case.signature is not None and case.verification.method == "card+face"
    assert case.verification.score == 0.77 and case.rating is None


def test_a_case_never_leaves_without_the_pages_or_the_commitment_of_a_required_material(
        ) -> None:
    j = journey("T-DEFER")
    j.fire("card_read", identity=identity())
    j.fire("face_ok", score=0.77)
    j.fire("all_ticked")
    j.fire("next")
    for _ in range(2):  # HK and JH are captured
        j.fire("page_added", data=JPEG + j.state.encode())
        j.fire("next")
    j.fire("field_set", name="phone", value="13900000000")
    j.fire("next")
    j.fire("signed", png=PNG)
    j.fire("next")
    j.fire("next")
    (case,) = j.cases()
    assert [m.code for m in case.materials] == ["HK", "JH"] and case.deferred == ()
    j.data.pages.pop("JH")   # pages lost, and no promise either: refused, not sent
    with pytest.raises(ValidationError) as info:
        j.cases()
    assert info.value.i18n_key == "case.error.incomplete"


def test_bundle_asks_shared_material_once_and_makes_one_case_per_item() -> None:
    j = journey("T-BUNDLE")
    assert j.plan.steps == ("identity", "face", "checklist", "capture:HK", "capture:ZP",
                            "capture:CS", "form", "signature", "review", "rating")
    assert not j.plan.accepts_sscard  # T-B1 needs the ID card
    j.fire("card_read", identity=identity())
    j.fire("face_ok", score=0.8)
    assert [m["code"] for m in j.view()["materials"]] == ["HK", "ZP", "CS"]
    for code in ("HK", "ZP", "CS"):
        j.fire("material_ticked", code=code)
    j.fire("next")
    for code in ("HK", "ZP", "CS"):
        assert j.state == f"capture:{code}"
        j.fire("page_added", data=JPEG + code.encode())
        j.fire("next")
    assert [f["name"] for f in j.view()["fields"]] == ["applicant_name", "phone", "id_number"]
    j.fire("field_set", name="phone", value="13800000000")
    j.fire("next")
    j.fire("signed", png=PNG)
    j.fire("next")
    j.fire("rated", score=4)
    c1, c2 = j.cases()
    assert (c1.item_code, c2.item_code) == ("T-B1", "T-B2")
    assert c1.bundle_code == c2.bundle_code == "T-BUNDLE"
    assert [m.code for m in c1.materials] == ["HK", "ZP"]
    assert [m.code for m in c2.materials] == ["HK", "CS"]
    assert c1.materials[0].pages[0].sha256 == c2.materials[0].pages[0].sha256
    assert c1.form == {"applicant_name": NAME, "phone": "13800000000"}
    assert c2.form == {"phone": "13800000000", "id_number": ID_NUMBER}
    assert c1.signature is None and c2.signature is not None


def test_back_walks_the_steps_skipping_unticked_captures() -> None:
    j = journey("T-BUNDLE")
    j.fire("card_read", identity=identity())
    j.fire("face_ok", score=0.8)
    for code in ("HK", "ZP", "CS"):
        j.fire("material_ticked", code=code)
    j.fire("material_ticked", code="ZP", ticked=False)
    with pytest.raises(WorkflowError):
        j.fire("next")  # ZP is required
    j.fire("material_ticked", code="ZP")
    j.fire("next")
    j.fire("page_added", data=JPEG)
    j.fire("back")
    assert j.state == "checklist"
    j.fire("back")
    assert j.state == "face" and j.data.verification is None
    j.fire("back")
    assert j.state == "identity" and j.data.identity is None and j.data.form == {}
    j.fire("back")
    assert j.state == "cancelled"


def test_social_security_card_only_where_allowed_and_expired_cards_refused() -> None:
    j = journey("T-SIMPLE")
    j.fire("card_read", identity=identity(CardType.SOCIAL_SECURITY))
    assert j.state == "identity"
    assert j.view()["notice"] == "workflow.identity.sscard_not_accepted"
    j.fire("card_read", identity=identity(valid_to=date(2020, 1, 1)))
    assert j.view()["notice"] == "workflow.identity.expired"
    j.fire("card_read", identity=identity())
    assert j.state == "checklist" and j.view()["notice"] is None
    k = journey("T-B2")
    k.fire("card_read", identity=identity(CardType.SOCIAL_SECURITY))
    assert k.state == "checklist" and k.data.verification is not None
    assert k.data.verification.method == "sscard"


def test_card_removal_ends_the_session_after_reading_but_not_after_submit() -> None:
    j = journey("T-SIMPLE")
    j.fire("card_removed")  # mid-read: ask again
    assert j.state == "identity" and j.view()["notice"] == "workflow.identity.card_removed"
    j.fire("card_read", identity=identity())
    j.fire("card_removed")
    assert j.state == "card_gone" and j.ended and j.end_reason == "cancel"
    relaxed = journey("T-SIMPLE", JourneySettings("township", "XS-DEV-0001",
                                                  card_must_stay=False))
    relaxed.fire("card_read", identity=identity())
    relaxed.fire("card_removed")
    assert relaxed.state == "checklist"
    k = journey("T-SIMPLE")
    through_simple_to_review(k)
    k.fire("next")
    k.fire("next")
    k.fire("submit_queued", outcome=SubmitOutcome(("XD-261122-0002-5",)))
    k.fire("card_removed")
    assert k.state == "printing"


def test_face_failures_fall_back_to_staff_after_max_attempts() -> None:
    j = journey("T-DEFER")
    j.fire("card_read", identity=identity())
    assert j.view()["attempts_left"] == 3
    j.fire("face_failed", reason="workflow.face.no_match")
    j.fire("face_failed")
    assert j.state == "face" and j.view()["attempts_left"] == 1
    j.fire("face_failed")
    assert j.state == "face_fallback" and j.view()["staff_allowed"]
    j.fire("staff_verified", staff="王工")
    assert j.state == "checklist"
    assert j.data.verification is not None and j.data.verification.method == "staff"
    deny = journey("T-DEFER", JourneySettings("township", "XS-DEV-0001", face_max_attempts=1,
                                              face_fallback="deny"))
    deny.fire("card_read", identity=identity())
    deny.fire("face_failed")
    assert deny.state == "face_fallback"
    assert deny.view()["message"] == "workflow.face.fallback_deny"
    with pytest.raises(WorkflowError):
        deny.fire("staff_verified", staff="x")
    deny.fire("home")
    assert deny.state == "cancelled"


def test_print_failure_offers_reprint_and_the_qr_and_never_cancels() -> None:
    j = journey("T-SIMPLE")
    through_simple_to_review(j)
    j.fire("next")
    j.fire("next")
    link = "https://q.example/q/XD-261122-0003-3?t=Tok3n"
    j.fire("submit_queued", outcome=SubmitOutcome(("XD-261122-0003-3",), query_links=(link,)))
    j.fire("print_failed", error=PaperOut("paper sensor: out"))
    view = j.view()
    assert j.state == "reprint" and view["error_key"] == "error.paper_out"
    assert view["qr"] == link and view["forwarded"]
    assert "reprint" in view["triggers"] and "cancel" not in view["triggers"]
    j.fire("reprint")
    j.fire("print_failed", error=PaperOut())
    j.fire("timeout")
    assert j.state == "done" and j.end_reason == "done"
    assert j.data.outcome is not None and j.data.outcome.kiosk_refs == ("XD-261122-0003-3",)


def test_submit_failure_retries_or_goes_home() -> None:
    j = journey("T-SIMPLE")
    through_simple_to_review(j)
    j.fire("next")
    j.fire("next")
    from kiosk.errors import OutboxFull
    j.fire("submit_failed", error=OutboxFull("500 pending"))
    assert j.state == "submit_failed" and j.view()["error_key"] == "error.outbox_full"
    j.fire("retry")
    assert j.state == "submitting"
    j.fire("timeout")
    assert j.state == "submitting"  # the runner finishes first


def test_device_errors_go_to_an_error_state_with_a_way_forward() -> None:
    j = journey("T-DEFER")
    j.fire("error", error=NoCard("card left mid-read"))
    view = j.view()
    assert j.state == "error" and view["error_key"] == "error.no_card"
    assert view["step"] == "identity" and {"retry", "back", "home"} <= set(view["triggers"])
    j.fire("retry")
    assert j.state == "identity"
    j.fire("card_read", identity=identity())
    j.fire("error", error=CameraError("frozen"))
    j.fire("back")  # the face step's back: to the card, which is forgotten
    assert j.state == "identity" and j.data.identity is None
    j.fire("card_read", identity=identity())
    j.fire("error", error=CameraError("frozen"))
    j.fire("retry")
    assert j.state == "face"
    j.fire("face_ok", score=0.9)
    j.fire("material_ticked", code="HK")
    j.fire("material_deferred", code="JH")
    j.fire("next")
    j.fire("page_added", data=b"not an image", content_type="text/plain")
    assert j.state == "error" and j.view()["error_key"] == "case.error.content_type"
    j.fire("retry")
    assert j.state == "capture:HK" and j.view()["pages"] == []
    j.fire("error", error=CameraError())
    j.fire("home")
    assert j.state == "cancelled"


def test_wipe_leaves_no_name_or_id_number_in_the_journey() -> None:
    j = journey("T-DEFER")
    j.fire("card_read", identity=identity())
    j.fire("face_ok", score=0.8)
    j.fire("material_ticked", code="HK")
    j.fire("material_deferred", code="JH")
    j.fire("next")
    page = bytearray(JPEG + ID_NUMBER.encode())
    j.fire("page_added", data=page)
    j.fire("next")
    j.fire("field_set", name="phone", value="13800000000")
    j.fire("next")
    j.fire("signed", png=PNG + NAME.encode())
    view = j.view()
    assert view["applicant"] == {"name": NAME, "id_number": "330109********" + ID_NUMBER[-4:]}
    needles = (NAME, ID_NUMBER, ADDRESS, "13800000000")
    assert find_personal(j, needles, set())
    stored = j.data.pages["HK"][0][1]
    j.fire("cancel")
    j.wipe()
    assert find_personal(j, needles, set()) == []
    assert find_personal(j.view(), needles, set()) == []
    assert stored == bytearray(len(stored))  # overwritten in place, not only dropped


def test_every_trigger_in_every_state_moves_per_table_or_raises() -> None:
    plan = plan_for("T-DEFER", catalog())
    table = Journey(plan, SETTINGS, clock=FakeClock()).table
    payloads: dict[str, dict[str, Any]] = {
        "card_read": {"identity": identity()}, "face_ok": {"score": 0.9},
        "material_ticked": {"code": "HK"}, "material_deferred": {"code": "JH"},
        "page_added": {"data": JPEG}, "page_retaken": {"index": 0, "data": JPEG},
        "page_deleted": {"index": 0}, "field_set": {"name": "phone", "value": "1"},
        "signed": {"png": PNG}, "rated": {"score": 3},
        "submit_ok": {"outcome": SubmitOutcome(("XD-261122-0001-7",))},
        "submit_queued": {"outcome": SubmitOutcome(("XD-261122-0001-7",))},
        "error": {"error": CameraError()}, "print_failed": {"error": PaperOut()},
        "submit_failed": {"error": PaperOut()},
    }
    for state, trigger in itertools.product(table.states, table.triggers):
        j = Journey(plan, SETTINGS, clock=FakeClock())
        j._wf.reset(state)
        rows = table.rows_for(trigger, state)
        try:
            change = j.fire(trigger, **payloads.get(trigger, {}))
        except WorkflowError:
            assert j.state == state, (state, trigger)
            continue
        assert rows, (state, trigger)
        dests = {state if r.dest == SAME else r.dest for r in rows} | {"error"}
        assert change.dest in dests, (state, trigger, change.dest)


def test_face_verifier_steps_drive_the_journey() -> None:
    from kiosk.face.verify import Decision, Step

    j = journey("T-DEFER")
    j.fire("card_read", identity=identity())
    assert j.on_face_step(Step("face.guide.hold_still", (), None, 1)) is None
    j.on_face_step(Step("face.result.try_again", (), None, 2, retrying=True))
    assert j.state == "face" and j.view()["attempts_left"] == 2
    j.on_face_step(Step("face.result.match", (), Decision("match", "face.result.match", 0.74, 2),
                        2))
    assert j.state == "checklist" and j.data.verification is not None
    assert j.data.verification.score == 0.74
    k = journey("T-DEFER")
    k.fire("card_read", identity=identity())
    k.on_face_step(Step("face.result.photo_unavailable", (),
                        Decision("staff", "face.result.photo_unavailable", None, 0), 0))
    assert k.state == "face_fallback"
    assert k.view()["notice"] == "face.result.photo_unavailable"


def test_settings_from_the_shipped_config() -> None:
    from kiosk.config.model import load_config

    settings = JourneySettings.from_config(load_config(), "township")
    assert settings.terminal_id == "XS-DEV-0001" and settings.site_id == "township"
    assert settings.face_fallback in ("staff", "deny") and settings.face_max_attempts >= 1


def test_reader_failures_keep_asking_then_give_an_error_state() -> None:
    from devices.idcard.base import CardFailed, CardInserted, CardRemoved
    from kiosk.errors import CardError

    j = journey("T-SIMPLE")
    j.on_card_event(CardFailed(CardError("41", i18n_key="error.card_read"), 1, final=False))
    assert j.state == "identity" and j.view()["notice"] == "error.card_read"
    j.on_card_event(CardFailed(CardError("41"), 3, final=True))
    assert j.state == "error" and j.view()["step"] == "identity"
    j.fire("retry")
    j.on_card_event(CardInserted(identity(), expired=False, photo_reason=None, read_s=0.2))
    assert j.state == "checklist"
    j.on_card_event(CardFailed(CardError("x"), 1, final=True))  # ignored after the read
    assert j.state == "checklist"
    j.on_card_event(CardRemoved())
    assert j.state == "card_gone"


def test_a_frozen_camera_during_the_face_step_is_an_error_with_its_reason() -> None:
    from devices.base import DeviceState, DeviceStatus

    frozen = DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.camera_frozen")
    j = journey("T-DEFER")
    assert j.on_device_status("camera", frozen) is None  # not needed while reading the card
    j.fire("card_read", identity=identity())
    assert j.device_needed() == "camera"
    assert j.on_device_status("printer", frozen) is None
    assert j.on_device_status("camera", DeviceStatus(DeviceState.BUSY)) is None
    j.on_device_status("camera", frozen)
    assert j.state == "error" and j.view()["error_key"] == "device.reason.camera_frozen"
    j.fire("retry")
    j.fire("face_ok", score=0.9)
    j.fire("all_ticked")
    j.fire("material_deferred", code="JH")
    j.fire("next")
    assert j.device_needed() == "doccam"
    j.on_device_status("doccam", DeviceStatus(DeviceState.UNAVAILABLE, reason=None))
    assert j.view()["error_key"] == "error.device_unavailable"
