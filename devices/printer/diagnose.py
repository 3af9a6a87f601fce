"""``scripts/diagnose printer [--json]``: status, profile, and a test page.

Opens the configured printer, asks its status (DLE EOT), prints the
technician test page (unless ``--no-print``) and reports the result. Exit
status: 0 printed (or ready with ``--no-print``), 1 the printer needs
attention, 2 unusable configuration.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from devices.diagnose_cli import report_main
from devices.printer.drivers import make_printer
from kiosk.clock import SystemClock
from kiosk.config.model import load_config
from kiosk.receipts import ReceiptCatalog, TestPageInput, build_test_page


def run(argv: list[str]) -> tuple[int, dict[str, Any]]:
    p = argparse.ArgumentParser(prog="scripts/diagnose printer", description=__doc__)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--config", type=Path, action="append", default=[],
                   help="config overlay (may repeat)")
    p.add_argument("--no-print", action="store_true", help="status only, no test page")
    p.add_argument("--mode", choices=("text", "raster", "auto"), help="override the mode")
    p.add_argument("--rare", action="store_true", help="add 䶮 𠮷 to the page (raster in auto)")
    p.add_argument("--lang", default="zh_CN", choices=("zh_CN", "en"))
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config))
    clock = SystemClock()
    printer = make_printer(config.devices.printer, clock=clock)
    if printer is None:
        return 0, {"driver": "none", "ok": True}
    printer.open()
    report: dict[str, Any] = {"driver": config.devices.printer.driver,
                              "transport": printer.transport_name(),
                              "profile": printer.profile.describe(),
                              "status": printer.status.as_dict()}
    ok = printer.status.ready
    if not args.no_print and ok:
        page = build_test_page(TestPageInput(
            terminal_id=config.terminal.id, printer_name=printer.transport_name(),
            printed_at=clock.now(), profile_lines=(printer.profile.describe(),),
            include_rare=args.rare, qr_payload=config.devices.printer.query_base_url),
            ReceiptCatalog(args.lang))
        result = printer.print_document(page, args.mode)
        report["test_page"] = {"ok": result.ok, "mode": result.mode,
                               "bytes": result.total_bytes,
                               "error": None if result.error is None else str(result.error)}
        ok = result.ok
    report["diagnostics"] = printer.diagnostics()
    report["ok"] = ok
    printer.close()
    return (0 if ok else 1), report


def main(argv: list[str] | None = None) -> int:
    return report_main(run, argv,
                       keys=("driver", "transport", "profile", "status", "test_page", "ok"),
                       width=10)


if __name__ == "__main__":
    raise SystemExit(main())
