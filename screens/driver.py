"""A citizen at the kiosk: real touches on the widgets the screens show, the card laid
on the simulated reader, the face and the pages shown to the simulated cameras.

One driver for everything that works the real UI: the headless screenshot walk
(screens/journey/walkthrough.py), the end-to-end tests (tests/e2e_ui) and
``scripts/bench journey``. Buttons are found by their ``action``
(screens/journey/parts.py) so the same script runs in both languages; with a
``shots`` directory every screen is saved as a PNG on the way."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from kivy.base import EventLoop
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.wiring.build import Kiosk

WAIT_S = 45.0

#: What a citizen types for the sample catalog's 两证联办 bundle (330109-NY-B01): the
#: e2e tests and ``scripts/bench journey`` fill the same form.
BUNDLE_FORM: dict[str, Any] = {
    "org_name": ("pinyin", "lin chang"), "credit_code": ("latin", "91330109MA2B3C4D5E"),
    "legal_rep": ("pinyin", "zhang san"), "phone": "13800138000",
    "area_mu": "12.5", "volume_m3": "30"}


class SimControls(Protocol):
    """What the citizen does to the simulated devices (simenv.environment.SimEnvironment)."""

    def place_card(self, profile: str = ...) -> Any: ...

    def remove_card(self) -> Any: ...

    def camera_scene(self, camera: str, scene: str) -> Any: ...


def visible(widget: Any) -> bool:
    w: Any = widget
    while w is not None:
        if w.opacity == 0 or w.width <= 1 or w.height <= 1:
            return False
        w = w.parent if w.parent is not w else None
    return True


def _idle(view: Any) -> bool:
    return not view.busy


def _changed(form: Any, before: Any) -> bool:
    return bool(form.pending != before)


class Citizen:
    """``shots``: where ``shot`` saves PNGs (None: nowhere); ``keep_alive``: a citizen who
    stays at the kiosk however long the machine takes (the walk, whose real time
    passes while four variants of each screen render) touches the session while
    waiting, so the idle countdown cannot end the journey."""

    def __init__(self, harness: Any, kiosk: Kiosk, env: SimControls, shots: Path | None,
                 name: str, *, size: tuple[int, int] | None = None,
                 keep_alive: bool = False) -> None:
        self.h, self.kiosk, self.env = harness, kiosk, env
        self.shots_dir, self.name = shots, name
        self.keep_alive = keep_alive
        self.shell = harness.show(kiosk, size) if size is not None else harness.show(kiosk)
        self.taps = 0
        #: (screen or journey step, seconds from the touch to the next frame) per press
        self.tap_s: list[tuple[str, float]] = []
        self.saved: list[Path] = []
        #: seconds spent waiting for the simulated human (card, face, pages), not machine
        self.human_s = 0.0

    # -- looking --------------------------------------------------------------------
    @property
    def screen(self) -> Any:
        return self.shell.current

    @property
    def state(self) -> str:
        j = getattr(self.screen, "journey", None)
        return "" if j is None else str(j.state)

    def buttons(self) -> list[Any]:
        return [w for w in self.shell.walk(restrict=True) if isinstance(w, ButtonBehavior)
                and visible(w) and not w.disabled]

    def texts(self) -> str:
        return " ".join(w.text for w in self.shell.walk(restrict=True)
                        if isinstance(w, Label) and visible(w) and w.text.strip())

    def find(self, action: str) -> Any:
        found = [b for b in self.buttons() if getattr(b, "action", None) == action]
        assert found, f"no button {action!r} on {self.state or self.shell.sm.current}: " \
                      f"{[getattr(b, 'action', b.text) for b in self.buttons()]}"
        return found[0]

    def has(self, action: str) -> bool:
        return any(getattr(b, "action", None) == action for b in self.buttons())

    # -- doing ----------------------------------------------------------------------
    def press(self, widget_or_action: Any) -> None:
        w = self.find(widget_or_action) if isinstance(widget_or_action, str) \
            else widget_or_action
        self._scroll_to(w)
        where = self.state or self.shell.sm.current
        self.tap_s.append((where.split(":")[0], self.h.tap(w)))
        self.taps += 1

    def _scroll_to(self, w: Any) -> None:
        parent = w.parent
        while parent is not None and parent is not parent.parent:
            if isinstance(parent, ScrollView):
                parent.scroll_to(w, padding=10, animate=False)
                self.h.render(2)
                return
            parent = parent.parent

    def shot(self, label: str) -> Path | None:
        if self.shots_dir is None:
            return None
        path: Path = self.h.screenshot(self.shots_dir / f"{self.name}-{len(self.saved) + 1:02d}-"
                                       f"{label}.png")
        self.saved.append(path)
        return path

    def wait(self, condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S,
             human: bool = False) -> None:
        start = time.monotonic()
        deadline = start + timeout_s
        session = self.kiosk.session
        while time.monotonic() < deadline:
            if self.keep_alive and session.active:
                session.touch()
            EventLoop.idle()
            if condition():
                if human:
                    self.human_s += time.monotonic() - start
                self.h.render()
                return
            if getattr(self.shell.current, "_held", False) and self.has("finish"):
                # The done screen holds the receipt's QR code a while: the citizen,
                # receipt in hand, presses 完成 instead of waiting for Home.
                self.press("finish")
                continue
            threading.Event().wait(0.1)  # leave the CPU to the device threads
        raise AssertionError(f"timed out waiting for {what} (state {self.state!r}, "
                             f"screen {self.shell.sm.current}): {self.texts()[:400]}")

    def wait_state(self, prefix: str, **kw: Any) -> None:
        self.wait(lambda: self.state.startswith(prefix), f"state {prefix}", **kw)
        self.h.render()

    # -- the journey's parts -----------------------------------------------------------
    def open_item(self, code: str) -> None:
        """Home -> search chips are not needed: Home's apply tile, the department, the
        item row, Start (every one a real touch)."""
        item = self.kiosk.item(code)
        for _attempt in range(4):
            # A touch computed before a screen has laid itself out (or while a list
            # keeps the scroll of an earlier test) can land on another widget: seen on
            # CI as "search" opening. Each attempt starts from Home and checks where
            # every touch led.
            if self.shell.sm.current != "home":
                # What the shell's 首页 button does (an earlier test may have left the
                # shell on a list whose Home button this lookup does not know).
                self.shell.home()
            self.h.render()
            self.press(self._one(lambda b: getattr(b, "tile_id", None) == "apply"))
            if self.shell.sm.current != "browse":
                continue
            group = self._one(lambda b: getattr(b, "group_id", None) == item.department)
            self._scroll_to(group)
            self.h.render()
            self.press(group)
            # A touch computed while the list was still being laid out can open the
            # department next to it: then start again at once rather than wait for a
            # row that list does not have.
            if self.shell.sm.current != "items" \
                    or getattr(self.shell.current, "group", None) != item.department:
                continue
            # The row is a button once its devices report READY (they open with the kiosk).
            try:
                self.wait(lambda: any(getattr(b, "item_code", None) == code
                                      for b in self.buttons()), f"the row of {code}",
                          timeout_s=15)
                break
            except AssertionError:
                continue
        else:
            raise AssertionError(f"could not open the list of {code} "
                                 f"(screen {self.shell.sm.current}): {self._rows_report(code)}")
        for _attempt in range(3):
            if self.shell.sm.current == "guide":
                break
            # A device still recovering from an earlier test's fault makes the item
            # 暂停服务 for a moment (its row is then not a button): wait for it again.
            self.wait(lambda: any(getattr(b, "item_code", None) == code
                                  for b in self.buttons()), f"the row of {code}",
                      timeout_s=15)
            row = self._one(lambda b: getattr(b, "item_code", None) == code)
            self._scroll_to(row)
            self.press(row)
            try:
                self.wait(lambda: self.shell.sm.current == "guide", "the guide", timeout_s=15)
            except AssertionError:
                continue
        if self.shell.sm.current != "guide":
            raise AssertionError(f"the row of {code} did not open its guide (screen "
                                 f"{self.shell.sm.current}): {self.texts()[:300]}")
        self.press(self.screen.ids.start)
        self.wait_state("identity")

    def _rows_report(self, code: str) -> str:
        """What a failed lookup saw: every item row (shown or not), the devices' states
        and the screen's words, so that a rare failure on CI explains itself."""
        rows = [(w.item_code, visible(w), w.disabled, tuple(int(v) for v in w.size),
                 tuple(int(v) for v in w.to_window(*w.pos)))
                for w in self.shell.walk(restrict=False) if hasattr(w, "item_code")]
        devices = {kind: (d.status.ready, d.status.reason)
                   for kind, d in self.kiosk.devices.items()}
        item = self.kiosk.item(code)
        return (f"rows {rows}; availability {self.kiosk.check(item)}; devices {devices}; "
                f"words {self.texts()[:300]}")

    def open_bundle(self, code: str) -> None:
        """The first item of the bundle, then the identity screen's 联办 offer."""
        self.open_item(self.kiosk.catalog.bundle(code).items[0])
        self.press(f"bundle:{code}")
        self.wait(lambda: self.screen.journey is not None
                  and self.screen.journey.plan.code == code, "the bundle's journey")

    def _one(self, where: Callable[[Any], bool]) -> Any:
        found = [b for b in self.buttons() if where(b)]
        assert found, f"not on screen {self.shell.sm.current}"
        return found[0]

    def place_card(self, profile: str = "resident") -> None:
        self.env.place_card(profile)
        self.wait(lambda: self.state not in ("", "identity"), "the card to be read", human=True)

    def face(self, scene: str = "holder") -> None:
        self.env.camera_scene("camera", scene)
        self.wait(lambda: self.state != "face", "the face check", timeout_s=90, human=True)

    def checklist_all(self) -> None:
        self.press("all_ticked")  # at the end of the list: lands after ScrollView's tap delay
        self.wait(lambda: not self.screen.journey.missing_materials(), "every material ticked")
        self.shot("checklist")
        self.press("next")

    def capture_pages(self) -> None:
        """Lay the document under the camera and capture until the page is kept (a
        capture before the camera shows the page gives guidance, as it would a person)."""
        self.env.camera_scene("doccam", "document")
        while self.state.startswith("capture:"):
            for _attempt in range(5):
                view = self.screen._views[self.screen._key("capture")]
                self.press("capture")
                self.wait(partial(_idle, view), "the capture", timeout_s=60, human=True)
                if self.has("next"):
                    break
                threading.Event().wait(0.5)
            self.shot("capture")
            self.press("next")

    def fill_form(self, values: dict[str, Any]) -> None:
        """``values``: field -> text typed on the pad/IME, or ("choice", value), or
        ("pinyin", letters) picking the first candidate."""
        filled = {f["name"] for f in self.screen.journey.view()["fields"]
                  if f["value"] not in (None, "")}
        for name, value in values.items():
            if name in filled:
                continue  # prefilled from the card (or the bundle's other item)
            self.press(f"field:{name}")
            if isinstance(value, tuple) and value[0] == "choice":
                self.press(f"choice:{value[1]}")
                continue
            if isinstance(value, tuple) and value[0] == "pinyin":
                for syllable in value[1].split():
                    for letter in syllable:
                        self.press(self._key(letter))
                    form = self.screen._views[self.screen._key("form")]
                    before = form.pending
                    self.press("cand:0")  # in the scrollable candidate row
                    self.wait(partial(_changed, form, before), "the candidate")
            elif isinstance(value, tuple) and value[0] == "latin":
                self.press("ime:mode")
                for ch in value[1]:
                    self.press(self._key(ch.lower()))
            else:
                for ch in str(value):
                    self.press(f"key:{ch}")
            self.press("field_ok")
        self.shot("form")
        self.press("next")

    def _key(self, value: str) -> Any:
        return self._one(lambda b: getattr(b, "key_value", None) == value)

    def write(self, char: str) -> None:
        """Write ``char`` on the open handwriting pad, stroke by stroke (the recorded
        samples of kiosk/handwriting/samples.py), as a finger would."""
        from kivy.tests.common import UnitTestTouch

        from kiosk.handwriting.samples import CHARACTERS, densify
        from screens.journey.handpad import HandPad
        pad = next(w for w in self.shell.walk(restrict=True) if isinstance(w, HandPad))
        side = min(pad.width, pad.height)
        left, bottom = pad.center_x - side / 2, pad.center_y - side / 2
        for stroke in CHARACTERS[char]:
            points = [pad.to_window(left + x / 1000 * side, bottom + side - y / 1000 * side)
                      for x, y in densify(stroke)]
            touch = UnitTestTouch(*points[0])
            touch.touch_down()
            for x, y in points[1:]:
                touch.touch_move(x, y)
            touch.touch_up()
        self.taps += 1
        self.h.render()

    def draw_signature(self) -> None:
        """A stroke across the signature pad (real touch events)."""
        from kivy.tests.common import UnitTestTouch
        pad = self.screen._views[self.screen._key("signature")].pad
        x0, y0 = pad.to_window(pad.x + pad.width * 0.2, pad.y + pad.height * 0.5)
        touch = UnitTestTouch(x0, y0)
        touch.touch_down()
        for i in range(1, 12):
            touch.touch_move(x0 + i * pad.width * 0.05, y0 + (i % 3) * pad.height * 0.06)
        touch.touch_up()
        self.taps += 1
        self.h.render()

    def sign(self) -> None:
        self.draw_signature()
        self.shot("signature")
        self.press("sign")
