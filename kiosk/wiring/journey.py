"""The journey's real objects, built from config + site (kept out of ``kiosk/wiring/build.py``).

:func:`attach_journey` builds, for a :class:`~kiosk.wiring.build.Kiosk` whose devices exist:

* the submission path: outbox + back office client + sender (started), and the
  heartbeat, when a back office URL is configured (``scripts/run`` points it at
  the simulated one); without one the kiosk still shows everything but offers
  no journey (the availability checker's ``accepting`` says so);
* the receipt service over the printer device (``kiosk/receipts/service.py``);
* the :class:`~kiosk.journey.starter.JourneyStarter`, with a worker thread that
  runs submission and printing off the UI thread (``dispatch``); the UI sets
  ``deliver`` to its bridge so that outcomes come back on the UI thread;
* the face engine (built on first use: loading the models costs ~0.3 s), a
  :class:`FaceLoop` per face step and a :class:`PageLoop` per page capture:
  both run device work on a thread of their own and hand each result to a
  callback the screen gives (through ``screens/bridge.py``).

Everything is attached as ``kiosk.services.journey`` (:mod:`kiosk.wiring.services`)
and closed by :meth:`JourneyServices.close` (``Kiosk.close`` calls it).
No Kivy here.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import cv2
import numpy as np

from devices.base import Device
from devices.camera.base import Camera
from devices.codescanner.base import CodeScanner
from devices.printer.base import ReceiptPrinter
from devices.scanner.base import ScannedPage, Scanner
from kiosk.catalog.workdays import load_calendar
from kiosk.config.model import resolve
from kiosk.errors import DeviceUnavailable, KioskError
from kiosk.face.engine import FaceEngine
from kiosk.face.verify import FaceVerifier, Step
from kiosk.i18n.translate import Translator
from kiosk.journey.data import JourneySettings
from kiosk.journey.runner import ReceiptContext, Work
from kiosk.journey.starter import JourneyStarter
from kiosk.receipts.service import ReceiptService
from kiosk.service.datastate import update_report
from kiosk.submission.heartbeat import Heartbeat
from kiosk.submission.identitycode import CodeResolver
from kiosk.submission.sender import Submission, build_submission

if TYPE_CHECKING:
    from kiosk.wiring.build import Kiosk

log = logging.getLogger(__name__)

#: Longest wait for one camera frame before the loop checks whether it should stop.
FRAME_WAIT_S = 0.5
#: The longest side of a document camera frame as the live preview gets it. The preview
#: is never drawn much more than a thousand pixels wide on a 1080-line screen, and every
#: preview frame is uploaded as a texture on the UI thread: a full 1080p frame took
#: 26 ms of it, five times a second; a 5- to 13-megapixel 高拍仪 frame several times that.
PREVIEW_PX = 1080


class Worker:
    """One background thread running queued work in order (submission, printing)."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[Work | None] = queue.Queue(maxsize=64)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __call__(self, work: Work) -> None:
        self._queue.put(work, timeout=5.0)

    def _run(self) -> None:
        while (work := self._queue.get()) is not None:
            try:
                work()
            except KioskError:  # the runner translates its own errors; log a stray one
                log.exception("journey worker: unhandled kiosk error")

    def close(self, timeout_s: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout_s)


class _Loop:
    """A loop on its own daemon thread from :meth:`start` to :meth:`stop`; a callback
    that runs on that thread may call :meth:`stop` too."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(5.0)


class FaceLoop(_Loop):
    """Frames of the face camera -> the verifier -> ``on_step(step, preview)``.

    ``preview`` is the frame the step was computed on (BGR, for the live view);
    the loop stops at a decision, at :meth:`stop`, or when the camera fails (the
    camera's UNAVAILABLE status reaches the journey through ``on_device_status``)."""

    def __init__(self, camera: Camera, verifier: FaceVerifier,
                 on_step: Callable[[Step, Any], None]) -> None:
        super().__init__("face-loop")
        self._camera = camera
        self._verifier = verifier
        self._on_step = on_step

    def _run(self) -> None:
        seq = 0
        try:
            while not self._stop.is_set():
                try:
                    frame = self._camera.latest(timeout=FRAME_WAIT_S, after_seq=seq)
                except KioskError:  # no frame in time (frozen/covered): the status says why
                    continue
                seq = frame.seq
                step = self._verifier.feed(frame.image)
                if self._stop.is_set():
                    break
                self._on_step(step, frame.image)
                if step.decision is not None:
                    break
        finally:
            self._verifier.wipe()


def preview_image(image: Any) -> Any:
    """``image`` shrunk on this thread to at most PREVIEW_PX on its longest side (the
    same picture, the same proportions); a smaller frame is passed on as it is."""
    height, width = image.shape[:2]
    longest = max(height, width)
    if longest <= PREVIEW_PX:
        return image
    scale = PREVIEW_PX / longest
    return cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                      interpolation=cv2.INTER_AREA)


