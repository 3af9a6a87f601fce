"""Receipt printing cost for a typical 受理回执 on 80 mm paper.

Measured in one run:
- building the document (builders + layout) and rendering it to an ESC/POS job
  in text mode and in raster mode (warm glyph cache, p50 of many runs; the
  first raster render, which loads the CJK faces, is shown separately);
- job size in bytes for each mode, against the goals (text <= 4 KB, raster
  <= 40 KB), and the raster job as a ratio of the text job (the reference);
- the untrimmed raster (every row of 576 dots sent) as a reference for what
  trimming and feeding blank rows save;
- transfer time over 115200 baud serial (8N1: 10 bits a byte).
Goal for the build: <= 30 ms for build + raster render (the slower mode).

Peer, measured in the same run: python-escpos's own ``image()`` path
(``Dummy().image(picture, impl="bitImageRaster")``, then a cut) printing the same
receipt as a picture. The picture is the paper the emulator draws from our
raster job with the QR as an image, so both print the same dots; the peer's time
covers only its image-to-bytes step (drawing the text into the picture is not
counted for it), ours the whole build from the document.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from escpos.printer import Dummy

from devices.printer.emu_paper import Paper
from devices.printer.emu_parser import Parser
from devices.printer.glyphs import CELL_H, GlyphCache
from devices.printer.profile import profile_for
from devices.printer.render import render
from kiosk.receipts import (
    Collection,
    Document,
    OwedMaterial,
    ReceiptCatalog,
    ReceiptInput,
    TextLine,
    build_acceptance,
    layout,
)
from scripts.benchmarks.common import Report, parser, percentile, run

BAUD = 115200
RUNS = 60


def typical(texts: ReceiptCatalog) -> Document:
    return build_acceptance(ReceiptInput(
        site_name="萧山区宁围街道便民服务中心", terminal_id="XS-NY-0001",
        accepted_at=datetime(2026, 11, 22, 1, 5, tzinfo=UTC),
        item_name="城乡居民基本养老保险参保登记", applicant_name="张三丰",
        id_number="330181199001011234", kiosk_ref="XN-261122-0042-7",
        query_base_url="https://query.zhengwu.example", case_number="XS20261122000042",
        materials_received=("居民身份证", "户口簿（首页及本人页）", "银行卡"),
        materials_owed=(OwedMaterial("结婚证", date(2026, 11, 29)),),
        promised_date=date(2026, 12, 6), collection=Collection("window", "3号综合窗口")), texts)


def _ms(fn: object, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def paper_of(job: bytes, dots: int, glyphs: GlyphCache):  # type: ignore[no-untyped-def]
    """The receipt as the emulator prints it: a picture of the paper, no margin."""
    paper = Parser(), Paper(dots, glyphs)
    for event in paper[0].feed(job):
        done = paper[1].apply(event)
        if done is not None:
            return done.image(dots, margin=0).convert("1")
    raise RuntimeError("the job did not end with a cut")


def escpos_image(picture) -> bytes:  # type: ignore[no-untyped-def]
    printer = Dummy()
    # Our 80 mm profile's width (576 dots), so that escpos knows the paper it prints on.
    printer.profile.profile_data["media"]["width"]["pixels"] = picture.width
    printer.image(picture, impl="bitImageRaster")
    printer.cut()
    data: bytes = printer.output
    return data


def main(argv: list[str]) -> int:
    args = parser("printer", __doc__ or "").parse_args(argv)
    texts = ReceiptCatalog("zh_CN")
    profile = profile_for(80)

    t0 = time.perf_counter()
    glyphs = GlyphCache()
    first = render(typical(texts), profile, "raster", glyphs)
    cold_ms = (time.perf_counter() - t0) * 1000

    doc_ms = _ms(lambda: layout(typical(texts), profile.columns), RUNS)
    text_ms = _ms(lambda: render(typical(texts), profile, "text", glyphs), RUNS)
    raster_ms = _ms(lambda: render(typical(texts), profile, "raster", glyphs), RUNS)
    text_job = render(typical(texts), profile, "text", glyphs)
    raster_job = render(typical(texts), profile, "raster", glyphs)
    image_qr = render(typical(texts), profile_for(80, native_qr=False), "raster", glyphs)
    assert first.data == raster_job.data

    image_profile = profile_for(80, native_qr=False)
    image_ms = _ms(lambda: render(typical(texts), image_profile, "raster", glyphs), RUNS)
    picture = paper_of(image_qr.data, image_profile.dots, glyphs)
    peer_ms = _ms(lambda: escpos_image(picture), RUNS)
    peer_job = escpos_image(picture)

    lines = layout(typical(texts), profile.columns)
    rows = sum(CELL_H * item.size.height if isinstance(item, TextLine) else 0 for item in lines)
    untrimmed = rows * profile.dots // 8

    r = Report("printer")
    r.add("document build + layout p50", percentile(doc_ms, 50), "ms")
    r.add("build + text render p50", percentile(text_ms, 50), "ms", "<= 30")
    r.add("build + raster render p50", percentile(raster_ms, 50), "ms", "<= 30")
    r.add("build + raster render p99", percentile(raster_ms, 99), "ms")
    r.add("first raster render (loads the CJK faces)", cold_ms, "ms")
    r.add("text job", len(text_job.data), "bytes", "<= 4096")
    r.add("raster job (native QR)", len(raster_job.data), "bytes", "<= 40960")
    r.add("raster job (QR as image)", len(image_qr.data), "bytes")
    r.add("raster / text bytes", len(raster_job.data) / len(text_job.data), "x",
          reference="text job")
    r.add("untrimmed raster text lines / raster job", untrimmed / len(raster_job.data), "x",
          reference="every text row at 576 dots")
    r.add("build + raster render, QR as image, p50", percentile(image_ms, 50), "ms")
    r.add("peer: python-escpos image() of the same receipt, p50", percentile(peer_ms, 50), "ms")
    r.add("ours / peer, time", percentile(image_ms, 50) / percentile(peer_ms, 50), "x",
          goal="<= 1", reference="python-escpos image() (text drawing not counted)")
    r.add("peer: python-escpos image() job", len(peer_job), "bytes")
    r.add("ours / peer, bytes (QR as image)", len(image_qr.data) / len(peer_job), "x",
          goal="<= 1", reference="python-escpos image() job")
    r.add("ours / peer, bytes (native QR)", len(raster_job.data) / len(peer_job), "x",
          reference="python-escpos image() job")
    r.add("text job at 115200 baud", len(text_job.data) * 10 / BAUD * 1000, "ms")
    r.add("raster job at 115200 baud", len(raster_job.data) * 10 / BAUD * 1000, "ms")
    r.notes.append(f"{RUNS} runs per timing; raster lines trimmed to inked rows and byte "
                   "columns (GS L + GS v 0), blank rows sent as ESC J feeds")
    return r.emit(args.json)


if __name__ == "__main__":
    run(main)
