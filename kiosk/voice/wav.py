"""Read a PCM WAV file well enough to tell speech from silence (stdlib ``wave`` + numpy)."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.errors import DeviceError


@dataclass(frozen=True)
class WavInfo:
    duration_s: float
    sample_rate: int
    #: Root mean square of the samples, 0..1 of full scale.
    rms: float
    #: Largest absolute sample, 0..1 of full scale.
    peak: float

    @property
    def silent(self) -> bool:
        # espeak-ng speech sits near rms 0.05-0.15; -50 dBFS (0.003) is room noise at most.
        return self.duration_s <= 0 or self.rms < 0.003


def read_wav(path: Path) -> WavInfo:
    """Measure a 16-bit PCM WAV; anything else is a DeviceError naming the file."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise DeviceError(f"{path.name}: {8 * w.getsampwidth()}-bit samples, expected 16")
            rate, frames, channels = w.getframerate(), w.getnframes(), w.getnchannels()
            raw = w.readframes(frames)
    except (OSError, EOFError, wave.Error) as exc:
        raise DeviceError(f"{path.name}: not a readable WAV ({exc})") from exc
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if samples.size == 0:
        return WavInfo(0.0, rate, 0.0, 0.0)
    return WavInfo(duration_s=samples.size / channels / rate, sample_rate=rate,
                   rms=float(np.sqrt(np.mean(samples * samples))),
                   peak=float(np.max(np.abs(samples))))
