"""Loading ``config/catalog/*.yaml`` into one validated :class:`Catalog`.

Layout: ``catalog.yaml`` is the header (``version``, ``sample``) and may hold
any section; every other ``*.yaml`` file holds some of the sections
``departments``, ``life_events``, ``items``, ``bundles`` (one file per
department keeps the diffs of the people who sync them readable). Top-level
keys starting with ``x-`` are ignored, so that a file can hold YAML anchors
(``x-phone: &phone ...``) for the pieces its items share, as docker-compose does.

Each file is validated on its own first, so a wrong type or an unknown key is
blamed on that file with its key path. Then the cross-file rules run (unknown
or duplicate codes, a 容缺 material that is not required or has no deadline,
devices an item forgot)
and every problem is a :class:`~kiosk.errors.ConfigError` naming the file that
declared the offending value and the key path inside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field

from kiosk.catalog.models import (
    PREFILL_SOURCES,
    Bundle,
    Catalog,
    Department,
    FormField,
    LifeEvent,
    Material,
    ServiceItem,
)
from kiosk.config.loader import StrictModel, read_yaml, validate
from kiosk.errors import ConfigError

HEADER = "catalog.yaml"
_M = TypeVar("_M")


class CatalogPart(StrictModel):
    departments: list[Department] = Field(default_factory=list)
    life_events: list[LifeEvent] = Field(default_factory=list)
    items: list[ServiceItem] = Field(default_factory=list)
    bundles: list[Bundle] = Field(default_factory=list)


class CatalogHeader(CatalogPart):
    version: str
    sample: bool


@dataclass(frozen=True)
class _Where:
    file: str
    path: str

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.file, f"{self.path}.{key}" if key else self.path, problem)


def load_catalog(directory: Path) -> Catalog:
    """Read every catalog file in ``directory``; raise ConfigError on the first problem."""
    header_path = directory / HEADER
    if not directory.is_dir():
        raise ConfigError(str(directory), "", "catalog directory not found")
    for stray in sorted(directory.glob("*.yml")):
        # Only *.yaml is read; a .yml file would otherwise be silently left out.
        raise ConfigError(str(stray), "", "catalog files must end in .yaml")
    header = validate(CatalogHeader, _read(header_path), file=str(header_path))
    parts: list[tuple[str, CatalogPart]] = [(str(header_path), header)]
    for path in sorted(directory.glob("*.yaml")):
        if path.name != HEADER:
            parts.append((str(path), validate(CatalogPart, _read(path), file=str(path))))
    return _assemble(header.version, header.sample, parts)


def _read(path: Path) -> dict[str, object]:
    return {k: v for k, v in read_yaml(path).items() if not str(k).startswith("x-")}


def _assemble(version: str, sample: bool, parts: list[tuple[str, CatalogPart]]) -> Catalog:
    departments: dict[str, tuple[Department, _Where]] = {}
    events: dict[str, tuple[LifeEvent, _Where]] = {}
    items: dict[str, tuple[ServiceItem, _Where]] = {}
    bundles: dict[str, tuple[Bundle, _Where]] = {}
    for file, part in parts:
        _collect(departments, part.departments, file, "departments", "id", "department id")
        _collect(events, part.life_events, file, "life_events", "id", "life event id")
        _collect(items, part.items, file, "items", "code", "item code")
        _collect(bundles, part.bundles, file, "bundles", "code", "bundle code")
    for code, (_, where) in bundles.items():
        if code in items:
            raise where.error("code", f"bundle code {code!r} is already an item code "
                              f"(in {items[code][1].file})")
    for item, where in items.values():
        _check_item(item, where, set(departments), set(events))
    for bundle, where in bundles.values():
        _check_bundle(bundle, where, items, set(departments))
    return Catalog(
        version=version, sample=sample,
        departments=[d for d, _ in departments.values()],
        life_events=[e for e, _ in events.values()],
        items=[i for i, _ in items.values()],
        bundles=[b for b, _ in bundles.values()],
    )


def _collect(into: dict[str, tuple[_M, _Where]], values: list[_M], file: str, section: str,
             key: str, what: str) -> None:
    for n, value in enumerate(values):
        ident = getattr(value, key)
        where = _Where(file, f"{section}.{n}")
        if ident in into:
            first = into[ident][1]
            raise where.error(key, f"duplicate {what} {ident!r} (first in {first.file} "
                              f"at {first.path})")
        into[ident] = (value, where)


def _check_item(item: ServiceItem, where: _Where, departments: set[str],
                events: set[str]) -> None:
    """The rules of one item against itself and the known departments and life events."""
    if item.department not in departments:
        raise where.error("department", f"unknown department {item.department!r}")
    for n, event in enumerate(item.life_events):
        if event not in events:
            raise where.error(f"life_events.{n}", f"unknown life event {event!r}")
    if (item.legal_days is not None and item.promised_days is not None
            and item.promised_days > item.legal_days):
        raise where.error("promised_days", f"promised {item.promised_days} days is longer "
                          f"than the legal limit of {item.legal_days}")
    seen: set[str] = set()
    for n, material in enumerate(item.materials):
        if material.code in seen:
            raise where.error(f"materials.{n}.code",
                              f"duplicate material code {material.code!r} in this item")
        seen.add(material.code)
        _check_material(material, _Where(where.file, f"{where.path}.materials.{n}"))
    names: set[str] = set()
    for n, field in enumerate(item.form):
        if field.name in names:
            raise where.error(f"form.{n}.name", f"duplicate field name {field.name!r}")
        names.add(field.name)
        _check_field(field, _Where(where.file, f"{where.path}.form.{n}"))
    for n, keyword in enumerate(item.keywords):
        if not keyword.strip():
            raise where.error(f"keywords.{n}", "empty keyword")
    _check_applicant_steps(item, where)
    _check_devices(item, where)


#: Roles that only an organisation applicant (法人) has: steps of an item for an
#: individual that name them were copied from an organisation's guide.
ORGANISATION_ROLES = ("法定代表人", "经办人", "负责人", "申请单位")


def _check_applicant_steps(item: ServiceItem, where: _Where) -> None:
    if item.applicant != "individual":
        return
    for n, step in enumerate(item.steps):
        for role in ORGANISATION_ROLES:
            if role in step.zh_CN:
                raise where.error(f"steps.{n}", f"names {role!r}, a role of an organisation, "
                                  "but the item's applicant is an individual")


def _check_material(m: Material, where: _Where) -> None:
    if m.deferrable and not m.required:
        # 容缺 is a required secondary material that may come later, not an optional
        # one: an optional one would let "I brought everything" submit without it
        # and without any commitment to supply it.
        raise where.error("required", f"material {m.code} is deferrable (容缺) but not "
                          "required; a 容缺 material is required and may be supplied later: "
                          "set required: true (or drop deferrable for an optional one)")
    if m.deferrable and m.supplement_days is None:
        raise where.error("supplement_days", "required when deferrable is true "
                          "(a 容缺 material needs a deadline to supply it)")
    if not m.deferrable and m.supplement_days is not None:
        raise where.error("supplement_days", "only allowed when deferrable is true")
    if m.exempt_by_sharing and m.deferrable:
        raise where.error("deferrable", "a material fetched by data sharing is never owed "
                          "by the citizen; it cannot be deferrable")
    if m.exempt_by_sharing and m.capture != "none":
        raise where.error("capture", "a material fetched by data sharing is not captured; "
                          "use capture: none")


#: Prefill sources that only fit one field type.
_PREFILL_TYPES = {
    "card.id_number": ("id_number",),
    "card.birth": ("date",),
    "card.valid_from": ("date",),
    "card.valid_to": ("date",),
}


def _check_field(f: FormField, where: _Where) -> None:
    if f.prefill is not None:
        if f.prefill not in PREFILL_SOURCES:
            raise where.error("prefill", f"unknown prefill source {f.prefill!r}; known: "
                              f"{', '.join(sorted(PREFILL_SOURCES))}")
        allowed = _PREFILL_TYPES.get(f.prefill, ("text", "textarea", "choice"))
        if f.type not in allowed:
            raise where.error("prefill", f"{f.prefill} cannot fill a {f.type} field "
                              f"(expected {' or '.join(allowed)})")
    if f.type == "choice" and not f.choices:
        raise where.error("choices", "a choice field needs at least one choice")
    if f.type != "choice" and f.choices:
        raise where.error("choices", f"only choice fields have choices (type is {f.type})")
    values = [c.value for c in f.choices]
    if len(set(values)) != len(values):
        raise where.error("choices", "duplicate choice value")
    if f.min_length is not None and f.max_length is not None and f.min_length > f.max_length:
        raise where.error("min_length", "longer than max_length")
    if f.min is not None and f.max is not None and f.min > f.max:
        raise where.error("min", "larger than max")
    if f.pattern is not None:
        try:
            re.compile(f.pattern)
        except re.error as exc:
            raise where.error("pattern", f"not a regular expression: {exc}") from None


def _check_devices(item: ServiceItem, where: _Where) -> None:
    """An item must list every device its own declaration implies (暂停服务 relies on it).

    A window-only item is only explained at the kiosk, so it implies no device.
    """
    if len(set(item.devices)) != len(item.devices):
        raise where.error("devices", "a device kind is listed twice")
    if item.channel == "window_only":
        return
    needed: list[tuple[str, str]] = []
    if not item.accepts_sscard:
        needed.append(("idcard", f"identity {item.identity!r}"))
    elif "idcard" not in item.devices and "sscard" not in item.devices:
        raise where.error("devices", f"must list 'idcard' or 'sscard': identity "
                          f"{item.identity!r}")
    if item.needs_face:
        needed.append(("camera", f"identity {item.identity!r}"))
    for m in item.materials:
        if m.capture != "none":
            needed.append((m.capture, f"material {m.code} is captured by {m.capture}"))
    needed.append(("printer", f"channel {item.channel!r} prints a receipt"))
    for kind, why in needed:
        if kind not in item.devices:
            raise where.error("devices", f"must list {kind!r}: {why}")


def _check_bundle(bundle: Bundle, where: _Where,
                  items: dict[str, tuple[ServiceItem, _Where]], departments: set[str]) -> None:
    for n, dept in enumerate(bundle.departments):
        if dept not in departments:
            raise where.error(f"departments.{n}", f"unknown department {dept!r}")
    seen: set[str] = set()
    for n, code in enumerate(bundle.items):
        if code not in items:
            raise where.error(f"items.{n}", f"unknown item code {code!r}")
        if code in seen:
            raise where.error(f"items.{n}", f"item {code!r} listed twice")
        seen.add(code)
        dept = items[code][0].department
        if dept not in bundle.departments:
            raise where.error("departments", f"item {code} belongs to {dept!r}, "
                              "which is not listed")


def load_catalog_document(data: Mapping[str, Any], *, source: str) -> Catalog:
    """A catalog received as one JSON document (the back office's ``GET /api/v1/catalog``,
    a kiosk's last good copy): the same models and cross-checks as the YAML files, every
    problem a ConfigError naming ``source`` and the key path."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, "", "expected a JSON object")
    header = validate(CatalogHeader, data, file=source)
    return _assemble(header.version, header.sample, [(source, header)])
