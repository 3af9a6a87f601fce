"""What the screens use beyond the core, in one typed object: :class:`Services`.

:func:`~kiosk.wiring.build.build_kiosk` makes one per kiosk and
:func:`~kiosk.wiring.journey.attach_journey` adds the journey's parts; the screens
only read it (``kiosk.services.journey``, ``kiosk.services.service_desk()``) and
never construct a core object. Parts that cost something to build (the face models,
the ticket counter's file, the back-office client) are built here on first use and
kept, so there is still one of each per kiosk.

A test or the app hands in its own part by setting the field before first use
(``kiosk.services.lookup = FakeBackoffice()``); a part set that way wins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from devices.base import Device
from kiosk.catalog import Catalog
from kiosk.clock import Clock
from kiosk.config.model import KioskConfig, SiteProfile
from kiosk.errors import ConfigError
from kiosk.logging_setup import RingBufferHandler
from kiosk.technician.console import TechnicianConsole
from kiosk.technician.gate import CornerGesture, PinGate

if TYPE_CHECKING:
    from devices.printer.base import ReceiptPrinter
    from kiosk.desk.servicedesk import QrScanner, ServiceDesk
    from kiosk.desk.tasks import CaseLookup, TicketIssuer
    from kiosk.face.engine import FaceEngine
    from kiosk.handwriting.recognizer import Recognizer
    from kiosk.journey.runner import Work
    from kiosk.receipts import ReceiptCatalog
    from kiosk.receipts.service import ReceiptService
    from kiosk.service.notify import Notifier
    from kiosk.voice.guide import VoiceGuide
    from kiosk.wiring.journey import JourneyServices

# The desk, the back-office client and the receipt documents are imported where they
# are first used (a citizen's tap), not here: together with the requests and numpy they
# pull in, they would cost the first Home screen a third of a second.


class StaffCaller(Protocol):
    """What 呼叫工作人员 needs: ``kiosk.submission.client.BackofficeClient.call_staff``."""

    def call_staff(self, item_code: str | None, step: str) -> Any: ...


def run_on_thread(work: Work) -> None:
    """The desk's dispatch: each task on a short-lived thread of its own."""
    threading.Thread(target=work, name="service-task", daemon=True).start()


def root_ring() -> RingBufferHandler | None:
    """The ring buffer kiosk.logging_setup put on the root logger, if logging is set up."""
    return next((h for h in logging.getLogger().handlers
                 if isinstance(h, RingBufferHandler)), None)


