"""The technician's hidden entry: a corner gesture, then a PIN.

* :class:`CornerGesture` is pure: touches in the four corners, in order
  (top-left, top-right, bottom-right, bottom-left by default), each within
  ``window_s`` of the first, open the PIN pad. Nothing on screen hints at it.
* The PIN is stored only as a scrypt hash (RFC 7914) in
  ``technician.pin_hash``: ``scrypt$N$r$p$salt_b64$hash_b64``. Checking uses
  :func:`hmac.compare_digest` so the time taken says nothing about the PIN.
* :class:`PinGate` counts wrong PINs; ``max_wrong_pins`` (5) lock the entry
  for ``lockout_minutes`` (15). The count and the lock are persisted as
  versioned JSON in ``var/`` and the lock is kept in wall-clock time, so a
  reboot neither resets the count nor lifts the lock. The state carries an
  HMAC-SHA256 under a key kept in the terminal's secret storage
  (``technician.state_key_file``, 0600, made on first start together with the
  state file): an edited file, a file with a bad MAC, or a missing file once
  the key exists (someone deleted it) all count as a fresh lock.
* ``python -m kiosk.technician.gate set-pin`` (``scripts/diagnose set-pin``)
  writes a new hash into a local overlay config file.
"""

from __future__ import annotations

import argparse
import base64
import enum
import getpass
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from kiosk.clock import Clock
from kiosk.config.model import TechnicianConfig, resolve
from kiosk.errors import ConfigError, KioskError, ValidationError
from kiosk.submission.crypto import create_key, load_key

#: scrypt cost (RFC 7914 §2; N=2^14, r=8, p=1 is the interactive-login setting).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
_MAXMEM = 64 * 1024 * 1024
CORNERS = ("tl", "tr", "br", "bl")


# --------------------------------------------------------------------------- gesture

class CornerGesture:
    """Recognises the corner sequence from touch-down positions (pixels, origin top-left)."""

    def __init__(self, clock: Clock, *, sequence: Sequence[str] = CORNERS,
                 window_s: float = 5.0, corner_fraction: float = 0.1) -> None:
        if not sequence or any(c not in CORNERS for c in sequence):
            raise ValueError(f"corners are {CORNERS}")
        self._clock = clock
        self.sequence = tuple(sequence)
        self.window_s = window_s
        self.fraction = corner_fraction
        self._done = 0
        self._started = 0.0

    def corner(self, x: float, y: float, width: float, height: float) -> str | None:
        size = self.fraction * min(width, height)
        horizontal = "l" if x <= size else "r" if x >= width - size else None
        vertical = "t" if y <= size else "b" if y >= height - size else None
        return vertical + horizontal if horizontal and vertical else None

    def touch(self, x: float, y: float, width: float, height: float) -> bool:
        """Feed one touch; True when it completes the sequence (then it starts over)."""
        now = self._clock.monotonic()
        corner = self.corner(x, y, width, height)
        if self._done and now - self._started > self.window_s:
            self._done = 0
        if corner != self.sequence[self._done]:
            self._done = 0
            if corner != self.sequence[0]:
                return False
        if self._done == 0:
            self._started = now
        self._done += 1
        if self._done == len(self.sequence):
            self._done = 0
            return True
        return False


# --------------------------------------------------------------------------- PIN hash

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R,
             p: int = SCRYPT_P) -> str:
    check_pin_format(pin)
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def check_pin_format(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and 6 <= len(pin) <= 12):
        raise ValidationError("a technician PIN is 6 to 12 digits", field="pin",
                              i18n_key="workflow.technician.pin_format")


def parse_pin_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.split("$")
    try:
        if len(parts) != 6 or parts[0] != "scrypt":
            raise ValueError("expected scrypt$N$r$p$salt$hash")
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
        if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16 or len(digest) < 16:
            raise ValueError("scrypt parameters out of range")
    except ValueError as exc:
        raise ConfigError("kiosk.yaml", "technician.pin_hash", str(exc)) from None
    return n, r, p, salt, digest


def verify_pin(pin: str, stored: str) -> bool:
    n, r, p, salt, digest = parse_pin_hash(stored)
    candidate = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM,
                               dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


# --------------------------------------------------------------------------- lockout

class PinResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    DISABLED = "disabled"   # no pin_hash configured: technician mode is off


