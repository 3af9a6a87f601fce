"""Runs the side effects of a journey's working states, then fires the outcome.

The journey decides *that* the case is submitted and the receipt printed; this
module does it, through small Protocols (the outbox and sender, a receipt
printer) so it can be tested without devices and wired by ``kiosk/wiring/build.py``:

* entering ``submitting``: each case goes into the durable outbox (once: a
  retry after a partial failure does not enqueue a case twice), then the
  sender is given up to ``backoffice.submit_wait_s`` to return case numbers;
  ``submit_ok`` when every case got one, ``submit_queued`` otherwise (the
  receipt says "forwarded"), ``submit_failed`` when a case could not be stored.
* entering ``printing``: one 受理回执 per case; ``printed`` or ``print_failed``.
* entering ``code_checking`` (亮码): the back office resolves the code;
  ``code_ok`` with the identity or ``code_failed`` with the reason.

``dispatch`` runs the work off the UI thread (the app passes a worker-thread
launcher; tests run inline) and ``deliver`` brings the resulting trigger back
onto the UI thread (``screens/bridge.py``); both default to calling directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from kiosk.catalog import ServiceItem
from kiosk.catalog.workdays import WorkCalendar
from kiosk.clock import CST, Clock
from kiosk.errors import ConfigError, KioskError
from kiosk.identity import Identity
from kiosk.journey.apply import Journey, SubmitOutcome
from kiosk.journey.machine import Change
from kiosk.receipts.builders import query_url
from kiosk.receipts.inputs import Collection, OwedMaterial, ReceiptInput
from kiosk.submission.cases import Case
from kiosk.submission.identitycode import IdentityCodeError

log = logging.getLogger(__name__)

Work = Callable[[], None]


def inline(work: Work) -> None:
    work()


class CaseQueue(Protocol):
    """``kiosk.submission.outbox.Outbox``: store a case durably, give its kiosk reference."""

    def enqueue(self, case: Case) -> str: ...


class Delivered(Protocol):
    @property
    def case_number(self) -> str | None: ...


class DeliveryWaiter(Protocol):
    """``kiosk.submission.sender.Sender``: wake the sender, wait a while for the case number."""

    def submit_and_wait(self, ref: str, timeout_s: float) -> Delivered | None: ...


class CodeResolver(Protocol):
    """``kiosk.submission.identitycode.CodeResolver``: 亮码 -> Identity, or an error."""

    def resolve(self, code: str) -> Identity: ...


class ReceiptPrinter(Protocol):
    """Builds the document (kiosk.receipts.builders.build_acceptance) and prints it."""

    def print_receipt(self, receipt: ReceiptInput) -> None: ...


def _no_token(_kiosk_ref: str) -> str:
    return ""


@dataclass(frozen=True)
class ReceiptContext:
    site_name: str
    query_base_url: str
    lang: str = "zh_CN"
    #: Working days for 承诺办结 (config/holidays.yaml); None prints no promised date.
    calendar: WorkCalendar | None = None
    #: The query token of a reference (BackofficeClient.query_token), for the QR.
    query_token: Callable[[str], str] = _no_token


class JourneyRunner:
    def __init__(self, journey: Journey, *, queue: CaseQueue, waiter: DeliveryWaiter | None,
                 printer: ReceiptPrinter, context: ReceiptContext, clock: Clock,
                 submit_wait_s: float = 8.0, dispatch: Callable[[Work], None] = inline,
                 deliver: Callable[[Work], None] = inline,
                 codes: CodeResolver | None = None) -> None:
        self.journey = journey
        self._codes = codes
        self._queue = queue
        self._waiter = waiter
        self._printer = printer
        self._context = context
        self._clock = clock
        self._wait_s = submit_wait_s
        self._dispatch = dispatch
        self._deliver = deliver
        #: item code -> kiosk reference of the cases already in the outbox.
        self.enqueued: dict[str, str] = {}
        self._outcome: SubmitOutcome | None = None
        journey.add_listener(self._on_change)

    def close(self) -> None:
        self.journey.remove_listener(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.internal:
            return
        if change.dest == "submitting":
            self._dispatch(self._submit)
        elif change.dest == "printing":
            self._dispatch(self._print)
        elif change.dest == "code_checking":
            self._dispatch(self._resolve_code)

    def _fire(self, trigger: str, **data: Any) -> None:
        def work() -> None:
            if self.journey.ended:
                # The session ended meanwhile (idle timeout): the case, if stored, stays
                # in the outbox; there is nobody left to show the outcome to.
                log.info("journey %s ended before %s", self.journey.plan.code, trigger)
                return
            self.journey.fire(trigger, **data)

        self._deliver(work)

    # ------------------------------------------------------------------ 亮码
    def _resolve_code(self) -> None:
        """Ask the back office who the code stands for; ``code_ok`` or ``code_failed``."""
        code = self.journey.data.code
        try:
            if self._codes is None or code is None:
                raise IdentityCodeError("no back office to resolve identity codes",
                                        i18n_key="workflow.code.offline")
            identity = self._codes.resolve(code)
        except KioskError as exc:
            self._fire("code_failed", error=exc)
            return
        self._fire("code_ok", identity=identity)

    # ------------------------------------------------------------------ submit
    def _submit(self) -> None:
        try:
            cases = self.journey.cases()
            for case in cases:
                if case.item_code not in self.enqueued:
                    self.enqueued[case.item_code] = self._queue.enqueue(case)
        except KioskError as exc:
            log.warning("journey %s: case not stored: %s", self.journey.plan.code, exc)
            # Cases of a bundle stored before the failure keep their references: the
            # citizen still gets their receipts if they give up (see workflow_tables).
            stored = tuple(self.enqueued.values())
            self._fire("submit_failed", error=exc,
                       outcome=SubmitOutcome(stored) if stored else None)
            return
        refs = tuple(self.enqueued[c.item_code] for c in cases)
        filed = self._clock.now().astimezone(CST).date()
        promised = tuple(self._promised(item, filed) for item in self.journey.plan.items)
        ctx = self._context
        links = tuple(query_url(ctx.query_base_url, ref, ctx.query_token(ref)) for ref in refs) \
            if ctx.query_base_url else ()
        self._outcome = SubmitOutcome(refs, self._wait_for_numbers(refs), promised, links)
        self._fire("submit_queued" if self._outcome.forwarded else "submit_ok",
                   outcome=self._outcome)

    def _wait_for_numbers(self, refs: Sequence[str]) -> tuple[str | None, ...]:
        if self._waiter is None:
            return tuple(None for _ in refs)
        deadline = self._clock.monotonic() + self._wait_s
        numbers: list[str | None] = []
        for ref in refs:
            left = max(0.0, deadline - self._clock.monotonic())
            record = self._waiter.submit_and_wait(ref, left) if left > 0 else None
            numbers.append(record.case_number if record is not None else None)
        return tuple(numbers)

    def _promised(self, item: ServiceItem, filed: date) -> date | None:
        calendar = self._context.calendar
        if calendar is None or item.promised_days is None:
            return None
        try:
            return calendar.add_working_days(filed, item.promised_days)
        except ConfigError as exc:
            # The holiday data does not reach that far: print no date rather than a
            # wrong one; the technician log says which year to add.
            log.warning("journey %s: no promised date: %s", item.code, exc)
            return None

    # ------------------------------------------------------------------ print
    def receipts(self) -> list[ReceiptInput]:
        """One 受理回执 per case, from the journey's data (names unmasked: builders mask)."""
        j, ctx = self.journey, self._context
        identity, outcome = j.data.identity, j.data.outcome
        if identity is None or outcome is None:
            return []
        numbers = outcome.case_numbers or tuple(None for _ in outcome.kiosk_refs)
        filed = self._clock.now().astimezone(CST).date()
        out = []
        for n, (item, ref, number) in enumerate(zip(j.plan.items, outcome.kiosk_refs, numbers,
                                                    strict=False)):
            promised = (outcome.promised_dates[n] if n < len(outcome.promised_dates)
                        else self._promised(item, filed))
            codes = {m.code for m in item.materials}
            received = tuple(m.name.get(ctx.lang) for m in item.materials
                             if m.code in codes and (j.wants_capture(m.code)
                                                     or m.code in j.data.ticked))
            owed = tuple(OwedMaterial(m.name.get(ctx.lang), j.data.deferred[m.code])
                         for m in item.materials if m.code in j.data.deferred)
            out.append(ReceiptInput(
                site_name=ctx.site_name, terminal_id=j.settings.terminal_id,
                accepted_at=self._clock.now(), item_name=item.name.get(ctx.lang),
                applicant_name=identity.name, id_number=identity.id_number, kiosk_ref=ref,
                query_base_url=ctx.query_base_url, case_number=number,
                materials_received=received, materials_owed=owed,
                promised_date=promised, promised_days=item.promised_days,
                collection=Collection("window", instruction=item.collect.get(ctx.lang)),
                queued_offline=number is None, query_token=ctx.query_token(ref)))
        return out

    def _print(self) -> None:
        try:
            for receipt in self.receipts():
                self._printer.print_receipt(receipt)
        except KioskError as exc:
            log.warning("journey %s: receipt not printed: %s", self.journey.plan.code, exc)
            self._fire("print_failed", error=exc)
            return
        self._fire("printed")
