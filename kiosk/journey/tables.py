"""The state table of a citizen journey, generated from its :class:`Plan`.

The table is plain data (print it with ``journey_table(plan).describe()``).
Guard names may be combined with ``&`` and may carry one argument after a
colon (``checklist_complete&wants:M02``); :mod:`kiosk.journey.apply` resolves them.

Shape of every item journey (steps come from the plan, in this order)::

    identity → [face → (face_fallback)] → [checklist] → [capture:<M>...] → [form]
      → [signature] → review → rating → submitting → printing → done
                                         ↘ submit_failed   ↘ reprint (QR on screen)

* ``next``/``back`` walk the steps; a capture step is entered only when the
  citizen ticked that material (guard ``wants:<code>``).
* The rating comes *before* submitting because backoffice/API.md carries the
  好差评 inside the CaseSubmission, whose bytes are fixed once it is in the
  outbox (idempotency): a rating given after the receipt could not be sent.
* ``error`` (any KioskError) from a step goes to ``error`` remembering the
  step; ``retry`` returns to it, ``back`` goes where that step's back goes,
  ``home`` cancels. Guard *and effect* names may be joined with ``&``.
* After the case is in the outbox (``printing``, ``reprint``) nothing can
  cancel it: ``home``, ``timeout`` and card removal lead to ``done``.
* 亮码 (``code=True``): ``code_scanned`` on the identity step goes to ``code_checking``
  while the back office resolves it; ``code_ok`` continues as ``card_read`` would,
  ``code_failed`` returns to the identity step with the reason (docs/identity-codes.md).
* ``leave`` is the citizen's 取消办理 (or the shell's 首页): it ends at once while
  nothing was handed over yet, otherwise it only asks (``leave_asked``) and the
  screen shows the question; ``cancel`` then ends, ``stay`` takes the question away.
"""

from __future__ import annotations

from kiosk.journey.machine import ANY, SAME, Table, Transition, row
from kiosk.journey.plan import Plan

#: States that end a journey; entering one ends the session (wipe).
FINAL = frozenset({"done", "cancelled", "timed_out", "card_gone"})
#: Every state after the case went into the outbox.
POST_SUBMIT = ("printing", "reprint")


def _guard(*parts: str | None) -> str | None:
    joined = "&".join(p for p in parts if p)
    return joined or None


def _is_capture(step: str) -> bool:
    return step.startswith("capture:")


def _walk(steps: tuple[str, ...], start: int, step: int) -> list[str]:
    """Candidate destinations from ``steps[start]``: captures, up to one non-capture step."""
    out: list[str] = []
    i = start + step
    while 0 <= i < len(steps):
        out.append(steps[i])
        if not _is_capture(steps[i]):
            break
        i += step
    return out


def _moves(trigger: str, source: str, candidates: list[str], guard: str | None = None,
           effect: str | None = None) -> list[Transition]:
    rows: list[Transition] = []
    for dest in candidates:
        wants = f"wants:{dest.split(':', 1)[1]}" if _is_capture(dest) else None
        eff = effect
        if trigger == "back" and dest == "identity":
            eff = "forget_identity"
        elif trigger == "back" and dest == "face":
            eff = "forget_verification"
        rows.append(row(trigger, source, dest, guard=_guard(guard, wants), effect=eff))
    return rows


#: What a step needs before ``next`` leaves it.
_NEXT_GUARD = {"checklist": "checklist_complete", "form": "form_valid",
               "signature": "has_signature", "review": None, "rating": None}


def _code_rows(after_identity: str) -> list[Transition]:
    """亮码 on the identity step: a code read by the scanner is resolved by the back office
    (``code_checking``, the runner's work); its identity continues the journey exactly as
    a card's would, a refusal returns to the identity step saying why."""
    return [
        row("code_scanned", "identity", "code_checking", guard="code_well_formed",
            effect="take_code"),
        row("code_scanned", "identity", SAME, effect="reject_code"),
        row("code_unreadable", "identity", SAME, effect="note_code_unreadable"),
        row("code_ok", "code_checking", after_identity, guard="card_ok",
            effect="take_code_identity"),
        row("code_ok", "code_checking", "identity", effect="reject_code_identity"),
        row("code_failed", "code_checking", "identity", effect="note_code_failed"),
    ]


