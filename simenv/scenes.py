"""Faces and pages for the simulated cameras, and the matching ID card photo.

**The photos.** Real photos of public figures that ship inside packages the
vision tests already use, never committed and never downloaded here:

1. the face_recognition 1.3.0 sdist's test images, when the vision tests have
   unpacked them into ``var/testdata/`` (``obama.jpg`` on the card,
   ``obama3.jpg``, another (frontal) photo of the same man, in front of the camera,
   ``biden.jpg`` as "another person");
2. else Debian ``facedetect``'s Grace Hopper (card and camera: the same photo)
   and scikit-image's astronaut (another person).

With neither, the card carries no photo (face verification then takes the
configured fallback) and the face scenes other than ``none`` are refused.

**The card photo** is the holder's face cut like a 二代证 photo (102×126,
head and shoulders) and JPEG-encoded small enough (≤ 1007 B, grey) for the
1024-byte photo field with the simulator's *test* codec
(``devices.idcard.photo.SimJpegTestCodec``, ``photo_decoder: sim-jpeg``); it is
not a WLT image. At that size SFace still scores the same person well above
``face.threshold`` (≈ 0.58 on the package photos) and another person far below
(≈ 0.2), so verification succeeds or fails as it would at a real kiosk.

**Scenes** are still images that :class:`devices.camera.simulator.DirectoryScene`
(camera ``source: sim:dir:PATH``) shows: the newest picture in the directory
wins, so a scene change is one atomic file rename.

* face camera: ``none`` (nobody), ``holder`` (the card holder, a still:
  enough with ``face.liveness: false``), ``holder_live`` (a looping clip of
  the holder turning the head both ways, which passes the head-turn challenge
  whichever way it asks; rendered once, a few seconds, on first use),
  ``holder_left`` / ``holder_right`` (stills, head turned), ``other``
  (another person), ``two`` (holder and another person), ``far`` (holder far
  away);
* document camera: ``none`` (empty desk), ``document`` (a synthetic A4 page of
  Chinese text, see devices/camera/synthetic.py), ``document2`` (another one);
* both: ``covered`` (lens covered: black frames; the driver reports
  ``device.reason.camera_black`` after ``frozen_after_s`` of a session). A
  frozen or unplugged camera cannot be made from outside: those faults live in
  the capture object inside the kiosk process (``SimFaults``).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from devices.camera.base import Image, as_image
from devices.camera.scenes import Portrait, composite_face
from devices.camera.scenes import _office_background as office_background
from devices.idcard.photo import SimJpegTestCodec
from kiosk.config.model import ROOT
from kiosk.errors import SimulationError
from simenv.procs import scene_dir

FACE_SCENES = ("none", "holder", "holder_live", "holder_left", "holder_right", "other", "two",
               "far", "covered")
DOC_SCENES = ("none", "document", "document2", "covered")
FR_IMAGES = ROOT / "var" / "testdata" / "face_recognition-1.3.0" / "tests" / "test_images"
GRACE_HOPPER = Path("/usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg")
CARD_SIZE = (102, 126)


@dataclass(frozen=True)
class People:
    """Source photos: the card's, the live one of the same person, another person."""

    source: str
    card: Image
    live: Image
    other: Image


def _read(path: Path) -> Image | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else as_image(image)


