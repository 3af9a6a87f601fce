"""What the citizen-service screens (进度查询, 取号, 证明打印) are given, Kivy-free.

:class:`ServiceDesk` builds one of the small journeys of
:mod:`kiosk.desk.journeys` with its :class:`~kiosk.desk.journeys.TaskRunner`
wired to the kiosk's parts: the back office (case look-ups), the receipt printer
(queue tickets, query slips, results) and the daily ticket counter. The screens
fire triggers and render ``journey.view()``; nothing here touches a widget.

* Queue categories are the site's departments (one window category each), with
  letters A, B, C ... in catalog order, so a number says which window calls it.
* 证明打印: the back office's API (backoffice/API.md) has no certificate
  document yet; a case ready to collect at the kiosk prints its result slip
  (``build_query_result``: item, case number, status, timeline, where to
  collect), which the window exchanges for the certificate.
* Printing raises the job's typed error (``JobResult.raise_for_error``), so
  the journeys move to their print-failed states with the printer's message.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, cast

from kiosk.catalog import Catalog
from kiosk.clock import Clock
from kiosk.config.loader import LText
from kiosk.config.model import SiteProfile
from kiosk.desk.journeys import (
    CertificateJourney,
    QueryJourney,
    ServiceJourney,
    TaskRunner,
    TicketJourney,
)
from kiosk.desk.tasks import (
    CaseLookup,
    TicketIssuer,
    certificate_tasks,
    query_tasks,
    ticket_tasks,
)
from kiosk.errors import BackofficeUnreachable, DeviceUnavailable, KioskError
from kiosk.journey.runner import Work, inline
from kiosk.receipts import (
    ChecklistInput,
    Collection,
    OwedMaterial,
    QueryResultInput,
    QueueTicketInput,
    TimelineEntry,
)
from kiosk.receipts.inputs import CaseStatusCode

KINDS = ("progress", "queue", "print")
_STATUSES = frozenset({"submitted", "accepted", "in_review", "approved", "rejected",
                       "needs_supplement", "ready_for_pickup", "collected"})
_COLLECT = frozenset({"window", "mail", "kiosk"})


class JobLike(Protocol):
    def raise_for_error(self) -> None: ...


class DeskPrinting(Protocol):
    """What the desk prints, in one language: ``kiosk.receipts.service.ReceiptService``."""

    def print_checklist(self, data: ChecklistInput) -> JobLike: ...

    def print_ticket(self, data: QueueTicketInput) -> JobLike: ...

    def print_query_result(self, data: QueryResultInput) -> JobLike: ...


@dataclass(frozen=True)
class Category:
    """One queue: a department's windows."""

    id: str
    letter: str
    name: LText
    #: The departments whose items this window handles.
    departments: tuple[str, ...] = ()


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _when(text: str, fallback: datetime) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return fallback
    return when if when.tzinfo is not None else fallback


def queue_categories(catalog: Catalog, site: SiteProfile | None = None) -> list[Category]:
    """The windows 取号 offers: the site's own (a bank branch: its help desk only), or
    one per department of the site's catalog (a township hall)."""
    letters = string.ascii_uppercase
    windows = site.services.windows if site is not None else None
    if windows is not None:
        return [Category(w.id, letters[i % len(letters)], w.name, tuple(w.departments))
                for i, w in enumerate(windows)]
    return [Category(d.id, letters[i % len(letters)], d.name, (d.id,))
            for i, d in enumerate(catalog.departments)]


