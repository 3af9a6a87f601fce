"""A camera simulator that speaks ``cv2.VideoCapture``'s interface.

It is injected into :class:`devices.camera.opencv.OpenCVCamera` as
``capture_factory=``, so the real driver and the real capture thread run against
it. What it plays is a *scene*: image files, a video file, a directory that
``scripts/run`` (or a technician) drops pictures into, or a synthetic scene
(a face photo moving towards the camera and turning its head; a document lying
on a desk, see :mod:`devices.camera.scenes`).

Like a real sensor it adds a little noise to every frame, so two frames are
never byte-identical unless the *frozen* fault is on. Faults (mutable, shared
with the test that injects them): no camera, unplugged (reads fail), black
frames, frozen frames, slow frames, and a number of corrupt frames.

Time comes from the injected clock: frames are paced at ``fps`` with
``clock.sleep`` (instant under ``FakeClock``) and scenes are rendered at
``clock.monotonic()`` minus the moment the capture was opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from devices.camera.base import Image, as_image
from kiosk.clock import Clock

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mkv", ".webm")


class Scene(Protocol):
    def render(self, t: float) -> Image:
        """The picture in front of the lens ``t`` seconds after the capture opened."""
        ...


@dataclass
class SimFaults:
    """Fault injection. Tests flip these while the camera runs."""

    no_camera: bool = False     # the device cannot be opened at all
    unplugged: bool = False     # reads fail (cable pulled)
    black: bool = False         # lens covered / dead sensor
    frozen: bool = False        # driver replays its last buffer
    slow_s: float = 0.0         # extra delay before every frame
    corrupt_frames: int = 0     # the next N reads return a truncated buffer


class StillScene:
    """Image files (or arrays) shown in turn, each for ``period_s``."""

    def __init__(self, images: Sequence[Image | Path | str], period_s: float = 1.0,
                 size: tuple[int, int] | None = None) -> None:
        loaded = [_load(i) for i in images]
        if not loaded:
            raise ValueError("StillScene needs at least one image")
        if size is not None:
            loaded = [as_image(cv2.resize(i, size, interpolation=cv2.INTER_AREA)) for i in loaded]
        self._images = loaded
        self._period = period_s

    def render(self, t: float) -> Image:
        index = int(t / self._period) % len(self._images) if self._period > 0 else 0
        return self._images[index].copy()


class VideoFileScene:
    """A video file, played frame by frame at the file's own rate, looping."""

    def __init__(self, path: Path | str) -> None:
        capture = cv2.VideoCapture(str(path))
        frames: list[Image] = []
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        # Bounded: simulator clips are short; a long file is cut at 2000 frames.
        while len(frames) < 2000:
            ok, image = capture.read()
            if not ok:
                break
            frames.append(as_image(image))
        capture.release()
        if not frames:
            raise ValueError(f"no frames in video file {path}")
        self._frames = frames
        self._fps = fps

    def render(self, t: float) -> Image:
        return self._frames[int(t * self._fps) % len(self._frames)].copy()


class DirectoryScene:
    """The newest image or video file in a directory; grey while there is none.

    ``scripts/run`` drops files here to put a face or a document in front of
    the simulated lens. A video file plays (looped) from the moment it is
    picked up: a still photo can never pass the head-turn challenge, a clip of
    a head turning can (see :func:`devices.camera.scenes.write_clip`). The
    directory is rescanned at most every ``rescan_s``.
    """

    def __init__(self, directory: Path | str, size: tuple[int, int] = (640, 480),
                 rescan_s: float = 0.5) -> None:
        self._dir = Path(directory)
        self._size = size
        self._rescan_s = rescan_s
        self._checked_at = -1e9
        self._current: tuple[str, float] | None = None
        self._image = np.full((size[1], size[0], 3), 96, np.uint8)
        self._video: VideoFileScene | None = None
        self._video_t0 = 0.0

    def render(self, t: float) -> Image:
        if t - self._checked_at >= self._rescan_s:
            self._checked_at = t
            self._rescan(t)
        if self._video is not None:
            return _fit(self._video.render(t - self._video_t0), self._size)
        return self._image.copy()

    def _rescan(self, t: float) -> None:
        suffixes = IMAGE_SUFFIXES + VIDEO_SUFFIXES
        files = [p for p in self._dir.glob("*") if p.suffix.lower() in suffixes] \
            if self._dir.is_dir() else []
        if not files:
            return
        newest = max(files, key=lambda p: p.stat().st_mtime)
        key = (newest.name, newest.stat().st_mtime)
        if key == self._current:
            return
        if newest.suffix.lower() in VIDEO_SUFFIXES:
            try:
                video = VideoFileScene(newest)
            except ValueError:  # half-written file: try again on the next rescan
                return
            self._current, self._video, self._video_t0 = key, video, t
            return
        image = cv2.imread(str(newest), cv2.IMREAD_COLOR)
        if image is None:  # half-written file: try again on the next rescan
            return
        self._current, self._video = key, None
        self._image = _fit(as_image(image), self._size)


