"""Helpers shared by the printer tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from devices.base import MediaStatus
from devices.printer.base import ReceiptPrinter
from devices.printer.drivers import NetworkPrinter
from devices.printer.emulator import PrinterEmulator
from devices.printer.glyphs import GlyphCache
from devices.printer.profile import PrinterProfile, profile_for
from kiosk.receipts import (
    Collection,
    Document,
    OwedMaterial,
    ReceiptCatalog,
    ReceiptInput,
    build_acceptance,
)

QUERY_BASE = "https://query.zhengwu.example"
REF = "XD-261122-0042-7"


def network_printer(emu: PrinterEmulator, glyphs: GlyphCache,
                    profile: PrinterProfile | None = None, **kw: object) -> NetworkPrinter:
    p = NetworkPrinter("printer", profile or profile_for(80), "127.0.0.1", emu.port,
                       glyphs=glyphs, **kw)  # type: ignore[arg-type]
    p.open()
    return p


def receipt_input(name: str = "张三丰", **changes: object) -> ReceiptInput:
    data = ReceiptInput(
        site_name="萧山区宁围街道便民服务中心", terminal_id="XS-DEV-0001",
        accepted_at=datetime(2026, 11, 22, 1, 5, tzinfo=UTC),
        item_name="城乡居民基本养老保险参保登记", applicant_name=name,
        id_number="330181199001011234", kiosk_ref=REF,
        query_base_url=QUERY_BASE, materials_received=("居民身份证", "户口簿（首页及本人页）"),
        materials_owed=(OwedMaterial("结婚证", date(2026, 11, 29)),),
        promised_date=date(2026, 12, 6), collection=Collection("window", "3号综合窗口"))
    return ReceiptInput(**{**data.__dict__, **changes})  # type: ignore[arg-type]


def acceptance(name: str = "张三丰", lang: str = "zh_CN", **changes: object) -> Document:
    return build_acceptance(receipt_input(name, **changes), ReceiptCatalog(lang))


def check_status_and_print(p: ReceiptPrinter, emulator: PrinterEmulator) -> None:
    """A printer open on the emulator over a transport with status: ready with paper,
    LOW when the paper runs near its end, and a receipt printed whole with its QR code."""
    assert p.status.ready and p.status.media is MediaStatus.PRESENT
    emulator.set_faults(paper="near_end")
    assert p.refresh_status().media is MediaStatus.LOW
    assert p.print_document(acceptance(), "auto").ok
    job = emulator.wait_for_jobs(1)[0]
    assert job.complete and job.qr_payloads == (f"{QUERY_BASE}/q/{REF}",)
