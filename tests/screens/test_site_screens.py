"""Screens that depend on what the site has, touched like a citizen would: the
window-only guide is no dead end (取号 for its window, 打印告知单 on the receipt
printer); a bank branch's 取号 lists only its own desk; suspension texts never show a
device's insides nor send a bank customer to a window the branch does not have."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devices.base import DeviceState
from kiosk.catalog import ServiceItem
from kiosk.desk.tasks import DailyTicketCounter
from kiosk.i18n.translate import Translator
from kiosk.receipts import Document
from kiosk.wiring.build import Kiosk
from screens.widgets import Tile
from tests.screens.conftest import StubDevice
from tests.screens.helpers import buttons, labels, visible, widgets


class _Printed:
    def raise_for_error(self) -> None:
        """The job went through."""


class RecordingPrinter(StubDevice):
    """The receipt printer as the service desk drives it (``print_document``); its
    ESC/POS bytes are tested against the emulator in tests/devices/printer."""

    def __init__(self) -> None:
        super().__init__("printer")
        self.documents: list[Document] = []

    def print_document(self, doc: Document) -> _Printed:
        self.documents.append(doc)
        return _Printed()


@pytest.fixture
def printer(devices: dict[str, StubDevice]) -> RecordingPrinter:
    devices["printer"] = RecordingPrinter()
    return devices["printer"]  # type: ignore[return-value]


@pytest.fixture
def kiosk_at(make_kiosk: Callable[..., Kiosk], tmp_path: Path) -> Callable[[str], Kiosk]:
    def make(site: str) -> Kiosk:
        kiosk = make_kiosk(site)
        kiosk.services.ticket_counter = DailyTicketCounter(
            tmp_path / f"{site}-tickets.json", kiosk.clock)
        return kiosk
    return make


def window_only(kiosk: Kiosk) -> ServiceItem:
    return next(i for i in kiosk.catalog.items if i.channel == "window_only")


def wait_for(harness: Any, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        assert time.monotonic() < deadline, "nothing happened"
        harness.render(1)
        threading.Event().wait(0.05)
    harness.render()


def press(harness: Any, shell: Any, action: str) -> None:
    found = [b for b in buttons(shell) if getattr(b, "action", None) == action]
    assert found, f"no visible {action!r} button"
    harness.press(found[0])


def test_window_only_guide_takes_a_number_for_the_items_window(
        harness: Any, kiosk_at: Callable[[str], Kiosk], printer: RecordingPrinter,
        shot: Any) -> None:
    kiosk = kiosk_at("township")
    shell = harness.show(kiosk)
    item = window_only(kiosk)
    shell.go("guide", code=item.code)
    harness.render()
    shot("guide")
    press(harness, shell, "take_number")
    assert shell.sm.current == "queue"
    wait_for(harness, lambda: bool(printer.documents))
    ticket = printer.documents[-1]
    assert ticket.kind == "ticket"
    department = kiosk.catalog.department(item.department).name.zh_CN
    assert department in ticket.text


def test_window_only_guide_prints_the_one_time_checklist(
        harness: Any, kiosk_at: Callable[[str], Kiosk], printer: RecordingPrinter) -> None:
    kiosk = kiosk_at("township")
    shell = harness.show(kiosk)
    item = window_only(kiosk)
    shell.go("guide", code=item.code)
    harness.render()
    press(harness, shell, "print_checklist")
    wait_for(harness, lambda: bool(printer.documents))
    checklist = printer.documents[-1]
    assert checklist.kind == "checklist"
    for material in item.materials:
        if not material.exempt_by_sharing:
            assert material.name.zh_CN in checklist.text
    printed = Translator("zh_CN").gettext("ui.guide.printed")
    wait_for(harness, lambda: any(printed in w.text for w in labels(shell)))


def test_bank_branch_queue_lists_only_its_own_windows(
        harness: Any, kiosk_at: Callable[[str], Kiosk], shot: Any) -> None:
    kiosk = kiosk_at("bank-branch")
    shell = harness.show(kiosk)
    shell.home()
    shell.screen("home").press("queue")
    harness.render()
    shot("queue")
    tiles = [t for t in widgets(shell, Tile) if visible(t) and hasattr(t, "category_id")]
    assert [t.category_id for t in tiles] == [w.id for w in kiosk.site.services.windows or ()]
    assert all(d.name.zh_CN not in t.title for t in tiles
               for d in kiosk.catalog.departments)
    hall = kiosk.site.services.nearest_hall
    assert hall is not None and any(hall.zh_CN in w.text for w in labels(shell))


def test_township_queue_has_a_window_per_department(
        harness: Any, kiosk_at: Callable[[str], Kiosk]) -> None:
    kiosk = kiosk_at("township")
    shell = harness.show(kiosk)
    shell.home()
    shell.screen("home").press("queue")
    harness.render()
    ids = [t.category_id for t in widgets(shell, Tile) if hasattr(t, "category_id")]
    assert ids == [d.id for d in kiosk.catalog.departments]


@pytest.mark.parametrize(("reason", "said"), [("device.reason.not_opened", None),
                                              ("device.reason.paper_out", "打印纸已用完")])
def test_bank_suspension_says_where_to_go_and_no_internals(
        harness: Any, kiosk_at: Callable[[str], Kiosk], devices: dict[str, StubDevice],
        reason: str, said: str | None) -> None:
    kiosk = kiosk_at("bank-branch")
    devices["printer"].force(DeviceState.UNAVAILABLE, reason)
    shell = harness.show(kiosk)
    item = next(i for i in kiosk.catalog.items
                if i.channel != "window_only" and "printer" in i.devices)
    shell.go("guide", code=item.code)
    harness.render()
    text = shell.current.ids.action_text.text
    assert shell.current.action == "suspended"
    assert "设备尚未启动" not in text and "窗口" not in text
    hall = kiosk.site.services.nearest_hall
    assert hall is not None and hall.zh_CN in text
    if said is not None:
        assert said in text
