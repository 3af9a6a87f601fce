"""The real driver against the emulator over loopback TCP (and a pty, and a file)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from devices.base import DeviceState, MediaStatus
from devices.printer.drivers import NetworkPrinter
from devices.printer.emulator import PrinterEmulator
from devices.printer.glyphs import GlyphCache
from devices.printer.profile import profile_for
from kiosk.errors import CoverOpen, PaperOut, PrinterError
from kiosk.fonts import collection_face
from kiosk.receipts import Document, TextLine, layout, para
from tests.devices.printer.helpers import QUERY_BASE, REF, acceptance, network_printer

LINK = f"{QUERY_BASE}/q/{REF}"


def decode_qr(path: Path) -> str:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return str(text)


@pytest.mark.parametrize("mode", ["text", "raster"])
def test_receipt_qr_carries_the_query_link(printer: NetworkPrinter, emulator: PrinterEmulator,
                                           mode: str) -> None:
    result = printer.print_document(acceptance(), mode)  # type: ignore[arg-type]
    assert result.ok and result.mode == mode and result.bytes_sent == result.total_bytes
    job = emulator.wait_for_jobs(1)[0]
    assert job.complete and job.qr_payloads == (LINK,)
    assert decode_qr(job.path) == LINK


def test_image_qr_for_printers_without_native_qr(emulator: PrinterEmulator,
                                                 glyphs: GlyphCache) -> None:
    p = network_printer(emulator, glyphs, profile_for(58, native_qr=False))
    assert p.print_document(acceptance(), "text").ok
    job = emulator.wait_for_jobs(1)[0]
    assert job.qr_payloads == () and len(job.rasters) == 1  # drawn by the kiosk, not the printer
    assert decode_qr(job.path) == LINK
    p.close()


def catalog_item_names() -> list[str]:
    from kiosk.catalog import load_catalog
    from kiosk.config.model import ROOT

    catalog = load_catalog(ROOT / "config" / "catalog")
    return [name for item in catalog.items for name in (item.name.zh_CN, item.name.en)]


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_every_catalog_item_name_round_trips_in_text_mode(
        emulator: PrinterEmulator, glyphs: GlyphCache, paper_mm: int) -> None:
    names = catalog_item_names()
    assert len(names) >= 40
    profile = profile_for(paper_mm)
    p = network_printer(emulator, glyphs, profile)
    doc = Document("names", tuple(para(n) for n in names))
    result = p.print_document(doc, "auto")
    assert result.ok and result.mode == "text"  # every name is in the printer's GBK font
    assert p.last_job is not None and p.last_job.substitutions == 0
    sent = [" " * line.indent + line.text for line in layout(doc, profile.columns)
            if isinstance(line, TextLine)]
    p.print_document(Document("cut", (para("."), *acceptance().blocks[-1:])), "text")
    job = emulator.wait_for_jobs(1)[0]
    assert list(job.lines[: len(sent)]) == sent
    joined = "".join(job.lines)
    assert all(n.replace(" ", "") in joined.replace(" ", "") for n in names)
    p.close()


def _font_glyph(ch: str) -> np.ndarray:
    """The glyph as the font draws it, independently of the driver's code."""
    face = collection_face()
    font = ImageFont.truetype(str(face.path), 22, index=face.index)
    img = Image.new("L", (24, 24), 255)
    ImageDraw.Draw(img).text((1, 20), ch, font=font, fill=0, anchor="ls")
    return np.where(np.asarray(img) < 128, 0, 255).astype(np.uint8)


def _best_match(path: Path, template: np.ndarray) -> float:
    page = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    scores = cv2.matchTemplate(page, template, cv2.TM_CCOEFF_NORMED)
    return float(scores.max())


@pytest.mark.parametrize("rare", ["𠮷", "䶮"])
def test_rare_name_prints_the_glyph_in_raster_mode(printer: NetworkPrinter,
                                                   emulator: PrinterEmulator, rare: str) -> None:
    # mask_name keeps the first character: a surname such as 𠮷 stays on the receipt.
    result = printer.print_document(acceptance(name=rare + "明"))
    assert result.ok and result.mode == "raster"
    job = emulator.wait_for_jobs(1)[0]
    assert job.rasters and not job.lines  # every line arrived as a picture
    assert _best_match(job.path, _font_glyph(rare)) > 0.9
    tofu = _best_match(job.path, _font_glyph("\U0010fffd"))  # .notdef box
    assert tofu < 0.8
    # Negative control: forced text mode on a GBK printer shows "??" and no glyph.
    forced = printer.print_document(acceptance(name=rare + "明"), "text")
    assert forced.ok and printer.last_job is not None and printer.last_job.substitutions == 1
    text_job = emulator.wait_for_jobs(2)[1]
    assert any("申 请 人：??*" in line for line in text_job.lines)
    assert _best_match(text_job.path, _font_glyph(rare)) < 0.8


