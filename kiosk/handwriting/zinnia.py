"""libzinnia through ctypes: the online handwriting recognizer of Debian's ``libzinnia0``.

Zinnia's C API (zinnia.h): a recognizer opens a model file; a character collects
points per stroke id on a width x height canvas; ``classify`` returns the n best
characters with scores. Strings are UTF-8. The recognizer is immutable once opened,
but we still call it from one thread at a time (the C API promises nothing more).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import DeviceError, DeviceUnavailable

DEFAULT_LIBRARY = "libzinnia.so.0"
DEFAULT_MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")

_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "zinnia_recognizer_new": (ctypes.c_void_p, []),
    "zinnia_recognizer_destroy": (None, [ctypes.c_void_p]),
    "zinnia_recognizer_open": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "zinnia_recognizer_strerror": (ctypes.c_char_p, [ctypes.c_void_p]),
    "zinnia_recognizer_classify": (ctypes.c_void_p,
                                   [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]),
    "zinnia_character_new": (ctypes.c_void_p, []),
    "zinnia_character_destroy": (None, [ctypes.c_void_p]),
    "zinnia_character_set_width": (None, [ctypes.c_void_p, ctypes.c_size_t]),
    "zinnia_character_set_height": (None, [ctypes.c_void_p, ctypes.c_size_t]),
    "zinnia_character_clear": (None, [ctypes.c_void_p]),
    "zinnia_character_add": (ctypes.c_int,
                             [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int]),
    "zinnia_result_value": (ctypes.c_char_p, [ctypes.c_void_p, ctypes.c_size_t]),
    "zinnia_result_score": (ctypes.c_float, [ctypes.c_void_p, ctypes.c_size_t]),
    "zinnia_result_size": (ctypes.c_size_t, [ctypes.c_void_p]),
    "zinnia_result_destroy": (None, [ctypes.c_void_p]),
}


@dataclass(frozen=True)
class Candidate:
    char: str
    score: float


def load_library(name: str = DEFAULT_LIBRARY) -> ctypes.CDLL:
    """Open libzinnia and declare its functions; DeviceUnavailable says what is missing."""
    try:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            found = ctypes.util.find_library("zinnia") if name == DEFAULT_LIBRARY else None
            if found is None:
                raise
            lib = ctypes.CDLL(found)
    except OSError as exc:
        raise DeviceUnavailable(f"{name}: cannot load ({exc}); install the Debian package "
                                "libzinnia0") from exc
    for symbol, (restype, argtypes) in _SIGNATURES.items():
        try:
            fn = getattr(lib, symbol)
        except AttributeError as exc:
            raise DeviceUnavailable(f"{name}: no symbol {symbol}; not libzinnia") from exc
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


class ZinniaEngine:
    """One opened model. ``classify`` takes strokes as point lists on a w x h canvas."""

    def __init__(self, model: Path = DEFAULT_MODEL, library: str = DEFAULT_LIBRARY) -> None:
        if not model.is_file():
            raise DeviceUnavailable(f"{model}: handwriting model missing; install the Debian "
                                    "package tegaki-zinnia-simplified-chinese")
        self._lib = load_library(library)
        self._lock = threading.Lock()
        self._rec = self._lib.zinnia_recognizer_new()
        if not self._rec:
            raise DeviceError("zinnia_recognizer_new failed")
        if not self._lib.zinnia_recognizer_open(self._rec, str(model).encode()):
            reason = (self._lib.zinnia_recognizer_strerror(self._rec) or b"").decode(
                "utf-8", "replace")
            self.close()
            raise DeviceUnavailable(f"{model}: cannot open model ({reason})")
        self.model = model

    def classify(self, strokes: Sequence[Sequence[tuple[int, int]]], width: int, height: int,
                 n: int = 10) -> list[Candidate]:
        if self._rec is None:
            raise DeviceError("handwriting engine closed")
        if not any(strokes):
            return []
        lib = self._lib
        with self._lock:
            char = lib.zinnia_character_new()
            try:
                lib.zinnia_character_set_width(char, width)
                lib.zinnia_character_set_height(char, height)
                stroke_id = 0
                for stroke in strokes:
                    if not stroke:
                        continue
                    for x, y in stroke:
                        lib.zinnia_character_add(char, stroke_id, int(x), int(y))
                    stroke_id += 1
                result = lib.zinnia_recognizer_classify(self._rec, char, n)
                if not result:
                    return []
                try:
                    return [Candidate(lib.zinnia_result_value(result, i).decode("utf-8"),
                                      float(lib.zinnia_result_score(result, i)))
                            for i in range(lib.zinnia_result_size(result))]
                finally:
                    lib.zinnia_result_destroy(result)
            finally:
                lib.zinnia_character_destroy(char)

    def close(self) -> None:
        rec, self._rec = self._rec, None
        if rec:
            self._lib.zinnia_recognizer_destroy(rec)
