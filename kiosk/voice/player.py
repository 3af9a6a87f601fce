"""Where prompts are heard. The UI side may bring its own player (Kivy's SDL2 audio);
the kiosk side has one that runs sox's ``play`` and one for tests that records.

A player's ``play`` returns at once (playback goes on in the background) and a new
prompt stops the one still playing: a citizen who taps on must not hear two voices.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kiosk.errors import DeviceError


class Player(Protocol):
    def available(self) -> tuple[bool, str]:
        """(True, "") or (False, why nothing can be heard)."""

    def play(self, path: Path, volume: float) -> None:
        """Start playing ``path`` at ``volume`` (0..1); return without waiting."""

    def stop(self) -> None:
        """Stop what is playing, if anything."""


def audio_output_present(dev_dir: Path = Path("/dev/snd"),
                         env: dict[str, str] | None = None) -> bool:
    """An ALSA playback device, or a PulseAudio/PipeWire server to talk to."""
    env = dict(os.environ) if env is None else env
    if env.get("PULSE_SERVER"):
        return True
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and (Path(runtime) / "pulse" / "native").exists():
        return True
    return dev_dir.is_dir() and any(p.name.endswith("p") and p.name.startswith("pcm")
                                    for p in dev_dir.iterdir())


@dataclass
class SoxPlayer:
    """Plays through sox's ``play`` (Debian package ``sox``) in a child process."""

    executable: str = "play"
    dev_dir: Path = Path("/dev/snd")
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def available(self) -> tuple[bool, str]:
        if shutil.which(self.executable) is None:
            return False, f"{self.executable} not installed (Debian package sox)"
        if not audio_output_present(self.dev_dir):
            return False, "no audio output device (no ALSA playback device, no sound server)"
        return True, ""

    def play(self, path: Path, volume: float) -> None:
        self.stop()
        vol = f"{min(max(volume, 0.0), 1.0):.2f}"
        try:
            self._proc = subprocess.Popen(
                [self.executable, "-q", "-v", vol, str(path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise DeviceError(f"cannot start {self.executable}: {exc}") from exc

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class RecordingPlayer:
    """A player for tests and for terminals without sound: remembers what it was asked."""

    present: bool = True
    played: list[tuple[Path, float]] = field(default_factory=list)
    stops: int = 0

    def available(self) -> tuple[bool, str]:
        return (True, "") if self.present else (False, "no audio output device")

    def play(self, path: Path, volume: float) -> None:
        self.played.append((path, volume))

    def stop(self) -> None:
        self.stops += 1