@pytest.mark.parametrize("mode", ["text", "raster"])
def test_paper_out_mid_job_then_reprint_gives_the_whole_receipt(
        emulator: PrinterEmulator, glyphs: GlyphCache, mode: str) -> None:
    p = network_printer(emulator, glyphs, chunk_bytes=256)
    emulator.set_faults(paper_out_after=400)
    failed = p.print_document(acceptance(), mode)  # type: ignore[arg-type]
    assert not failed.ok and isinstance(failed.error, PaperOut)
    assert failed.i18n_key == "error.paper_out"
    assert 0 < failed.bytes_sent < failed.total_bytes
    assert p.status.media is MediaStatus.EMPTY and p.status.state is DeviceState.UNAVAILABLE
    partial = emulator.wait_for_jobs(1)[0]
    assert not partial.complete and partial.path.name.endswith("-incomplete.png")

    emulator.set_faults(paper="ok")
    assert p.refresh_status().ready
    again = p.reprint_last()
    assert again.ok and again.reprint and again.bytes_sent == again.total_bytes
    reference = p.print_document(acceptance(), mode)  # type: ignore[arg-type]
    assert reference.ok
    jobs = emulator.wait_for_jobs(3)
    reprinted, clean = jobs[1], jobs[2]
    assert reprinted.complete and reprinted.lines == clean.lines
    assert reprinted.qr_payloads == (LINK,)
    a, b = (np.asarray(Image.open(j.path)) for j in (reprinted, clean))
    assert a.shape == b.shape and (a == b).all()
    p.close()


@pytest.mark.parametrize(("faults", "state", "media", "reason", "error"), [
    ({"paper": "near_end"}, DeviceState.READY, MediaStatus.LOW, "device.reason.paper_low", None),
    ({"paper": "out"}, DeviceState.UNAVAILABLE, MediaStatus.EMPTY, "device.reason.paper_out",
     PaperOut),
    ({"cover": "open"}, DeviceState.UNAVAILABLE, MediaStatus.PRESENT,
     "device.reason.cover_open", CoverOpen),
    ({"offline": True}, DeviceState.UNAVAILABLE, MediaStatus.PRESENT, "device.reason.offline",
     PrinterError),
])
def test_each_fault_maps_to_a_status_and_refuses_or_prints(
        printer: NetworkPrinter, emulator: PrinterEmulator, faults: dict[str, object],
        state: DeviceState, media: MediaStatus, reason: str,
        error: type[PrinterError] | None) -> None:
    seen = []
    printer.add_listener(lambda _dev, status: seen.append(status))
    emulator.set_faults(**faults)  # type: ignore[arg-type]
    status = printer.refresh_status()
    assert (status.state, status.media, status.reason) == (state, media, reason)
    assert seen[-1] == status
    result = printer.print_document(acceptance(), "text")
    if error is None:
        assert result.ok
        assert emulator.wait_for_jobs(1)[0].complete
    else:
        assert type(result.error) is error and result.bytes_sent == 0
        assert printer.last_job is not None  # kept for a reprint
        assert emulator.jobs == []
        emulator.set_faults(paper="ok", cover="closed", offline=False)
        assert printer.reprint_last().ok
        assert emulator.wait_for_jobs(1)[0].qr_payloads == (LINK,)


def test_slow_printer_times_out_then_recovers(emulator: PrinterEmulator,
                                              glyphs: GlyphCache) -> None:
    p = network_printer(emulator, glyphs, job_timeout_s=0.3, chunk_bytes=4096)
    emulator.set_faults(slow_bps=8000)  # about half a second per piece
    result = p.print_document(acceptance(), "raster")
    assert not result.ok and result.i18n_key == "error.device_timeout"
    assert p.status.state is DeviceState.UNAVAILABLE
    assert p.status.reason == "device.reason.no_answer"
    emulator.set_faults(slow_bps=None)
    assert p.refresh_status().ready  # reconnects
    assert p.reprint_last().ok
    p.close()


