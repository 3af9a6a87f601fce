"""A scripted citizen for the journey without screens: the card, the face, every
material ticked (some deferred), a page for each capture, a plausible answer for each
required field, the signature; then the review and the rating.

For what needs whole journeys and no person: the tests that run every item of the
shipped catalog and the end-to-end tests of the core, and ``scripts/bench workflow``.
The answers pass the catalog's own field validation (kiosk/catalog/forms.py). The
screens have their own citizen, who touches the widgets (screens/driver.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.catalog import FormField
from kiosk.identity import Identity
from kiosk.journey.apply import Journey

#: Fires one trigger: ``Journey.fire`` or a wrapper that counts or renders each step.
Fire = Callable[..., Any]

#: Answers for fields whose pattern an answer made from their type would not match.
PATTERN_VALUES = {"bank_account": "6222020200112233445", "credit_code": "91330109MA2H4KXX1Y"}
VALUES: dict[str, object] = {"text": "测试", "textarea": "情况说明", "phone": "13800000000",
                             "date": "2020-05-01", "bool": True}
#: A scanned page (JPEG magic) and a signature (PNG magic): the core checks no more.
PAGE = b"\xff\xd8\xff\xe0" + b"page" * 100
SIGNATURE = b"\x89PNG\r\n\x1a\n" + b"sig" * 50


def value_for(field: FormField, identity: Identity) -> object:
    """A valid answer to ``field`` for the citizen of ``identity``."""
    if field.name in PATTERN_VALUES:
        return PATTERN_VALUES[field.name]
    if field.type == "number":
        return field.min if field.min is not None else 1
    if field.type == "choice":
        return field.choices[0].value if field.choices else ""
    if field.type == "id_number":
        return identity.id_number
    return VALUES[field.type]


def to_review(j: Journey, identity: Identity, *, fire: Fire | None = None,
              defer: bool = False, face_score: float = 0.8,
              page: Callable[[str], bytes] | None = None,
              signature: bytes = SIGNATURE) -> None:
    """From the card to the review: the deferrable materials deferred when ``defer``;
    ``page(state)`` is the page shown in each capture state (by default a small JPEG
    that names the state, so that no two pages are the same)."""
    fire = fire or j.fire
    fire("card_read", identity=identity)
    if j.plan.needs_face:
        fire("face_ok", score=face_score)
    for m in j.plan.asked_materials:
        if defer and m.deferrable:
            fire("material_deferred", code=m.code)
    if j.state == "checklist":
        fire("all_ticked")
        fire("next")
    while j.state.startswith("capture:"):
        fire("page_added", data=page(j.state) if page else PAGE + j.state.encode())
        fire("next")
    if j.state == "form":
        for f in j.plan.form:
            if f.required and f.name not in j.data.form:
                fire("field_set", name=f.name, value=value_for(f, identity))
        fire("next")
    if j.state == "signature":
        fire("signed", png=signature)


def to_rating(j: Journey, identity: Identity, *, fire: Fire | None = None,
              reasons: tuple[str, ...] = (), **to_review_kw: Any) -> None:
    """The whole citizen's part: to the review, submit, and rate 5 (with ``reasons``)."""
    fire = fire or j.fire
    to_review(j, identity, fire=fire, **to_review_kw)
    if j.state == "review":
        fire("next")
    fire("rated", score=5, **({"reasons": list(reasons)} if reasons else {}))