def find_people() -> People | None:
    """The best photo set available offline (module docstring), or None."""
    card, live, other = (_read(FR_IMAGES / n) for n in ("obama.jpg", "obama3.jpg", "biden.jpg"))
    if card is not None and live is not None and other is not None:
        return People("face_recognition 1.3.0 test images", card, live, other)
    hopper = _read(GRACE_HOPPER) if GRACE_HOPPER.exists() else None
    try:
        from skimage import data
        rgb = data.astronaut()  # type: ignore[no-untyped-call]
        astronaut: Image | None = as_image(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    except ImportError:
        astronaut = None
    if hopper is not None and astronaut is not None:
        return People("facedetect grace_hopper + scikit-image astronaut", hopper, hopper,
                      astronaut)
    return None


def card_jpeg(image: Image, face: tuple[float, float, float, float]) -> bytes:
    """A 102×126 card photo around ``face`` as a JPEG that fits the test codec."""
    x, y, w, h = face
    cx, cy, height = x + w / 2, y + h / 2, h * 1.8
    width = height * CARD_SIZE[0] / CARD_SIZE[1]
    x0, y0 = max(0, int(cx - width / 2)), max(0, int(cy - height / 2))
    x1, y1 = min(image.shape[1], int(cx + width / 2)), min(image.shape[0], int(cy + height / 2))
    crop = cv2.resize(image[y0:y1, x0:x1], CARD_SIZE, interpolation=cv2.INTER_AREA)
    for src in (crop, cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)):
        for quality in range(90, 5, -5):
            ok, buf = cv2.imencode(".jpg", src, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                                 cv2.IMWRITE_JPEG_OPTIMIZE, 1])
            if ok and len(buf) <= SimJpegTestCodec.MAX_JPEG:
                return bytes(buf)
    raise SimulationError("cannot fit a card photo into the 1024-byte photo field")