class PageLoop(_Loop):
    """Preview frames of the document camera, and one scan on request.

    ``on_preview(image)`` gets a frame a few times a second; :meth:`capture` runs
    ``scanner.scan()`` on this thread and gives ``on_page(jpeg_or_None, keys)``."""

    def __init__(self, camera: Camera | None, scanner: Scanner | None,
                 on_preview: Callable[[Any], None],
                 on_page: Callable[[bytes | None, tuple[str, ...]], None]) -> None:
        super().__init__("page-loop")
        self._camera = camera
        self._scanner = scanner
        self._on_preview = on_preview
        self._on_page = on_page
        self._scan = threading.Event()

    def capture(self) -> None:
        self._scan.set()

    def _run(self) -> None:
        seq = 0
        while not self._stop.is_set():
            if self._scan.is_set():
                self._scan.clear()
                self._do_scan()
                continue
            if self._camera is None:
                self._scan.wait(FRAME_WAIT_S)
                continue
            try:
                frame = self._camera.latest(timeout=FRAME_WAIT_S, after_seq=seq)
            except KioskError:
                continue
            seq = frame.seq
            self._on_preview(preview_image(frame.image))
            self._stop.wait(0.2)  # a preview at ~5 fps is enough to place a page

    def _do_scan(self) -> None:
        if self._scanner is None:
            self._on_page(None, ("document.guide.no_page",))
            return
        try:
            page: ScannedPage = self._scanner.scan()
        except KioskError as exc:
            self._on_page(None, (exc.i18n_key,))
            return
        if page.image is None:
            self._on_page(None, page.keys or ("document.guide.no_page",))
            return
        ok, buf = cv2.imencode(".jpg", page.image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        self._on_page(bytes(buf) if ok else None, page.keys)

    def stop(self) -> None:
        self._stop.set()
        self._scan.set()  # wakes a loop that waits for a scan request
        super().stop()


@dataclass
class JourneyServices:
    """What the journey screens use; ``kiosk.services.journey``."""

    starter: JourneyStarter
    devices: Mapping[str, Device]
    face_config: Any
    submission: Submission | None = None
    receipts: ReceiptService | None = None
    heartbeat: Heartbeat | None = None
    worker: Worker | None = None
    #: Fleet control's thread (fetches, commands); kiosk/wiring/fleet.py.
    fleet_worker: Worker | None = None
    rng: random.Random = field(default_factory=random.Random)
    #: False for a second site's journey on the same terminal (the headless walk):
    #: the outbox, sender, heartbeat and worker belong to the first one.
    owns_parts: bool = True
    _engine: FaceEngine | None = field(default=None, init=False, repr=False)
    _engine_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                         repr=False)

    def face_engine(self) -> FaceEngine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = FaceEngine()
            return self._engine

    def face_loop(self, card_photo: bytes, on_step: Callable[[Step, Any], None]
                  ) -> FaceLoop | None:
        """A started loop for the face step, or None without a face camera."""
        camera = self.devices.get("camera")
        if not isinstance(camera, Camera):
            return None
        photo = None
        if card_photo:
            decoded = cv2.imdecode(np.frombuffer(card_photo, np.uint8), cv2.IMREAD_COLOR)
            photo = None if decoded is None else np.asarray(decoded, np.uint8)
        verifier = FaceVerifier(self.face_engine(), photo, self.face_config,
                                clock=self.starter.clock, rng=self.rng)
        camera.enable()
        return FaceLoop(camera, verifier, on_step).start()

    def page_loop(self, on_preview: Callable[[Any], None],
                  on_page: Callable[[bytes | None, tuple[str, ...]], None]) -> PageLoop:
        doccam = self.devices.get("doccam")
        scanner = self.devices.get("scanner")
        for device in (doccam, scanner):
            if device is not None:
                device.enable()
        return PageLoop(doccam if isinstance(doccam, Camera) else None,
                        scanner if isinstance(scanner, Scanner) else None,
                        on_preview, on_page).start()

    def close(self) -> None:
        self.starter.stop()
        if not self.owns_parts:
            return
        if self.worker is not None:
            self.worker.close()
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.fleet_worker is not None:
            self.fleet_worker.close()
        if self.submission is not None:
            self.submission.close()


