"""The camera interface: a capture thread that always hands out the latest frame.

Drivers supply three primitives (``_open_capture``, ``_read_frame``,
``_close_capture``); this class owns the behaviour every camera shares:

* **Latest frame, not a queue.** A face check must look at what is in front of
  the lens *now*; a queue of stale frames would make guidance lag behind the
  citizen. Each good read replaces the one slot; ``latest(after_seq=)`` waits for
  a newer one.
* **Privacy.** Frames are read only while the device is enabled (a citizen
  session is active). ``disable()`` stops reading and drops the slot, so no frame
  outlives the session. Frames are never written to disk.
* **Unplug.** ``max_read_failures`` failed reads in a row (or a failed open) make
  the camera UNAVAILABLE with ``device.reason.camera_unplugged``; the capture is
  released and reopened every ``reopen_interval_s`` until it works again.
* **Frozen.** A real sensor always has noise, so byte-identical frames mean the
  driver is replaying its last buffer. Identical frames, or no new frame at all,
  for ``frozen_after_s`` make the camera UNAVAILABLE with
  ``device.reason.camera_frozen``. All-black frames for as long give
  ``device.reason.camera_black`` (lens covered, sensor dead). Both recover by
  themselves when good frames come back.

Time comes from the injected clock. Tests drive ``poll_once()`` directly with a
``FakeClock``; the thread, ``open()``/``close()`` and reopen timing are
:class:`devices.base.PollingDevice`'s; the camera's loop idles while no session
is active and paces reads by the frame rate.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from devices.base import REASON_CLOSED as REASON_CLOSED
from devices.base import DeviceState, DeviceStatus, MediaStatus, PollingDevice
from kiosk.clock import Clock
from kiosk.errors import CameraError, DeviceTimeout, DeviceUnavailable

Image = npt.NDArray[np.uint8]

REASON_UNPLUGGED = "device.reason.camera_unplugged"
REASON_FROZEN = "device.reason.camera_frozen"
REASON_BLACK = "device.reason.camera_black"

#: Mean grey level at or below which a frame counts as black (8-bit).
BLACK_LEVEL = 4.0


@dataclass(frozen=True)
class Frame:
    """One captured picture. ``image`` is BGR uint8 (OpenCV's order)."""

    image: Image
    seq: int
    t: float  # clock.monotonic() when it was read


class Camera(PollingDevice):
    kind = "camera"
    join_timeout_s = 5.0

    def __init__(self, name: str, *, clock: Clock, fps: float = 25.0,
                 frozen_after_s: float = 2.0, max_read_failures: int = 5,
                 reopen_interval_s: float = 1.0) -> None:
        period = 1.0 / fps if fps > 0 else 0.0
        super().__init__(name, clock=clock, poll_interval_s=period,
                         reopen_interval_s=reopen_interval_s)
        self._period = period
        self._frozen_after_s = frozen_after_s
        self._max_read_failures = max_read_failures
        self._cond = threading.Condition(self._lock)
        self._frame: Frame | None = None
        self._seq = 0
        self._capture_open = False
        self._failures_in_row = 0
        self._last_signature: bytes | None = None
        self._last_change_t: float | None = None   # last frame that differed from the one before
        self._last_good_t: float | None = None     # last frame that was not black
        for key in ("frames", "read_failures", "reopens", "frozen_events"):
            self.counters.extra[key] = 0

    # -- primitives (drivers) ----------------------------------------------------
    def _open_capture(self) -> None:
        """Open the hardware. Raise DeviceUnavailable (with detail) when impossible."""
        raise NotImplementedError

    def _read_frame(self) -> Image | None:
        """Block for the next frame; None when the read failed."""
        raise NotImplementedError

    def _close_capture(self) -> None:
        raise NotImplementedError

    # -- lifecycle ------------------------------------------------------------
    def open(self) -> None:
        """Open the capture and start the capture thread. Never raises."""
        self._try_open()
        super().open()

    def open_without_thread(self) -> None:
        """Open the capture only; the caller drives ``poll_once()`` (tests, diagnostics)."""
        self._try_open()

    def _closed(self) -> None:
        with self._lock:
            self._release()
            self._frame = None

    def enable(self) -> None:
        with self._lock:
            super().enable()
            # A new session starts the frozen/black clocks afresh.
            self._last_change_t = self._last_good_t = None
            self._last_signature = None
        self._wake.set()

    def disable(self) -> None:
        with self._cond:
            super().disable()
            self._frame = None  # privacy: nothing survives the session
            self._last_signature = None
            self._cond.notify_all()

    # -- frames ---------------------------------------------------------------
    def latest(self, timeout: float = 1.0, after_seq: int = 0) -> Frame:
        """The newest frame with ``seq > after_seq``, waiting up to ``timeout`` seconds.

        Raises CameraError when disabled or unavailable, DeviceTimeout when no
        new frame came in time.
        """
        with self._cond:
            self._check_stalled()
            if not self._enabled:
                raise CameraError("camera is disabled (no citizen session)")
            ok = self._cond.wait_for(
                lambda: (self._frame is not None and self._frame.seq > after_seq)
                or not self._enabled, timeout=timeout)
            if not self._enabled:
                raise CameraError("camera was disabled while waiting")
            if not ok or self._frame is None:
                self._check_stalled()
                if not self.status.ready:
                    raise DeviceUnavailable(f"camera {self.name}: {self.status.reason}")
                raise DeviceTimeout(f"camera {self.name}: no new frame within {timeout:.2f} s")
            return self._frame

    @property
    def frame_count(self) -> int:
        return self._seq

    # -- the capture step -------------------------------------------------------
    def poll_once(self) -> Frame | None:
        """One capture step: (re)open if needed, read, classify, publish."""
        if not self._enabled:
            return None
        now = self._clock.monotonic()
        with self._lock:
            if not self._capture_open:
                if not self._reopen_due(now):
                    return None
                self.counters.extra["reopens"] += 1
                if not self._try_open():
                    return None
        try:
            image = self._read_frame()
        except CameraError as error:
            self._record_failure(error)
            image = None
        now = self._clock.monotonic()
        with self._cond:
            if not self._enabled:
                return None
            if image is None or not _plausible(image):
                self._read_failed(now)
                return None
            self._failures_in_row = 0
            return self._classify_and_publish(image, now)

    def _classify_and_publish(self, image: Image, now: float) -> Frame | None:
        black = float(image.mean()) <= BLACK_LEVEL
        if black:
            # A covered lens gives (near-)identical black frames: report it as black,
            # which tells the technician more than "frozen" would.
            self._last_change_t = now
            if self._last_good_t is None:
                self._last_good_t = now
            elif now - self._last_good_t >= self._frozen_after_s and self.status.ready:
                self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, reason=REASON_BLACK,
                                              detail="frames are black"))
        signature = _signature(image)
        if signature == self._last_signature:
            self._check_stalled(now)
            return None  # identical bytes carry no news; do not hand them out again
        self._last_signature = signature
        self._last_change_t = now
        if not black:
            self._last_good_t = now
        self._seq += 1
        self.counters.extra["frames"] += 1
        self._record_operation()
        frame = Frame(image, self._seq, now)
        self._frame = frame
        if not black and not self.status.ready:
            self._set_status(DeviceStatus(DeviceState.READY))
        self._cond.notify_all()
        return frame

    def _read_failed(self, now: float) -> None:
        self.counters.extra["read_failures"] += 1
        self._failures_in_row += 1
        if self._failures_in_row >= self._max_read_failures:
            self._release()
            self._frame = None
            self._schedule_reopen(now)
            self._set_unavailable(REASON_UNPLUGGED,
                                  detail=f"{self._failures_in_row} failed reads in a row",
                                  media=MediaStatus.NOT_APPLICABLE)

    def _check_stalled(self, now: float | None = None) -> None:
        """Frozen = identical frames or no frame at all for ``frozen_after_s``."""
        if not self._enabled or not self._capture_open:
            return
        now = self._clock.monotonic() if now is None else now
        if self._last_change_t is None:
            self._last_change_t = now
            return
        if now - self._last_change_t >= self._frozen_after_s and self.status.ready:
            self.counters.extra["frozen_events"] += 1
            self._frame = None
            self._set_status(DeviceStatus(
                DeviceState.UNAVAILABLE, reason=REASON_FROZEN,
                detail=f"no new frame for {now - self._last_change_t:.1f} s"))

    # -- helpers ----------------------------------------------------------------
    def _try_open(self) -> bool:
        with self._lock:
            try:
                self._open_capture()
            except DeviceUnavailable as error:
                self._capture_open = False
                self._schedule_reopen()
                self._set_unavailable(REASON_UNPLUGGED, error, detail=error.detail,
                                      media=MediaStatus.NOT_APPLICABLE)
                return False
            self._capture_open = True
            self._failures_in_row = 0
            self._last_change_t = None
            self._set_status(DeviceStatus(DeviceState.READY))
            return True

    def _release(self) -> None:
        if self._capture_open:
            self._capture_open = False
            self._close_capture()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._enabled:
                # Privacy: no reads at all while no session is active.
                self._wake.wait(timeout=0.5)
                self._wake.clear()
                continue
            started = self._clock.monotonic()
            self.poll_once()
            if not self._capture_open:
                self._stop.wait(self._reopen_interval_s / 4)
                continue
            spare = self._period - (self._clock.monotonic() - started)
            if spare > 0:
                self._stop.wait(spare)

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        with self._lock:
            frame = self._frame
            data["capture_open"] = self._capture_open
            data["frame_shape"] = list(frame.image.shape) if frame is not None else None
        return data


def as_image(array: object) -> Image:
    """OpenCV's results typed as the uint8 images they are (no copy when already uint8)."""
    return np.asarray(array, dtype=np.uint8)


def _plausible(image: object) -> bool:
    """A frame the rest of the kiosk can use: HxWx3 uint8, not empty (corrupt reads fail)."""
    return (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[2] == 3 and image.shape[0] >= 8 and image.shape[1] >= 8)


def _signature(image: Image) -> bytes:
    """Cheap exact-equality fingerprint: every 7th pixel of every 7th row."""
    return bytes(np.ascontiguousarray(image[::7, ::7]).data)