class SceneKit:
    """Renders and switches scenes; prepares the card photo. Heavy work (the face
    detector, the synthetic page) runs once, in :meth:`prepare`, off the start-up path."""

    def __init__(self, directory: Path, sizes: dict[str, tuple[int, int]]) -> None:
        self.dir = directory
        self.sizes = sizes                    # kind ("camera", "doccam") -> (w, h)
        self.card_photo: Path | None = None   # JPEG for the idcard simulator's "place"
        self.people_source = ""
        self._portraits: dict[str, Portrait] = {}
        self._ready = threading.Event()
        self._error: str | None = None
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self.current: dict[str, str] = {}

    def scene_dir(self, kind: str) -> Path:
        return scene_dir(self.dir, kind)

    def start(self) -> None:
        """Blank scenes now (cheap); faces and pages prepared in a background thread."""
        for kind, size in self.sizes.items():
            self.scene_dir(kind).mkdir(parents=True, exist_ok=True)
            self._write(kind, "none", self._blank(kind, size))
        threading.Thread(target=self.prepare, name="simenv-scenes", daemon=True).start()

    def prepare(self) -> None:
        try:
            people = find_people()
            if people is not None:
                from kiosk.face.engine import FaceEngine  # the detector: only here

                engine = FaceEngine()
                for role, image in (("card", people.card), ("live", people.live),
                                    ("other", people.other)):
                    faces = engine.detect(image)
                    if not faces:
                        raise SimulationError(f"no face found in the {role} photo")
                    f = faces[0]
                    self._portraits[role] = Portrait(image, (f.x, f.y, f.w, f.h),
                                                     f.landmarks[2])
                card = self._portraits["card"]
                photo = self.dir / "photos" / "card-holder.jpg"
                photo.parent.mkdir(parents=True, exist_ok=True)
                photo.write_bytes(card_jpeg(card.image, card.face))
                self.card_photo = photo
                self.people_source = people.source
        except SimulationError as err:
            self._error = str(err)
        finally:
            self._ready.set()

    def wait_prepared(self, timeout_s: float = 30.0) -> None:
        if not self._ready.wait(timeout_s):
            raise SimulationError("scene photos not prepared in time")
        if self._error:
            raise SimulationError(self._error)

    # -- scenes -------------------------------------------------------------------
    def set_scene(self, kind: str, name: str) -> Path:
        if kind not in self.sizes:
            raise SimulationError(f"no simulated camera {kind!r} ({', '.join(self.sizes)})")
        names = FACE_SCENES if kind == "camera" else DOC_SCENES
        if name not in names:
            raise SimulationError(f"unknown {kind} scene {name!r} ({', '.join(names)})")
        size = self.sizes[kind]
        if name == "none":
            image = self._blank(kind, size)
        elif name == "covered":
            image = as_image(np.zeros((size[1], size[0], 3), np.uint8))
        elif name == "holder_live":
            return self._show_clip(kind, name, size)
        elif kind == "camera":
            self.wait_prepared()
            image = self._face_scene(name, size)
        else:
            from devices.camera.synthetic import synthetic_frame  # heavy: only when asked

            image = as_image(synthetic_frame(1 if name == "document" else 2, size=size).frame)
        return self._write(kind, name, image)

    def _face_scene(self, name: str, size: tuple[int, int]) -> Image:
        if "live" not in self._portraits:
            raise SimulationError("no face photos available offline (install facedetect, "
                                  "or run the vision tests once to unpack their photos)")
        frame = office_background(size).copy()
        live, other = self._portraits["live"], self._portraits["other"]
        if name == "two":
            composite_face(frame, live, 0.3, 0.45, 0.35)
            composite_face(frame, other, 0.72, 0.45, 0.35)
        elif name == "far":
            composite_face(frame, live, 0.5, 0.45, 0.12)
        else:
            turn = {"holder_left": 0.8, "holder_right": -0.8}.get(name, 0.0)
            composite_face(frame, other if name == "other" else live, 0.5, 0.45, 0.42, turn)
        return as_image(frame)

    def _show_clip(self, kind: str, name: str, size: tuple[int, int]) -> Path:
        from devices.camera.scenes import FaceScene, both_ways_keys, write_clip

        self.wait_prepared()
        if "live" not in self._portraits:
            raise SimulationError("no face photos available offline")
        clips = self.dir / "camera" / ".clips"  # rendered outside the scene directory
        clips.mkdir(parents=True, exist_ok=True)
        clip = clips / f"{name}-{size[0]}x{size[1]}.avi"
        if not clip.exists():
            scene = FaceScene(self._portraits["live"], both_ways_keys(), size=size, loop=True)
            write_clip(scene, clips / f".{name}.avi", seconds=both_ways_keys()[-1].t)
            (clips / f".{name}.avi").replace(clip)
        with self._lock:
            final = self.scene_dir(kind) / f"{next(self._counter):05d}-{name}.avi"
            tmp = final.with_suffix(".tmp")
            tmp.write_bytes(clip.read_bytes())
            tmp.replace(final)
            self._remove_others(kind, final)
            self.current[kind] = name
        return final

    def _remove_others(self, kind: str, keep: Path) -> None:
        for old in self.scene_dir(kind).iterdir():
            if old != keep and old.suffix in (".png", ".avi"):
                with contextlib.suppress(FileNotFoundError):
                    old.unlink()

    def _blank(self, kind: str, size: tuple[int, int]) -> Image:
        if kind == "camera":
            return as_image(office_background(size))
        w, h = size  # an empty desk: warm grey wood-ish, a little texture
        rng = np.random.default_rng(7)
        desk = np.full((h, w, 3), (92, 120, 150), np.float32)
        desk += rng.normal(0, 6, (h, w, 1)).astype(np.float32)
        return as_image(np.clip(desk, 0, 255))

    def _write(self, kind: str, name: str, image: Image) -> Path:
        """Atomically make ``image`` the newest file; remove the older ones."""
        with self._lock:
            directory = self.scene_dir(kind)
            n = next(self._counter)
            final = directory / f"{n:05d}-{name}.png"
            ok, png = cv2.imencode(".png", image)
            if not ok:
                raise SimulationError(f"cannot encode the {kind} scene {name}")
            tmp = directory / f".{n:05d}.tmp"  # not an image name: the camera never reads it
            tmp.write_bytes(png.tobytes())
            tmp.replace(final)
            self._remove_others(kind, final)
            self.current[kind] = name
            return final
