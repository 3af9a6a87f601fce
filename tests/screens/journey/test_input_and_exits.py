"""The journey's input method, keypad, checklist and exits as a citizen meets them:
real touches on the rendered screens, both orientations, standard and 长辈版.

The journey runs on its real services with stub devices; the card read and the face
check are fired as the devices would fire them (their own tests cover them)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kivy.base import EventLoop
from kivy.uix.scrollview import ScrollView

from kiosk.session import EndReason
from kiosk.wiring.build import Kiosk
from kiosk.wiring.journey import attach_journey
from tests.kiosk.journey_factory import identity
from tests.screens.helpers import ancestors, buttons, labels, visible

pytestmark = pytest.mark.ui

ITEM = "330109-HJ-003"  # face, a 容缺 material, a shared one, an address to type


@pytest.fixture
def journey_kiosk(make_kiosk: Callable[..., Kiosk], tmp_path: Path
                  ) -> Iterator[Callable[[str], Kiosk]]:
    made: list[Kiosk] = []
    secret = tmp_path / "terminal.secret"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    overlay = tmp_path / "overlay.yaml"
    # a test terminal: the example reference prefix is allowed only when simulated
    overlay.write_text(f"terminal:\n  data_dir: {tmp_path}\n  simulated: true\n"
                       f"backoffice:\n  url: http://127.0.0.1:9\n  secret_file: {secret}\n"
                       f"outbox:\n  path: {tmp_path / 'outbox.sqlite3'}\n"
                       f"  key_file: {tmp_path / 'outbox.key'}\n")

    def make(site: str) -> Kiosk:
        kiosk = make_kiosk(site, overlays=(overlay,))
        attach_journey(kiosk, heartbeat=False)
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.session.end(EndReason.CANCEL)
        kiosk.close()


def start(harness: Any, kiosk: Kiosk) -> Any:
    """Home → the item's journey, the card read and the face matched."""
    shell = harness.show(kiosk)
    kiosk.session.touch()
    shell.go("journey", code=ITEM)
    harness.render()
    journey = shell.current.journey
    journey.fire("card_read", identity=identity())
    if journey.state == "face":
        journey.fire("face_ok", score=0.9)
    shell.current.refresh()
    harness.render()
    assert journey.state == "checklist"
    return shell


def press(harness: Any, shell: Any, action: str,
          landed: Callable[[], bool] | None = None) -> None:
    """A real tap on the visible button for ``action``. A button inside a scroll view
    gets the tap once Kivy's ScrollView has seen it is not a swipe: ``landed`` says
    when it has (frames are drawn until then)."""
    found = [b for b in shell.walk(restrict=True) if getattr(b, "action", None) == action
             and not b.disabled]
    assert found, f"no {action!r} button"
    for parent in ancestors(found[0]):
        if isinstance(parent, ScrollView):  # the citizen scrolls to it first
            parent.scroll_to(found[0], padding=10, animate=False)
            harness.render()
            break
    assert visible(found[0]), f"{action!r} is not on the screen"
    harness.press(found[0])
    for _ in range(300):
        if landed is None or landed():
            break
        EventLoop.idle()
    assert landed is None or landed(), f"{action!r} did nothing"


def keys(shell: Any) -> dict[str, Any]:
    return {w.key_value: w for w in shell.walk(restrict=True) if hasattr(w, "key_value")}


def inside_window(shell: Any, w: Any) -> bool:
    x, y = w.to_window(w.x, w.y)
    return x >= 0 and y >= 0 and x + w.width <= shell.width + 0.5 \
        and y + w.height <= shell.height + 0.5


def to_form(harness: Any, shell: Any) -> None:
    journey = shell.current.journey
    press(harness, shell, "all_ticked", lambda: not journey.missing_materials())
    press(harness, shell, "next")
    while journey.state.startswith("capture:"):
        journey.fire("page_added", data=b"\xff\xd8\xff\xe0" + b"page" * 100)
        journey.fire("next")
    shell.current.refresh()
    harness.render()
    assert journey.state == "form"


def editing(harness: Any, kiosk: Kiosk, field: str) -> Any:
    """The journey started on ``kiosk``, taken to its form, the field ``field`` opened
    for input: the shell."""
    shell = start(harness, kiosk)
    to_form(harness, shell)
    press(harness, shell, f"field:{field}")
    return shell


