"""What the site offers besides the kiosk, and how to say so to a citizen.

A township hall has a window per department; a bank branch (政银通) has none of the
government's windows, only its own help desk. So "go to the window" is right at one
site and wrong at the other: every message that sends a citizen somewhere asks the
site profile (``SiteProfile.services``) where that is.

* :func:`window_for`: the site's window that handles an item's department, if any
  (the window-only guide offers 取号 for it);
* :func:`checklist_input`: the 一次性告知书 to print for an item (the window-only
  guide's 打印告知单), naming where to hand the materials in;
* :func:`explain`: why an item cannot be started here, as an i18n key and its
  parameters: the device at fault, a device reason only when it means something
  to a citizen (paper out, not "the device has not been started"), and the nearest
  service hall instead of "the window" where the site has none for the item.

Pure logic: the site, the catalog and the availability answer are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.catalog import Catalog, ServiceItem
from kiosk.catalog.availability import (
    REASON_NOT_AT_SITE,
    REASON_NOT_READY,
    REASON_OUTBOX,
    REASON_WINDOW_ONLY,
    Availability,
    Status,
)
from kiosk.config.loader import LText
from kiosk.config.model import SiteProfile
from kiosk.desk.servicedesk import Category, queue_categories
from kiosk.receipts.inputs import ChecklistInput, ChecklistMaterial

#: Device reasons (core.po device.reason.*) a citizen can understand and that are not
#: about the kiosk's insides; any other reason is for the technician's screen only.
CITIZEN_REASONS = frozenset({
    "device.reason.paper_out", "device.reason.paper_jam", "device.reason.cover_open",
    "device.reason.maintenance",
})

#: The reason keys, and their variants that name the nearest hall instead of a window.
_HALL = {REASON_NOT_READY: "availability.reason.not_ready_hall",
         REASON_NOT_AT_SITE: "availability.reason.not_at_site_hall",
         REASON_OUTBOX: "availability.reason.outbox_hall",
         REASON_WINDOW_ONLY: "availability.window_only_hall"}


@dataclass(frozen=True)
class Explanation:
    """Why an item cannot start here: ``key`` (screens.po) with ``{device}`` and
    ``{hall}`` to fill in, and a device reason worth saying (or None)."""

    key: str
    device_kind: str | None = None
    device_reason: str | None = None
    hall: LText | None = None


def window_for(site: SiteProfile, catalog: Catalog, item: ServiceItem) -> Category | None:
    """The site's window that handles ``item`` (its department), or None."""
    return next((c for c in queue_categories(catalog, site)
                 if item.department in c.departments), None)


def explain(result: Availability, item: ServiceItem, site: SiteProfile,
            catalog: Catalog) -> Explanation | None:
    """The citizen's message for a suspended or window-only item; None when available."""
    if result.status is Status.AVAILABLE or result.reason is None:
        return None
    reason = result.device_reason if result.device_reason in CITIZEN_REASONS else None
    hall = site.services.nearest_hall
    key = result.reason
    if hall is not None and key in _HALL and window_for(site, catalog, item) is None:
        return Explanation(_HALL[key], result.device_kind, reason, hall)
    return Explanation(key, result.device_kind, reason)


def checklist_input(item: ServiceItem, site: SiteProfile, catalog: Catalog, lang: str,
                    now: datetime) -> ChecklistInput:
    """The 一次性告知书 of ``item`` for the receipt printer: every material to bring
    (免提交 ones are fetched by data sharing and left off), and where to hand them in:
    the site's window for the item, else the nearest service hall."""
    try:
        department = catalog.department(item.department).name.get(lang)
    except KeyError:
        department = item.department
    window = window_for(site, catalog, item)
    hall = site.services.nearest_hall
    place = (f"{site.name.get(lang)} {window.letter} {window.name.get(lang)}" if window
             else hall.get(lang) if hall is not None else site.name.get(lang))
    materials = tuple(
        ChecklistMaterial(m.name.get(lang), original=m.form != "copy",
                          copies=m.count if m.form in ("copy", "original_and_copy") else 0,
                          deferrable=m.deferrable, note=m.note.get(lang) if m.note else "")
        for m in item.materials if not m.exempt_by_sharing)
    return ChecklistInput(site_name=site.name.get(lang), item_name=item.name.get(lang),
                          department=department, printed_at=now, materials=materials,
                          conditions=tuple(c.get(lang) for c in item.conditions),
                          promised_days=item.promised_days, fee=item.fee.get(lang),
                          place=place)
