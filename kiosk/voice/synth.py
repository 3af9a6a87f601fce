"""Offline speech synthesis with espeak-ng, cached on disk by a hash of what was said.

espeak-ng (Debian package ``espeak-ng``) speaks Mandarin with the ``cmn`` voice and
English with ``en``; it runs in ~50 ms per prompt on this class of machine, but a
prompt is still synthesized once: the WAV is kept under ``<data dir>/voice/`` named
by SHA-256 of (engine, voice, speed, text), so a changed wording or speed makes a new
file and an unchanged one is never rebuilt. Files are written to a temporary name
and renamed, so a crash never leaves half a prompt to be played.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.errors import DeviceError, DeviceUnavailable

#: espeak-ng voice per kiosk language.
VOICES = {"zh_CN": "cmn", "en": "en"}
#: espeak-ng's own default speed (words per minute); ``rate`` 1.0 means this.
BASE_WPM = 175
#: Slowest and fastest speed a site or a session may choose, as a factor of BASE_WPM.
RATE_LIMITS = (0.5, 1.6)

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[bytes]"]


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(argv), capture_output=True, timeout=20, check=False)


@dataclass
class EspeakSynth:
    """Turns (text, language, rate) into a cached WAV file."""

    cache_dir: Path
    executable: str = "espeak-ng"
    voices: dict[str, str] = field(default_factory=lambda: dict(VOICES))
    runner: Runner = _run

    def available(self) -> tuple[bool, str]:
        if shutil.which(self.executable) is None and not Path(self.executable).is_file():
            return False, f"{self.executable} not installed (Debian package espeak-ng)"
        return True, ""

    def wpm(self, rate: float) -> int:
        lo, hi = RATE_LIMITS
        return round(BASE_WPM * min(max(rate, lo), hi))

    def path_for(self, text: str, lang: str, rate: float = 1.0) -> Path:
        voice = self._voice(lang)
        key = "\x1f".join(("espeak-ng", voice, str(self.wpm(rate)), text))
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.wav"

    def synthesize(self, text: str, lang: str, rate: float = 1.0) -> Path:
        """The WAV of ``text``; made now unless the cache has it. Raises DeviceError."""
        if not text.strip():
            raise DeviceError("nothing to say: empty prompt text")
        target = self.path_for(text, lang, rate)
        if target.is_file() and target.stat().st_size > 44:
            return target
        ok, reason = self.available()
        if not ok:
            raise DeviceUnavailable(reason, i18n_key="error.device_unavailable")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        argv = [self.executable, "-v", self._voice(lang), "-s", str(self.wpm(rate)),
                "-w", str(tmp), "--", text]
        try:
            done = self.runner(argv)
            if done.returncode != 0 or not tmp.is_file():
                detail = done.stderr.decode("utf-8", "replace").strip()[:200]
                raise DeviceError(f"espeak-ng exited {done.returncode}: {detail}")
            tmp.replace(target)
        except (OSError, subprocess.SubprocessError) as exc:
            raise DeviceError(f"espeak-ng failed: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def _voice(self, lang: str) -> str:
        try:
            return self.voices[lang]
        except KeyError:
            raise DeviceError(f"no voice for language {lang!r}") from None