def test_portrait_input_method_fits_and_shows_the_text(
        harness: Any, journey_kiosk: Callable[[str], Kiosk], shot: Callable[[str], Any]
        ) -> None:
    shell = editing(harness, journey_kiosk("bank-branch"), "new_address")
    sizes = {}
    for elderly in (False, True):
        shell.ui.elderly = elderly
        harness.render()
        found = keys(shell)
        # Every key of the keyboard can be touched: on screen, inside the window.
        assert set("1234567890qwertyuiopasdfghjklzxcvbnm") <= set(found)
        off = [v for v, k in found.items() if not (visible(k) and inside_window(shell, k))]
        assert not off, f"keys off the screen: {off}"
        scale = shell.ui.theme.scale
        q = found["q"]
        assert q.width / scale >= 59.5 and q.height / scale >= 59.5
        sizes[elderly] = (q.width, q.height)
    assert sizes[True][0] >= sizes[False][0] and sizes[True][1] > sizes[False][1]
    found = keys(shell)
    for letter in "renmin":
        harness.press(found[letter])
    texts = [lab for lab in labels(shell) if "renmin" in lab.text]
    assert texts, "the letters typed are not shown"
    shown = texts[0]
    top_of_keys = max(k.to_window(k.x, k.top)[1] for k in keys(shell).values())
    assert shown.to_window(shown.x, shown.y)[1] >= top_of_keys  # above the keys
    candidates = [b for b in buttons(shell) if str(getattr(b, "action", "")).startswith("cand:")]
    assert candidates and any(isinstance(a, ScrollView) for a in ancestors(candidates[0]))
    picked = candidates[0].text
    form = shell.current._views["form"]
    press(harness, shell, "cand:0", lambda: bool(form.pending))
    assert shown.text.startswith(picked), "the picked text is not shown"
    shot("address")
    harness.press(keys(shell)["backspace"])
    harness.press(keys(shell)["clear"])  # 清空
    assert shown.text.strip() == "", shown.text
    # 返回 (the shell's) closes the field without keeping what was typed.
    harness.press(shell.ids.back)
    assert shell.current.journey.state == "form"
    assert not [k for k in keys(shell).values() if visible(k)]


def test_portrait_input_method_leaves_the_step_bar_alone_in_every_variant(
        harness: Any, journey_kiosk: Callable[[str], Kiosk], shot: Callable[[str], Any]
        ) -> None:
    """A bank branch's name in large English type takes four lines above the step: the
    keys give up height (never below 60 dp) so the editor stays under the step bar."""
    from screens.audit import Audit
    shell = editing(harness, journey_kiosk("bank-branch"), "new_address")
    for letter in "renmin":  # the candidates' row is full
        press(harness, shell, f"letter:{letter}")
    audit = Audit()
    for lang in ("zh_CN", "en"):
        shell.ui.lang = lang
        for elderly in (False, True):
            shell.ui.elderly = elderly
            harness.render()
            mode = "elderly" if elderly else "standard"
            audit.check(shell, screen="journey/form-pinyin", elderly=elderly,
                        variant=f"bank-branch-portrait-{lang}-{mode}",
                        scale=shell.ui.theme.scale, pair=f"bank-branch-portrait-{lang}")
            shot(f"{lang}-{mode}")
    assert audit.findings == [], "\n".join(map(str, audit.findings))


def test_numeric_keypad_fills_landscape_and_grows_in_elderly_mode(
        harness: Any, journey_kiosk: Callable[[str], Kiosk], shot: Callable[[str], Any]
        ) -> None:
    shell = editing(harness, journey_kiosk("township"), "phone")
    spans, heights = {}, {}
    for elderly in (False, True):
        shell.ui.elderly = elderly
        harness.render()
        digits = [b for b in buttons(shell) if str(getattr(b, "action", "")).startswith("key:")]
        assert len(digits) == 10
        for key in digits:
            assert inside_window(shell, key)
            assert key.texture_size[0] <= key.width and key.texture_size[1] <= key.height
        left = min(k.to_window(k.x, k.y)[0] for k in digits)
        right = max(k.to_window(k.right, k.y)[0] for k in digits)
        spans[elderly] = right - left
        heights[elderly] = min(k.height for k in digits)
        back = keys(shell)["backspace"]
        assert visible(back) and "\u232b" not in back.text and back.text.strip()
    # Landscape: a keypad of a third of the width at least, not a block in a corner.
    assert spans[False] >= shell.width / 3
    assert heights[True] >= heights[False] and spans[True] >= spans[False]
    shot("keypad-elderly")
    for digit in "138":
        press(harness, shell, f"key:{digit}")
    press(harness, shell, "field_ok")
    assert shell.current.journey.data.form.get("phone") == "138"
    # The input method on the short landscape screen: every key on it, elderly keys
    # at least as big as standard ones.
    press(harness, shell, "field:new_address")
    q_keys = {}
    for elderly in (False, True):
        shell.ui.elderly = elderly
        harness.render()
        found = keys(shell)
        assert all(visible(k) and inside_window(shell, k) for k in found.values())
        q_keys[elderly] = (found["q"].width, found["q"].height)
    assert q_keys[True][0] >= q_keys[False][0] and q_keys[True][1] >= q_keys[False][1]


