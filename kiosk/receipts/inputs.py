"""What the receipt builders need, as plain values.

These are deliberately not the case or catalog classes: the screen (or
``kiosk/wiring/build.py``) copies what it has into them, so receipts depend on nothing
but this module. Texts are already in the chosen language (a site profile's
``LText.get(lang)``, a catalog item's name); names and ID numbers arrive in
full and the builders mask them (kiosk/privacy.py) - a receipt never carries
either in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

CollectMethod = Literal["window", "mail", "kiosk"]  # backoffice/API.md CaseStatus.collect
CaseStatusCode = Literal["submitted", "accepted", "in_review", "approved", "rejected",
                         "needs_supplement", "ready_for_pickup", "collected"]


@dataclass(frozen=True)
class OwedMaterial:
    """A 容缺 material: accepted without it, on the promise to bring it by ``deadline``."""

    name: str
    deadline: date


@dataclass(frozen=True)
class Collection:
    method: CollectMethod
    place: str = ""  # a window ("3号窗口") or an address; empty when not known yet
    note: str = ""
    #: The item's own words (the catalog's 出件/领取, e.g. 凭回执到区婚姻登记处当场补证):
    #: printed as they are instead of the generic text of ``method``.
    instruction: str = ""


@dataclass(frozen=True)
class ReceiptInput:
    """A 受理回执: the citizen's proof that the kiosk took the case."""

    site_name: str
    terminal_id: str
    accepted_at: datetime  # timezone-aware; printed in China time
    item_name: str
    applicant_name: str
    id_number: str
    kiosk_ref: str
    query_base_url: str  # PrinterConfig.query_base_url; the QR is <base>/q/<kiosk_ref>
    case_number: str | None = None  # None while the back office has not answered
    materials_received: tuple[str, ...] = ()
    materials_owed: tuple[OwedMaterial, ...] = ()
    promised_date: date | None = None
    #: The item's legal time limit in working days: printed as "N个工作日内" when no
    #: date can be counted (the holiday data does not reach that far yet).
    promised_days: int | None = None
    collection: Collection | None = None
    queued_offline: bool = False
    #: kiosk.submission.signing.query_token of this case: the QR lets any kiosk show it
    #: without a card.
    query_token: str = ""


@dataclass(frozen=True)
class ChecklistMaterial:
    name: str
    original: bool = True
    copies: int = 0
    deferrable: bool = False  # 可容缺
    note: str = ""


@dataclass(frozen=True)
class ChecklistInput:
    """一次性告知书: everything an item needs, printed before the citizen starts."""

    site_name: str
    item_name: str
    department: str
    printed_at: datetime
    materials: tuple[ChecklistMaterial, ...]
    conditions: tuple[str, ...] = ()
    promised_days: int | None = None  # working days
    fee: str = ""  # empty = free of charge
    place: str = ""
    phone: str = ""


@dataclass(frozen=True)
class QueueTicketInput:
    """取号: a number for the staffed window."""

    site_name: str
    number: str
    service_name: str
    issued_at: datetime
    waiting: int = 0
    window_hint: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    status: CaseStatusCode
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class QueryResultInput:
    """A case's progress (from CaseStatus, which holds no personal data)."""

    site_name: str
    kiosk_ref: str
    item_name: str
    status: CaseStatusCode
    printed_at: datetime
    query_base_url: str
    case_number: str | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    owed_materials: tuple[OwedMaterial, ...] = ()
    collection: Collection | None = None


@dataclass(frozen=True)
class TestPageInput:
    __test__ = False  # not a pytest test class, despite the name

    terminal_id: str
    printer_name: str
    printed_at: datetime
    profile_lines: tuple[str, ...] = field(default=())  # technician text, e.g. "80 mm / 576 dots"
    include_rare: bool = False  # 䶮 𠮷: forces raster in auto mode
    qr_payload: str = "https://example.org/test"
