"""A diagnostic bundle a technician carries away on a USB stick.

Contents (Home Assistant's "diagnostics with secrets removed" idea):

* ``config.json``: the effective configuration with every secret dropped
  (``pin_hash``, secret and key *paths* too, anything named like a secret);
* ``diagnostics.json``: what ``scripts/diagnose all`` reports (device
  diagnostics, back-office reachability and skew, outbox counts);
* ``logs/``: the rotated log files and the in-memory ring buffer, redacted
  once more on the way out (belt and braces: they were redacted when written);
* ``manifest.json``: when, which terminal, and the SHA-256 of every file.

Never included: the outbox database, key files, the terminal secret, receipts.
The bundle is a folder or a zip, written to a temporary name, fsync'ed and
renamed, so a stick pulled out early never holds a half bundle under the final
name.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kiosk.clock import Clock, SystemClock
from kiosk.config.model import KioskConfig, load_config
from kiosk.errors import ConfigError, KioskError
from kiosk.files import fsync_dir
from kiosk.logging_setup import RingBufferHandler, log_files
from kiosk.privacy import redact

#: Config keys whose values never leave the kiosk (paths to secrets included:
#: they tell an attacker where to look).
SECRET_KEY_RE = re.compile(r"(pin|secret|key|token|password|passwd|credential)", re.I)
REMOVED = "<removed>"
#: Where USB sticks are mounted on Debian desktops and by udisks/usbmount.
USB_MOUNT_PREFIXES = ("/media/", "/run/media/", "/mnt/")


#: ``scheme://user:password@host``: the part before "@" is a credential.
_URL_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]+@")
#: ``?token=…`` / ``&password=…`` and the like in a URL's query.
_URL_SECRET_PARAM_RE = re.compile(
    r"(?i)([?&][a-z0-9_.-]*(?:pin|secret|key|token|password|passwd|credential|sig)"
    r"[a-z0-9_.-]*=)[^&#\s\"']+")


def strip_url_credentials(text: str) -> str:
    """URLs without the credentials they carry (``https://<removed>@host/?token=<removed>``)."""
    text = _URL_USERINFO_RE.sub(lambda m: f"{m.group(1)}{REMOVED}@", text)
    return _URL_SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}{REMOVED}", text)


def _clean(text: str) -> str:
    return strip_url_credentials(redact(text))


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value with secret-named keys replaced and text redacted."""
    if isinstance(value, Mapping):
        return {k: (REMOVED if SECRET_KEY_RE.search(str(k)) else scrub(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _clean(value)
    return value


def config_without_secrets(config: KioskConfig) -> dict[str, Any]:
    data: dict[str, Any] = scrub(config.model_dump(mode="json"))
    return data


def usb_mounts(mounts_file: Path = Path("/proc/mounts")) -> list[Path]:
    """Mount points that look like removable media (for the technician screen's list)."""
    try:
        lines = mounts_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2:
            # /proc/mounts escapes spaces as \040 (fstab(5)).
            point = parts[1].replace("\\040", " ")
            if point.startswith(USB_MOUNT_PREFIXES):
                found.append(Path(point))
    return found


def _files(config: KioskConfig, diagnostics: Mapping[str, Any],
           ring: RingBufferHandler | None, created: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {
        "config.json": _json(config_without_secrets(config)),
        "diagnostics.json": _json(scrub(diagnostics)),
    }
    log_dir = config.terminal.data_path() / "log"
    for path in log_files(log_dir) if log_dir.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        files[f"logs/{path.name}"] = _clean(text).encode("utf-8")
    if ring is not None:
        files["logs/recent.json"] = _json(scrub(ring.records()))
    manifest = {"schema": 1, "created": created, "terminal": config.terminal.id,
                "files": {name: hashlib.sha256(data).hexdigest()
                          for name, data in sorted(files.items())}}
    files["manifest.json"] = _json(manifest)
    return files


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def export_bundle(config: KioskConfig, dest: Path, *, clock: Clock,
                  diagnostics: Mapping[str, Any] | None = None,
                  ring: RingBufferHandler | None = None, as_zip: bool = True) -> Path:
    """Write the bundle under ``dest`` (a folder, e.g. a USB mount point); return its path."""
    now = clock.now()
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    name = f"kiosk-diag-{config.terminal.id}-{stamp}"
    files = _files(config, diagnostics or {}, ring, now.isoformat())
    try:
        dest.mkdir(parents=True, exist_ok=True)
        if as_zip:
            final = dest / f"{name}.zip"
            tmp = dest / f".{name}.zip.part"
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for fname, data in files.items():
                    zf.writestr(f"{name}/{fname}", data)
            with open(tmp, "wb") as fh:
                fh.write(buf.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
        else:
            final = dest / name
            tmp = dest / f".{name}.part"
            for fname, data in files.items():
                target = tmp / fname
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
        tmp.replace(final)
        fsync_dir(dest)
    except OSError as exc:
        raise KioskError(f"{dest}: cannot write the diagnostic bundle: {exc.strerror}",
                         i18n_key="workflow.technician.bundle_failed") from None
    return final


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/diagnose bundle",
                                     description="Export a diagnostic bundle (no secrets).")
    parser.add_argument("--to", type=Path, help="destination folder (default: first USB "
                        "mount point, else var/diag)")
    parser.add_argument("--folder", action="store_true", help="a folder instead of a zip")
    parser.add_argument("--config", action="append", default=[], type=Path)
    args = parser.parse_args(argv)
    clock = SystemClock()
    try:
        config = load_config(overlays=tuple(args.config))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    from kiosk.technician.diagnose import app_device_factory, collect

    diagnostics = collect(config, clock=clock, factory=app_device_factory())
    mounts = usb_mounts()
    dest = args.to or (mounts[0] if mounts else config.terminal.data_path() / "diag")
    try:
        path = export_bundle(config, dest, clock=clock, diagnostics=diagnostics,
                             as_zip=not args.folder)
    except KioskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
