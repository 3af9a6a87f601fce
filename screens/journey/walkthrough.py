"""The journey part of the headless screenshot walk (``scripts/run --headless
--screenshots DIR``): one journey per orientation driven through the simulated
devices (card on the SAM simulator, face and page scenes for the cameras, paper
out on the printer emulator), with a PNG of every journey screen in both
languages and both modes (the language and elderly mode are switched on each
screen, so one journey shows all four variants).

File names: ``journey/<orientation>-<lang>-<mode>-<NN>-<screen>.png`` (a folder of
their own beside the shell's screens).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.session import EndReason
from kiosk.wiring.build import Kiosk
from screens.driver import Citizen

#: The walk's item: face, a 容缺 material, a page to capture, a pinyin field, a signature.
ITEM = "330109-HJ-003"
WAIT_S = 60.0


class _Walker(Citizen):
    """The shared citizen driver (screens/driver.py) with the walk's screenshots: each
    journey screen in both languages and both modes, audited when asked."""

    def __init__(self, harness: Any, kiosk: Kiosk, size: tuple[int, int], out: Path,
                 audit: Any = None, prefix: str = "") -> None:
        super().__init__(harness, kiosk, kiosk.services.simenv, None, "journey", size=size,
                         keep_alive=True)
        self.out = out
        self.audit = audit
        self.sim = kiosk.services.simenv
        self.size = size
        self.orient = "landscape" if size[0] > size[1] else "portrait"
        # The developer panel of scripts/run is not the citizen's screen: not in the shots
        # (and its collapsed rows must not take the touches meant for the journey).
        panel = getattr(self.shell, "devpanel", None)
        if panel is not None and panel.parent is self.shell:
            self.shell.remove_widget(panel)
        self.n = 0
        self.shot_count = 0
        #: file names' start: "" for the first site, "<site>-" for another one
        self.prefix = prefix

    def wait(self, condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S,
             human: bool = False) -> None:
        try:
            super().wait(condition, what, timeout_s=timeout_s, human=human)
        except AssertionError as exc:
            raise RuntimeError(f"journey walk: {exc}") from None

    def shots(self, name: str) -> None:
        """This screen in both languages and both modes."""
        self.n += 1
        if self.kiosk.session.active:
            self.kiosk.session.touch()
        ui = self.shell.ui
        for lang in self.kiosk.languages:
            for elderly in (False, True):
                ui.lang, ui.elderly = lang, elderly
                self.h.render()
                mode = "elderly" if elderly else "standard"
                self.h.screenshot(self.out / "journey" / f"{self.prefix}{self.orient}-{lang}-"
                                                         f"{mode}-{self.n:02d}-{name}.png")
                self.shot_count += 1
                if self.audit is not None:
                    from screens.walk import audit_screen
                    audit_screen(self.audit, self.shell, f"journey/{name}",
                                 f"{self.kiosk.site.id}-{self.orient}-{lang}-{mode}")
        ui.lang, ui.elderly = self.kiosk.site.default_language, False
        self.h.render()

    def run(self) -> None:
        sim = self.sim
        self.kiosk.session.touch()
        self.shell.go("journey", code=ITEM)
        self.wait(lambda: self.state == "identity", "identity step")
        self.shots("identity")
        # Nobody in front of the face camera yet: the face step shows its guide oval and
        # first prompt (with the holder there, the check can pass before the shot).
        sim.camera_scene("camera", "none")
        sim.camera_scene("doccam", "document")
        sim.place_card("resident")
        self.wait(lambda: self.state == "face", "card read")
        self.wait(lambda: self.shell.current.ids.body.children and
                  getattr(self.shell.current._views.get(self.shell.current._key("face")),
                          "_texture", None) is not None, "face preview")
        # Hold the step still for the shots (on real time the verifier would time out, or
        # pass, while four variants render): stop its loop, then start a fresh one.
        host = self.shell.current
        host.loops_paused = True
        host._stop_face()
        self.shots("face")
        sim.camera_scene("camera", "holder_live")
        host.loops_paused = False
        host.refresh()
        self.wait(lambda: self.state != "face", "face check")
        if self.state == "face_fallback":
            self.shots("face-fallback")
            self.press("staff_verified")
        # A tap inside a scroll view reaches its button a moment later (Kivy's ScrollView
        # first waits to see whether the touch is a swipe): wait for each to land.
        self.press("defer:SEPARATION-CONSENT")
        self.wait(lambda: "SEPARATION-CONSENT" in self.shell.current.journey.data.deferred,
                  "the 容缺 promise")
        self.press("all_ticked")
        self.wait(lambda: not self.shell.current.journey.missing_materials(),
                  "every material ticked")
        self.shots("checklist")
        self.press("next")
        while self.state.startswith("capture:"):
            view = self.shell.current._views[self.shell.current._key("capture")]
            def idle(v: Any = view) -> bool:
                return not v.busy

            for _ in range(5):
                self.press("capture")
                self.wait(idle, "page capture")
                if self.shell.current.journey.data.pages.get(self.state.split(":")[1]):
                    break
                threading.Event().wait(0.5)
            self.shots("capture")
            self.press("next")
        self.press("field:new_address")
        for letter in "renmin":
            self.press(self._key(letter))
        self.shots("form-pinyin")
        form = self.shell.current._views[self.shell.current._key("form")]
        self.press("cand:0")  # in the scrollable candidate row
        self.wait(lambda: bool(form.pending), "the candidate")
        if self.has("ime:hand"):  # 手写: the next character written on the pad
            self.press("ime:hand")
            self.write("王")

            def written() -> Any:
                return next((b for b in self.buttons() if getattr(b, "text", "") == "王"
                             and str(getattr(b, "action", "")).startswith("cand:")), None)
            self.wait(lambda: written() is not None, "the handwriting candidates")
            self.shots("form-handwriting")
            # The shots re-render the editor in each variant: its candidates come back.
            self.wait(lambda: written() is not None, "the candidates after the shots")
            self.press(written())
            self.press("ime:hand")  # now named 键盘: back to the keys
        self.press("field_ok")
        self.press("field:phone")
        for digit in "13800138000":
            self.press(f"key:{digit}")
        self.shots("form-keypad")
        self.press("field_ok")
        self.press("field:delivery")
        self.shots("form-choices")
        self.press("choice:window")
        self.press("next")
        self.wait(lambda: self.state == "signature", "signature step")
        self.draw_signature()
        self.shots("signature")
        self.press("sign")
        self.shots("review")
        self.press("next")
        self.press("star:4")
        self.press("reason:fast")
        self.shots("rating")
        sim.printer_fault("paper_out")
        if self.orient == "portrait":
            # the back office down: the case waits in the outbox, the receipt says so
            sim.backoffice_down()
        self.press("rated")
        self.wait(lambda: self.state == "reprint", "the paper-out receipt")
        self.shots("receipt-reprint")
        sim.printer_ok()
        self.press("reprint")
        self.wait(lambda: getattr(self.shell.current, "_held", False), "the done screen")
        self.shots("done")
        self.press("finish")
        self.wait(lambda: self.shell.sm.current == "home", "the end")
        sim.remove_card()


def walk_journey(harness: Any, kiosk: Kiosk, out: Path, audit: Any = None, *,
                 first: bool = True) -> tuple[int, list[str]]:
    """Walk the journey; (screenshots saved, failures). The first site in both
    orientations (``journey/<orientation>-...``), another one in its own
    (``journey/<site>-<orientation>-...``). With an ``audit`` (screens.audit.Audit)
    every screen and variant is also audited."""
    saved, failures = 0, []
    if kiosk.services.simenv is None or kiosk.services.journey is None:
        return 0, []
    sizes = ((1920, 1080), (1080, 1920)) if first else (kiosk.site.resolution,)
    for size in sizes:
        kiosk.session.end(EndReason.CANCEL)
        walker = _Walker(harness, kiosk, size, out, audit,
                         prefix="" if first else f"{kiosk.site.id}-")
        try:
            walker.run()
        except Exception as exc:  # noqa: BLE001 - reported by the walk, exit code 1
            failures.append(f"journey-{walker.orient}: {type(exc).__name__}: {exc}")
        finally:
            kiosk.session.end(EndReason.CANCEL)
            kiosk.services.simenv.remove_card()
            kiosk.services.simenv.printer_ok()
            kiosk.services.simenv.backoffice_up()
        from screens.journey.walk_faults import walk_faults
        failures += walk_faults(walker, ITEM)
        saved += walker.shot_count
    return saved, failures
