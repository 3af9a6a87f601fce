"""What the workflow calls to print: build a receipt document and send it.

``ReceiptService`` satisfies ``kiosk.journey.runner.ReceiptPrinter``
(``print_receipt(ReceiptInput)``, raising the job's typed error so the journey
moves to ``print_failed`` with a message the citizen understands), and gives
the screens "reprint last receipt" and the other printouts. Texts come from
the shared translator, in whatever language the session speaks now.
"""

from __future__ import annotations

from devices.printer.base import JobResult, ReceiptPrinter
from kiosk.receipts import (
    ChecklistInput,
    Document,
    QueryResultInput,
    QueueTicketInput,
    ReceiptInput,
    Texts,
    build_acceptance,
    build_checklist,
    build_query_result,
    build_queue_ticket,
)


class ReceiptService:
    def __init__(self, printer: ReceiptPrinter, texts: Texts) -> None:
        self.printer = printer
        self.texts = texts
        self.last_result: JobResult | None = None

    def print_document(self, doc: Document) -> JobResult:
        self.last_result = self.printer.print_document(doc)
        return self.last_result

    def print_receipt(self, receipt: ReceiptInput) -> None:
        """受理回执; raises PaperOut / CoverOpen / PrinterError / DeviceTimeout ... on failure."""
        self.print_document(build_acceptance(receipt, self.texts)).raise_for_error()

    def print_checklist(self, data: ChecklistInput) -> JobResult:
        return self.print_document(build_checklist(data, self.texts))

    def print_ticket(self, data: QueueTicketInput) -> JobResult:
        return self.print_document(build_queue_ticket(data, self.texts))

    def print_query_result(self, data: QueryResultInput) -> JobResult:
        return self.print_document(build_query_result(data, self.texts))

    def reprint_last(self) -> JobResult:
        """The whole last job again (after paper was loaded or the cover closed)."""
        self.last_result = self.printer.reprint_last()
        return self.last_result
