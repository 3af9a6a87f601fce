"""The catalog and the site's central settings: fetched, checked, kept.

A document from the back office (``GET /api/v1/catalog``, ``GET /api/v1/sites/{id}/
settings``) becomes the kiosk's only after every check a YAML catalog gets: the hash
recomputed over what arrived equals the one announced (a cut or altered answer is not
the announced document), the catalog loader's models and cross-file rules
(:func:`kiosk.catalog.load_catalog_document`), the settings' models
(:class:`kiosk.config.model.CentralSettings`). Only then is it written, atomically, as
the last good copy in ``<data dir>/fleet/``; a copy on disk is checked the same way
when it is read back. Anything that fails is a :class:`~kiosk.errors.ConfigError`
naming where it came from, and never replaces what the kiosk has.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kiosk.catalog import (
    Catalog,
    catalog_digest,
    catalog_document,
    catalog_etag,
    load_catalog,
    load_catalog_document,
    settings_digest,
)
from kiosk.catalog.document import KEYS
from kiosk.clock import Clock
from kiosk.config.loader import validate
from kiosk.config.model import CentralSettings, SiteProfile
from kiosk.errors import ConfigError
from kiosk.fleet.files import FleetPaths, read_json, write_json

log = logging.getLogger(__name__)

SERVED, CACHED, SAMPLE, LOCAL = "served", "cached", "sample", "local"


class Fetched(Protocol):
    @property
    def etag(self) -> str: ...
    @property
    def body(self) -> dict[str, Any] | None: ...


class FleetClient(Protocol):
    """What sync needs of ``kiosk.submission.client.BackofficeClient``."""

    def catalog(self, etag: str | None = None) -> Fetched: ...
    def site_settings(self, site_id: str, etag: str | None = None) -> Fetched: ...


@dataclass(frozen=True)
class CatalogCopy:
    """A whole catalog (every site's items) and where it came from."""

    catalog: Catalog
    digest: str
    etag: str
    source: str

    @property
    def version(self) -> str:
        return self.catalog.version


@dataclass(frozen=True)
class SettingsCopy:
    settings: CentralSettings
    version: int
    digest: str
    etag: str
    source: str


# ---- checking documents ---------------------------------------------------------------

def catalog_from_body(body: Mapping[str, Any], *, source: str,
                      announced: str | None = None) -> tuple[Catalog, dict[str, Any], str]:
    """The catalog of a served (or kept) document: (catalog, document, digest)."""
    doc = {k: body[k] for k in KEYS if k in body}
    digest = catalog_digest(doc)
    claimed = body.get("digest")
    if claimed is not None and claimed != digest:
        raise ConfigError(source, "digest", f"the content hashes to {digest[:16]}…, not the "
                          f"announced {str(claimed)[:16]}… (cut short or altered)")
    if announced is not None and announced != digest:
        raise ConfigError(source, "digest", f"the content hashes to {digest[:16]}…, not "
                          f"the {announced[:16]}… the heartbeat announced")
    return load_catalog_document(doc, source=source), doc, digest


def settings_from_body(body: Mapping[str, Any], site_id: str, *, source: str
                       ) -> tuple[CentralSettings, int, str]:
    if body.get("site_id") != site_id:
        raise ConfigError(source, "site_id", f"settings of {body.get('site_id')!r}, "
                          f"not of this site {site_id!r}")
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError(source, "version", "must be a whole number ≥ 1")
    raw = body.get("settings")
    if not isinstance(raw, dict):
        raise ConfigError(source, "settings", "missing")
    digest = settings_digest(raw)
    if body.get("digest") != digest:
        raise ConfigError(source, "digest", "the settings do not hash to the announced "
                          "digest (cut short or altered)")
    return validate(CentralSettings, raw, file=source), version, digest


# ---- the copies on disk -------------------------------------------------------------------

def read_catalog_copy(path: Path) -> CatalogCopy | None:
    """The last good catalog kept in ``path``, checked again; None when there is none
    or it no longer passes (logged)."""
    data = read_json(path)
    if data is None:
        return None
    document = data.get("document")
    try:
        if not isinstance(document, dict):
            raise ConfigError(str(path), "document", "missing")
        catalog, _doc, digest = catalog_from_body(document, source=str(path),
                                                  announced=str(data.get("digest", "")))
    except ConfigError as exc:
        log.error("kept catalog not used: %s", exc)
        return None
    return CatalogCopy(catalog, digest, str(data.get("etag", "")), CACHED)


def sample_catalog(directory: Path) -> CatalogCopy:
    """The sample catalog shipped in ``config/catalog`` (ConfigError when it is broken)."""
    catalog = load_catalog(directory)
    doc = catalog_document(catalog)
    digest = catalog_digest(doc)
    return CatalogCopy(catalog, digest, catalog_etag(catalog.version, digest), SAMPLE)


def write_catalog_copy(path: Path, copy: CatalogCopy, clock: Clock) -> None:
    write_json(path, {"etag": copy.etag, "version": copy.version, "digest": copy.digest,
                      "kept_at": clock.now().isoformat(),
                      "document": catalog_document(copy.catalog)})


def read_settings_copy(path: Path, site_id: str) -> SettingsCopy | None:
    data = read_json(path)
    if data is None:
        return None
    try:
        body = data.get("document")
        if not isinstance(body, dict):
            raise ConfigError(str(path), "document", "missing")
        settings, version, digest = settings_from_body(body, site_id, source=str(path))
    except ConfigError as exc:
        log.error("kept settings not used: %s", exc)
        return None
    return SettingsCopy(settings, version, digest, str(data.get("etag", "")), CACHED)


def write_settings_copy(path: Path, copy: SettingsCopy, site_id: str, clock: Clock) -> None:
    write_json(path, {"etag": copy.etag, "kept_at": clock.now().isoformat(),
                      "document": {"site_id": site_id, "version": copy.version,
                                   "digest": copy.digest,
                                   "settings": copy.settings.model_dump(mode="json")}})


# ---- fetching ---------------------------------------------------------------------------

def fetch_catalog(client: FleetClient, etag: str | None, *,
                  announced: str | None = None) -> CatalogCopy | None:
    """The served catalog, checked; None when it is the one tagged ``etag`` (304).
    Raises BackofficeError (no answer) or ConfigError (a bad document)."""
    fetched = client.catalog(etag)
    if fetched.body is None:
        return None
    version = str(fetched.body.get("version", "?"))
    catalog, _doc, digest = catalog_from_body(
        fetched.body, source=f"back office catalog {version}", announced=announced)
    return CatalogCopy(catalog, digest, fetched.etag, SERVED)


def fetch_settings(client: FleetClient, site_id: str, etag: str | None) -> SettingsCopy | None:
    fetched = client.site_settings(site_id, etag)
    if fetched.body is None:
        return None
    settings, version, digest = settings_from_body(
        fetched.body, site_id, source=f"back office settings of {site_id} "
        f"v{fetched.body.get('version', '?')}")
    return SettingsCopy(settings, version, digest, fetched.etag, SERVED)


# ---- what the kiosk starts on -------------------------------------------------------------

@dataclass(frozen=True)
class Start:
    """The catalog and settings a kiosk starts on, and its site with them."""

    catalog: CatalogCopy
    settings: SettingsCopy | None
    site: SiteProfile
    #: The items the site offers (``catalog.subset(site.catalog)``).
    offered: Catalog


def starting_point(sample_dir: Path, site: SiteProfile, paths: FleetPaths | None,
                   site_file: str) -> Start:
    """The last good copies kept in ``paths`` (when the kiosk has a back office), else
    the sample catalog of ``config/catalog`` and the local site profile. A kept pair that
    does not fit (an item the settings offer is missing) falls back, piece by piece,
    to what does; a broken sample is the ConfigError it always was."""
    kept_catalog = read_catalog_copy(paths.catalog) if paths is not None else None
    kept_settings = read_settings_copy(paths.settings, site.id) if paths is not None else None
    if paths is not None and kept_catalog is None:
        log.warning("no catalog from the back office kept yet: starting on the sample "
                    "catalog of %s", sample_dir)
    sample: CatalogCopy | None = None
    tries: list[tuple[CatalogCopy | None, SettingsCopy | None]] = [
        (kept_catalog, kept_settings), (kept_catalog, None), (None, None)]
    for catalog, settings in tries:
        if catalog is None:
            sample = sample or sample_catalog(sample_dir)
            catalog = sample
        effective = site.with_central(settings.settings) if settings else site
        try:
            offered = catalog.catalog.subset(effective.catalog, source=site_file)
        except ConfigError as exc:
            if catalog.source == SAMPLE and settings is None:
                raise
            log.error("kept catalog %s with settings v%s does not fit: %s", catalog.version,
                      settings.version if settings else "-", exc)
            continue
        return Start(catalog, settings, effective, offered)
    raise AssertionError("unreachable: the last try raises")  # pragma: no cover