class SimulatedCapture:
    """``cv2.VideoCapture`` look-alike over a :class:`Scene`."""

    def __init__(self, scene: Scene, *, clock: Clock, faults: SimFaults | None = None,
                 fps: float = 25.0, noise: float = 2.0, seed: int = 0) -> None:
        self._scene = scene
        self._clock = clock
        self.faults = faults or SimFaults()
        self._fps = fps
        self._noise = noise
        self._rng = np.random.default_rng(seed)
        self._noise_pool: dict[tuple[int, ...], list[npt.NDArray[np.int16]]] = {}
        self._opened = not self.faults.no_camera
        self._t0 = clock.monotonic()
        self._next_t = self._t0
        self._last: Image | None = None
        self._props: dict[int, float] = {}
        self.reads = 0

    @property
    def started_at(self) -> float:
        """``clock.monotonic()`` at scene time 0 (benchmarks time events in the scene)."""
        return self._t0

    # -- the cv2.VideoCapture interface ---------------------------------------------
    def isOpened(self) -> bool:
        return self._opened and not self.faults.no_camera

    def read(self) -> tuple[bool, Image | None]:
        if not self.isOpened() or self.faults.unplugged:
            return False, None
        self._pace()
        self.reads += 1
        if self.faults.corrupt_frames > 0:
            self.faults.corrupt_frames -= 1
            return True, np.zeros(317, np.uint8)  # a truncated buffer, not a picture
        if self.faults.frozen and self._last is not None:
            return True, self._last.copy()
        if self.faults.black:
            image = np.zeros_like(self._last) if self._last is not None \
                else np.zeros((480, 640, 3), np.uint8)
        else:
            image = self._scene.render(self._clock.monotonic() - self._t0)
            if self._noise > 0:
                image = self._add_noise(image)
        self._last = image
        return True, image.copy()

    def release(self) -> None:
        self._opened = False

    def set(self, prop_id: int, value: float) -> bool:
        self._props[prop_id] = value
        return True

    def get(self, prop_id: int) -> float:
        if prop_id == cv2.CAP_PROP_FPS:
            return self._fps
        return self._props.get(prop_id, 0.0)

    def _add_noise(self, image: Image) -> Image:
        # A small pool of noise planes, cycled: consecutive frames always differ (as on a
        # real sensor) without drawing millions of random numbers for every 12 MP frame.
        pool = self._noise_pool.get(image.shape)
        if pool is None:
            pool = [self._rng.normal(0.0, self._noise, image.shape).astype(np.int16)
                    for _ in range(3)]
            self._noise_pool[image.shape] = pool
        noise = pool[self.reads % len(pool)]
        noisy: Image = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        return noisy

    def _pace(self) -> None:
        if self.faults.slow_s > 0:
            self._clock.sleep(self.faults.slow_s)
        now = self._clock.monotonic()
        if now < self._next_t:
            self._clock.sleep(self._next_t - now)
            now = self._next_t
        self._next_t = now + 1.0 / self._fps


class SimulatorFactory:
    """``capture_factory=`` for OpenCVCamera. Every (re)open gets a fresh capture
    over the same scene and the same fault switches; ``captures`` keeps them for tests."""

    def __init__(self, scene: Scene, *, clock: Clock, faults: SimFaults | None = None,
                 fps: float = 25.0, noise: float = 2.0) -> None:
        self.scene = scene
        self.clock = clock
        self.faults = faults or SimFaults()
        self.fps = fps
        self.noise = noise
        self.captures: list[SimulatedCapture] = []

    def __call__(self, source: int | str) -> SimulatedCapture:
        capture = SimulatedCapture(self.scene, clock=self.clock, faults=self.faults,
                                   fps=self.fps, noise=self.noise, seed=len(self.captures))
        self.captures.append(capture)
        return capture


def _load(item: Image | Path | str) -> Image:
    if isinstance(item, np.ndarray):
        return item
    image = cv2.imread(str(item), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read image {item}")
    return as_image(image)


def _fit(image: Image, size: tuple[int, int]) -> Image:
    """Letterbox an image into ``size`` (w, h) on grey."""
    w, h = size
    if image.shape[1] == w and image.shape[0] == h:
        return image
    scale = min(w / image.shape[1], h / image.shape[0])
    nw, nh = max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))
    out = np.full((h, w, 3), 96, np.uint8)
    x, y = (w - nw) // 2, (h - nh) // 2
    out[y:y + nh, x:x + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return out

