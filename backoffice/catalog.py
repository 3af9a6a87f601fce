"""The versioned service catalog served to terminals.

The catalog is ``config/catalog/*.yaml``, read and cross-validated by the
kiosk's own loader (:func:`kiosk.catalog.load_catalog`), so the back office
serves exactly what a kiosk would accept. ``version`` is the version the
catalog header declares; ``digest`` is a hash of the files' names and bytes,
which changes on any edit even when the header was not bumped. The result is
cached per (name, size, mtime) so that a busy server does not re-read YAML per
request.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from backoffice.errors import ApiError
from backoffice.schemas import Catalog
from kiosk.catalog import load_catalog
from kiosk.errors import ConfigError

_Key = tuple[tuple[str, int, int], ...]


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix == ".yaml" and p.is_file())


def digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in _files(directory):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def build(directory: Path) -> Catalog:
    try:
        catalog = load_catalog(directory)
    except ConfigError as exc:
        # An operator's broken edit: terminals keep their cached catalog and retry.
        raise ApiError(503, "unavailable", f"catalog is invalid: {exc}") from None
    dump = catalog.model_dump(mode="json")
    return Catalog(version=catalog.version, digest=digest(directory), items=dump["items"],
                   bundles=dump["bundles"], departments=dump["departments"],
                   life_events=dump["life_events"])


class CatalogSource:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._cached: tuple[_Key, Catalog] | None = None

    def _key(self) -> _Key:
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                     for p in _files(self.directory))

    def get(self) -> Catalog:
        key = self._key()
        with self._lock:
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
        catalog = build(self.directory)
        with self._lock:
            self._cached = (key, catalog)
        return catalog