def test_nothing_to_reprint_and_the_session_end_forgets_the_job(
        printer: NetworkPrinter) -> None:
    with pytest.raises(PrinterError):
        printer.reprint_last()
    assert printer.print_document(acceptance(), "text").ok
    printer.enable()
    printer.disable()
    assert printer.last_job is None


def test_unreachable_printer_is_unavailable_with_a_reason(glyphs: GlyphCache) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    p = NetworkPrinter("printer", profile_for(80), "127.0.0.1", port, glyphs=glyphs)
    p.open()
    assert p.status.state is DeviceState.UNAVAILABLE and p.status.reason
    result = p.print_document(acceptance(), "text")
    assert not result.ok and result.error is not None
    diag = p.diagnostics()
    assert diag["counters"]["failures"] >= 2 and "330181199001011234" not in str(diag)


def test_receipt_service_is_the_workflow_printer(printer: NetworkPrinter,
                                                 emulator: PrinterEmulator) -> None:
    from kiosk.i18n.translate import Translator
    from kiosk.journey.runner import ReceiptPrinter as WorkflowPrinter
    from kiosk.receipts import ReceiptInput
    from kiosk.receipts.service import ReceiptService
    from tests.devices.printer.helpers import receipt_input

    service: WorkflowPrinter = ReceiptService(printer, Translator("zh_CN"))
    data: ReceiptInput = receipt_input()
    emulator.set_faults(paper="out")
    with pytest.raises(PaperOut) as caught:
        service.print_receipt(data)
    assert caught.value.i18n_key == "error.paper_out"
    emulator.set_faults(paper="ok")
    assert isinstance(service, ReceiptService) and service.reprint_last().ok
    assert emulator.wait_for_jobs(1)[0].qr_payloads == (LINK,)


def test_a_document_that_cannot_be_rendered_is_a_failed_job(emulator: PrinterEmulator,
                                                            glyphs: GlyphCache) -> None:
    from kiosk.receipts import QrCode

    p = network_printer(emulator, glyphs, profile_for(80, native_qr=False))
    result = p.print_document(Document("big", (QrCode("A" * 8000),)))
    assert not result.ok and isinstance(result.error, PrinterError) and result.bytes_sent == 0
    assert p.status.ready  # the printer itself is fine
    p.close()


def test_status_polls_from_another_thread_never_land_inside_a_job(
        emulator: PrinterEmulator, glyphs: GlyphCache) -> None:
    import threading

    p = network_printer(emulator, glyphs, chunk_bytes=512)
    # Near end: the three status answers differ, so a stolen or swapped answer shows.
    emulator.set_faults(paper="near_end")
    done = threading.Event()
    polls = []

    def poll() -> None:
        for _ in range(500):  # bounded
            if done.is_set():
                return
            polls.append(p.refresh_status())

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        busy = p.print_document(acceptance(name="𠮷明"), "raster")
    finally:
        done.set()
        poller.join(timeout=10)
    clean = p.print_document(acceptance(name="𠮷明"), "raster")
    assert busy.ok and clean.ok and polls
    assert all(s.media is MediaStatus.LOW and s.reason == "device.reason.paper_low"
               for s in polls)
    first, second = emulator.wait_for_jobs(2)[:2]
    a, b = (np.asarray(Image.open(j.path)) for j in (first, second))
    assert a.shape == b.shape and (a == b).all()
    assert not emulator.unknown
    p.close()


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_text_and_raster_modes_print_the_same_picture(tmp_path: Path, glyphs: GlyphCache,
                                                      paper_mm: int) -> None:
    # The raster renderer draws on the printer's own 12/24-dot grid: what a citizen
    # gets does not depend on which mode a name forced.
    profile = profile_for(paper_mm)
    with PrinterEmulator(tmp_path, port=0, dots=profile.dots, glyphs=glyphs) as emu:
        p = network_printer(emu, glyphs, profile)
        for mode in ("text", "raster"):
            assert p.print_document(acceptance(lang="en"), mode).ok  # type: ignore[arg-type]
        a, b = (np.asarray(Image.open(j.path)) for j in emu.wait_for_jobs(2))
        p.close()
    assert a.shape == b.shape and (a == b).all()
