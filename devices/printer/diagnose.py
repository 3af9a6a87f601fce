"""Status, profile and a test page
(``scripts/diagnose printer``; the CLI is ``kiosk.wiring.devicecheck``).

Opens the printer the settings describe, asks its status (DLE EOT), prints the
page the caller composes (unless there is none) and reports the result.
:func:`check` returns exit status 0 (printed, or ready when no page was asked
for) or 1 (the printer needs attention) with the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from devices.fontchain import FontFile
from devices.printer.base import ReceiptPrinter
from devices.printer.document import Document
from devices.printer.drivers import make_printer
from devices.printer.profile import Mode
from devices.settings import PrinterConfig
from kiosk.clock import Clock

#: Composes the test page for the opened printer (its name and profile go on it).
TestPage = Callable[[ReceiptPrinter], Document]


def check(settings: PrinterConfig, *, clock: Clock, test_page: TestPage | None,
          mode: Mode | None = None,
          fallback_fonts: Sequence[FontFile] = ()) -> tuple[int, dict[str, Any]]:
    """``fallback_fonts`` draw what the printer's Noto face lacks (the test page's
    rare characters), as on a citizen's receipt."""
    printer = make_printer(settings, clock=clock, fallback_fonts=fallback_fonts)
    if printer is None:
        return 0, {"driver": "none", "ok": True}
    printer.open()
    report: dict[str, Any] = {"driver": settings.driver,
                              "transport": printer.transport_name(),
                              "profile": printer.profile.describe(),
                              "status": printer.status.as_dict()}
    ok = printer.status.ready
    if test_page is not None and ok:
        result = printer.print_document(test_page(printer), mode)
        report["test_page"] = {"ok": result.ok, "mode": result.mode,
                               "bytes": result.total_bytes,
                               "error": None if result.error is None else str(result.error)}
        ok = result.ok
    report["diagnostics"] = printer.diagnostics()
    report["ok"] = ok
    printer.close()
    return (0 if ok else 1), report