def journey_table(plan: Plan, *, code: bool = False) -> Table:
    """``code``: the identity step also takes 亮码 (the site offers it, the plan accepts it)."""
    steps = plan.steps
    after_identity = steps[1]
    after_face = steps[2] if plan.needs_face else after_identity
    working = (*steps, "face_fallback")
    checking = ("code_checking",) if code else ()
    states = (*working, *checking, "error", "submitting", "submit_failed", *POST_SUBMIT,
              *sorted(FINAL))
    rows: list[Transition] = [
        row("card_read", "identity", after_identity, guard="card_ok", effect="take_card"),
        row("card_read", "identity", SAME, effect="reject_card"),
        row("card_removed", "identity", SAME, effect="note_card_removed"),
        # A failed read: "keep the card still" while the reader retries by itself;
        # after its last attempt, the error state (retry = place the card again).
        row("card_failed", "identity", "error", guard="final_failure", effect="enter_error"),
        row("card_failed", "identity", SAME, effect="note_card_failed"),
    ]
    if code:
        rows += _code_rows(after_identity)
    if plan.needs_face:
        rows += [
            row("face_ok", "face", after_face, effect="take_face"),
            row("face_failed", "face", SAME, guard="face_attempts_left",
                effect="count_face_failure"),
            row("face_failed", "face", "face_fallback", effect="count_face_failure"),
            row("face_unavailable", "face", "face_fallback", effect="note_face_reason"),
            row("staff_verified", "face_fallback", after_face, guard="staff_allowed",
                effect="take_staff"),
            row("back", "face_fallback", "identity", effect="forget_identity"),
        ]
    for i, step in enumerate(steps):
        if step == "identity":
            rows.append(row("back", "identity", "cancelled"))
            continue
        if step == "face":
            rows += _moves("back", step, _walk(steps, i, -1))
            continue
        kind = step.split(":", 1)
        if kind[0] == "capture":
            need: str | None = f"has_pages:{kind[1]}"
        else:
            need = _NEXT_GUARD[step]
        if step == "signature":
            rows += _moves("signed", step, _walk(steps, i, 1), effect="take_signature")
        if step == "rating":
            rows += [row("rated", "rating", "submitting", effect="take_rating"),
                     row("next", "rating", "submitting")]
        else:
            rows += _moves("next", step, _walk(steps, i, 1), guard=need)
        if step == "form":
            rows.append(row("next", "form", SAME, effect="show_form_errors"))
            rows.append(row("field_set", "form", SAME, effect="set_field"))
        rows += _moves("back", step, _walk(steps, i, -1))
    if "checklist" in steps:
        rows += [row("material_ticked", "checklist", SAME, effect="tick"),
                 row("all_ticked", "checklist", SAME, effect="tick_all"),
                 row("material_deferred", "checklist", SAME, effect="defer")]
    captures = [s for s in steps if _is_capture(s)]
    if captures:
        rows += [row(t, captures, SAME, effect=t) for t in
                 ("page_added", "page_retaken", "page_deleted")]
    rows += [
        row("submit_ok", "submitting", "printing", effect="take_outcome"),
        row("submit_queued", "submitting", "printing", effect="take_outcome"),
        row("submit_failed", "submitting", "submit_failed", effect="take_submit_error"),
        row("retry", "submit_failed", "submitting"),
        # Part of a bundle is already in the outbox: leaving still prints its receipt.
        row("home", "submit_failed", "printing", guard="has_outcome"),
        row("cancel", "submit_failed", "printing", guard="has_outcome"),
        row("timeout", "submit_failed", "printing", guard="has_outcome"),
        row("printed", "printing", "done"),
        row("print_failed", "printing", "reprint", effect="take_print_error"),
        row("reprint", "reprint", "printing"),
        row("next", "reprint", "done"),
        row("home", "reprint", "done"),
        row("error", working, "error", effect="enter_error"),
    ]
    # From the error state: retry returns to the step where the error happened; back
    # takes that step's own back rows (same guards and effects), so "back" means the
    # same thing on the error screen as on the step itself.
    backs = [t for t in rows if t.trigger == "back"]
    for state in working:
        resume = f"resume_is:{state}"
        rows.append(row("retry", "error", state, guard=resume, effect="leave_error"))
        rows += [row("back", "error", t.dest, guard=_guard(resume, t.guard),
                     effect=_guard("leave_error", t.effect))
                 for t in backs if state in t.sources]
    leaving = (*working, *checking, "error", "submit_failed")
    after_card = (*steps[1:], "face_fallback", "error")
    rows += [
        row("leave", leaving, SAME, guard="has_entered_data", effect="ask_leave"),
        row("leave", leaving, "cancelled"),
        row("stay", leaving, SAME, effect="keep_going"),
        row("cancel", leaving, "cancelled"),
        row("home", leaving, "cancelled"),
        row("timeout", leaving, "timed_out"),
        row("timeout", ("submitting", "printing"), SAME),
        row("timeout", "reprint", "done"),
        row("card_removed", after_card, "card_gone", guard="card_must_stay"),
        row("card_removed", (*after_card, *checking, "submitting", "submit_failed",
                             *POST_SUBMIT), SAME),
        row("card_read", ANY, SAME),
        row("card_failed", ANY, SAME),
    ]
    if code:  # a code shown anywhere else is read and let go
        rows += [row("code_scanned", ANY, SAME), row("code_unreadable", ANY, SAME)]
    return Table(name=f"journey {plan.code}", states=states, initial="identity",
                 transitions=tuple(rows), final=FINAL)


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.journey.tables CODE|query|ticket|certificate``: print a table."""
    import argparse
    import sys

    from kiosk.catalog import load_catalog
    from kiosk.config.model import load_config, resolve
    from kiosk.journey.plan import plan_for

    parser = argparse.ArgumentParser(prog="python -m kiosk.journey.tables")
    parser.add_argument("code", help="an item or bundle code, or query, ticket, certificate")
    parser.add_argument("--identity-code", action="store_true",
                        help="as at a site that offers 亮码 (identity codes)")
    args = parser.parse_args(argv)
    if args.code in ("query", "ticket", "certificate"):
        from kiosk.desk import journeys as ws

        cls = {"query": ws.QueryJourney, "ticket": ws.TicketJourney,
               "certificate": ws.CertificateJourney}[args.code]
        print(cls.TABLE.describe())
        return 0
    catalog = load_catalog(resolve(load_config().catalog_dir))
    try:
        plan = plan_for(args.code, catalog)
    except KeyError:
        print(f"no item or bundle {args.code!r} in the catalog", file=sys.stderr)
        return 2
    print(journey_table(plan, code=args.identity_code and plan.accepts_code).describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
