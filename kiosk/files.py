"""Durable files: what must survive a power cut once a function has returned.

A new or renamed file's *name* lives in its directory; until the directory is
synced, a power cut can lose the name even though the data was synced. Used for
the outbox's database, its key file and the technician's bundles.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Sync a file (its data, written through another descriptor) or a directory (the
    names in it), through a read-only descriptor of its own."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Sync ``directory`` so that names created or renamed in it are durable."""
    fsync_path(directory)
