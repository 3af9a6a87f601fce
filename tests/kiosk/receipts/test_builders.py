"""Receipt builders: content, masking, China time, both languages complete."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kiosk.i18n.translate import LOCALE_DIR as SHARED
from kiosk.i18n.translate import Translator, load_messages
from kiosk.receipts import (
    ChecklistInput,
    ChecklistMaterial,
    Collection,
    OwedMaterial,
    QrCode,
    QueryResultInput,
    QueueTicketInput,
    ReceiptCatalog,
    ReceiptInput,
    TestPageInput,
    TimelineEntry,
    build_acceptance,
    build_checklist,
    build_query_result,
    build_queue_ticket,
    build_test_page,
    layout,
)
from kiosk.receipts.texts import LOCALE_DIR

AT = datetime(2026, 11, 22, 1, 5, tzinfo=UTC)  # 09:05 in China


def receipt(**changes: object) -> ReceiptInput:
    base = ReceiptInput(
        site_name="萧山区宁围街道便民服务中心", terminal_id="XS-DEV-0001", accepted_at=AT,
        item_name="城乡居民基本养老保险参保登记", applicant_name="欧阳娜娜",
        id_number="330181199001011234", kiosk_ref="XD-261122-0042-7",
        query_base_url="https://query.zhengwu.example/",
        materials_received=("居民身份证",),
        materials_owed=(OwedMaterial("结婚证", date(2026, 11, 29)),),
        promised_date=date(2026, 12, 6), collection=Collection("window", "3号窗口"))
    return ReceiptInput(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_both_languages_have_the_same_complete_keys() -> None:
    zh, en = ReceiptCatalog("zh_CN"), ReceiptCatalog("en")
    assert zh.keys() == en.keys()
    assert (LOCALE_DIR / "en" / "receipt.po").exists()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_acceptance_receipt_masks_and_uses_china_time(lang: str) -> None:
    doc = build_acceptance(receipt(), ReceiptCatalog(lang))
    text = doc.text
    assert "欧阳娜娜" not in text and "欧***" in text
    assert "330181199001011234" not in text and "330181********1234" in text
    assert "09:05" in text
    assert doc.qr_payloads == ("https://query.zhengwu.example/q/XD-261122-0042-7",)
    assert "receipt." not in text  # every key translated
    assert "结婚证" in text


def test_case_number_and_offline_note() -> None:
    t = ReceiptCatalog("zh_CN")
    pending = build_acceptance(receipt(queued_offline=True), t).text
    assert "凭受理编号查询" in pending and "网络暂时中断" in pending
    known = build_acceptance(receipt(case_number="XS20261122000042"), t).text
    assert "XS20261122000042" in known and "网络暂时中断" not in known


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_other_printout_builds_and_fits(lang: str) -> None:
    t = ReceiptCatalog(lang)
    docs = [
        build_checklist(ChecklistInput(
            site_name="宁围街道", item_name="居住证办理", department="公安局",
            printed_at=AT, materials=(ChecklistMaterial("身份证", copies=1),
                                      ChecklistMaterial("租房合同", deferrable=True)),
            conditions=("在本区居住半年以上",), promised_days=5, phone="0571-12345"), t),
        build_queue_ticket(QueueTicketInput("宁围街道", "A012", "社保业务", AT, waiting=3), t),
        build_query_result(QueryResultInput(
            site_name="宁围街道", kiosk_ref="XD-261122-0042-7", item_name="参保登记",
            status="in_review", printed_at=AT, query_base_url="https://q.example",
            timeline=(TimelineEntry("submitted", AT), TimelineEntry("in_review", AT, "材料齐全"))),
            t),
        build_test_page(TestPageInput("XS-DEV-0001", "printer", AT, ("80 mm",)), t),
    ]
    for doc in docs:
        assert "receipt." not in doc.text
        for cols in (32, 48):
            for line in layout(doc, cols):
                assert not hasattr(line, "columns") or line.columns <= cols  # type: ignore[union-attr]
    assert isinstance(docs[2].blocks[-5], QrCode) or docs[2].qr_payloads


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_shared_translator_serves_the_receipt_domain(lang: str) -> None:
    translator = Translator(lang)
    doc = build_acceptance(receipt(queued_offline=True), translator)
    assert doc.text == build_acceptance(receipt(queued_offline=True), ReceiptCatalog(lang)).text
    messages = load_messages(SHARED, lang)
    assert not [d for d in messages.duplicates if d[0].startswith("receipt.")]
    # Every key the printer driver reports to citizens is translated somewhere.
    for key in ("error.printer", "error.paper_out", "error.cover_open", "error.device_timeout",
                "device.reason.paper_out", "device.reason.paper_low", "device.reason.cover_open",
                "device.reason.offline", "device.reason.printer_error",
                "device.reason.font_missing", "device.reason.disconnected",
                "device.reason.not_found", "device.reason.library_missing"):
        assert key in messages.texts, key


def test_the_acceptance_qr_carries_the_query_token() -> None:
    """Scanned at any kiosk, it shows the case without the card; the bare number would not."""
    doc = build_acceptance(receipt(query_token="AbCdEfGhIjKlMnOpQrStUv"), ReceiptCatalog("zh_CN"))
    url = "https://query.zhengwu.example/q/XD-261122-0042-7?t=AbCdEfGhIjKlMnOpQrStUv"
    assert doc.qr_payloads == (url,)
    assert url in doc.text.replace("\n", "")
