"""What a citizen journey asks, derived from the catalog as data.

A :class:`Plan` is computed once per item (or bundle) from its catalog entry:
which identity documents are accepted, whether the face is checked, the
materials checklist, which materials are photographed, the form fields and
whether a signature is needed. :mod:`kiosk.journey.apply` turns the plan into a
state table; nothing in this module knows about states.

Bundles (两证联办, 一件事) merge their items: the materials come from
``Bundle.materials`` (a shared material once, the strictest declaration
winning), form fields are merged by name (the first item's declaration
wins, so one question is asked once), the face is checked when any item
needs it, and the social security card is accepted only when every item
accepts it (the strictest rule wins, as for materials).
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.catalog import Bundle, Catalog, FormField, Material, ServiceItem
from kiosk.config.loader import LText

#: The fixed order of a journey's steps (capture expands to one step per material).
STEP_ORDER = ("identity", "face", "checklist", "capture", "form", "signature", "review",
              "rating")


@dataclass(frozen=True)
class Plan:
    code: str
    name: LText
    items: tuple[ServiceItem, ...]
    materials: tuple[Material, ...]
    form: tuple[FormField, ...]
    needs_face: bool
    accepts_sscard: bool
    signature: bool
    bundle_code: str | None = None
    #: 亮码 accepted (every item of a bundle must accept it).
    accepts_code: bool = True

    @property
    def asked_materials(self) -> tuple[Material, ...]:
        """Materials the checklist asks about (exempt-by-sharing ones are only shown)."""
        return tuple(m for m in self.materials if not m.exempt_by_sharing)

    @property
    def captured_materials(self) -> tuple[Material, ...]:
        """Materials that get a capture step when the citizen has them."""
        return tuple(m for m in self.asked_materials if m.capture != "none")

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.form if f.name == name), None)

    @property
    def steps(self) -> tuple[str, ...]:
        """The journey's main steps in order; ``capture:<code>`` per capturable material."""
        out: list[str] = ["identity"]
        if self.needs_face:
            out.append("face")
        if self.materials:
            out.append("checklist")
        out.extend(f"capture:{m.code}" for m in self.captured_materials)
        if self.form:
            out.append("form")
        if self.signature:
            out.append("signature")
        out.extend(("review", "rating"))
        return tuple(out)

    def identity_rule(self) -> str:
        base = "card_or_sscard" if self.accepts_sscard else "card"
        return base + ("+face" if self.needs_face else "")


def plan_item(item: ServiceItem) -> Plan:
    return Plan(code=item.code, name=item.name, items=(item,),
                materials=tuple(item.materials), form=tuple(item.form),
                needs_face=item.needs_face, accepts_sscard=item.accepts_sscard,
                signature=item.signature, accepts_code=item.identity_code)


def plan_bundle(bundle: Bundle, catalog: Catalog) -> Plan:
    items = tuple(catalog.item(code) for code in bundle.items)
    fields: dict[str, FormField] = {}
    for item in items:
        for f in item.form:
            fields.setdefault(f.name, f)
    return Plan(code=bundle.code, name=bundle.name, items=items,
                materials=tuple(bundle.materials(catalog)), form=tuple(fields.values()),
                needs_face=any(i.needs_face for i in items),
                accepts_sscard=all(i.accepts_sscard for i in items),
                signature=any(i.signature for i in items), bundle_code=bundle.code,
                accepts_code=all(i.identity_code for i in items))


def plan_for(code: str, catalog: Catalog) -> Plan:
    """The plan of an item or a bundle code; ``KeyError`` when the catalog has neither."""
    if catalog.has_item(code):
        return plan_item(catalog.item(code))
    return plan_bundle(catalog.bundle(code), catalog)
