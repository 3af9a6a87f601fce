"""``scripts/diagnose idcard [--json] [--port P] [--wait S]``: the SAM reader, step by step.

Finds the port (configured, ``--port``, or ``auto`` probing), reports the SAM ID
and status, waits up to ``--wait`` seconds for a card, reads it and prints the
time of each step. Personal data never leaves: the ID number is masked
(330106********1234), the name keeps its first character, and the whole output
goes through :func:`kiosk.privacy.redact` as well.

Exit status: 0 reader fine (card read, or none presented), 1 the reader or the
card needs attention, 2 unusable configuration.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from devices.diagnose_cli import report_main
from devices.idcard.sam_serial import SamSerialReader
from devices.idcard.text import is_expired
from kiosk.clock import SystemClock
from kiosk.config import load_config
from kiosk.errors import KioskError, NoCard
from kiosk.privacy import mask_id, mask_name


def _timed(report: dict[str, Any], step: str, fn: Any) -> Any:
    t0 = time.perf_counter()
    try:
        return fn()
    finally:
        report["timings_ms"][step] = round((time.perf_counter() - t0) * 1000, 1)


def run(argv: list[str]) -> tuple[int, dict[str, Any]]:
    p = argparse.ArgumentParser(prog="scripts/diagnose idcard", description=__doc__)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--config", type=Path, action="append", default=[],
                   help="config overlay (may repeat)")
    p.add_argument("--port", help="serial port (overrides the config; 'auto' probes)")
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for a card")
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config)).devices.idcard
    if args.port:
        config = config.model_copy(update={"port": args.port})
    clock = SystemClock()
    reader = SamSerialReader.from_config(config, clock=clock)
    report: dict[str, Any] = {"port_setting": config.port, "baud": config.baud,
                              "timings_ms": {}, "ok": False}
    client = None
    try:
        client = _timed(report, "open_and_status", reader.connect)
        report["port"] = reader.found_port
        report["sam_status"] = "ok"
        report["sam_id"] = _timed(report, "sam_id", client.sam_id)
        deadline = time.monotonic() + args.wait
        while True:
            try:
                _timed(report, "find", client.find)
                break
            except NoCard:
                if time.monotonic() >= deadline:
                    report["card"] = None
                    report["ok"] = True
                    return 0, report
                time.sleep(0.2)
        read = _timed(report, "select_and_read", client.read)
        ident = read.identity
        report["card"] = {
            "type": ident.card_type.value, "id_number": mask_id(ident.id_number),
            "name": mask_name(ident.name), "expired": is_expired(ident, clock),
            "long_term": ident.long_term, "photo_bytes": len(ident.photo_wlt),
            "appended_addresses": len(ident.appended_addresses)}
        report["appended_address_read"] = ("supported" if client.appended_address_supported
                                           else "not supported by this SAM (older module)")
        report["exchange"] = vars(client.stats).copy()
        report["ok"] = True
        return 0, report
    except KioskError as err:
        report["error"] = f"{type(err).__name__}: {err}"
        report["i18n_key"] = err.i18n_key
        return 1, report
    finally:
        if client is not None:
            client.transport.close()


def main(argv: list[str] | None = None) -> int:
    return report_main(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
