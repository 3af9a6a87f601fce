"""Smoke tests of the touch shell with real touches (UnitTestTouch) in an offscreen window."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from devices.base import DeviceState
from kiosk.clock import FakeClock
from kiosk.identity import CardType, Identity
from kiosk.session import EndReason, SessionState
from kiosk.wiring.build import Kiosk
from tests.fakes import StubDevice

from .helpers import buttons, labels, one, widgets

pytestmark = pytest.mark.ui

Shot = Callable[[str], Path]


def tile(shell: Any, tile_id: str) -> Any:
    return one([b for b in buttons(shell) if getattr(b, "tile_id", None) == tile_id])


def first_available_row(shell: Any, kiosk: Kiosk) -> Any:
    rows = [b for b in buttons(shell) if hasattr(b, "item_code")]
    return one([r for r in rows if kiosk.check(kiosk.item(r.item_code)).available])


def no_missing_texts(kiosk: Kiosk) -> None:
    for lang in kiosk.languages:
        missing = kiosk.translator(lang).missing.get(lang)  # type: ignore[attr-defined]
        assert not missing, f"untranslated in {lang}: {sorted(missing)}"


def test_home_browse_department_item_start(harness: Any, make_kiosk: Callable[..., Kiosk],
                                           devices: dict[str, StubDevice], shot: Shot) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    assert shell.sm.current == "home" and not kiosk.session.active
    shot("1-home")
    harness.press(tile(shell, "apply"))
    assert shell.sm.current == "browse" and kiosk.session.active  # the first touch started it
    shot("2-browse")
    harness.press(one([b for b in buttons(shell) if getattr(b, "group_id", None)
                       == kiosk.catalog.departments[0].id]))
    assert shell.sm.current == "items"
    shot("3-items")
    row = first_available_row(shell, kiosk)
    harness.press(row)
    guide = shell.current
    assert shell.sm.current == "guide" and guide.code == row.item_code
    assert guide.action == "available"
    shot("4-guide")
    harness.press(guide.ids.start)
    assert shell.sm.current == "journey"
    assert kiosk.session.data.item_code == row.item_code
    assert all(d.enabled for d in devices.values())  # devices on only during a session
    shot("5-journey")
    texts = " ".join(label.text for label in labels(shell))
    assert "请将身份证放在读卡区" in texts
    no_missing_texts(kiosk)


def test_browse_by_life_event(harness: Any, make_kiosk: Callable[..., Kiosk], shot: Shot) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    harness.press(tile(shell, "events"))
    group = one([b for b in buttons(shell) if hasattr(b, "group_id")])
    harness.press(group)
    rows = [b for b in buttons(shell) if hasattr(b, "item_code")]
    assert rows and all(group.group_id in kiosk.item(r.item_code).life_events for r in rows)
    shot("items")


def test_search_gjj_with_the_on_screen_keyboard(harness: Any, make_kiosk: Callable[..., Kiosk],
                                                shot: Shot) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    harness.press(tile(shell, "search"))
    assert shell.sm.current == "search"
    for letter in "gjj":
        harness.press(one([b for b in buttons(shell) if getattr(b, "key_value", None) == letter]))
    assert shell.current.query == "gjj"
    rows = [b for b in widgets(shell) if hasattr(b, "item_code")]
    assert rows
    assert all("公积金" in kiosk.item(r.item_code).name.zh_CN for r in rows)
    shot("results")
    harness.press(one([b for b in buttons(shell) if getattr(b, "key_value", None)
                       == "backspace"]))
    assert shell.current.query == "gj"
    harness.press(one([b for b in buttons(shell) if getattr(b, "key_value", None) == "clear"]))
    assert shell.current.query == "" and not [w for w in widgets(shell)
                                               if hasattr(w, "item_code")]


def _into_journey(harness: Any, shell: Any, kiosk: Kiosk) -> None:
    harness.press(tile(shell, "apply"))
    harness.press(one([b for b in buttons(shell) if hasattr(b, "group_id")]))
    harness.press(first_available_row(shell, kiosk))
    harness.press(shell.current.ids.start)
    assert shell.sm.current == "journey"


def test_idle_timeout_returns_home_and_wipes_the_session(
        harness: Any, make_kiosk: Callable[..., Kiosk], devices: dict[str, StubDevice],
        shot: Shot) -> None:
    kiosk = make_kiosk()
    clock = kiosk.clock
    assert isinstance(clock, FakeClock)
    shell = harness.show(kiosk)
    _into_journey(harness, shell, kiosk)
    session = kiosk.session
    data = session.data
    data.identity = Identity(CardType.RESIDENT, "张𠮷", "11010519491231002X", "1",
                             date(1949, 12, 31))
    data.add_frame(b"\x7f" * 128)
    data.add_scan("HKB", b"\x55" * 64)
    data.form["phone"] = "13800000000"
    frame = data.frames[0]
    harness.press(shell.ids.elderly_toggle)
    assert shell.ui.elderly
    clock.advance(session.timeout_s - session.warning_s + 0.5)
    shell.tick()
    harness.render()
    assert session.state is SessionState.WARNING and shell.banner_visible
    banner = shell.ids.banner_text.text
    assert "秒后将返回首页" in banner and f"{shell.countdown}秒" in banner
    assert shell.ids.extend.width >= shell.ui.theme.size("target")
    shot("1-warning")
    clock.advance(session.warning_s)
    shell.tick()
    harness.render()
    assert shell.sm.current == "home" and not shell.banner_visible
    assert session.state is SessionState.IDLE
    assert session.last_end_reason is EndReason.TIMEOUT
    # no applicant data left anywhere in the session, and the buffers were overwritten
    assert session.data.empty and data.empty and frame == bytearray(128)
    assert data.identity is None and not data.form
    assert not any(d.enabled for d in devices.values())
    # the next citizen gets the site's defaults, not this citizen's choices
    assert shell.ui.lang == kiosk.site.default_language
    assert shell.ui.elderly == kiosk.site.elderly_mode_default
    shot("2-home")


def test_extend_keeps_the_session(harness: Any, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    clock = kiosk.clock
    assert isinstance(clock, FakeClock)
    shell = harness.show(kiosk)
    _into_journey(harness, shell, kiosk)
    clock.advance(kiosk.session.timeout_s - 5)
    shell.tick()
    harness.render()
    assert shell.banner_visible
    harness.press(shell.ids.extend)
    assert not shell.banner_visible and kiosk.session.state is SessionState.ACTIVE
    assert shell.sm.current == "journey" and kiosk.session.data.item_code


def test_cancel_in_the_journey_wipes_and_goes_home(harness: Any,
                                                   make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    _into_journey(harness, shell, kiosk)
    harness.press(shell.current.ids.cancel)
    assert shell.sm.current == "home" and kiosk.session.data.empty
    assert kiosk.session.last_end_reason is EndReason.CANCEL


def test_suspended_when_a_required_device_is_not_ready(
        harness: Any, make_kiosk: Callable[..., Kiosk], devices: dict[str, StubDevice],
        shot: Shot) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    code = next(i.code for i in kiosk.catalog.items if "printer" in i.devices)
    shell.go("guide", code=code)
    harness.render()
    assert shell.current.action == "available"
    # The printer runs out of paper while the guide is shown: the bridge delivers the
    # status change on the Kivy clock and the guide switches to 暂停服务.
    worker = threading.Thread(target=devices["printer"].force,
                              args=(DeviceState.UNAVAILABLE, "device.reason.paper_out"))
    worker.start()
    worker.join()
    assert shell.current.action == "available"  # nothing touched the UI from the thread
    harness.render()
    guide = shell.current
    assert guide.action == "suspended"
    text = guide.ids.action_text.text
    assert "暂停服务" in text and "凭条打印机" in text
    assert guide.ids.start.disabled and guide.ids.start.opacity == 0
    shot("suspended")
    harness.press(guide.ids.start)
    assert shell.sm.current == "guide"
    rows_shell = harness.show(kiosk)
    harness.press(tile(rows_shell, "search"))
    for letter in "sfz":
        rows_shell.current.key(letter)
    harness.render()
    badges = [w.badge for w in widgets(rows_shell) if hasattr(w, "item_code")]
    assert "暂停服务" in badges


def test_window_only_item_says_go_to_the_window(harness: Any,
                                                make_kiosk: Callable[..., Kiosk],
                                                shot: Shot) -> None:
    kiosk = make_kiosk()
    item = next((i for i in kiosk.catalog.items if i.channel == "window_only"), None)
    if item is None:
        pytest.skip("the sample catalog has no window-only item")
    shell = harness.show(kiosk)
    shell.go("guide", code=item.code)
    harness.render()
    assert shell.current.action == "window_only"
    assert "请到窗口办理" in shell.current.ids.action_text.text
    shot("window")


@pytest.mark.parametrize("screen", ["home", "guide", "search"])
def test_language_toggle_switches_every_visible_label(
        harness: Any, make_kiosk: Callable[..., Kiosk], screen: str, shot: Shot) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    if screen == "guide":
        shell.go("guide", code=kiosk.catalog.items[0].code)
    elif screen == "search":
        shell.go("search")
    harness.render()
    before = {id(w): w.text for w in labels(shell)}
    harness.press(shell.ids.lang_toggle)
    assert shell.ui.lang == "en"
    harness.render()
    shot("en")
    after = {id(w): w.text for w in labels(shell)}
    unchanged = [before[k] for k in before if k in after and after[k] == before[k]
                 # keyboard letters and numbers are the same in both languages
                 and not (len(before[k]) == 1 or before[k].strip("0123456789. ") == "")]
    assert not unchanged, f"labels not translated: {unchanged}"
    harness.press(shell.ids.lang_toggle)
    assert shell.ui.lang == "zh_CN"
    no_missing_texts(kiosk)


def test_home_button_ends_the_session(harness: Any, make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    harness.press(tile(shell, "apply"))
    assert kiosk.session.active
    harness.press(shell.ids.back)
    assert shell.sm.current == "home"
    harness.press(tile(shell, "progress"))
    assert shell.sm.current != "home"
    harness.press(shell.ids.home)
    assert shell.sm.current == "home" and kiosk.session.last_end_reason is EndReason.CANCEL


def test_search_by_chinese_hot_word(harness: Any, make_kiosk: Callable[..., Kiosk],
                                    shot: Shot) -> None:
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    harness.press(tile(shell, "search"))
    shot("chips")
    chip = one([b for b in buttons(shell) if getattr(b, "hot_word", None) == "公积金"])
    harness.press(chip)
    assert shell.current.query == "公积金"
    rows = [w for w in widgets(shell) if hasattr(w, "item_code")]
    assert rows and all("公积金" in kiosk.item(r.item_code).name.zh_CN for r in rows)


def test_a_hard_flick_never_carries_a_list_out_of_its_frame(
        harness: Any, make_kiosk: Callable[..., Kiosk], devices: dict[str, StubDevice]) -> None:
    """Touch events that arrive close together give the scroll a huge velocity (a hard
    flick on a real panel; back-to-back events from a driver): the list must stop at
    its end, and the next tap must land on a row, not on empty space off-screen."""
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.scrollview import ScrollView
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    harness.press(tile(shell, "apply"))
    longest = max(kiosk.catalog.departments, key=lambda d: len(kiosk.catalog.by_department(d.id)))
    harness.press(one([b for b in buttons(shell) if getattr(b, "group_id", None) == longest.id]))
    assert shell.sm.current == "items"
    (scroll,) = widgets(shell, ScrollView)
    harness.render()
    assert scroll.children[0].height > scroll.height, "the list must be long enough to scroll"
    for dy in (-900, 900, 900):  # flick, then flick back twice as hard
        x, y = scroll.to_window(*scroll.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_move(x, y + dy)
        touch.touch_up()
        deadline = threading.Event()
        for _ in range(40):  # about a second of frames: the flick runs out
            harness.render(1)
            deadline.wait(0.025)
            assert -1e-6 <= scroll.scroll_y <= 1 + 1e-6, scroll.scroll_y
    bottom = scroll.to_window(*scroll.pos)[1]
    rows = [b for b in buttons(shell) if hasattr(b, "item_code")
            and bottom < b.to_window(*b.center)[1] < bottom + scroll.height]
    assert rows, "no row left on screen after the flicks"
    harness.press(rows[0])
    assert shell.sm.current == "guide", (scroll.scroll_y, scroll.effect_y.velocity)


def test_a_device_change_redraws_a_list_only_when_what_it_shows_changes(
        harness: Any, make_kiosk: Callable[..., Kiosk], devices: dict[str, StubDevice]) -> None:
    """A citizen scrolling a department's list: the printer at work on the last receipt
    (BUSY) changes nothing on it, so the rows stay the same widgets where they were;
    the printer out of paper turns badges to 暂停服务 without moving the list."""
    from kivy.uix.scrollview import ScrollView
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    harness.press(tile(shell, "apply"))
    longest = max(kiosk.catalog.departments,
                  key=lambda d: len(kiosk.catalog.by_department(d.id)))
    assert any("printer" in i.devices for i in kiosk.catalog.by_department(longest.id))
    harness.press(one([b for b in buttons(shell) if getattr(b, "group_id", None) == longest.id]))
    (scroll,) = widgets(shell, ScrollView)
    harness.render()
    scroll.scroll_y = 0.5  # the citizen has scrolled halfway down
    harness.render()
    rows = [w for w in widgets(shell) if hasattr(w, "item_code")]

    def device_changes(state: DeviceState, reason: str | None = None) -> None:
        worker = threading.Thread(target=devices["printer"].force, args=(state, reason))
        worker.start()
        worker.join()
        harness.render()

    device_changes(DeviceState.BUSY)
    device_changes(DeviceState.READY)
    assert [w for w in widgets(shell) if hasattr(w, "item_code")] == rows  # not rebuilt
    assert scroll.scroll_y == 0.5
    device_changes(DeviceState.UNAVAILABLE, "device.reason.paper_out")
    badges = [w.badge for w in widgets(shell) if hasattr(w, "item_code")]
    assert "暂停服务" in badges
    assert scroll.scroll_y == 0.5  # the list stays where the citizen left it


def test_the_next_citizen_finds_the_same_screens_kept_not_rebuilt(
        harness: Any, make_kiosk: Callable[..., Kiosk], devices: dict[str, StubDevice]) -> None:
    """Home, a department's list and an item's guide are the same for every citizen of
    the day: shown again, they keep their widgets (a tap costs a frame, not a rebuild)
    and come back scrolled to the top. The language, 长辈版 or a device that changes
    what they show rebuilds them."""
    from kivy.uix.scrollview import ScrollView
    kiosk = make_kiosk()
    shell = harness.show(kiosk)

    def walk_to_guide(guide: bool = True) -> dict[str, list[Any]]:
        seen = {"home": [w for w in widgets(shell) if hasattr(w, "tile_id")]}
        harness.press(tile(shell, "apply"))
        seen["browse"] = [w for w in widgets(shell) if hasattr(w, "group_id")]
        harness.press(one([b for b in buttons(shell) if getattr(b, "group_id", None)
                           == kiosk.catalog.departments[0].id]))
        seen["items"] = [w for w in widgets(shell) if hasattr(w, "item_code")]
        if not guide:
            return seen
        (scroll,) = widgets(shell, ScrollView)
        scroll.scroll_y = 0.3  # this citizen scrolled down the list
        harness.press(first_available_row(shell, kiosk))
        seen["guide"] = [w for w in shell.current.ids.materials.children]
        return seen

    first = walk_to_guide()
    shell.home()  # the session ends; the next citizen comes
    harness.render()
    second = walk_to_guide()
    assert second == first  # the very same widgets, every screen
    shell.back()
    harness.render()
    (scroll,) = widgets(shell, ScrollView)
    assert shell.sm.current == "items" and scroll.scroll_y == 1  # kept, and at the top
    shell.home()
    shell.ui.toggle_language()
    harness.render()
    assert [w for w in widgets(shell) if hasattr(w, "tile_id")] != first["home"]
    shell.ui.toggle_language()
    worker = threading.Thread(target=devices["printer"].force,
                              args=(DeviceState.UNAVAILABLE, "device.reason.paper_out"))
    worker.start()
    worker.join()
    harness.render()
    third = walk_to_guide(guide=False)
    assert third["items"] != first["items"]  # 暂停服务 badges: rebuilt


def test_lists_of_several_departments_are_kept_and_the_oldest_gives_way(
        harness: Any, make_kiosk: Callable[..., Kiosk]) -> None:
    """Citizens open different departments: going back to one opened a little earlier
    shows the very widgets built then; only the last SPARE_SCREENS + 1 are kept, the
    oldest is rebuilt, and the shell never holds more instances of a screen than that."""
    from screens.items import ItemsScreen
    from screens.shell import SPARE_SCREENS
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    departments = [d.id for d in kiosk.catalog.departments]
    assert len(departments) >= SPARE_SCREENS + 2
    made: set[int] = set()

    def open_list(group: str) -> list[Any]:
        shell.go("items", mode="department", group=group)
        harness.render()
        assert shell.current.group == group
        made.add(id(shell.current))
        rows = [w for w in widgets(shell) if hasattr(w, "item_code")]
        names = {kiosk.catalog.item(w.item_code).department for w in rows}
        assert names == {group}  # the list shown is this department's, never a kept one's
        return rows

    first = {group: open_list(group) for group in departments[:SPARE_SCREENS + 1]}
    for group in reversed(departments[:SPARE_SCREENS + 1]):
        assert open_list(group) == first[group]  # kept: the same widgets
    assert len(made) == SPARE_SCREENS + 1
    newest = open_list(departments[SPARE_SCREENS + 1])  # one more: the oldest gives way
    assert len(made) == SPARE_SCREENS + 1
    oldest = departments[SPARE_SCREENS]  # shown longest ago, in the reversed walk
    assert open_list(oldest) != first[oldest]  # rebuilt
    assert open_list(departments[SPARE_SCREENS + 1]) == newest
    assert len(made) == SPARE_SCREENS + 1
    assert sum(isinstance(s, ItemsScreen) for s in shell.sm.screens) == 1


def test_a_bundle_without_a_running_journey_shows_its_name(
        harness: Any, make_kiosk: Callable[..., Kiosk]) -> None:
    """The journey screen without a journey (none started, or it ended while the screen
    was redrawn for a device change) names what the citizen chose: a 两证联办 bundle as
    well as an item. Looking the bundle up as an item raised in Kivy's loop, which ends
    the kiosk app."""
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    bundle = kiosk.catalog.bundles[0]
    shell.go("journey", code=bundle.code)
    screen = shell.current
    assert screen.journey is None
    screen.refresh()  # what a device change does
    harness.render()
    assert bundle.name.zh_CN in " ".join(label.text for label in labels(shell))
