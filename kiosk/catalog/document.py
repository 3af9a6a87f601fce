"""The catalog as one JSON document: what the back office stores and serves and what a
kiosk keeps as its last good copy.

``document(catalog)`` is the catalog dumped as JSON values (``version``, ``sample``,
``departments``, ``life_events``, ``items``, ``bundles``); ``digest(document)`` is the
SHA-256 of its canonical JSON (sorted keys, no spaces, UTF-8), which the back office
announces and the kiosk recomputes over what it received, so a truncated or altered
document is never taken for the announced one. ``etag(version, digest)`` is the HTTP
entity tag of ``GET /api/v1/catalog``. Reading a document back is
:func:`kiosk.catalog.loader.load_catalog_document` (the loader's own rules).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from kiosk.catalog.models import Catalog

#: The keys of a catalog document, in the order they are dumped.
KEYS = ("version", "sample", "departments", "life_events", "items", "bundles")


def document(catalog: Catalog) -> dict[str, Any]:
    dump: dict[str, Any] = catalog.model_dump(mode="json")
    return {key: dump[key] for key in KEYS}


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def digest(doc: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of the document's canonical JSON (its catalog keys only)."""
    return hashlib.sha256(canonical({k: doc.get(k) for k in KEYS})).hexdigest()


def settings_digest(settings: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of a site's central settings document's canonical JSON (the
    same rule as the catalog's, over the whole document)."""
    return hashlib.sha256(canonical(dict(settings))).hexdigest()


def etag(version: str, content_digest: str) -> str:
    """The quoted entity tag: version and content hash."""
    return f'"{version}/{content_digest}"'