@dataclass
class Services:
    """Every service a screen needs, built once per kiosk."""

    config: KioskConfig
    site: SiteProfile
    catalog: Catalog
    clock: Clock
    devices: Mapping[str, Device]
    #: The citizen journey: starter, submission path, receipts, face and page loops
    #: (None without a back office).
    journey: JourneyServices | None = None
    #: The simulated terminal when ``scripts/run`` started one (the developer panel's).
    simenv: Any = None
    #: Case look-ups for the service desk; default: the journey's signed client, else
    #: one built from the configuration (None without a back office URL or secret).
    lookup: CaseLookup | None = None
    #: Queue ticket numbers; default: a daily counter in ``<data>/queue-tickets.json``.
    ticket_counter: TicketIssuer | None = None
    #: Recent log lines for the technician; default: the root logger's ring buffer.
    log_ring: RingBufferHandler | None = None
    #: Where the technician's bundle goes when no USB stick is mounted.
    bundle_dir: Path | None = None
    desk: ServiceDesk | None = None
    #: Where 呼叫工作人员 goes (``call_staff(item_code, step)``); default: the back-office
    #: client (the journey's, else one built from the configuration).
    assist: StaffCaller | None = None
    #: 手写 candidates; default: libzinnia (tests give one with a stand-in engine).
    recognizer: Recognizer | None = None
    #: Spoken prompts; default: espeak-ng into ``<data>/voice`` played with sox, as the
    #: site profile's ``voice`` says (tests give one with a recording player).
    voice: VoiceGuide | None = None
    #: The shown texts, per language (the voice says exactly what the screen shows).
    texts: Callable[[str, str], str] | None = None
    technician: TechnicianConsole | None = None
    #: Fleet control (kiosk/fleet/control.py), when there is a back office.
    fleet: Any = None
    pin_gate: PinGate | None = None
    #: The service manager's notification socket (READY=1, WATCHDOG=1 from the UI loop);
    #: None outside systemd (kiosk/service/notify.py, screens/supervision.py).
    notifier: Notifier | None = None
    _engine: FaceEngine | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _texts: dict[str, ReceiptCatalog] = field(default_factory=dict, init=False, repr=False)
    _receipts: dict[str, ReceiptService] = field(default_factory=dict, init=False, repr=False)

    # -- the citizen-service desk -----------------------------------------------------
    def service_desk(self) -> ServiceDesk:
        """The desk of 进度查询, 取号 and 证明打印; the screen sets its ``deliver``."""
        from kiosk.desk.servicedesk import ServiceDesk
        if self.desk is None:
            printer = self.devices.get("printer")
            self.desk = ServiceDesk(
                clock=self.clock, catalog=self.catalog, site_name=self.site.name,
                query_base_url=self.config.devices.printer.query_base_url,
                counter=self._counter(), lookup=self._lookup(),
                receipts=self.receipt_service if hasattr(printer, "print_document") else None,
                dispatch=run_on_thread, site=self.site)
        return self.desk

    def _lookup(self) -> CaseLookup | None:
        from kiosk.submission.client import BackofficeClient
        if self.lookup is None:
            submission = self.journey.submission if self.journey is not None else None
            if submission is not None:  # the journey's submission path has a signed client
                return submission.client
            try:
                self.lookup = BackofficeClient.from_config(self.config, clock=self.clock)
            except ConfigError:
                return None
        return self.lookup

    def _counter(self) -> TicketIssuer:
        from kiosk.desk.servicedesk import queue_categories
        from kiosk.desk.tasks import DailyTicketCounter
        if self.ticket_counter is None:
            letters = {c.id: c.letter for c in queue_categories(self.catalog, self.site)}
            self.ticket_counter = DailyTicketCounter(
                self.config.terminal.data_path() / "queue-tickets.json", self.clock, letters)
        return self.ticket_counter

    def qr_scanner(self, camera: Any) -> QrScanner:
        """Reads QR codes (a receipt's) from ``camera``'s frames."""
        from kiosk.desk.servicedesk import QrScanner
        from kiosk.documents.qr import QrReader  # OpenCV's QR model: loaded when asked for
        return QrScanner(camera, QrReader().decode)

    def receipt_service(self, lang: str) -> ReceiptService:
        """The receipt printer's documents in ``lang`` (queue tickets, 告知单, slips)."""
        from kiosk.receipts.service import ReceiptService
        if lang not in self._receipts:
            printer = cast("ReceiptPrinter", self.devices["printer"])
            self._receipts[lang] = ReceiptService(printer, self.receipt_texts(lang))
        return self._receipts[lang]

    def receipt_texts(self, lang: str) -> ReceiptCatalog:
        """The texts printed documents use in ``lang``."""
        from kiosk.receipts import ReceiptCatalog
        if lang not in self._texts:
            self._texts[lang] = ReceiptCatalog(lang)
        return self._texts[lang]

    def staff_caller(self) -> StaffCaller | None:
        """What raises an assistance request; None without a back office."""
        if self.assist is None:
            submission = self.journey.submission if self.journey is not None else None
            client = submission.client if submission is not None else self._lookup()
            self.assist = cast("StaffCaller | None", client)
        return self.assist

    # -- handwriting --------------------------------------------------------------------
    def handwriting(self) -> Recognizer:
        """手写 recognition (libzinnia and its Simplified Chinese model, opened on first
        use; without them the recognizer says why and offers nothing)."""
        from kiosk.handwriting.rare import open_supplement
        from kiosk.handwriting.recognizer import Recognizer
        from kiosk.handwriting.zinnia import ZinniaEngine
        models = self.config.terminal.data_path() / "handwriting"
        with self._lock:
            if self.recognizer is None:
                self.recognizer = Recognizer(ZinniaEngine, lambda: open_supplement(models))
            return self.recognizer

    # -- voice --------------------------------------------------------------------------
    def voice_guide(self) -> VoiceGuide:
        """The voice guide (built on first use, its worker thread started)."""
        from kiosk.voice.guide import VoiceGuide, VoiceSettings
        from kiosk.voice.player import SoxPlayer
        from kiosk.voice.synth import EspeakSynth
        with self._lock:
            if self.voice is None:
                v = self.site.voice
                settings = VoiceSettings(enabled=v.enabled, volume=v.volume, rate=v.rate,
                                         elderly_enabled=v.elderly_enabled,
                                         elderly_rate=v.elderly_rate)
                synth = EspeakSynth(cache_dir=self.config.terminal.data_path() / "voice")
                self.voice = VoiceGuide(synth, SoxPlayer(), self.texts or (lambda _l, k: k),
                                        settings)
            return self.voice

    # -- technician mode --------------------------------------------------------------
    def corner_gesture(self) -> CornerGesture:
        """A fresh corner-gesture detector (one per shell)."""
        return CornerGesture(self.clock)

    def technician_gate(self) -> PinGate:
        if self.pin_gate is None:
            self.pin_gate = PinGate.from_config(self.config, self.clock)
        return self.pin_gate

    def technician_console(self) -> TechnicianConsole:
        if self.technician is None:
            submission = self.journey.submission if self.journey is not None else None
            self.technician = TechnicianConsole(
                self.config, clock=self.clock, devices=dict(self.devices),
                outbox=getattr(submission, "outbox", None),
                sender=getattr(submission, "sender", None),
                ring=self.log_ring or root_ring(), fleet=self.fleet)
        return self.technician

    def face_engine(self) -> FaceEngine:
        """The face models, loaded once (the journey's when it has loaded them)."""
        if self.journey is not None:
            return self.journey.face_engine()
        with self._lock:
            if self._engine is None:
                from kiosk.face.engine import FaceEngine  # ~0.3 s of model loading
                self._engine = FaceEngine()
            return self._engine

    def close(self) -> None:
        """The journey's parts first (they print and send through the devices)."""
        closers: list[Callable[[], Any]] = []
        for part in (self.journey, self.desk, self.technician, self.lookup, self.voice,
                     self.simenv):
            closer = getattr(part, "close", None)
            if callable(closer):
                closers.append(closer)
        for closer in closers:
            closer()
