"""The technician's self-tests, Kivy-free: print a test page, take a camera frame
with the face box drawn, scan a page. Each returns plain data for the screen; a
device failure is reported as the error's i18n key, never raised to the screen.

Reading a card needs no code here: the screen listens to the reader's events and
shows the masked identity (kiosk/privacy.py), like the journeys do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.clock import Clock
from kiosk.errors import KioskError
from kiosk.receipts import TestPageInput, build_test_page

Image = npt.NDArray[np.uint8]
#: Preview width: enough to judge framing, small enough to convert every time.
PREVIEW_WIDTH = 640


@dataclass(frozen=True)
class Outcome:
    ok: bool
    key: str                      # i18n key of the result line
    values: dict[str, Any]
    image: Image | None = None    # RGB, for a preview (camera, scanned page)


def print_test_page(printer: Any, *, terminal_id: str, clock: Clock, texts: Any) -> Outcome:
    if printer is None or not hasattr(printer, "print_document"):
        return Outcome(False, "ts.tech.test.no_device", {"kind": "printer"})
    profile: Any = getattr(printer, "profile", None)
    lines = (f"{profile.paper_mm} mm / {profile.dots} dots",) if isinstance(
        getattr(profile, "paper_mm", None), int) else ()
    doc = build_test_page(TestPageInput(terminal_id=terminal_id, printer_name=printer.name,
                                        printed_at=clock.now(), profile_lines=lines,
                                        include_rare=True), texts)
    try:
        result = printer.print_document(doc)
    except KioskError as exc:
        return Outcome(False, exc.i18n_key, {})
    if result.ok:
        return Outcome(True, "ts.tech.test.printed", {"bytes": result.bytes_sent,
                                                      "mode": str(result.mode)})
    return Outcome(False, result.i18n_key or "error.printer", {})


def _preview(image: Image) -> Image:
    h, w = image.shape[:2]
    if w > PREVIEW_WIDTH:
        image = np.asarray(cv2.resize(image, (PREVIEW_WIDTH, round(h * PREVIEW_WIDTH / w)),
                                      interpolation=cv2.INTER_AREA), np.uint8)
    return image


def camera_frame(camera: Any, detect: Callable[[Image], list[Any]] | None) -> Outcome:
    """The newest frame with a box around each face ``detect`` finds (largest in green)."""
    if camera is None or not hasattr(camera, "latest"):
        return Outcome(False, "ts.tech.test.no_device", {"kind": "camera"})
    try:
        frame = camera.latest(2.0)
    except KioskError as exc:
        return Outcome(False, exc.i18n_key, {})
    image = frame.image.copy()
    faces = detect(image) if detect is not None else []
    for n, face in enumerate(faces):
        colour = (0, 200, 0) if n == 0 else (0, 140, 255)
        cv2.rectangle(image, (int(face.x), int(face.y)),
                      (int(face.x + face.w), int(face.y + face.h)), colour, 4)
    rgb = np.asarray(cv2.cvtColor(_preview(image), cv2.COLOR_BGR2RGB), np.uint8)
    h, w = frame.image.shape[:2]
    return Outcome(True, "ts.tech.test.camera_ok" if faces else "ts.tech.test.no_face",
                   {"faces": len(faces), "width": w, "height": h}, rgb)


def scan_page(scanner: Any) -> Outcome:
    if scanner is None or not hasattr(scanner, "scan"):
        return Outcome(False, "ts.tech.test.no_device", {"kind": "scanner"})
    try:
        page = scanner.scan()
    except KioskError as exc:
        return Outcome(False, exc.i18n_key, {})
    if page.image is None:
        return Outcome(False, page.keys[0] if page.keys else "ts.tech.test.no_page", {})
    h, w = page.image.shape[:2]
    rgb = np.asarray(cv2.cvtColor(_preview(page.image), cv2.COLOR_BGR2RGB), np.uint8)
    return Outcome(page.ok, "ts.tech.test.scanned", {
        "width": w, "height": h, "format": page.format.name if page.format else "—"}, rgb)
