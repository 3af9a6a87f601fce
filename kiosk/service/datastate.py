"""The data directory's recorded version, its forward migrations, and the record of the
last update (what the installer did; the heartbeat reports it).

``<data>/state/data-version.json`` holds ``{"version": N, "release": "..."}``: the
layout of the data directory as the last release that migrated it left it. An upgrade
runs ``python -m kiosk.service.datastate migrate`` of the *new* release (bin/kiosk-migrate)
before switching to it: each step of :data:`MIGRATIONS` above the recorded version
runs once, in order, then the version is recorded (written atomically). A data
directory recorded by a newer release than this one is refused (exit 3): the installer
restores the snapshot it took before migrating when it rolls back (deploy/installer).

``<data>/state/update.json`` is written by the installer after every upgrade:
``{"version": "<now running>", "failed": null | {"version", "previous", "at", "reason"}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.files import fsync_dir
from kiosk.submission.outbox_schema import migrate as migrate_outbox_schema

STATE = "state"
VERSION_FILE = "data-version.json"
UPDATE_FILE = "update.json"


def _outbox_schema(data: Path) -> None:
    """The outbox's own tables (kiosk/submission/outbox_schema.py), brought forward
    while no kiosk process has it open."""
    path = data / "outbox.sqlite3"
    if path.exists():
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            migrate_outbox_schema(conn)
        finally:
            conn.close()


#: (version, what it does, step). Append only; a step must be safe to run again after
#: a crash halfway (the version is recorded only after it).
MIGRATIONS: tuple[tuple[int, str, Callable[[Path], None]], ...] = (
    (1, "outbox schema", _outbox_schema),
)
DATA_VERSION = MIGRATIONS[-1][0]


def write_json(path: Path, value: Any) -> None:
    """Atomically (a temporary file renamed over it, then the directory synced)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def recorded_version(data: Path) -> int:
    found = read_json(data / STATE / VERSION_FILE)
    return int(found.get("version", 0)) if found else 0


class NewerData(Exception):
    """The data directory was migrated by a newer release."""


def migrate(data: Path, release: str) -> tuple[int, int]:
    """Run the steps above the recorded version; returns (found, now)."""
    found = recorded_version(data)
    if found > DATA_VERSION:
        raise NewerData(f"{data}: data version {found} was written by a newer release "
                        f"(this one knows {DATA_VERSION})")
    for version, _name, step in MIGRATIONS:
        if version > found:
            step(data)
    write_json(data / STATE / VERSION_FILE, {"version": DATA_VERSION, "release": release})
    return found, DATA_VERSION


def update_report(data: Path) -> dict[str, Any] | None:
    """What the heartbeat says about updates: the running release and the last failed
    update, if any (None: never installed by scripts/install)."""
    found = read_json(data / STATE / UPDATE_FILE)
    if found is None:
        return None
    failed = found.get("failed")
    return {"version": str(found.get("version", "")),
            "failed": None if not isinstance(failed, dict) else
            {k: str(failed.get(k, "")) for k in ("version", "previous", "at", "reason")}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk-migrate", description="migrate the data dir")
    p.add_argument("action", choices=("migrate", "version"))
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--release", default="")
    args = p.parse_args(argv)
    if args.action == "version":
        print(recorded_version(args.data))
        return 0
    try:
        found, now = migrate(args.data, args.release)
    except NewerData as exc:
        print(f"kiosk-migrate: {exc}", file=sys.stderr)
        return 3
    print(f"ok: data version {found} -> {now}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
