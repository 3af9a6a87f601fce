"""The PC/SC side, step by step
(``scripts/diagnose sscard``; the CLI is ``kiosk.wiring.devicecheck``).

Lists the PC/SC readers (no service = pcscd not running), picks the configured
one, waits up to ``--wait`` seconds for a card and reads its ATR, UID and the
social security basics with the time of each step. The ID number is masked
(330106********1234), the name keeps its first character, and the output goes
through :func:`kiosk.privacy.redact`.

:func:`check` returns exit status 0 (reader fine: card read, or none presented)
or 1 (needs attention) with the report.
"""

from __future__ import annotations

from typing import Any

from devices.cards import timed, until_card
from kiosk.errors import KioskError
from kiosk.privacy import mask_id, mask_name


def check(wanted: str, *, wait: float) -> tuple[int, dict[str, Any]]:
    """List readers, pick the one whose name contains ``wanted``, wait for a card, read it."""
    report: dict[str, Any] = {"reader_setting": wanted, "timings_ms": {}, "ok": False}
    try:
        from devices.sscard import pyscard_backend
        from devices.sscard.base import read_basics
    except ImportError as err:
        report["error"] = f"pyscard missing: {err}"
        return 1, report
    try:
        names = timed(report, "list_readers", pyscard_backend.list_readers)
        report["readers"] = names
        reader = next((n for n in names if wanted in n), None)
        if reader is None:
            report["error"] = f"no reader matching {wanted!r}"
            return 1, report
        report["reader"] = reader
        conn = until_card(lambda: timed(report, "connect",
                                        lambda: pyscard_backend.connect(reader)), wait)
        if conn is None:
            report["card"] = None
            report["ok"] = True
            return 0, report
        try:
            read = timed(report, "read_basics", lambda: read_basics(conn))
        finally:
            conn.close()
        ident = read.identity
        report["card"] = {"atr": read.atr.hex(" "), "uid": read.uid.hex(" "),
                          "card_number": mask_id(read.card_number),
                          "id_number": mask_id(ident.id_number), "name": mask_name(ident.name)}
        report["ok"] = True
        return 0, report
    except KioskError as err:   # DeviceUnavailable (no pcscd), card errors
        report["error"] = f"{type(err).__name__}: {err}"
        report["i18n_key"] = err.i18n_key
        return 1, report

