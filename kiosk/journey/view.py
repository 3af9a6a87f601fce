"""What a screen shows for the current state of a journey, as plain data.

Screens render this dictionary and nothing else: names from the catalog are
resolved to the chosen language, messages are i18n keys of the ``workflow``
domain (``kiosk/locale/*/workflow.po``) or of the error tree. ``triggers``
lists the triggers the screen may offer *now* (guards evaluated), so a screen
greys out "next" instead of deciding itself whether the step is complete.

Personal data shown: the applicant's name on the review screen (the citizen's
own screen) and the ID number only masked; no page bytes (the capture screen
asks :meth:`Journey.page` for a preview).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.journey.data import RATING_REASONS
from kiosk.privacy import mask_id

if TYPE_CHECKING:
    from kiosk.journey.apply import Journey

#: Triggers that need no data, so ``can()`` answers for them without arguments.
_PLAIN = ("next", "back", "retry", "reprint", "home", "cancel", "leave", "stay")

#: Which input the form screen should offer per field type (no typing where avoidable).
INPUT_FOR = {"number": "numeric", "phone": "phone", "id_number": "id_keypad",
             "date": "date_picker", "choice": "choices", "bool": "yes_no",
             "text": "ime", "textarea": "ime"}


def _step(state: str, resume: str | None) -> str:
    base = resume if state == "error" and resume else state
    if base == "code_checking":  # 亮码 being resolved: still the identity step
        return "identity"
    return base.split(":", 1)[0]


def journey_view(journey: Journey, lang: str) -> dict[str, Any]:
    plan, data, state = journey.plan, journey.data, journey.state
    steps = plan.steps
    current = data.resume_state if state == "error" and data.resume_state else state
    if current == "code_checking":
        current = "identity"
    view: dict[str, Any] = {
        "journey": "item",
        "code": plan.code,
        "title": plan.name.get(lang),
        "state": state,
        "step": _step(state, data.resume_state),
        "steps": [s.split(":", 1)[0] for s in steps],
        "step_index": steps.index(current) if current in steps else len(steps),
        "ended": journey.ended,
        "triggers": [t for t in _PLAIN if journey.can(t)],
        "notice": data.notice,
        "error_key": data.error_key,
        # 取消办理 was pressed after data was entered: ask before wiping it.
        "confirm_leave": data.leave_asked and not journey.ended,
    }
    builder = _BUILDERS.get(state.split(":", 1)[0])
    if builder is not None:
        view.update(builder(journey, lang))
    return view


def _identity(j: Journey, lang: str) -> dict[str, Any]:
    checking = j.state == "code_checking"
    message = ("workflow.code.checking" if checking else
               "workflow.identity.card_or_code" if j.offers_code else
               "workflow.identity.place_card_or_sscard" if j.plan.accepts_sscard
               else "workflow.identity.place_card")
    # accepts_code: both ways are shown (刷身份证 / 亮码); scan_code: the code scanner is
    # to be on now (the identity step only; a code read anywhere else is let go)
    return {"accepts_sscard": j.plan.accepts_sscard, "accepts_code": j.offers_code,
            "scan_code": j.offers_code and j.state == "identity", "checking": checking,
            "message": message}


def _face(j: Journey, lang: str) -> dict[str, Any]:
    return {"attempts_left": j.settings.face_max_attempts - j.data.face_failures,
            "message": "workflow.face.look_at_camera"}


def _fallback(j: Journey, lang: str) -> dict[str, Any]:
    staff = j.settings.face_fallback == "staff"
    return {"staff_allowed": staff,
            "message": "workflow.face.fallback_staff" if staff else "workflow.face.fallback_deny"}


def _checklist(j: Journey, lang: str) -> dict[str, Any]:
    rows = []
    for m in j.plan.materials:
        if m.exempt_by_sharing:
            status = "shared"
        elif m.code in j.data.deferred:
            status = "deferred"
        elif m.code in j.data.ticked:
            status = "ticked"
        else:
            status = "missing" if m.required else "optional"
        deadline = j.data.deferred.get(m.code)
        rows.append({"code": m.code, "name": m.name.get(lang), "form": m.form,
                     "count": m.count, "required": m.required, "deferrable": m.deferrable,
                     "supplement_days": m.supplement_days, "status": status,
                     "deadline": deadline.isoformat() if deadline else None,
                     "note": m.note.get(lang) if m.note else None,
                     "message": ("workflow.checklist.shared" if status == "shared" else
                                 "workflow.checklist.deferred" if status == "deferred" else
                                 None)})
    return {"materials": rows, "missing": j.missing_materials(),
            "message": "workflow.checklist.tick_what_you_have"}


def _capture(j: Journey, lang: str) -> dict[str, Any]:
    code = j.state.split(":", 1)[1]
    material = j.plan.material(code)
    assert material is not None  # the table only has capture states for plan materials
    wanted = [m.code for m in j.plan.captured_materials if j.wants_capture(m.code)]
    pages = j.data.pages.get(code, [])
    return {"material": {"code": code, "name": material.name.get(lang),
                         "device": material.capture, "count": material.count,
                         "page_names": [p.get(lang) for p in material.pages]},
            "pages": [{"index": i, "content_type": ct, "size": len(buf)}
                      for i, (ct, buf) in enumerate(pages)],
            "capture_index": wanted.index(code) + 1 if code in wanted else 0,
            "capture_total": len(wanted),
            "message": "workflow.capture.place_document"}


def _form(j: Journey, lang: str) -> dict[str, Any]:
    fields = []
    for f in j.plan.form:
        fields.append({"name": f.name, "label": f.label.get(lang), "type": f.type,
                       "input": INPUT_FOR.get(f.type, "ime"), "required": f.required,
                       "value": j.data.form.get(f.name), "prefilled": j.prefilled(f.name),
                       "choices": [{"value": c.value, "label": c.label.get(lang)}
                                   for c in f.choices],
                       "help": f.help.get(lang) if f.help else None,
                       "error": j.data.form_errors.get(f.name)})
    return {"fields": fields, "message": "workflow.form.check_and_fill"}


def _signature(j: Journey, lang: str) -> dict[str, Any]:
    return {"signed": j.data.signature is not None, "message": "workflow.signature.sign_here"}


def _review(j: Journey, lang: str) -> dict[str, Any]:
    identity = j.data.identity
    return {
        "applicant": ({"name": identity.name, "id_number": mask_id(identity.id_number)}
                      if identity else None),
        "verification": j.data.verification.method if j.data.verification else None,
        "materials": [{"code": m.code, "name": m.name.get(lang),
                       "pages": len(j.data.pages.get(m.code, [])),
                       "deferred_until": (j.data.deferred[m.code].isoformat()
                                          if m.code in j.data.deferred else None),
                       "shared": m.exempt_by_sharing}
                      for m in j.plan.materials
                      if m.exempt_by_sharing or j.wants_capture(m.code)
                      or m.code in j.data.deferred or m.code in j.data.ticked],
        "form": _form(j, lang)["fields"],
        "signed": j.data.signature is not None,
        "message": "workflow.review.check",
    }


def _rating(j: Journey, lang: str) -> dict[str, Any]:
    return {"scores": [1, 2, 3, 4, 5],
            "reasons": [{"code": r, "label": f"workflow.rating.reason.{r}"}
                        for r in RATING_REASONS],
            "message": "workflow.rating.ask"}


def _receipt(j: Journey, lang: str) -> dict[str, Any]:
    outcome = j.data.outcome
    refs = list(outcome.kiosk_refs) if outcome else []
    numbers = list(outcome.case_numbers) if outcome else []
    owed = [{"code": c, "name": (m.name.get(lang) if (m := j.plan.material(c)) else c),
             "deadline": d.isoformat()} for c, d in sorted(j.data.deferred.items())]
    state = j.state
    message = {"printing": "workflow.receipt.printing",
               "reprint": "workflow.receipt.print_failed",
               "done": "workflow.done.thanks"}.get(state)
    promised = [d.isoformat() if d else None for d in outcome.promised_dates] \
        if outcome else []
    # Per case: when it is promised (承诺办结) and how the result is collected.
    when_where = [{"promised_date": promised[i] if i < len(promised) else None,
                   "promised_days": item.promised_days,
                   "collection": item.collect.get(lang)}
                  for i, item in enumerate(j.plan.items) if i < len(refs)]
    return {"kiosk_refs": refs, "case_numbers": numbers, "when_where": when_where,
            "forwarded": bool(outcome and outcome.forwarded),
            # the receipt's own QR code (the progress link with the case's token): a
            # bare reference opens nothing, at a kiosk or on a phone
            "qr": outcome.query_links[0] if outcome and outcome.query_links else None,
            "owed": owed,
            "message": message,
            "forwarded_message": "workflow.receipt.forwarded"
            if outcome and outcome.forwarded else None}


def _simple(message: str) -> Any:
    return lambda j, lang: {"message": message}


_BUILDERS = {
    "identity": _identity,
    "code_checking": _identity,
    "face": _face,
    "face_fallback": _fallback,
    "checklist": _checklist,
    "capture": _capture,
    "form": _form,
    "signature": _signature,
    "review": _review,
    "rating": _rating,
    "submitting": _simple("workflow.submit.sending"),
    "submit_failed": lambda j, lang: {"message": "workflow.submit.failed",
                                      "partial": bool(j.data.outcome)},
    "printing": _receipt,
    "reprint": _receipt,
    "done": _receipt,
    "error": _simple("workflow.error.way_forward"),
    "cancelled": _simple("workflow.end.cancelled"),
    "timed_out": _simple("workflow.end.timed_out"),
    "card_gone": _simple("workflow.end.card_removed"),
}
