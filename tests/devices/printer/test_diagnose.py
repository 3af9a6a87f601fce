"""scripts/diagnose printer against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from devices.fonts import FALLBACK_FACES
from devices.printer.emulator import PrinterEmulator
from kiosk.wiring import devicecheck


def overlay(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(f"devices:\n  printer:\n    port: {port}\n", encoding="utf-8")
    return path


def test_status_profile_and_test_page(tmp_path: Path, emulator: PrinterEmulator,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = devicecheck.main(["printer", "--json", "--config",
                             str(overlay(tmp_path, emulator.port)), "--rare"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"] and report["status"]["state"] == "ready"
    assert report["test_page"]["mode"] == "raster"  # 䶮 𠮷 are not in a GBK font
    assert "576 dots" in report["profile"]
    job = emulator.wait_for_jobs(1)[0]
    assert job.complete and job.path.exists()


def test_the_rare_test_page_prints_a_name_noto_lacks_as_a_glyph(
        tmp_path: Path, emulator: PrinterEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    # 𪚥 (U+2A6A5) is not in the printer's Noto face: HanaMin B must draw it, as on
    # a citizen's receipt, or the technician's test page shows a box.
    code = devicecheck.main(["printer", "--json", "--config",
                             str(overlay(tmp_path, emulator.port)), "--rare"])
    assert code == 0, capsys.readouterr().out
    page = cv2.imread(str(emulator.wait_for_jobs(1)[0].path), cv2.IMREAD_GRAYSCALE)
    font = ImageFont.truetype(str(FALLBACK_FACES[1].path), 22)  # HanaMin B, 22 px as printed
    img = Image.new("L", (24, 24), 255)
    ImageDraw.Draw(img).text((1, 20), "𪚥", font=font, fill=0, anchor="ls")
    glyph = np.where(np.asarray(img) < 128, 0, 255).astype(np.uint8)
    assert float(cv2.matchTemplate(page, glyph, cv2.TM_CCOEFF_NORMED).max()) > 0.9


def test_a_faulty_printer_needs_attention(tmp_path: Path, emulator: PrinterEmulator,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    emulator.set_faults(cover="open")
    code = devicecheck.main(["printer", "--config", str(overlay(tmp_path, emulator.port))])
    out = capsys.readouterr().out
    assert code == 1 and "device.reason.cover_open" in out
    assert emulator.jobs == []


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("devices:\n  printer:\n    paper_mm: 70\n", encoding="utf-8")
    assert devicecheck.main(["printer", "--config", str(bad)]) == 2
    assert "paper_mm" in capsys.readouterr().err
