"""Small state files of fleet control: versioned JSON, written whole or not at all.

``write_json(path, data)`` writes a temporary file in the same directory, fsyncs it,
renames it over ``path`` (atomic on POSIX) and fsyncs the directory, so a power cut
leaves the old file or the new one, never half of one. ``read_json`` answers None
for a missing, unreadable or foreign file (wrong ``schema``): callers treat that as
"nothing kept" and say so.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.files import fsync_dir

log = logging.getLogger(__name__)

SCHEMA = 1


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = json.dumps({"schema": SCHEMA, **data}, ensure_ascii=False, indent=1)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable, ignored: %s", path, type(exc).__name__)
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        log.warning("%s is not a schema-%d file, ignored", path, SCHEMA)
        return None
    return data


@dataclass(frozen=True)
class FleetPaths:
    """``<data dir>/fleet/``: the last good copies, the command journal, maintenance."""

    root: Path
    site_id: str

    @property
    def catalog(self) -> Path:
        return self.root / "catalog.json"

    @property
    def settings(self) -> Path:
        return self.root / f"settings-{self.site_id}.json"

    @property
    def commands(self) -> Path:
        return self.root / "commands.json"

    @property
    def maintenance(self) -> Path:
        return self.root / "maintenance.json"

    @property
    def state(self) -> Path:
        """What the running kiosk runs on, for ``scripts/diagnose`` in another process."""
        return self.root / "state.json"