class PinGate:
    VERSION = 2

    def __init__(self, config: TechnicianConfig, state_path: Path, clock: Clock, *,
                 key: bytes, armed: bool = False) -> None:
        """``key`` MACs the state file; ``armed`` says the file has existed before
        (the key was already there), so its absence means it was deleted."""
        self._config = config
        self.path = state_path
        self._clock = clock
        self._key = key
        self._lock = threading.Lock()
        if config.pin_hash:
            parse_pin_hash(config.pin_hash)  # a malformed hash stops the kiosk at start
        if not armed and not self.path.exists():
            self._save(0, None)

    @classmethod
    def from_config(cls, config: Any, clock: Clock) -> PinGate:
        data = config.terminal.data_path()
        key_file = (resolve(config.technician.state_key_file) if config.technician.state_key_file
                    else data / "secrets" / "technician.key")
        key = load_key(key_file, {})
        armed = key is not None
        if key is None:
            key = create_key(key_file)
        return cls(config.technician, data / "technician.json", clock, key=key, armed=armed)

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self._config.lockout_minutes)

    def _mac(self, failures: int, until: str | None) -> str:
        body = json.dumps([self.VERSION, failures, until], separators=(",", ":"))
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def _load(self) -> tuple[int, datetime | None]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != self.VERSION:
                raise ValueError("unknown version")
            failures, until = int(data["failures"]), data["locked_until"]
            if not hmac.compare_digest(str(data.get("mac", "")), self._mac(failures, until)):
                raise ValueError("bad MAC")
            return failures, (datetime.fromisoformat(until) if until else None)
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            # A missing (deleted), unreadable or edited state file must not open the
            # gate: it becomes a fresh lock, written back so that the lock expires
            # instead of being renewed forever.
            until_dt = self._clock.now() + self.lockout
            self._save(0, until_dt)
            return 0, until_dt

    def _save(self, failures: int, until: datetime | None) -> None:
        tmp = self.path.with_suffix(".tmp")
        until_text = until.isoformat() if until else None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"version": self.VERSION, "failures": failures,
                                       "locked_until": until_text,
                                       "mac": self._mac(failures, until_text)}),
                           encoding="utf-8")
            tmp.chmod(0o600)
            tmp.replace(self.path)
        except OSError as exc:
            raise KioskError(f"{self.path}: cannot save the PIN lockout: {exc.strerror}"
                             ) from None

    def locked_until(self) -> datetime | None:
        _, until = self._load()
        now = self._clock.now()
        if until is None or until <= now:
            return None
        # A wall clock set backwards must not lengthen the lock beyond one lockout.
        return min(until, now + self.lockout)

    def remaining_s(self) -> float:
        until = self.locked_until()
        return 0.0 if until is None else (until - self._clock.now()).total_seconds()

    def failures(self) -> int:
        return self._load()[0]

    def check(self, pin: str) -> PinResult:
        if not self._config.pin_hash:
            return PinResult.DISABLED
        with self._lock:
            if self.locked_until() is not None:
                return PinResult.LOCKED
            failures, _ = self._load()
            if verify_pin(pin, self._config.pin_hash):
                self._save(0, None)
                return PinResult.OK
            failures += 1
            if failures >= self._config.max_wrong_pins:
                self._save(0, self._clock.now() + self.lockout)
                return PinResult.LOCKED
            self._save(failures, None)
            return PinResult.WRONG


# --------------------------------------------------------------------------- set-pin

def write_pin_overlay(overlay: Path, pin: str) -> None:
    """Put the hash of ``pin`` into the overlay YAML (other keys kept), mode 0600."""
    data: dict[str, Any] = {}
    if overlay.exists():
        loaded = yaml.safe_load(overlay.read_text(encoding="utf-8"))
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(str(overlay), "", "expected a mapping at the top")
        data = loaded or {}
    section = data.setdefault("technician", {})
    if not isinstance(section, dict):
        raise ConfigError(str(overlay), "technician", "expected a mapping")
    section["pin_hash"] = hash_pin(pin)
    overlay.parent.mkdir(parents=True, exist_ok=True)
    tmp = overlay.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, allow_unicode=True, sort_keys=False)
    tmp.replace(overlay)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/diagnose set-pin",
                                     description="Set the technician PIN (stored as a hash).")
    parser.add_argument("command", choices=["set-pin"])
    parser.add_argument("--overlay", default="var/local.yaml",
                        help="local overlay config file to write (default: var/local.yaml)")
    parser.add_argument("--pin-stdin", action="store_true",
                        help="read the PIN from standard input instead of asking twice")
    args = parser.parse_args(argv)
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("new technician PIN (6-12 digits): ")
        if getpass.getpass("again: ") != pin:
            print("the two PINs differ; nothing changed", file=sys.stderr)
            return 1
    try:
        write_pin_overlay(resolve(args.overlay), pin)
    except (ValidationError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"technician.pin_hash written to {args.overlay}; "
          "start the kiosk with this overlay (--config) for it to apply")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
