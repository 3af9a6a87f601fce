"""The versioned service catalog served to terminals.

The catalog is ``config/catalog/*.yaml``. The version is a hash of the files'
names and bytes, so any edit changes it and terminals refetch; it is cached
per (name, size, mtime) so that a busy server does not re-read YAML per request.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import yaml

from backoffice.errors import ApiError
from backoffice.schemas import Catalog

_Key = tuple[tuple[str, int, int], ...]


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.is_file())


def _items_of(document: Any) -> list[dict[str, Any]]:
    """A file holds one item (a mapping with a code), a list of items, or ``items:``."""
    if isinstance(document, list):
        return [d for d in document if isinstance(d, dict)]
    if isinstance(document, dict):
        if isinstance(document.get("items"), list):
            return [d for d in document["items"] if isinstance(d, dict)]
        return [document]
    return []


def build(directory: Path) -> Catalog:
    digest = hashlib.sha256()
    items: list[dict[str, Any]] = []
    for path in _files(directory):
        data = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + data + b"\0")
        try:
            items.extend(_items_of(yaml.safe_load(data)))
        except yaml.YAMLError as exc:
            # An operator's broken edit: terminals keep their cached catalog and retry.
            raise ApiError(503, "unavailable", f"catalog file {path.name} is not valid YAML: "
                           f"{exc}") from None
    # JSON has no dates: YAML dates and other scalars go out as text.
    items = [_jsonable(item) for item in items]
    return Catalog(version=digest.hexdigest()[:16], items=items)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


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
