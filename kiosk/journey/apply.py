"""The citizen journey of one item or bundle: the state machine and its data.

Screens fire triggers and render ``journey.state`` and ``journey.view(lang)``;
every decision (which step comes next, what may be skipped, what a 容缺
commitment means, how many face attempts are left, when the card's removal
ends the session) is made here, from the catalog, by the table of
:mod:`kiosk.journey.tables` (print it with ``journey.table.describe()``).

Personal data (the card, the verification, pages, form values, the signature)
lives only in :class:`JourneyData`; :meth:`Journey.wipe` overwrites the byte
buffers it can and drops the rest. The side effects that talk to devices and
the back office (submit, print) are run by :mod:`kiosk.journey.runner`.

The API screens use (``kiosk.journey.starter.JourneyStarter.start(code)`` builds one)::

    journey.state, journey.view(lang) -> dict, journey.ended, journey.end_reason
    journey.fire(trigger, **data)       # WorkflowError: not allowed now (a UI bug)
    journey.can(trigger, **data), journey.page(code, index) -> bytes (preview)
    journey.add_listener(fn(Change))    # re-render from journey.state on any change
    journey.on_card_event(ev), on_face_step(step), on_device_status(kind, status)

Citizen triggers: next, back, home, cancel, leave (asks first once data was
entered), stay, retry, reprint, all_ticked,
material_ticked(code, ticked=True), material_deferred(code, deferred=True),
page_added(data, content_type), page_retaken(index, data), page_deleted(index),
field_set(name, value), signed(png), rated(score, reasons), staff_verified(staff).
Device/runner triggers: card_read(identity), card_failed(error, final),
card_removed, code_scanned(code), code_unreadable, code_ok(identity), code_failed(error),
face_ok(score), face_failed(reason), face_unavailable(reason),
error(error), timeout, submit_ok/submit_queued(outcome), submit_failed(error),
printed, print_failed(error).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Literal

from kiosk.catalog import forms
from kiosk.clock import CST, Clock
from kiosk.errors import KioskError, ValidationError, WorkflowError
from kiosk.identity import CardType, Identity
from kiosk.journey.data import (
    RATING_REASONS,
    JourneyData,
    JourneySettings,
    SubmitOutcome,
)
from kiosk.journey.events import DeviceEvents
from kiosk.journey.machine import Change, Driven, Event, Guard, Workflow, effects_of
from kiosk.journey.plan import Plan
from kiosk.journey.tables import FINAL, journey_table
from kiosk.submission.cases import (
    Applicant,
    Blob,
    Case,
    DeferredMaterial,
    Material,
    Rating,
    Verification,
    VerificationMethod,
)
from kiosk.submission.identitycode import looks_like_code

log = logging.getLogger(__name__)

class Journey(Driven, DeviceEvents):
    """One run of a plan. Not shared between sessions: make a new one per citizen."""

    def __init__(self, plan: Plan, settings: JourneySettings, *, clock: Clock) -> None:
        if any(item.channel == "window_only" for item in plan.items):
            # The kiosk only tells what to bring for these (一次性告知); no case here.
            raise WorkflowError(f"{plan.code}: handled at the window only")
        self.plan = plan
        self.settings = settings
        self._clock = clock
        self.data = JourneyData()
        #: 亮码 on the identity step: the site offers it and every item accepts it.
        self.offers_code = plan.accepts_code and settings.code_identity
        self.table = journey_table(plan, code=self.offers_code)
        effects = effects_of(self)
        for name in self.table.effect_names():
            if "&" in name:  # composite: run each part in order
                effects[name] = _chain([effects[p] for p in name.split("&")])
        self._wf = Workflow(self.table, guards=self._resolve_guards(), effects=effects)

    # ------------------------------------------------------------------ public API
    @property
    def end_reason(self) -> str | None:
        """``done``, ``cancel`` or ``timeout`` (the session's EndReason values) once ended."""
        return {"done": "done", "timed_out": "timeout"}.get(
            self.state, "cancel") if self.ended else None

    def fire(self, trigger: str, **data: Any) -> Change:
        """Fire a trigger. A KioskError raised while handling it (an unreadable page, a
        refused card) becomes the ``error`` trigger; WorkflowError is a caller bug."""
        try:
            return self._wf.fire(trigger, **data)
        except WorkflowError:
            raise
        except KioskError as exc:
            if not self._wf.can("error", error=exc):
                raise
            log.warning("journey %s: %s in %s: %s", self.plan.code, type(exc).__name__,
                        self.state, exc)
            return self._wf.fire("error", error=exc)

    def page(self, code: str, index: int) -> bytes:
        """The bytes of one captured page, for the preview on the capture screen."""
        return bytes(self.data.pages[code][index][1])

    def wipe(self) -> None:
        self.data.wipe()

    def view(self, lang: str = "zh_CN") -> dict[str, Any]:
        from kiosk.journey.view import journey_view

        return journey_view(self, lang)

    def today(self) -> date:
        return self._clock.now().astimezone(CST).date()

    # ------------------------------------------------------------------ guards
    def _resolve_guards(self) -> dict[str, Guard]:
        simple: dict[str, Callable[[Event], bool]] = {
            "card_ok": self._card_ok,
            "face_attempts_left": lambda e: (self.data.face_failures + 1
                                             < self.settings.face_max_attempts),
            "staff_allowed": lambda e: self.settings.face_fallback == "staff",
            "checklist_complete": lambda e: not self.missing_materials(),
            "form_valid": lambda e: not self._form_check()[1],
            "has_signature": lambda e: self.data.signature is not None,
            "final_failure": lambda e: bool(e.get("final")),
            "has_outcome": lambda e: bool(self.data.outcome and self.data.outcome.kiosk_refs),
            "card_must_stay": lambda e: (self.settings.card_must_stay
                                         and self._card_type() is not None
                                         and self.data.identity_source == "card"),
            "code_well_formed": lambda e: looks_like_code(str(e.get("code") or "")),
            "has_entered_data": lambda e: self.data.entered_anything(),
        }
        with_arg: dict[str, Callable[[str], bool]] = {
            "wants": self.wants_capture,
            "has_pages": lambda code: bool(self.data.pages.get(code)),
            "resume_is": lambda state: self.data.resume_state == state,
        }

        def one(part: str) -> Callable[[Event], bool]:
            name, _, arg = part.partition(":")
            if arg:
                test = with_arg[name]
                return lambda e: test(arg)
            return simple[name]

        guards: dict[str, Guard] = {}
        for name in self.table.guard_names():
            guards[name] = _all_of([one(p) for p in name.split("&")])
        return guards

    def _card_type(self) -> CardType | None:
        return self.data.identity.card_type if self.data.identity else None

    def _card_ok(self, event: Event) -> bool:
        return self.card_problem(event.get("identity")) is None

    def card_problem(self, identity: object) -> str | None:
        """Why this card cannot start the journey (an i18n key), or None."""
        if not isinstance(identity, Identity):
            return "workflow.identity.unreadable"
        if identity.card_type is CardType.SOCIAL_SECURITY and not self.plan.accepts_sscard:
            return "workflow.identity.sscard_not_accepted"
        if identity.expired(self.today()):
            return "workflow.identity.expired"
        return None

    def wants_capture(self, code: str) -> bool:
        return code in self.data.ticked and code not in self.data.deferred

    def missing_materials(self) -> list[str]:
        """Codes of must-bring materials neither ticked nor deferred."""
        return [m.code for m in self.plan.asked_materials if m.required
                and m.code not in self.data.ticked and m.code not in self.data.deferred]

    # ------------------------------------------------------------------ effects
    def _fx_take_card(self, e: Event) -> None:
        self._take_identity(e.get("identity"), "card")

    def _take_identity(self, identity: Identity, source: Literal["card", "code"]) -> None:
        self.data.identity = identity
        self.data.identity_source = source
        self.data.notice = None
        if not self.plan.needs_face:
            method: VerificationMethod = (
                "code" if source == "code" else
                "sscard" if self._card_type() is CardType.SOCIAL_SECURITY else "card")
            self.data.verification = Verification(method, None, self._clock.now())
        self.data.form = self._prefill()

    # 亮码: the code waits in the journey only while the back office resolves it.
    def _fx_take_code(self, e: Event) -> None:
        self.data.code = str(e.get("code"))
        self.data.notice = None

    def _fx_reject_code(self, e: Event) -> None:
        self.data.notice = "workflow.code.unknown"

    def _fx_note_code_unreadable(self, e: Event) -> None:
        self.data.notice = "workflow.code.unreadable"

    def _fx_take_code_identity(self, e: Event) -> None:
        self.data.code = None
        self._take_identity(e.get("identity"), "code")

    def _fx_reject_code_identity(self, e: Event) -> None:
        self.data.code = None
        self.data.notice = self.card_problem(e.get("identity"))

    def _fx_note_code_failed(self, e: Event) -> None:
        self.data.code = None
        key = _key(e.get("error"), "workflow.code.offline")
        self.data.notice = key if key.startswith("workflow.code.") else "workflow.code.offline"

    def _fx_reject_card(self, e: Event) -> None:
        self.data.notice = self.card_problem(e.get("identity"))

    def _fx_note_card_removed(self, e: Event) -> None:
        self.data.notice = "workflow.identity.card_removed"

    def _fx_note_card_failed(self, e: Event) -> None:
        self.data.notice = _key(e.get("error"), "workflow.identity.unreadable")

    def _fx_take_face(self, e: Event) -> None:
        score = e.get("score")
        method: VerificationMethod = ("code+face" if self.data.identity_source == "code"
                                      else "card+face")
        self.data.verification = Verification(
            method, float(score) if score is not None else None, self._clock.now())

    def _fx_count_face_failure(self, e: Event) -> None:
        self.data.face_failures += 1
        self.data.notice = e.get("reason") or "workflow.face.no_match"

    def _fx_note_face_reason(self, e: Event) -> None:
        self.data.notice = e.get("reason") or "workflow.face.no_match"

    def _fx_take_staff(self, e: Event) -> None:
        # Who checked the card by eye is for the audit trail of the screen that asked
        # for the staff member's own credential; the case only records "staff".
        if not str(e.get("staff") or "").strip():
            raise WorkflowError("staff_verified needs staff=<who checked the card>")
        self.data.verification = Verification("staff", None, self._clock.now())

    def _fx_ask_leave(self, e: Event) -> None:
        self.data.leave_asked = True

    def _fx_keep_going(self, e: Event) -> None:
        self.data.leave_asked = False

    def _fx_forget_identity(self, e: Event) -> None:
        self.data.identity = None
        self.data.identity_source = None
        self.data.verification = None
        self.data.form = {}

    def _fx_forget_verification(self, e: Event) -> None:
        self.data.verification = None

    def _material(self, code: object) -> Any:
        material = self.plan.material(str(code))
        if material is None or material.exempt_by_sharing:
            raise WorkflowError(f"{self.plan.code}: material {code!r} is not asked")
        return material

    def _fx_tick(self, e: Event) -> None:
        material = self._material(e.get("code"))
        if e.get("ticked", True):
            self.data.ticked.add(material.code)
            self.data.deferred.pop(material.code, None)
        else:
            self.data.ticked.discard(material.code)
            self.data.pages.pop(material.code, None)

    def _fx_tick_all(self, e: Event) -> None:
        """"我都带齐了": one tap ticks every required material not promised for later."""
        for material in self.plan.asked_materials:
            if material.required and material.code not in self.data.deferred:
                self.data.ticked.add(material.code)

    def _fx_defer(self, e: Event) -> None:
        """容缺受理: the citizen promises to supply the material within its deadline."""
        material = self._material(e.get("code"))
        if not e.get("deferred", True):
            self.data.deferred.pop(material.code, None)
            return
        if not material.deferrable:
            raise WorkflowError(f"{self.plan.code}: {material.code} is not deferrable")
        days = material.supplement_days or 0
        self.data.deferred[material.code] = self.today() + timedelta(days=days)
        self.data.ticked.discard(material.code)
        self.data.pages.pop(material.code, None)

    def _capture_code(self) -> str:
        return self.state.split(":", 1)[1]

    def _fx_page_added(self, e: Event) -> None:
        page = self._page(e)
        self.data.pages.setdefault(self._capture_code(), []).append(page)

    def _fx_page_retaken(self, e: Event) -> None:
        pages = self.data.pages.get(self._capture_code(), [])
        index = self._index(e, pages)
        old = pages[index][1]
        pages[index] = self._page(e)
        old[:] = bytes(len(old))

    def _fx_page_deleted(self, e: Event) -> None:
        pages = self.data.pages.get(self._capture_code(), [])
        _, old = pages.pop(self._index(e, pages))
        old[:] = bytes(len(old))

    @staticmethod
    def _index(e: Event, pages: list[tuple[str, bytearray]]) -> int:
        index = e.get("index")
        if not isinstance(index, int) or not 0 <= index < len(pages):
            raise WorkflowError(f"no page {index!r}")
        return index

    @staticmethod
    def _page(e: Event) -> tuple[str, bytearray]:
        content_type = str(e.get("content_type", "image/jpeg"))
        data = e.get("data")
        if not isinstance(data, bytes | bytearray):
            raise WorkflowError("page_added needs data=bytes")
        Blob(content_type, bytes(data))  # type and size rules, raises ValidationError
        return content_type, bytearray(data)

    def _prefill(self) -> dict[str, object]:
        identity = self.data.identity
        values: dict[str, object] = {}
        if identity is None:
            return values
        for f in self.plan.form:
            if f.prefill and f.prefill.startswith("card."):
                value = getattr(identity, f.prefill[len("card."):], None)
                if isinstance(value, date):
                    value = value.isoformat()
                if value not in (None, ""):
                    values[f.name] = str(value)
        return values

    def prefilled(self, name: str) -> bool:
        f = self.plan.field(name)
        return bool(f and f.prefill and name in self._prefill())

    def _form_check(self) -> tuple[dict[str, forms.FormValue], list[KioskError]]:
        clean, errors = forms.form_errors(self.plan.form, self.data.form, today=self.today())
        return clean, list(errors)

    def _fx_set_field(self, e: Event) -> None:
        name = str(e.get("name"))
        if self.plan.field(name) is None:
            raise WorkflowError(f"{self.plan.code}: no form field {name!r}")
        self.data.form[name] = e.get("value")
        self.data.form_errors.pop(name, None)

    def _fx_show_form_errors(self, e: Event) -> None:
        _, errors = self._form_check()
        self.data.form_errors = {getattr(err, "field", None) or "": err.i18n_key
                                 for err in errors}

    def _fx_take_signature(self, e: Event) -> None:
        png = e.get("png")
        if not isinstance(png, bytes | bytearray) or not png:
            raise WorkflowError("signed needs png=bytes")
        Blob("image/png", bytes(png))
        self.data.signature = bytearray(png)

    def _fx_take_rating(self, e: Event) -> None:
        reasons = tuple(str(r) for r in e.get("reasons", ()))
        unknown = set(reasons) - set(RATING_REASONS)
        if unknown:
            raise WorkflowError(f"unknown rating reasons {sorted(unknown)}")
        self.data.rating = Rating(int(e.get("score", 0)), reasons)

    def _fx_take_outcome(self, e: Event) -> None:
        outcome = e.get("outcome")
        if not isinstance(outcome, SubmitOutcome):
            raise WorkflowError("submit_ok/submit_queued need outcome=SubmitOutcome")
        self.data.outcome = outcome
        self.data.error_key = None

    def _fx_take_submit_error(self, e: Event) -> None:
        self.data.error_key = _key(e.get("error"), "workflow.submit.failed")
        partial = e.get("outcome")
        if isinstance(partial, SubmitOutcome):
            self.data.outcome = partial

    def _fx_take_print_error(self, e: Event) -> None:
        self.data.error_key = _key(e.get("error"), "error.printer")

    def _fx_enter_error(self, e: Event) -> None:
        self.data.error_key = _key(e.get("error"), "error.generic")
        self.data.resume_state = e.source

    def _fx_leave_error(self, e: Event) -> None:
        self.data.error_key = None
        self.data.resume_state = None

    # ------------------------------------------------------------------ the case
    def cases(self) -> list[Case]:
        """The cases to submit: one per item (a bundle gives several, sharing pages)."""
        identity, verification = self.data.identity, self.data.verification
        if identity is None or verification is None:
            raise WorkflowError(f"{self.plan.code}: no verified applicant")
        clean, errors = self._form_check()
        if errors:
            raise errors[0]
        blobs = {code: tuple(Blob(ct, bytes(buf)) for ct, buf in pages)
                 for code, pages in self.data.pages.items() if self.wants_capture(code)}
        signature = (Blob("image/png", bytes(self.data.signature))
                     if self.data.signature is not None else None)
        applicant = Applicant.from_identity(identity)
        now = self._clock.now()
        out: list[Case] = []
        for item in self.plan.items:
            codes = {m.code for m in item.materials}
            names = {m.code: m.name.zh_CN for m in item.materials}
            materials = tuple(Material(c, names[c], blobs[c]) for c in blobs if c in codes)
            deferred = tuple(DeferredMaterial(c, names[c], d)
                             for c, d in sorted(self.data.deferred.items()) if c in codes)
            _check_complete(item, materials, deferred)
            form = {f.name: clean[f.name] for f in item.form if f.name in clean}
            out.append(Case(item_code=item.code, applicant=applicant,
                            verification=verification, form=form, materials=materials,
                            site_id=self.settings.site_id,
                            terminal_id=self.settings.terminal_id, created_at=now,
                            bundle_code=self.plan.bundle_code, deferred=deferred,
                            signature=signature if item.signature else None,
                            rating=self.data.rating))
        return out


def _check_complete(item: Any, materials: tuple[Material, ...],
                    deferred: tuple[DeferredMaterial, ...]) -> None:
    """Every required material the citizen owes travels as pages or as a 容缺 commitment."""
    present = {m.code for m in materials} | {d.code for d in deferred}
    for m in item.materials:
        captured = m.capture != "none"   # capture: none is shown at the window instead
        if m.required and captured and not m.exempt_by_sharing and m.code not in present:
            raise ValidationError(f"{item.code}: required material {m.code} has neither "
                                  "pages nor a commitment", i18n_key="case.error.incomplete")


def _all_of(parts: list[Callable[[Event], bool]]) -> Callable[[Event], bool]:
    def test(event: Event) -> bool:
        return all(part(event) for part in parts)
    return test


def _chain(parts: list[Callable[[Event], None]]) -> Callable[[Event], None]:
    def run(event: Event) -> None:
        for part in parts:
            part(event)
    return run


def _key(error: object, default: str) -> str:
    return error.i18n_key if isinstance(error, KioskError) else default


__all__ = ["FINAL", "RATING_REASONS", "Journey", "JourneyData", "JourneySettings",
           "SubmitOutcome"]
