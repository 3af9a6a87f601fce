"""The journey screen: hosts one step view at a time and connects the devices.

``show(code=...)`` starts a journey through ``kiosk.services.journey``
(:class:`kiosk.wiring.journey.JourneyServices`); every change of the journey
re-renders the step view for ``view["step"]``. Device events reach the journey
only through :class:`screens.bridge.Bridge` (card readers' events, device
statuses, face and page loops running on their own threads). Leaving the
screen stops the loops, detaches every listener and drops the journey (the
starter wipes it), so nothing of the citizen stays reachable from here.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from kiosk.errors import KioskError, WorkflowError
from kiosk.wiring.journey import JourneyServices
from screens.base import KioskScreen
from screens.bridge import Bridge
from screens.journey.parts import StepView
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

log = logging.getLogger(__name__)

#: step name (view["step"]) -> "module:Class" of its view, imported on first use.
STEP_VIEWS = {
    "identity": "screens.journey.identity:IdentityView",
    "face": "screens.journey.face:FaceView",
    "face_fallback": "screens.journey.face:FallbackView",
    "checklist": "screens.journey.checklist:ChecklistView",
    "capture": "screens.journey.capture:CaptureView",
    "form": "screens.journey.form:FormView",
    "signature": "screens.journey.signature:SignatureView",
    "review": "screens.journey.review:ReviewView",
    "rating": "screens.journey.rating:RatingView",
    "submitting": "screens.journey.receipt:ProgressView",
    "submit_failed": "screens.journey.error:ErrorView",
    "printing": "screens.journey.receipt:ReceiptView",
    "reprint": "screens.journey.receipt:ReceiptView",
    "done": "screens.journey.receipt:ReceiptView",
    "error": "screens.journey.error:ErrorView",
    "cancelled": "screens.journey.error:EndView",
    "timed_out": "screens.journey.error:EndView",
    "card_gone": "screens.journey.error:EndView",
    "confirm_leave": "screens.journey.leave:LeaveView",
}

#: States after the case was accepted: nothing to go back to, nothing to cancel.
ACCEPTED = frozenset({"printing", "reprint", "done"})
#: Seconds the done screen (the QR code, 完成) stays before Home comes back.
RECEIPT_HOLD_S = 20.0
#: What the done screen keeps of a wiped journey: references and dates, nothing personal.
RECEIPT_KEYS = ("kiosk_refs", "case_numbers", "forwarded", "qr", "owed", "when_where",
                "title", "steps", "step_index")


class JourneyScreen(KioskScreen):
    title_key = "journey.title"
    #: the shell shows 呼叫工作人员 on every journey step
    offers_call = True
    code = StringProperty("")
    step_name = StringProperty("")
    progress_text = StringProperty("")
    #: what 呼叫工作人员 gave: help is on the way (with the call's number), or ask at
    #: the desk when the call did not get through
    assist_note = StringProperty("")
    #: the step bar: how many main steps, and the current one (0-based)
    step_total = NumericProperty(0)
    step_current = NumericProperty(0)
    step_labels = ListProperty([])
    #: The case is accepted: the .kv hides 取消办理 (and the shell its 返回).
    accepted = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.journey: Any = None
        self._views: dict[str, StepView] = {}
        self._bridge = Bridge()
        self._readers: list[Any] = []
        #: the code scanner (亮码) while this journey takes codes
        self._scanner: Any = None
        self._face_loop: Any = None
        self._page_loop: Any = None
        self._refresh_soon = Clock.create_trigger(lambda _dt: self.refresh(), 0)
        #: The receipt as shown, per language, kept for the done screen (see farewell).
        self._receipt: dict[str, dict[str, Any]] = {}
        self._held = False
        #: 长辈版 as the voice session started with (None: no voice session)
        self._voice_elderly: bool | None = None
        #: the view last spoken for (重听 speaks it when nothing was spoken yet)
        self._voice_view: dict[str, Any] = {}
        #: No face or page loop starts while set (the screenshot walk holds a step still).
        self.loops_paused = False
        #: the step bar and its portrait row, held here (kv ids are weak references and
        #: the row is out of the layout on landscape)
        self._step_bar = self.ids.step_bar.__self__
        self._bar_row = self.ids.bar_row.__self__
        self._bar_row_parent = self._bar_row.parent
        self._bar_row_index = self._bar_row_parent.children.index(self._bar_row)
        self.ui.bind(theme=self._place_step_bar)
        self._place_step_bar()

    def _place_step_bar(self, *_: Any) -> None:
        """The step bar stands in the top row beside the buttons on a landscape screen,
        and in a row of its own under them on a narrow portrait one."""
        bar, row = self._step_bar, self._bar_row
        landscape = self.ui.theme.landscape
        home = self.ids.bar_inline.__self__ if landscape else row
        if bar.parent is not home:
            bar.parent.remove_widget(bar)
            home.add_widget(bar)
        # the row of its own is out of the layout on landscape (no empty row's spacing)
        if landscape and row.parent is not None:
            row.parent.remove_widget(row)
        elif not landscape and row.parent is None:
            self._bar_row_parent.add_widget(row, index=self._bar_row_index)

    @property
    def services(self) -> JourneyServices | None:
        journey: JourneyServices | None = self.ui.kiosk.services.journey
        return journey

    # -- life cycle -------------------------------------------------------------
    def show(self, **params: Any) -> None:
        self.code = params.get("code", self.code)
        current = self.journey
        if current is not None and not current.ended and current.plan.code == self.code:
            return  # back to this screen within the same journey
        self.teardown()
        if self.services is None or not self.code:
            return  # no back office configured: the identity picture only
        # Outcomes of the worker (submitted, printed) come back on the UI thread.
        self.services.starter.deliver = self._bridge.post
        try:
            self.journey = self.services.starter.start(self.code, lang=self.ui.lang)
        except WorkflowError:  # 暂停服务 came on: Home says so
            self._bridge.post(self.nav.home)
            return
        self.journey.add_listener(self._on_change)
        self._voice().start_session(elderly=self.ui.elderly)
        self._voice_elderly = self.ui.elderly
        devices = self.ui.kiosk.devices
        for kind in ("idcard", "sscard"):
            reader = devices.get(kind)
            if hasattr(reader, "add_card_listener") and reader not in self._readers:
                reader.add_card_listener(self._card_listener)
                self._readers.append(reader)
        scanner = devices.get("codescanner")
        if self.journey.offers_code and hasattr(scanner, "add_scan_listener"):
            scanner.add_scan_listener(self._scan_listener)
            self._scanner = scanner
        self._bridge.watch_devices(
            [d for d in devices.values()], self._on_status)

    def on_leave(self, *_: Any) -> None:
        self.teardown()

    def teardown(self) -> None:
        """Stop loops, detach listeners, drop (and so wipe) the journey."""
        if self._voice_elderly is not None:
            self._voice().end_session()
            self._voice_elderly = None
        self._stop_face()
        self._stop_pages()
        for reader in self._readers:
            reader.remove_card_listener(self._card_listener)
        self._readers.clear()
        if self._scanner is not None:
            self._scanner.remove_scan_listener(self._scan_listener)
            self._scanner.disable()
            self._scanner = None
        self._bridge.close()
        if self.journey is not None:
            self.journey.remove_listener(self._on_change)
            if self.services is not None and self.services.starter.current is self.journey:
                self.services.starter.stop()
            self.journey = None
        for view in self._views.values():
            view.clear_widgets()
        self._views.clear()
        body = self.ids.get("body")
        if body is not None:
            body.clear_widgets()
        self.step_name = ""
        self._receipt = {}
        self.assist_note = ""
        self._held = False
        self.accepted = False

    # -- events from other threads (through the bridge) ----------------------------
    def _card_listener(self, event: Any) -> None:
        self._bridge.post(self._on_card, event)

    def _on_card(self, event: Any) -> None:
        from devices.idcard.base import CardFailed, CardInserted, CardRemoved
        if self.journey is None or self.journey.ended:
            return
        if not isinstance(event, CardInserted | CardFailed | CardRemoved):
            return  # readers appearing and going (社保卡 PC/SC) are the guide's business
        trigger = {CardInserted: "card_read", CardFailed: "card_failed"}.get(
            type(event), "card_removed")
        if self.journey.can(trigger, **_card_data(event)):
            self.journey.on_card_event(event)

    def _scan_listener(self, event: Any) -> None:
        self._bridge.post(self._on_scan, event)

    def _on_scan(self, event: Any) -> None:
        if self.journey is not None and not self.journey.ended:
            self.journey.on_scan_event(event)

    def _sync_scanner(self, view: dict[str, Any]) -> None:
        """The code scanner is on while the journey takes codes (the identity step) and
        off otherwise: a code shown at any other moment is read and dropped by the
        device, so it can never turn up later (docs/identity-codes.md)."""
        if self._scanner is None:
            return
        if view.get("scan_code") and not self._held:
            self._scanner.enable()
        else:
            self._scanner.disable()

    def _on_status(self, device: Any, status: Any) -> None:
        if self.journey is not None and not self.journey.ended:
            kind = getattr(device, "kind", "")
            self.journey.on_device_status(kind, status)
            self._refresh_soon()

    def _on_change(self, _change: Any) -> None:
        j = self.journey
        if j is not None and not j.ended and j.state in ACCEPTED:
            # Taken now: the end of the journey wipes its data before the done screen shows.
            self._receipt = {lang: {k: v for k, v in j.view(lang).items() if k in RECEIPT_KEYS}
                             for lang in self.ui.kiosk.languages}
        self._refresh_soon()

    def farewell(self) -> float:
        """The session ended because the journey is done: show the done screen (the
        receipt's numbers and QR code, 完成) for RECEIPT_HOLD_S; the shell then goes Home."""
        if not self._receipt:
            return 0.0
        self._held = True
        self.refresh()
        return RECEIPT_HOLD_S

    # -- triggers from the step views ---------------------------------------------
    def fire(self, trigger: str, **data: Any) -> None:
        if self.journey is None:
            return
        try:
            self.journey.fire(trigger, **data)
        except WorkflowError:
            # Not allowed now (a double tap raced a state change): re-render instead.
            self._refresh_soon()
            return
        self.refresh()
        self._refresh_soon.cancel()  # the change is shown: not again on the next frame

    def cancel(self) -> None:
        """取消办理: the citizen gives up. The journey decides whether to ask first
        (something was handed over) or to end at once; ending ends the session (devices
        off, data wiped). Outside a journey that can leave, the session ends."""
        j = self.journey
        if j is not None and not j.ended and j.can("leave"):
            self.fire("leave")
            return
        from kiosk.session import EndReason
        self.ui.kiosk.session.end(EndReason.CANCEL)

    def on_home(self) -> bool:
        """The shell's 首页 inside a journey means the same as 取消办理."""
        j = self.journey
        if j is None or j.ended or not j.can("leave"):
            return False
        self.fire("leave")
        return True

    def go_bundle(self, code: str) -> None:
        """Apply for the bundle (两证联办) instead of the one item: a fresh journey."""
        self.show(code=code)
        self.refresh()

    def on_back(self) -> bool:
        """The shell's Back: inside the journey while the journey offers it."""
        j = self.journey
        if j is None or j.ended:
            return False
        if j.data.leave_asked and j.can("stay"):
            self.fire("stay")  # 返回 from the question: back to the step
            return True
        step = self._views.get(self._key(self.step_name))
        if step is not None and step.on_back():  # e.g. an open form field closes
            return True
        if j.state == "identity" or not j.can("back"):
            return False
        self.fire("back")
        return True

    # -- rendering ---------------------------------------------------------------
    def refresh(self) -> None:
        body = self.ids.get("body")
        if body is None:
            return
        j = self.journey
        if self._held and self._receipt:
            name = "done"
            view = {**self._receipt.get(self.ui.lang, next(iter(self._receipt.values()))),
                    "state": "done", "step": "done", "triggers": [],
                    "message": "workflow.done.thanks"}
        elif j is None:
            name, view = "identity", {"state": "identity", "step": "identity",
                                      "triggers": [], "steps": [],
                                      "message": "workflow.identity.place_card",
                                      "notice": "journey.identity.unavailable",
                                      "accepts_sscard": False, "code": self.code}
            hall = self.ui.kiosk.site.services.nearest_hall
            if hall is not None:  # a bank branch has no window to send anyone to
                view["notice"] = "journey.identity.unavailable_hall"
                view["notice_args"] = {"hall": self.ui.lt(hall)}
            # an item's or a bundle's (两证联办) name
            view["title"] = self.ui.lt(self.ui.kiosk.catalog.name_of(self.code)) \
                if self.code else ""
        else:
            view = j.view(self.ui.lang)
            name = view["state"] if view["state"] in STEP_VIEWS else view["step"]
            if view.get("confirm_leave"):
                name = "confirm_leave"
            if name == "identity" and j.plan.bundle_code is None:
                catalog = self.ui.kiosk.catalog
                view["bundles"] = [(b.code, self.ui.lt(b.name)) for b in
                                   catalog.bundles_of(j.plan.code)]
        self._sync_scanner(view)
        if not self._held and not self.loops_paused:
            self._sync_loops(view)
        self.accepted = view["state"] in ACCEPTED
        self.nav.back_offered = not self.accepted
        steps = view.get("steps") or []
        index = view.get("step_index", 0)
        self.progress_text = (self.ui.tr("journey.progress", current=index + 1,
                                         total=len(steps)) if index < len(steps) else "")
        self.step_total = len(steps) if index < len(steps) else 0
        self.step_current = index
        labels = [self.ui.tr(f"journey.step.{s}") for s in steps] if self.step_total else []
        if labels != list(self.step_labels):
            self.step_labels = labels
        self.title_text = view.get("title") or ""
        step_view = self._view(name)
        step_view.render(view)
        if step_view.parent is not body:
            body.clear_widgets()
            body.add_widget(step_view)
        self.step_name = name
        self.nav.title = self.title()
        self._speak(view)

    # -- voice -----------------------------------------------------------------------
    def _voice(self) -> Any:
        return self.ui.kiosk.services.voice_guide()

    def _speak(self, view: dict[str, Any]) -> None:
        """The step's instruction, spoken on entry (and in the new language after a
        switch); 长辈版 switched on or off restarts the session's voice settings."""
        if self.journey is None and not self._held:
            return
        guide = self._voice()
        if self._voice_elderly is not None and self._voice_elderly != self.ui.elderly:
            guide.start_session(elderly=self.ui.elderly)
            self._voice_elderly = self.ui.elderly
        self._voice_view = view
        guide.on_view(view, self.ui.lang)

    # -- 呼叫工作人员 ------------------------------------------------------------------
    def call_staff(self) -> None:
        """Raise an assistance request with the back office (off the UI thread): where
        the citizen is (the item, the step), never who. The answer shows above the step."""
        j = self.journey
        step = str(j.state) if j is not None else "identity"
        item = j.plan.code if j is not None else (self.code or None)
        client = self.ui.kiosk.services.staff_caller()
        self.assist_note = self.ui.tr("ui.assist.calling")
        if client is None:
            self.assist_note = self.ui.tr("ui.assist.offline")
            return

        def work() -> None:
            try:
                number = client.call_staff(item, step).number
            except KioskError as exc:
                log.warning("call for staff not delivered: %s", type(exc).__name__)
                self._bridge.post(self._assist_done, None)
                return
            self._bridge.post(self._assist_done, number)
        threading.Thread(target=work, name="call-staff", daemon=True).start()

    def _assist_done(self, number: str | None) -> None:
        self.assist_note = self.ui.tr("ui.assist.coming", number=number) if number \
            else self.ui.tr("ui.assist.offline")

    def replay(self) -> None:
        """重听: the prompt again; pressed where voice is off, it turns voice on for this
        session (a citizen who needs it asks for it)."""
        guide = self._voice()
        if not guide.settings.enabled:
            guide.set_session(enabled=True)
        if not guide.replay():
            guide.on_view(self._voice_view, self.ui.lang)

    def title(self) -> str:
        return self.title_text or str(self.ui.tr(self.title_key))

    def _view(self, name: str) -> StepView:
        # One view per step: views rebuild their widgets from the theme on every render,
        # and what the citizen is doing in a step (the field being edited, a half-drawn
        # signature) must survive a switch of language or elderly mode.
        key = self._key(name)
        if key not in self._views:
            module, _, cls = STEP_VIEWS.get(name, STEP_VIEWS["error"]).partition(":")
            self._views[key] = getattr(importlib.import_module(module), cls)(host=self)
        return self._views[key]

    # -- face and page loops -------------------------------------------------------
    def _sync_loops(self, view: dict[str, Any]) -> None:
        state = view["state"]
        if state == "face" and self._face_loop is None and self.services is not None:
            identity = self.journey.data.identity
            photo = identity.photo_bmp if identity is not None else b""
            self._face_loop = self.services.face_loop(
                photo, lambda step, image: self._bridge.post(self._on_face, step, image))
        elif state != "face":
            self._stop_face()
        if state.startswith("capture:") and self._page_loop is None \
                and self.services is not None:
            self._page_loop = self.services.page_loop(
                lambda image: self._bridge.post(self._on_preview, image),
                lambda data, keys: self._bridge.post(self._on_page, data, keys))
        elif not state.startswith("capture:"):
            self._stop_pages()

    def _stop_face(self) -> None:
        if self._face_loop is not None:
            self._face_loop.stop()
            self._face_loop = None
            camera = self.ui.kiosk.devices.get("camera")
            if camera is not None:
                camera.disable()  # the face camera is off outside the face step

    def _stop_pages(self) -> None:
        if self._page_loop is not None:
            self._page_loop.stop()
            self._page_loop = None

    def _on_face(self, step: Any, image: Any) -> None:
        if self.journey is None or self.journey.state != "face":
            return
        current = self._views.get(self._key("face"))
        if current is not None:
            current.on_frame(image, step)
        self.journey.on_face_step(step)

    def _on_preview(self, image: Any) -> None:
        current = self._views.get(self._key("capture"))
        if current is not None and self.step_name == "capture":
            current.on_frame(image)

    def _on_page(self, data: bytes | None, keys: tuple[str, ...]) -> None:
        current = self._views.get(self._key("capture"))
        if current is not None and self.step_name == "capture":
            current.on_page(data, keys)

    def capture_page(self) -> None:
        if self._page_loop is not None:
            self._page_loop.capture()

    @staticmethod
    def _key(name: str) -> str:
        return name


def _card_data(event: Any) -> dict[str, Any]:
    from devices.idcard.base import CardFailed, CardInserted
    if isinstance(event, CardInserted):
        return {"identity": event.identity}
    if isinstance(event, CardFailed):
        return {"error": event.error, "final": event.final}
    return {}
