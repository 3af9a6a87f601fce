"""``scripts/install --upgrade RELEASE``: the new release beside the current one, the data
migrated forward, ``current`` switched, the services restarted and judged; back to the
old release when the new one does not report healthy, with the failure recorded for the
heartbeat (``<data>/state/update.json``, read by kiosk/service/datastate.py).

Healthy = every unit sent READY=1 within ``ready_timeout_s`` (Type=notify: for the UI,
once Home is on screen) and then the release's self-test exited 0 within
``selftest_timeout_s``. The outbox and /etc/kiosk are never rewritten: the migration
only brings data forward, and a rollback puts back the snapshot taken before it only
when the migration changed the recorded data version (the old release would refuse
newer data).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from deploy.installer.layout import Layout
from deploy.installer.release import (
    ReleaseError,
    current_version,
    install_release,
    prune,
    release_version,
    switch,
)
from deploy.installer.services import UNITS, ServiceManager

OUTBOX = "outbox.sqlite3"


@dataclass
class Outcome:
    ok: bool
    running: str
    tried: str
    reason: str = ""


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def record_update(layout: Layout, running: str, failed: dict[str, str] | None) -> None:
    _write_json(layout.at(layout.data / "state" / "update.json"),
                {"version": running, "failed": failed})


def _data_version(data: Path) -> int:
    try:
        return int(json.loads((data / "state" / "data-version.json").read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def snapshot(data: Path, into: Path) -> None:
    """The outbox (SQLite's online backup: consistent with its WAL) and the data
    version, before a migration."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True, mode=0o700)
    if (data / OUTBOX).exists():
        src = sqlite3.connect(data / OUTBOX)
        dst = sqlite3.connect(into / OUTBOX)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    version = data / "state" / "data-version.json"
    if version.exists():
        shutil.copy2(version, into / "data-version.json")


def restore(data: Path, since: Path) -> None:
    for name in (OUTBOX + "-wal", OUTBOX + "-shm"):
        (data / name).unlink(missing_ok=True)
    if (since / OUTBOX).exists():
        shutil.copy2(since / OUTBOX, data / OUTBOX)
    if (since / "data-version.json").exists():
        shutil.copy2(since / "data-version.json", data / "state" / "data-version.json")


def upgrade(layout: Layout, source: Path, manager: ServiceManager, *,
            deps_from: Path | None = None, units: tuple[str, ...] = UNITS,
            ready_timeout_s: float = 120.0, selftest_timeout_s: float = 60.0,
            keep: int = 3) -> Outcome:
    """``keep``: releases left installed after a healthy upgrade (the new one and the
    ones before it, for ``--rollback``)."""
    old = current_version(layout)
    if old is None:
        raise ReleaseError("no current release: install first (scripts/install)")
    new_dir = install_release(layout, source, deps_from=deps_from)
    new = release_version(new_dir)
    data = layout.at(layout.data)
    saved = data / "backup" / f"before-{new}"

    manager.stop(units)
    before = _data_version(data)
    snapshot(data, saved)
    rc, out = manager.run([str(new_dir / "bin" / "kiosk-migrate")], selftest_timeout_s)
    reason = f"data migration failed ({rc}): {out}" if rc != 0 else ""
    if not reason:
        switch(layout, new)
        reason = manager.start(units, ready_timeout_s) or ""
    if not reason:
        rc, out = manager.run([str(layout.at(layout.current) / "bin" / "kiosk-selftest")],
                              selftest_timeout_s)
        reason = f"self-test failed ({rc}): {out[-500:]}" if rc != 0 else ""
    if not reason:
        record_update(layout, new, None)
        prune(layout, keep)
        return Outcome(True, new, new)

    # Not healthy: back to the old release, its data as it was.
    manager.stop(units)
    switch(layout, old)
    if _data_version(data) != before:
        restore(data, saved)
    again = manager.start(units, ready_timeout_s)
    failed = {"version": new, "previous": old, "reason": reason[:1000],
              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    record_update(layout, old, failed)
    if again:
        reason += f"; and the old release {old} did not come back: {again}"
    return Outcome(False, old, new, reason)
