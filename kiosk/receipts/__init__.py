"""Receipts as device-independent documents, and the builders that make them.

``build_acceptance(ReceiptInput(...), ReceiptCatalog("zh_CN"))`` gives a
:class:`Document`; a :class:`devices.printer.base.ReceiptPrinter` prints it.
"""

from devices.printer.document import (
    DOUBLE,
    HUGE,
    NORMAL,
    TALL,
    Align,
    Block,
    Cut,
    Document,
    Feed,
    Image,
    Paragraph,
    QrCode,
    Run,
    Separator,
    Size,
    para,
)
from devices.printer.layout import TextLine, char_width, layout, text_width, wrap
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
    "DOUBLE", "HUGE", "NORMAL", "TALL", "Align", "Block", "ChecklistInput", "ChecklistMaterial",
    "Collection", "Cut", "Document", "Feed", "Image", "OwedMaterial", "Paragraph", "QrCode",
    "QueryResultInput", "QueueTicketInput", "ReceiptCatalog", "ReceiptInput", "Run", "Separator",
    "Size", "TestPageInput", "TextLine", "Texts", "TimelineEntry", "build_acceptance",
    "build_checklist", "build_query_result", "build_queue_ticket", "build_test_page",
    "char_width", "layout", "para", "query_url", "text_width", "wrap",
]
