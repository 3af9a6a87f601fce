"""The receipt printer: behaviour shared by every transport.

A driver supplies four primitives (open/close the transport, write bytes, read
what the printer answered within a timeout); this class owns everything else:

* before each job, the real-time status (``DLE EOT 1``, ``2``, ``4``) becomes
  a :class:`DeviceStatus` (READY/UNAVAILABLE, paper PRESENT/LOW/EMPTY, cover
  open, offline) and a job is refused with a typed error when the printer
  cannot print;
* the document is rendered to one ESC/POS job (text, raster or auto, see
  :mod:`devices.printer.render`) and sent in pieces cut at command boundaries,
  with a paper/cover check after each piece, so paper running out mid-job is
  noticed and the job reported failed;
* the last job (failed or not) is kept in memory, and :meth:`reprint_last`
  sends the whole of it again after recovery. It holds masked personal data
  only, and is dropped when the citizen session ends (:meth:`disable`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devices.base import Device, DeviceState, DeviceStatus, MediaStatus
from devices.fontchain import FontFile
from devices.printer import commands as cmd
from devices.printer.document import Document
from devices.printer.profile import Mode, PrinterProfile
from devices.printer.status import PrinterStatusBits
from kiosk.clock import Clock, SystemClock
from kiosk.errors import (
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    PrinterError,
    ProtocolError,
)

if TYPE_CHECKING:
    from devices.printer.glyphs import GlyphCache
    from devices.printer.render import JobMode, RenderedJob

# The renderer and the glyph cache (NumPy, Pillow, qrcode) are imported with the first
# receipt, not with the driver: the kiosk builds its printer before Home is shown.

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    """What happened to one print job. ``error`` is None when it printed."""

    kind: str
    mode: JobMode
    bytes_sent: int
    total_bytes: int
    status: DeviceStatus
    error: DeviceError | None = None
    reprint: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def i18n_key(self) -> str | None:
        """The message for the citizen when the job failed (e.g. error.paper_out)."""
        return None if self.error is None else self.error.i18n_key

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error


def _reason(error: DeviceError) -> str:
    """The ``device.reason.*`` key a DeviceStatus shows for a transport error."""
    if error.i18n_key.startswith("device.reason."):
        return error.i18n_key
    if isinstance(error, DeviceTimeout):
        return "device.reason.no_answer"
    if isinstance(error, ProtocolError):
        return "device.reason.printer_error"
    return "device.reason.unknown"


class ReceiptPrinter(Device):
    """Base of every receipt printer driver."""

    kind = "printer"
    #: Whether the transport carries the printer's answers back (DLE EOT).
    two_way: bool = True

    def __init__(self, name: str, profile: PrinterProfile, *, mode: Mode = "auto",
                 clock: Clock | None = None, glyphs: GlyphCache | None = None,
                 fallback_fonts: Sequence[FontFile] = (),
                 status_timeout_s: float = 1.0, job_timeout_s: float = 5.0,
                 chunk_bytes: int = 4096) -> None:
        super().__init__(name)
        self.profile = profile
        self.mode: Mode = mode
        self.clock = clock or SystemClock()
        self._glyphs = glyphs
        self._fallback_fonts = tuple(fallback_fonts)  # for rare characters in raster mode
        self.status_timeout_s = status_timeout_s
        self.job_timeout_s = job_timeout_s
        self.chunk_bytes = chunk_bytes
        # One conversation with the printer at a time: a status poll from another
        # thread must never land inside a job (in GS v 0 data it would be dots).
        self._job_lock = threading.RLock()
        self._last: RenderedJob | None = None
        self._connected = False

    # -- primitives (drivers) -----------------------------------------------------
    def _open_transport(self) -> None:
        raise NotImplementedError

    def _close_transport(self) -> None:
        raise NotImplementedError

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _read(self, timeout_s: float) -> bytes:
        """Bytes the printer sent, waiting at most ``timeout_s``; b"" if none."""
        raise NotImplementedError

    # -- lifecycle ------------------------------------------------------------------
    def open(self) -> None:
        try:
            self._connect()
            self.refresh_status()
        except DeviceError as exc:
            self._record_failure(exc)
            self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, MediaStatus.UNKNOWN,
                                          _reason(exc), exc.detail))

    def close(self) -> None:
        if self._connected:
            self._connected = False
            try:
                self._close_transport()
            except DeviceError as exc:
                log.warning("closing printer %s: %s", self.name, exc)
        self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.not_opened"))

    def disable(self) -> None:
        """Session over: forget the last job (it holds the citizen's masked data)."""
        super().disable()
        with self._job_lock:
            self._last = None

    def _connect(self) -> None:
        if not self._connected:
            self._open_transport()
            self._connected = True

    def _drop_connection(self) -> None:
        self._connected = False
        try:
            self._close_transport()
        except DeviceError as exc:
            log.debug("dropping printer connection: %s", exc)

    # -- status -----------------------------------------------------------------------
    @property
    def supports_status(self) -> bool:
        return self.two_way and self.profile.status

    def query_status(self, timeout_s: float | None = None) -> PrinterStatusBits:
        """Ask DLE EOT 1, 2 and 4. Raises DeviceTimeout, ProtocolError, DeviceUnavailable."""
        timeout = self.status_timeout_s if timeout_s is None else timeout_s
        with self._job_lock:
            self._connect()
            answers = []
            try:
                for query in (cmd.STATUS_PRINTER, cmd.STATUS_OFFLINE, cmd.STATUS_PAPER):
                    self._write(query)
                    answers.append(self._read_byte(timeout))
            except (DeviceTimeout, DeviceUnavailable):
                self._drop_connection()  # a late answer must not be read as the next one
                raise
        return PrinterStatusBits.parse(*answers)

    def _read_byte(self, timeout_s: float) -> int:
        data = self._read(timeout_s)
        if not data:
            raise DeviceTimeout(f"no status answer within {timeout_s:.1f} s")
        # One query, one answer byte. After a timeout the connection is dropped
        # (see _run), so a late answer cannot be taken for the next one.
        return data[-1]

    def refresh_status(self) -> DeviceStatus:
        """Query the printer now and publish what it said."""
        if not self.supports_status:
            with self._job_lock:
                self._connect()
            status = DeviceStatus(DeviceState.READY, MediaStatus.UNKNOWN)
        else:
            status = self.query_status().device_status()
        self._set_status(status)
        return status

    # -- jobs ---------------------------------------------------------------------------
    @property
    def glyphs(self) -> GlyphCache:
        if self._glyphs is None:
            # a few hundred ms: only when first needed
            from devices.printer.glyphs import GlyphCache
            self._glyphs = GlyphCache(fallbacks=self._fallback_fonts)
        return self._glyphs

    def warm_up(self) -> None:
        """Load the CJK faces now (about half a second), e.g. on a background thread at
        start, so the first raster receipt (a rare character in a name) does not wait."""
        cache = self.glyphs
        for ch in "受理回执：0Aa-":
            cache.cell(ch)

    def render(self, doc: Document, mode: Mode | None = None) -> RenderedJob:
        from devices.printer.render import render
        return render(doc, self.profile, mode or self.mode, self.glyphs)

    @property
    def last_job(self) -> RenderedJob | None:
        return self._last

    def print_document(self, doc: Document, mode: Mode | None = None) -> JobResult:
        """Render and print ``doc``; the job is kept for :meth:`reprint_last`."""
        try:
            job = self.render(doc, mode)
        except DeviceError as exc:  # no usable font, a QR code too large for its symbol
            self._record_failure(exc)
            log.warning("print job %s not rendered: %s", doc.kind, exc)
            return JobResult(doc.kind, "text", 0, 0, self.status, exc)
        with self._job_lock:
            self._last = job
            return self._run(job, reprint=False)

    def reprint_last(self) -> JobResult:
        """Send the whole last job again (after paper was loaded, the cover closed...)."""
        with self._job_lock:
            if self._last is None:
                raise PrinterError("nothing to reprint")
            return self._run(self._last, reprint=True)

    def _run(self, job: RenderedJob, *, reprint: bool) -> JobResult:
        sent = 0
        try:
            if self.supports_status:
                before = self.query_status()
                self._set_status(before.device_status())
                refused = before.error_for()
                if refused is not None:
                    return self._failed(job, sent, refused, reprint)
            else:
                self._connect()
            self._update_status(state=DeviceState.BUSY)
            status = DeviceStatus(DeviceState.READY, MediaStatus.UNKNOWN)
            for piece in job.chunks(self.chunk_bytes):
                self._write(piece)
                sent += len(piece)
                if self.supports_status:
                    # The answer comes after the printer has taken everything before
                    # it, so after the last piece it also covers the cut.
                    now = self.query_status(self.job_timeout_s)
                    status = now.device_status()
                    stopped = now.error_for()
                    if stopped is not None:
                        self._set_status(status)
                        return self._failed(job, sent, stopped, reprint)
            self._set_status(status)
        except DeviceError as exc:
            if isinstance(exc, DeviceUnavailable | DeviceTimeout) and self._connected:
                self._drop_connection()
            self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, MediaStatus.UNKNOWN,
                                          _reason(exc), exc.detail))
            return self._failed(job, sent, exc, reprint)
        self._record_operation()
        log.info("printed %s (%s mode, %d bytes%s)", job.kind, job.mode, len(job.data),
                 ", reprint" if reprint else "")
        return JobResult(job.kind, job.mode, sent, len(job.data), status, None, reprint)

    def _failed(self, job: RenderedJob, sent: int, error: DeviceError,
                reprint: bool) -> JobResult:
        self._record_failure(error)
        log.warning("print job %s failed after %d of %d bytes: %s", job.kind, sent,
                    len(job.data), error)
        return JobResult(job.kind, job.mode, sent, len(job.data), self.status, error, reprint)

    # -- technicians ------------------------------------------------------------------------
    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        last = self._last
        data.update({
            "profile": self.profile.describe(),
            "mode": self.mode,
            "transport": self.transport_name(),
            "last_job": None if last is None else {
                "kind": last.kind, "mode": last.mode, "bytes": len(last.data),
                "reason": last.reason, "substitutions": last.substitutions},
        })
        return data

    def transport_name(self) -> str:
        return type(self).__name__