@dataclass
class ServiceDesk:
    clock: Clock
    catalog: Catalog
    site_name: LText
    query_base_url: str
    counter: TicketIssuer
    lookup: CaseLookup | None = None
    #: ``lang -> printing in that language`` (ReceiptService); None without a printer.
    receipts: Callable[[str], DeskPrinting] | None = None
    dispatch: Callable[[Work], None] = inline
    deliver: Callable[[Work], None] = inline
    #: The site profile: its windows are the queues (None: one per department).
    site: SiteProfile | None = None
    _runner: TaskRunner | None = field(default=None, init=False, repr=False)
    current: ServiceJourney | None = field(default=None, init=False)

    # -- journeys ------------------------------------------------------------------
    def start(self, kind: str, lang: str) -> ServiceJourney:
        """A fresh journey of ``kind`` (progress, queue, print); any earlier one wiped."""
        self.stop()
        journey: ServiceJourney
        tasks: Mapping[str, Any]
        if kind == "progress":
            journey = QueryJourney()
            tasks = query_tasks(journey, self._lookup(), self.clock)
        elif kind == "queue":
            journey = TicketJourney()
            tasks = ticket_tasks(journey, self.counter, _TicketPrinter(self, lang))
        elif kind == "print":
            journey = CertificateJourney()
            tasks = certificate_tasks(journey, self._lookup(), _ResultPrinter(self, lang),
                                      self.clock)
        else:
            raise KioskError(f"unknown service {kind!r}")
        self._runner = TaskRunner(journey, tasks, dispatch=self.dispatch,
                                  deliver=self.deliver)
        self.current = journey
        return journey

    def stop(self) -> None:
        if self.current is not None:
            self.current.wipe()
        self.current = None
        self._runner = None

    def _lookup(self) -> CaseLookup:
        return self.lookup if self.lookup is not None else _NoBackoffice()

    # -- queue categories -------------------------------------------------------------
    def categories(self) -> list[Category]:
        return queue_categories(self.catalog, self.site)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories() if c.id == category_id), None)

    # -- printing -----------------------------------------------------------------------
    def item_name(self, code: str, lang: str) -> str:
        name = self.catalog.name_of(code)  # an item's or a bundle's
        return code if name is None else name.get(lang)  # code: not in this catalog

    def print_query_slip(self, case: Any, lang: str) -> None:
        """The query-result slip of one case (CaseStatus); raises the printer's error."""
        self.printing(lang).print_query_result(self._query_input(case, lang)).raise_for_error()

    def print_checklist(self, data: ChecklistInput, lang: str) -> None:
        """The 一次性告知书 (``kiosk.desk.siteservices.checklist_input``); raises the
        printer's error."""
        self.printing(lang).print_checklist(data).raise_for_error()

    def printing(self, lang: str) -> DeskPrinting:
        """The receipt service in ``lang``; DeviceUnavailable without a printer."""
        if self.receipts is None:
            raise DeviceUnavailable("no receipt printer")
        return self.receipts(lang)

    def _query_input(self, case: Any, lang: str) -> QueryResultInput:
        now = self.clock.now()
        collect = case.collect or {}
        method = collect.get("method")
        collection = Collection(method, str(collect.get("place") or ""),
                                str(collect.get("note") or "")) if method in _COLLECT else None
        owed = tuple(OwedMaterial(m.name, d) for m in case.owed_materials
                     if (d := _date(m.deadline)) is not None)
        timeline = tuple(TimelineEntry(t.status, _when(t.at, now), t.note or "")
                         for t in case.timeline if t.status in _STATUSES)
        status = cast(CaseStatusCode, case.status if case.status in _STATUSES else "submitted")
        return QueryResultInput(site_name=self.site_name.get(lang), kiosk_ref=case.kiosk_ref,
                                item_name=self.item_name(case.item_code, lang), status=status,
                                printed_at=now, query_base_url=self.query_base_url,
                                case_number=case.case_number, timeline=timeline,
                                owed_materials=owed, collection=collection)


class _NoBackoffice:
    """Stands in when the kiosk has no back-office client: every look-up fails typed."""

    def case_status(self, number_or_ref: str, token: str) -> Any:
        raise BackofficeUnreachable("no back-office client configured")

    def applicant_cases(self, id_number: str, verification: Any) -> Sequence[Any]:
        raise BackofficeUnreachable("no back-office client configured")


@dataclass
class _TicketPrinter:
    desk: ServiceDesk
    lang: str

    def print_ticket(self, service: str, ticket: Mapping[str, Any]) -> None:
        category = self.desk.category(service)
        name = category.name.get(self.lang) if category is not None else service
        data = QueueTicketInput(site_name=self.desk.site_name.get(self.lang),
                                number=str(ticket["number"]), service_name=name,
                                issued_at=self.desk.clock.now(),
                                waiting=int(ticket.get("waiting", 0)))
        self.desk.printing(self.lang).print_ticket(data).raise_for_error()


@dataclass
class _ResultPrinter:
    desk: ServiceDesk
    lang: str

    def print_certificate(self, case: Any) -> None:
        self.desk.print_query_slip(case, self.lang)


class FrameSource(Protocol):
    """What the desk needs of ``devices.camera.base.Camera``."""

    def latest(self, timeout: float = ..., after_seq: int = ...) -> Any: ...


@dataclass
class QrScanner:
    """Reads a receipt's QR code from the newest camera frame (progress query).

    One frame per call: the screen calls it on a worker thread while the query
    waits for a card or a code, so the UI never blocks on decoding.
    """

    camera: FrameSource
    decode: Callable[[Any], str | None]
    _seq: int = 0

    def scan(self, timeout_s: float = 0.5) -> str | None:
        try:
            frame = self.camera.latest(timeout_s, self._seq)
        except KioskError:  # disabled, frozen, no new frame: nothing to read this time
            return None
        self._seq = frame.seq
        return self.decode(frame.image)
