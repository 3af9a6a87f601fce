"""What the three service screens share: the desk, the journey, card and QR events.

The desk (``kiosk.services.service_desk()``, built by the composition root)
starts a fresh journey when the screen is shown and wipes it when the screen is
left (Home, Back past the start, idle timeout). The ID card reader's events and
work done on worker threads come back on the UI thread through ``nav.bridge``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, DictProperty, StringProperty

from devices.idcard.base import CardEvent, CardInserted, CardRemoved
from kiosk.desk.journeys import ServiceJourney
from kiosk.desk.servicedesk import ServiceDesk
from screens.base import KioskScreen
from screens.widgets import load_kv

load_kv(Path(__file__).with_name("service.kv"))


def worker(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="service-task", daemon=True).start()


class ServiceScreen(KioskScreen):
    #: The desk's journey kind: progress, queue or print.
    kind = "progress"
    state = StringProperty("")
    message = StringProperty("")
    notice = StringProperty("")
    view = DictProperty({})
    #: The card picture and how-to text beside the content (while waiting for a card).
    hero_visible = BooleanProperty(False)
    hero_text = StringProperty("")
    #: The outcome of a side action (a printed slip), shown above the actions.
    slip = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.journey: ServiceJourney | None = None
        self._card_reader: Any = None

    # -- lifecycle -------------------------------------------------------------------
    @property
    def desk(self) -> ServiceDesk:
        desk: ServiceDesk = self.ui.kiosk.services.service_desk()
        desk.deliver = self.nav.bridge.post
        return desk

    def show(self, **params: Any) -> None:
        self.notice = ""
        self.journey = self.desk.start(self.kind, self.ui.lang)
        self.journey.add_listener(lambda _change: self._changed_state())
        reader = self.ui.kiosk.devices.get("idcard")
        if hasattr(reader, "add_card_listener") and self._card_reader is None:
            reader.add_card_listener(self._card_event)
            self._card_reader = reader
        self.started()

    #: The message once the journey is done (its table has none for the final state).
    done_key = "ts.svc.done_message"

    def started(self) -> None:
        """Hook: the journey has just started."""

    def on_leave(self, *_: Any) -> None:
        if self._card_reader is not None:
            self._card_reader.remove_card_listener(self._card_event)
            self._card_reader = None
        if self.journey is not None and self.desk.current is self.journey:
            self.desk.stop()
        self.journey = None
        self.view = {}

    def _card_event(self, event: CardEvent) -> None:
        # Called on the reader's thread: hand it to the UI thread.
        self.nav.bridge.post(self.on_card, event)

    def on_card(self, event: CardEvent) -> None:
        journey = self.journey
        if journey is None or journey.ended:
            return
        if isinstance(event, CardInserted) and journey.can("card_read",
                                                           identity=event.identity):
            journey.fire("card_read", identity=event.identity)
        elif isinstance(event, CardRemoved) and journey.can("card_removed"):
            journey.fire("card_removed")

    def fire(self, trigger: str, **data: Any) -> None:
        if self.journey is not None and not self.journey.ended and self.journey.can(
                trigger, **data):
            self.journey.fire(trigger, **data)

    def on_back(self) -> bool:
        """The shell's Back: inside the journey first; True when handled here."""
        journey = self.journey
        if journey is None or journey.ended or not journey.can("back"):
            return False
        change = journey.fire("back")
        return not journey.ended and change.dest != change.source

    def _changed_state(self) -> None:
        # Journey listeners run where the trigger was fired: always the UI thread here
        # (card events and task results arrive through the bridge). Render on the next
        # frame so a cascade of internal transitions shows once.
        Clock.schedule_once(lambda _dt: self.refresh(), 0)

    # -- rendering -------------------------------------------------------------------
    def refresh(self) -> None:
        journey = self.journey
        if journey is None:
            return
        view = journey.view()
        self.view = view
        self.state = str(view["state"])
        key = view.get("message") or (self.done_key if self.state == "done" else None)
        self.message = self.ui.tr(key) if key else ""
        notice = view.get("notice") or (view.get("error_key") if self.state in (
            "error", "on_screen", "reprint") else None)
        self.notice = self.ui.tr(str(notice)) if notice else ""
        self.ids.content.clear_widgets()
        self.ids.actions.clear_widgets()
        self.render(view)
        for action in self.ids.actions.children:
            action.size_hint_x = None
            action.width = self.ui.theme.target * 5

    def render(self, view: dict[str, Any]) -> None:
        """Rebuild the dynamic parts (``ids.content``, ``ids.actions``, emptied before)
        from the journey's view."""
