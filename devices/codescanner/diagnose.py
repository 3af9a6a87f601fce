"""The code scanner, step by step (``scripts/diagnose codescanner``; the CLI is
``kiosk.devicecheck``).

Opens the configured transport (a serial/USB-CDC port, or a keyboard-wedge input
node with an exclusive grab), waits up to ``--wait`` seconds for a code and
reports its symbology and length, never its content (a code may be a personal
token), with the time from open to the first code and the reject counters.

:func:`check` returns exit status 0 (scanner opened: a code read, or none shown)
or 1 (it cannot be opened, or only unusable codes came) with the report.
"""

from __future__ import annotations

from typing import Any

from devices.codescanner.base import CodeScanned, CodeScanner, ScanRejected
from devices.codescanner.drivers import EvdevCodeScanner, SerialCodeScanner
from devices.codescanner.framing import Terminator
from devices.settings import CodeScannerConfig
from kiosk.clock import Clock


def make_code_scanner(config: CodeScannerConfig, *, clock: Clock) -> CodeScanner | None:
    """The configured scanner (``driver: none`` -> None)."""
    if config.driver == "serial":
        return SerialCodeScanner(port=config.port, baud=config.baud, clock=clock,
                                 terminator=Terminator[config.terminator],
                                 aim_prefix=config.aim_prefix)
    if config.driver == "evdev":
        return EvdevCodeScanner(path=config.input_path, grab=config.grab, clock=clock)
    return None


def check(config: CodeScannerConfig, *, wait: float, clock: Clock) -> tuple[int, dict[str, Any]]:
    scanner = make_code_scanner(config, clock=clock)
    if scanner is None:
        return 0, {"driver": "none", "ok": True}
    report: dict[str, Any] = {"driver": config.driver, "ok": False}
    scanner.enable()
    start = clock.monotonic()
    try:
        scanner.poll_once()
        report["status"] = scanner.status.state.value
        if not scanner.status.ready:
            report["problem"] = scanner.status.detail
            return 1, report
        report["opened_ms"] = round((clock.monotonic() - start) * 1000, 1)
        rejects: list[str] = []
        while clock.monotonic() - start < wait:
            for event in scanner.poll_once():
                if isinstance(event, ScanRejected):
                    rejects.append(event.reason.value)
                elif isinstance(event, CodeScanned):
                    report["code"] = {"symbology": event.code.symbology or "unknown",
                                      "length": len(event.code.text),
                                      "after_ms": round((clock.monotonic() - start) * 1000)}
                    report["rejected"] = rejects
                    report["ok"] = True
                    return 0, report
            if not scanner.status.ready:
                report["problem"] = scanner.status.detail
                return 1, report
        report["code"] = None
        report["rejected"] = rejects
        report["ok"] = not rejects
        return (0 if not rejects else 1), report
    finally:
        report["diagnostics"] = {k: v for k, v in scanner.diagnostics().items()
                                 if k in ("transport", "port", "path", "baud", "grab",
                                          "terminator")}
        scanner.close()
