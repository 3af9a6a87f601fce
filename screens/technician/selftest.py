"""Self-tests: print a test page, read a card, a camera frame with the face box,
scan a page; each shows its result. The work runs on a worker thread
(kiosk/technician/selftests.py) and comes back through the bridge."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image as KivyImage

from devices.idcard.base import CardEvent, CardFailed, CardInserted
from kiosk.errors import KioskError
from kiosk.privacy import mask_id, mask_name
from kiosk.technician.selftests import Outcome, camera_frame, print_test_page, scan_page
from screens.services.parts import button, columns, para
from screens.technician.base import TechScreen, worker
from screens.widgets import Card, load_kv

load_kv(Path(__file__).with_suffix(".kv"))

TESTS = ("print", "card", "camera", "scan")


class SelfTestScreen(TechScreen):
    title_key = "ts.tech.selftest"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.results: dict[str, tuple[bool, str]] = {}
        self.preview: Any = None
        self._reader: Any = None
        self._engine: Any = None

    def show(self, **params: Any) -> None:
        super().show(**params)
        self.results = {}
        self.preview = None

    def on_leave(self, *_: Any) -> None:
        self._stop_card()

    def render(self) -> None:
        ui = self.ui
        theme = ui.theme
        self.message = ui.tr("ts.tech.selftest_hint")
        tests, side = columns(ui, self.ids.content)
        for test in TESTS:
            ok, text = self.results.get(test, (True, ui.tr("ts.tech.test.not_run")))
            row = Card(orientation="horizontal", bg=theme.colour("surface"), radius=theme.radius,
                       padding=(theme.gap, theme.px(6)), spacing=theme.gap)
            run = button(ui, ui.tr(f"ts.tech.test.{test}_run"), partial(self.run, test),
                         name=f"test_{test}")
            run.size_hint = None, None
            run.width = theme.target * 3.2
            run.height = theme.target
            run.pos_hint = {"center_y": 0.5}
            row.add_widget(run)
            words = BoxLayout(orientation="vertical", size_hint_y=None, spacing=theme.px(4),
                              pos_hint={"center_y": 0.5})
            words.bind(minimum_height=words.setter("height"))
            words.add_widget(para(ui, ui.tr(f"ts.tech.test.{test}"), bold=True,
                                  colour="danger" if not ok else "primary_text"))
            words.add_widget(para(ui, text, size="small", colour="on_surface"))
            row.add_widget(words)
            row.bind(minimum_height=lambda r, _h: setattr(
                r, "height", max(r.children[0].height, r.children[1].height)
                + theme.px(12)))
            tests.add_widget(row)
        if self.preview is not None:
            height, width = self.preview.shape[:2]
            texture = Texture.create(size=(width, height), colorfmt="rgb")
            texture.blit_buffer(self.preview[::-1].tobytes(), colorfmt="rgb",
                                bufferfmt="ubyte")
            side.add_widget(KivyImage(texture=texture, size_hint_y=None,
                                      height=theme.px(300), fit_mode="contain"))

    # -- running ---------------------------------------------------------------------------
    def _set(self, test: str, ok: bool, text: str) -> None:
        self.results[test] = (ok, text)
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def _outcome(self, test: str, outcome: Outcome) -> None:
        if outcome.image is not None:
            self.preview = outcome.image
        self._set(test, outcome.ok, self.ui.tr(outcome.key, **outcome.values))

    def run(self, test: str) -> None:
        kiosk = self.ui.kiosk
        if test == "card":
            self._start_card()
            return
        self._set(test, True, self.ui.tr("ts.tech.test.running"))
        work: Callable[[], Outcome]
        if test == "print":
            texts = kiosk.services.receipt_texts(self.ui.lang)
            printer = kiosk.devices.get("printer")
            work = lambda: print_test_page(printer, terminal_id=kiosk.config.terminal.id,  # noqa: E731
                                           clock=kiosk.clock, texts=texts)
        elif test == "camera":
            camera = kiosk.devices.get("camera")
            work = lambda: camera_frame(camera, self._detector())  # noqa: E731
        else:
            scanner = kiosk.devices.get("scanner")
            work = lambda: scan_page(scanner)  # noqa: E731
        worker(lambda: self.nav.bridge.post(self._outcome, test, work()))

    def _detector(self) -> Callable[[Any], list[Any]] | None:
        # Loaded on first use, on the worker thread (a model load takes a moment).
        if self._engine is None:
            try:
                self._engine = self.ui.kiosk.services.face_engine()
            except KioskError:
                return None
        detect: Callable[[Any], list[Any]] = self._engine.detect
        return detect

    def _start_card(self) -> None:
        reader = self.ui.kiosk.devices.get("idcard")
        if not hasattr(reader, "add_card_listener"):
            self._set("card", False, self.ui.tr("ts.tech.test.no_device", kind="idcard"))
            return
        if self._reader is None:
            reader.add_card_listener(self._card_event)
            self._reader = reader
        self._set("card", True, self.ui.tr("ts.tech.test.place_card"))

    def _stop_card(self) -> None:
        if self._reader is not None:
            self._reader.remove_card_listener(self._card_event)
            self._reader = None

    def _card_event(self, event: CardEvent) -> None:
        self.nav.bridge.post(self._card, event)

    def _card(self, event: CardEvent) -> None:
        if isinstance(event, CardInserted):
            identity = event.identity
            # Masked: a technician sees that the reader works, never whose card it is.
            self._set("card", True, self.ui.tr(
                "ts.tech.test.card_read", name=mask_name(identity.name),
                id_number=mask_id(identity.id_number), type=identity.card_type.value))
            self._stop_card()
        elif isinstance(event, CardFailed):
            self._set("card", False, self.ui.tr(event.error.i18n_key))