class _NoPrinter:
    """The receipt printer when the site has none: printing fails like paper out would
    not; the journey then offers the receipt on screen (QR) and a reprint."""

    def print_receipt(self, receipt: Any) -> None:
        raise DeviceUnavailable("no receipt printer", i18n_key="error.device_unavailable")


def attach_journey(kiosk: Kiosk, *, submit_wait_s: float | None = None,
                   heartbeat: bool = True,
                   share: JourneyServices | None = None) -> JourneyServices | None:
    """Build the journey's services onto ``kiosk`` (``kiosk.services.journey``).

    ``share``: the journey services of another site profile on this same terminal
    (the headless walk shows two): this kiosk gets its own starter (its site, catalog
    and session) on that one's outbox, sender and worker. Returns None (and attaches
    nothing) when no back office is configured."""
    config = kiosk.config
    if not kiosk.backoffice_url:
        return None
    rng = random.Random()
    # One clock for the journey and its submission: the day of the kiosk reference (the
    # filing date) and the 容缺 deadlines counted from it must never disagree. Requests
    # are signed with its timestamps, so it follows the system's time wherever the
    # back office is real (scripts/run and its walk: SteppedClock).
    wall = kiosk.clock
    submission = share.submission if share is not None else \
        build_submission(config, clock=wall, rng=rng, create_key=True)
    if submission is None:
        return None
    printer = kiosk.devices.get("printer")
    # Receipts in the site's language (the printer's resident texts, not the screen's).
    receipts = ReceiptService(printer, Translator(kiosk.site.default_language)) \
        if isinstance(printer, ReceiptPrinter) else None
    worker = share.worker if share is not None and share.worker is not None \
        else Worker("journey-worker")
    # 亮码: a code scanner with a driver (not "driver: none"); offered while it reads
    scanner = kiosk.devices.get("codescanner")
    if not isinstance(scanner, CodeScanner):
        scanner = None
    starter = JourneyStarter(
        catalog=kiosk.catalog,
        settings=JourneySettings.from_config(
            config, kiosk.site.id, code_identity=kiosk.site.offers_code and scanner is not None),
        clock=kiosk.clock, queue=submission.outbox, waiter=submission.sender,
        printer=receipts or _NoPrinter(),
        context=ReceiptContext(kiosk.site.name.get(kiosk.site.default_language),
                               config.devices.printer.query_base_url,
                               kiosk.site.default_language,
                               calendar=load_calendar(resolve(config.holidays_file)),
                               query_token=submission.client.query_token),
        session=kiosk.session, dispatch=worker, codes=CodeResolver(submission.client),
        code_ready=(lambda: scanner.status.ready) if scanner is not None else None,
        suspended=lambda: kiosk.maintenance.on,
        submit_wait_s=config.backoffice.submit_wait_s if submit_wait_s is None else submit_wait_s)
    if share is not None:
        services = JourneyServices(starter=starter, devices=kiosk.devices,
                                   face_config=config.face, submission=submission,
                                   receipts=receipts, heartbeat=share.heartbeat,
                                   worker=worker, rng=rng, owns_parts=False)
        kiosk.services.journey = services
        return services
    beat = None
    services = JourneyServices(starter=starter, devices=kiosk.devices,
                               face_config=config.face, submission=submission,
                               receipts=receipts, worker=worker, rng=rng)
    kiosk.services.journey = services
    if heartbeat:
        from kiosk.wiring.fleet import attach_fleet
        fleet = attach_fleet(kiosk, submission.client, services)
        data = config.terminal.data_path()
        beat = Heartbeat(submission.client, kiosk.devices, clock=wall,
                         outbox=submission.outbox, release=lambda: update_report(data),
                         fleet=fleet, site_id=kiosk.site.id)
        services.heartbeat = beat
    submission.sender.start()
    if beat is not None:
        beat.start()
    if kiosk.fleet is not None:
        kiosk.fleet.start()
    return services
