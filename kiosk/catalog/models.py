"""The service catalog as typed, frozen objects (a standardized guide per item).

Vocabulary follows Zhejiang's 办事指南 "八统一" (eight unified elements: name,
basis, conditions, materials, steps, time limits, fees, where to collect) and
the 《群众和企业到政府办事事项主项和子项两级指导目录》 that the Xiaoshan
briefings cite. Field meanings:

* ``Material.deferrable`` is 容缺受理: a *required* secondary material the
  applicant may promise to supply later, within ``supplement_days``; the case is
  accepted now and carries either its pages or that commitment.
* ``Material.exempt_by_sharing``: the back office fetches it through the data
  sharing platform (杭州市公共数据共享查询平台), so the citizen need not bring it.
* ``ServiceItem.channel``: ``kiosk_complete`` (即办, finished at the kiosk),
  ``kiosk_intake`` (前台综合受理 at the kiosk, 后台分类审批), ``window_only``
  (the kiosk only tells the citizen what to bring).
* ``ServiceItem.tongban``: 全区通办, can be handled at any site in the district.

Cross-file rules (unknown codes, duplicates, inconsistent materials) are
checked by :mod:`kiosk.catalog.loader`, which knows which file said what.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, PrivateAttr

from kiosk.config.loader import LText, StrictModel
from kiosk.config.model import CatalogSubset, DeviceKind
from kiosk.errors import ConfigError

DeptId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
EventId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
#: Item and bundle codes, e.g. ``330109-HJ-001`` (330109 = Xiaoshan's GB/T 2260 code).
ItemCode = Annotated[str, Field(pattern=r"^[0-9A-Z][0-9A-Z-]{2,39}$")]
MaterialCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,31}$")]
FieldName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

MaterialForm = Literal["original", "copy", "original_and_copy", "electronic"]
Capture = Literal["doccam", "scanner", "none"]
FieldType = Literal["text", "textarea", "number", "phone", "id_number", "date", "choice",
                    "bool"]
Applicant = Literal["individual", "legal_person"]
Channel = Literal["kiosk_complete", "kiosk_intake", "window_only"]
IdentityRule = Literal["card", "card+face", "card_or_sscard", "card_or_sscard+face"]

#: Where a form field may be prefilled from: the identity card as read
#: (kiosk.identity.Identity attributes).
PREFILL_SOURCES = frozenset({
    "card.name", "card.id_number", "card.sex", "card.birth", "card.nation",
    "card.address", "card.authority", "card.valid_from", "card.valid_to",
})


class Department(StrictModel):
    id: DeptId
    name: LText


class LifeEvent(StrictModel):
    """A life-event theme (出生, 婚姻, 退休 ...) used to browse and for 一件事."""

    id: EventId
    name: LText


class Material(StrictModel):
    code: MaterialCode
    name: LText
    form: MaterialForm
    count: int = Field(default=1, ge=1, le=20)
    required: bool = True
    deferrable: bool = False
    supplement_days: int | None = Field(default=None, ge=1, le=90)
    exempt_by_sharing: bool = False
    capture: Capture = "doccam"
    note: LText | None = None
    #: The pages to capture, by name, in order (户口簿: 首页, 本人页); empty when any do.
    pages: list[LText] = Field(default_factory=list, max_length=20)

    @property
    def must_bring(self) -> bool:
        """Shown on the one-time checklist as something to hand over today."""
        return self.required and not self.exempt_by_sharing


class Choice(StrictModel):
    value: Annotated[str, Field(min_length=1, max_length=40)]
    label: LText


class FormField(StrictModel):
    name: FieldName
    label: LText
    type: FieldType
    required: bool = True
    prefill: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    help: LText | None = None


class ServiceItem(StrictModel):
    code: ItemCode
    name: LText
    department: DeptId
    applicant: Applicant
    life_events: list[EventId] = Field(default_factory=list)
    conditions: list[LText] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    steps: list[LText] = Field(min_length=1)
    legal_days: int | None = Field(default=None, ge=0)
    promised_days: int | None = Field(default=None, ge=0)
    fee: LText
    collect: LText
    channel: Channel
    identity: IdentityRule
    form: list[FormField] = Field(default_factory=list)
    devices: list[DeviceKind] = Field(default_factory=list)
    signature: bool = False
    keywords: list[str] = Field(default_factory=list)
    tongban: bool = False
    #: 亮码: the identity may come from an identity code on the citizen's phone instead
    #: of the card, where the site offers it. Default yes; false where the card itself
    #: is needed (e.g. items about the ID card).
    identity_code: bool = True

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)

    @property
    def needs_face(self) -> bool:
        return self.identity.endswith("+face")

    @property
    def accepts_sscard(self) -> bool:
        return self.identity.startswith("card_or_sscard")


class Bundle(StrictModel):
    """Several items applied for at once (两证联办, 一件事): shared materials handed in once."""

    code: ItemCode
    name: LText
    items: list[ItemCode] = Field(min_length=2)
    departments: list[DeptId] = Field(min_length=1)
    description: LText

    def materials(self, catalog: Catalog) -> list[Material]:
        """The union of the items' materials; a material code shared by items appears once.

        When items disagree about a shared material, the stricter declaration wins
        (required over deferrable over optional), so merging never lets a citizen
        skip what one of the items needs.
        """
        chosen: dict[str, Material] = {}
        for code in self.items:
            for material in catalog.item(code).materials:
                seen = chosen.get(material.code)
                if seen is None or _strictness(material) > _strictness(seen):
                    chosen[material.code] = material
        return list(chosen.values())


def _strictness(material: Material) -> int:
    if material.exempt_by_sharing:
        return 0
    if not material.required:
        return 1
    return 2 if material.deferrable else 3


class Catalog(StrictModel):
    version: str = Field(min_length=1)
    sample: bool
    departments: list[Department] = Field(default_factory=list)
    life_events: list[LifeEvent] = Field(default_factory=list)
    items: list[ServiceItem] = Field(default_factory=list)
    bundles: list[Bundle] = Field(default_factory=list)

    # Lookup tables, built once; the lists above stay the order the files give.
    _items: dict[str, ServiceItem] = PrivateAttr(default_factory=dict)
    _bundles: dict[str, Bundle] = PrivateAttr(default_factory=dict)
    _departments: dict[str, Department] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        self._items = {i.code: i for i in self.items}
        self._bundles = {b.code: b for b in self.bundles}
        self._departments = {d.id: d for d in self.departments}

    def item(self, code: str) -> ServiceItem:
        """The item with this code; ``KeyError`` when there is none."""
        return self._items[code]

    def bundle(self, code: str) -> Bundle:
        return self._bundles[code]

    def name_of(self, code: str) -> LText | None:
        """The name of the item or bundle with this code; None when the catalog has
        neither (a catalog replaced since the citizen chose it)."""
        found = self._items.get(code) or self._bundles.get(code)
        return None if found is None else found.name

    def department(self, dept_id: str) -> Department:
        return self._departments[dept_id]

    def has_item(self, code: str) -> bool:
        return code in self._items

    def by_department(self, dept_id: str) -> list[ServiceItem]:
        return [i for i in self.items if i.department == dept_id]

    def by_life_event(self, event_id: str) -> list[ServiceItem]:
        return [i for i in self.items if event_id in i.life_events]

    def bundles_of(self, item_code: str) -> list[Bundle]:
        return [b for b in self.bundles if item_code in b.items]

    def subset(self, chosen: CatalogSubset, *, source: str = "site profile") -> Catalog:
        """The items a site offers (``site.catalog``); unknown codes are a ConfigError.

        Empty ``departments`` and ``items`` mean everything; otherwise an item is
        offered when its department is listed or its code is (or the code of a
        bundle it belongs to). ``exclude`` then
        removes items. A bundle stays only when all its items stay; departments
        without any item left are dropped from browsing.
        """
        for i, dept in enumerate(chosen.departments):
            if dept not in self._departments:
                raise ConfigError(source, f"catalog.departments.{i}",
                                  f"unknown department {dept!r}; known: "
                                  f"{', '.join(sorted(self._departments))}")
        for key, listed in (("items", chosen.items), ("exclude", chosen.exclude)):
            for i, code in enumerate(listed):
                if code not in self._items and code not in self._bundles:
                    raise ConfigError(source, f"catalog.{key}.{i}",
                                      f"unknown item code {code!r}")
        everything = not chosen.departments and not chosen.items
        wanted = set(chosen.departments)
        codes = set(chosen.items)
        for code in chosen.items:  # a listed bundle brings its items
            if code in self._bundles:
                codes.update(self._bundles[code].items)
        excluded = set(chosen.exclude)
        items = [i for i in self.items
                 if (everything or i.department in wanted or i.code in codes)
                 and i.code not in excluded]
        kept = {i.code for i in items}
        bundles = [b for b in self.bundles
                   if b.code not in excluded and all(c in kept for c in b.items)]
        used = {i.department for i in items}
        return Catalog(version=self.version, sample=self.sample,
                       departments=[d for d in self.departments if d.id in used],
                       life_events=list(self.life_events), items=items, bundles=bundles)