@pytest.mark.parametrize("site", ["township", "bank-branch"])
def test_checklist_shows_every_material_before_all_ticked(
        harness: Any, journey_kiosk: Callable[[str], Kiosk], site: str,
        shot: Callable[[str], Any]) -> None:
    shell = start(harness, journey_kiosk(site))
    materials = shell.current.journey.view(shell.ui.lang)["materials"]
    assert {m["status"] for m in materials} >= {"shared", "missing"}
    shown = " ".join(lab.text for lab in labels(shell))
    names = [m["name"] for m in materials]
    assert all(name in shown for name in names), "a material is not on the screen"
    assert "免提交" in shown and "容缺" in shown
    all_ticked = [b for b in shell.walk(restrict=True) if getattr(b, "action", None)
                  == "all_ticked"]
    assert len(all_ticked) == 1
    button_y = all_ticked[0].to_window(all_ticked[0].x, all_ticked[0].y)[1]
    for lab in labels(shell):
        if lab.text in names:  # the button comes after (below) every material
            assert lab.to_window(lab.x, lab.y)[1] > button_y
    journey = shell.current.journey
    press(harness, shell, "defer:SEPARATION-CONSENT",
          lambda: "SEPARATION-CONSENT" in journey.data.deferred)
    shown = " ".join(lab.text for lab in labels(shell))
    deadline = shell.current.journey.view()["materials"]
    assert any(m["deadline"] and m["deadline"] in shown for m in deadline)
    shot("checklist")


def test_ticking_a_material_far_down_the_list_keeps_the_list_where_it_was(
        harness: Any, journey_kiosk: Callable[[str], Kiosk]) -> None:
    """The checklist is drawn anew when a material changes. A citizen who scrolled down
    to a material and ticked it finds the list where it was, the material's button
    still under the finger, not the list back at its top."""
    shell = start(harness, journey_kiosk("bank-branch"))
    shell.ui.elderly = True  # large type on a portrait screen: the list scrolls
    shell.current.refresh()
    harness.render()
    journey = shell.current.journey
    last = [m for m in journey.view()["materials"] if m["status"] == "missing"][-1]
    action = f"tick:{last['code']}"

    def the_list() -> Any:
        (button,) = [b for b in shell.walk(restrict=True)
                     if getattr(b, "action", None) == action]
        return button, next(p for p in ancestors(button) if isinstance(p, ScrollView))

    button, sv = the_list()
    assert sv.children[0].height > sv.height + 50, "the list does not scroll here"
    press(harness, shell, action, lambda: last["code"] in journey.data.ticked)
    harness.render()
    button, after = the_list()
    assert after is not sv  # drawn anew ...
    assert sv.scroll_y < 0.9  # (the citizen had scrolled down to the material)
    assert abs(after.scroll_y - sv.scroll_y) < 0.02  # ... where the old one was left
    assert visible(button), "the ticked material's button left the screen"


def test_leave_asks_once_data_was_entered_and_home_asks_the_same(
        harness: Any, journey_kiosk: Callable[[str], Kiosk], shot: Callable[[str], Any]
        ) -> None:
    kiosk = journey_kiosk("township")
    shell = start(harness, kiosk)
    harness.press(shell.current.ids.cancel)  # 取消办理
    assert shell.sm.current == "journey" and kiosk.session.active
    actions = {getattr(b, "action", None) for b in buttons(shell)}
    assert {"stay", "cancel"} <= actions and "all_ticked" not in actions
    scale = shell.ui.theme.scale
    for b in buttons(shell):
        if getattr(b, "action", None) in ("stay", "cancel"):
            assert b.height / scale >= 60
    shot("question")
    press(harness, shell, "stay")  # 继续办理: back to the checklist as it was
    assert shell.current.journey.state == "checklist"
    assert "all_ticked" in {getattr(b, "action", None) for b in shell.walk(restrict=True)}
    harness.press(shell.ids.home)  # 首页 asks the same question
    assert shell.sm.current == "journey"
    assert "stay" in {getattr(b, "action", None) for b in buttons(shell)}
    press(harness, shell, "cancel")
    assert shell.sm.current == "home" and not kiosk.session.active
    assert kiosk.session.data.empty


def test_leave_without_any_data_ends_at_once(
        harness: Any, journey_kiosk: Callable[[str], Kiosk]) -> None:
    kiosk = journey_kiosk("township")
    shell = harness.show(kiosk)
    kiosk.session.touch()
    shell.go("journey", code=ITEM)
    harness.render()
    harness.press(shell.current.ids.cancel)
    assert shell.sm.current == "home" and not kiosk.session.active


@pytest.mark.parametrize("site", ["township", "bank-branch"])
def test_elderly_home_tiles_are_not_shorter(harness: Any, make_kiosk: Callable[..., Kiosk],
                                            site: str) -> None:
    shell = harness.show(make_kiosk(site))
    heights = {}
    for elderly in (False, True):
        shell.ui.elderly = elderly
        harness.render()
        tiles = [t for t in shell.current.ids.tiles.children]
        heights[elderly] = min(t.height for t in tiles)
    assert heights[True] >= heights[False]
    elderly_tile = next(t for t in shell.current.ids.tiles.children if t.tile_id == "elderly")
    assert elderly_tile.title == "标准版" and "标准版" in elderly_tile.subtitle
    shell.ui.lang = "en"
    harness.render()
    elderly_tile = next(t for t in shell.current.ids.tiles.children if t.tile_id == "elderly")
    assert "standard" in elderly_tile.subtitle.lower()
