"""Real face photos for the tests, taken from packages (never committed).

* Debian ``facedetect``: Grace Hopper (``/usr/share/doc/facedetect/examples``);
* scikit-image: ``skimage.data.astronaut()`` (Eileen Collins);
* the face_recognition 1.3.0 source distribution: its test images, three
  photos of Barack Obama (``obama.jpg``, ``obama2.jpg``, ``obama3.jpg``, plus
  ``32bit.png``, a copy of obama2 and two partial-face crops) and one of Joe Biden.
  The sdist is fetched once with pip into ``var/testdata/`` and unpacked there.

Anything that cannot be obtained raises :class:`PhotoUnavailable` with the
reason; fixtures turn that into a skip, so a machine without network still runs
every other test, and says why it skipped these.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / "var" / "testdata"
GRACE_HOPPER = Path("/usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg")
SDIST = "face_recognition-1.3.0"
SDIST_IMAGES = f"{SDIST}/tests/test_images/"

Image = npt.NDArray[np.uint8]

#: Same-person groups among the package photos (32bit.png is obama2 saved as PNG).
OBAMA = ("obama.jpg", "obama2.jpg", "obama3.jpg", "obama_partial_face.jpg",
         "obama_partial_face2.jpg")
BIDEN = ("biden.jpg",)


class PhotoUnavailable(Exception):
    pass


def _read(path: Path) -> Image:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise PhotoUnavailable(f"cannot read {path}")
    return np.asarray(image, np.uint8)


def grace_hopper() -> Image:
    if not GRACE_HOPPER.exists():
        raise PhotoUnavailable(f"{GRACE_HOPPER} missing: install the Debian package facedetect")
    return _read(GRACE_HOPPER)


def astronaut() -> Image:
    try:
        from skimage import data
    except ImportError as error:
        raise PhotoUnavailable("scikit-image is not installed (pip install -e .[dev])") from error
    rgb = data.astronaut()  # type: ignore[no-untyped-call]
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), np.uint8)


def face_recognition_dir(cache: Path = CACHE) -> Path:
    """The unpacked test_images directory of the face_recognition 1.3.0 sdist."""
    images = cache / SDIST_IMAGES
    if (images / "biden.jpg").exists():
        return images
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"{SDIST}.tar.gz"
    if not archive.exists():
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--no-binary", ":all:", "--disable-pip-version-check",
                   "face_recognition==1.3.0", "-d", str(cache)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PhotoUnavailable(f"pip download of {SDIST} failed: {error}") from error
        if done.returncode != 0 or not archive.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PhotoUnavailable(f"pip download of {SDIST} failed: {tail[0]}")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers()
                   if m.name.startswith(SDIST_IMAGES) and m.isfile()]
        tar.extractall(cache, members=members, filter="data")
    if not (images / "biden.jpg").exists():
        raise PhotoUnavailable(f"{archive} has no {SDIST_IMAGES}biden.jpg")
    return images


def face_recognition_photo(name: str) -> Image:
    return _read(face_recognition_dir() / name)


def card_photo(image: Image, face_box: tuple[float, float, float, float]) -> Image:
    """A 102×126 ID-card-sized photo cut around a face, like the decoded WLT photo.

    The resident card photo is a head-and-shoulders portrait 102×126 pixels
    (GA/T 467): the face takes a little over half of its height.
    """
    x, y, w, h = face_box
    cx, cy = x + w / 2, y + h / 2
    height = h * 1.8
    width = height * 102 / 126
    x0, y0 = max(0, int(cx - width / 2)), max(0, int(cy - height / 2))
    x1 = min(image.shape[1], int(cx + width / 2))
    y1 = min(image.shape[0], int(cy + height / 2))
    crop = image[y0:y1, x0:x1]
    return np.asarray(cv2.resize(crop, (102, 126), interpolation=cv2.INTER_AREA), np.uint8)
