"""The SAM reader, step by step
(``scripts/diagnose idcard``; the CLI is ``kiosk.wiring.devicecheck``).

Finds the port (configured, ``--port``, or ``auto`` probing), reports the SAM ID
and status, waits up to ``--wait`` seconds for a card, reads it and prints the
time of each step. Personal data never leaves: the ID number is masked
(330106********1234), the name keeps its first character, and the whole output
goes through :func:`kiosk.privacy.redact` as well.

:func:`check` returns exit status 0 (reader fine: card read, or none presented)
or 1 (the reader or the card needs attention) with the report.
"""

from __future__ import annotations

from typing import Any

from devices.cards import timed, until_card
from devices.idcard.sam_serial import SamSerialReader
from devices.idcard.text import is_expired
from devices.settings import IdCardConfig
from kiosk.clock import Clock
from kiosk.errors import KioskError
from kiosk.privacy import mask_id, mask_name


def check(config: IdCardConfig, *, wait: float, clock: Clock) -> tuple[int, dict[str, Any]]:
    """Open the port, ask the SAM, wait up to ``wait`` seconds for a card and read it."""
    reader = SamSerialReader.from_config(config, clock=clock)
    report: dict[str, Any] = {"port_setting": config.port, "baud": config.baud,
                              "timings_ms": {}, "ok": False}
    client = None
    try:
        client = timed(report, "open_and_status", reader.connect)
        report["port"] = reader.found_port
        report["sam_status"] = "ok"
        report["sam_id"] = timed(report, "sam_id", client.sam_id)

        def find() -> bool:
            timed(report, "find", client.find)
            return True

        if until_card(find, wait) is None:
            report["card"] = None
            report["ok"] = True
            return 0, report
        read = timed(report, "select_and_read", client.read)
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

