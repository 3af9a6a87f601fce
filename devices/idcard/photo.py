"""Turning the card's 1024-byte photo field into an image: a pluggable decoder.

The photo on a 二代证 is a "WLT" file, a compressed format that only the reader
vendors' libraries decode (into a 102×126 BMP). We ship no such decoder and do
not pretend to. Configuration ``devices.idcard.photo_decoder`` chooses:

* ``""`` (default): no decoder. The photo is *unavailable*; face verification
  follows ``face.fallback`` (staff check or deny).
* a path to a vendor library: :class:`WltLibrary`, a ctypes adapter loaded on
  first use. It expects the interface the common vendor builds of ``libwlt``
  export, ``int unpack(char *wlt, char *bmp_out, int save_bmp)`` returning 1 on
  success and writing a 38862-byte BMP (102×126, 24-bit, rows padded to 308 B).
  This is an ASSUMPTION from vendor SDK headers; other libraries need another
  adapter implementing :class:`PhotoDecoder`. Failures make the photo
  unavailable with reason ``device.reason.idcard_photo_decoder``.
* ``"sim-jpeg"``: :class:`SimJpegTestCodec`. NOT a WLT decoder. It exists only
  so that the simulator can carry a real face photo through the real driver and
  face verification can be tested end to end: the simulator puts a magic prefix,
  a length and a small JPEG into the photo field. A real card never carries it,
  and the codec refuses anything without the magic prefix.

A decoder returns encoded image bytes (BMP or JPEG) for ``cv2.imdecode``; they go
into ``Identity.photo_bmp`` and live only in the session.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Protocol

from devices.idcard.protocol import PHOTO_LEN
from kiosk.errors import DeviceUnavailable

REASON_DECODER = "device.reason.idcard_photo_decoder"
#: i18n key shown when a card was read but no photo could be decoded.
PHOTO_UNAVAILABLE = "idcard.photo.unavailable"
SIM_JPEG = "sim-jpeg"
BMP_SIZE = 38862


class PhotoDecoder(Protocol):
    name: str

    def decode(self, photo: bytes) -> bytes:
        """Image bytes for the card photo; DeviceUnavailable when it cannot."""
        ...


class WltLibrary:
    """ctypes adapter for a vendor WLT library (see the module docstring for the ABI)."""

    name = "wlt-library"

    def __init__(self, path: str, *, symbol: str = "unpack") -> None:
        self.path = path
        self.symbol = symbol
        self._func: ctypes._CFuncPtr | None = None  # type: ignore[name-defined]
        self._lock = threading.Lock()  # vendor libraries are rarely re-entrant

    def _load(self) -> ctypes._CFuncPtr:  # type: ignore[name-defined]
        if self._func is None:
            try:
                lib = ctypes.CDLL(self.path)
                func = getattr(lib, self.symbol)
            except (OSError, AttributeError) as err:
                raise DeviceUnavailable(f"WLT decoder {self.path}: {err}",
                                        i18n_key=REASON_DECODER) from None
            func.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
            func.restype = ctypes.c_int
            self._func = func
        return self._func

    def decode(self, photo: bytes) -> bytes:
        if len(photo) != PHOTO_LEN:
            raise DeviceUnavailable(f"photo field of {len(photo)} B", i18n_key=REASON_DECODER)
        with self._lock:
            func = self._load()
            out = ctypes.create_string_buffer(BMP_SIZE)
            rc = func(photo, out, 0)
        if rc != 1 or out.raw[:2] != b"BM":
            raise DeviceUnavailable(f"WLT decoder returned {rc}", i18n_key=REASON_DECODER)
        return out.raw


class SimJpegTestCodec:
    """Test codec for the simulator only: ``MAGIC | length (2 B BE) | JPEG | padding``."""

    name = SIM_JPEG
    MAGIC = b"KIOSK-SIM-JPEG\x00"
    MAX_JPEG = PHOTO_LEN - len(MAGIC) - 2

    @classmethod
    def embed(cls, jpeg: bytes) -> bytes:
        if not jpeg.startswith(b"\xff\xd8") or len(jpeg) > cls.MAX_JPEG:
            raise ValueError(f"need a JPEG of at most {cls.MAX_JPEG} bytes")
        return (cls.MAGIC + len(jpeg).to_bytes(2, "big") + jpeg).ljust(PHOTO_LEN, b"\x00")

    def decode(self, photo: bytes) -> bytes:
        if not photo.startswith(self.MAGIC):
            raise DeviceUnavailable("not a simulator test photo", i18n_key=REASON_DECODER)
        start = len(self.MAGIC) + 2
        n = int.from_bytes(photo[len(self.MAGIC):start], "big")
        jpeg = photo[start:start + n]
        if n > self.MAX_JPEG or not jpeg.startswith(b"\xff\xd8"):
            raise DeviceUnavailable("corrupt simulator test photo", i18n_key=REASON_DECODER)
        return jpeg


def make_photo_decoder(setting: str) -> PhotoDecoder | None:
    """The decoder named by ``devices.idcard.photo_decoder`` (None: photo unavailable)."""
    if not setting:
        return None
    if setting == SIM_JPEG:
        return SimJpegTestCodec()
    return WltLibrary(setting)
