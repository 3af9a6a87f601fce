"""Receipts as device-independent documents, and the builders that make them.

``build_acceptance(ReceiptInput(...), ReceiptCatalog("zh_CN"))`` gives a
:class:`Document`; a :class:`devices.printer.base.ReceiptPrinter` prints it.
"""

from devices.printer.document import Document, QrCode, para
from devices.printer.layout import TextLine, layout
from kiosk.receipts.builders import (
    build_acceptance,
    build_checklist,
    build_query_result,
    build_queue_ticket,
    build_test_page,
    query_url,
)
from kiosk.receipts.inputs import (
    ChecklistInput,
    ChecklistMaterial,
    Collection,
    OwedMaterial,
    QueryResultInput,
    QueueTicketInput,
    ReceiptInput,
    TestPageInput,
    TimelineEntry,
)
from kiosk.receipts.texts import ReceiptCatalog, Texts

__all__ = [
    "ChecklistInput", "ChecklistMaterial", "Collection", "Document", "OwedMaterial", "QrCode",
    "QueryResultInput", "QueueTicketInput", "ReceiptCatalog", "ReceiptInput", "TestPageInput",
    "TextLine", "Texts", "TimelineEntry", "build_acceptance", "build_checklist",
    "build_query_result", "build_queue_ticket", "build_test_page", "layout", "para", "query_url",
]
