"""The catalog and the sites' central settings, versioned in the database.

* **Catalog.** ``scripts/backoffice catalog publish DIR`` reads ``DIR/*.yaml`` with the
  kiosk's own loader (:func:`kiosk.catalog.load_catalog`: the same models and
  cross-file rules a kiosk applies), checks that every site's published settings still
  fit it (the items a site offers must exist), and stores it as a new row of
  ``catalog_versions``: the newest row is served. Its ``digest`` is the SHA-256 of the
  document's canonical JSON (:mod:`kiosk.catalog.document`), and
  ``GET /api/v1/catalog`` answers with ``ETag: "<version>/<digest>"``.
* **Site settings.** ``scripts/backoffice settings publish SITE FILE`` reads a site
  profile (``config/sites/<SITE>.yaml`` format, the kiosk's ``SiteProfile`` model) and
  stores its centrally managed part (:class:`kiosk.config.model.CentralSettings`: the
  items offered, branding, idle timeouts) as the site's next version.
* **Seed.** On a database with no catalog, the first server (or CLI command) stores
  ``Settings.catalog_dir`` (``config/catalog``, the sample) and the profiles of
  ``Settings.sites_dir`` as version 1 of each; several processes starting at once
  seed once (one write transaction, an advisory lock on PostgreSQL).

Publishing the content already current changes nothing; a version name already
published with other content is refused (bump the version in ``catalog.yaml``).
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backoffice import audit
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.models import CatalogVersion, SiteSettingsVersion
from backoffice.schemas import Catalog, CatalogVersionRef, SettingsVersionRef, SiteSettings
from kiosk.catalog import Catalog as KioskCatalog
from kiosk.catalog import (
    catalog_digest,
    catalog_document,
    catalog_etag,
    load_catalog,
    load_catalog_document,
    settings_digest,
)
from kiosk.config.loader import read_yaml, validate
from kiosk.config.model import CentralSettings, SiteProfile
from kiosk.errors import ConfigError

log = logging.getLogger(__name__)

#: A catalog version as people write it in catalog.yaml; it becomes part of an ETag.
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
SITE_RE = re.compile(r"^[a-z0-9-]{1,64}$")
#: Any constant: serializes seeding between server processes on PostgreSQL.
_SEED_LOCK_KEY = 0x6B696F736C
#: Who "published" what the first start stored.
SEED = "seed"


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_SEED_LOCK_KEY)))


def _latest_catalog(session: Session) -> CatalogVersion | None:
    return session.scalars(select(CatalogVersion).order_by(CatalogVersion.id.desc())
                           .limit(1)).first()


def latest_settings(session: Session, site_id: str) -> SiteSettingsVersion | None:
    return session.scalars(select(SiteSettingsVersion)
                           .where(SiteSettingsVersion.site_id == site_id)
                           .order_by(SiteSettingsVersion.version.desc()).limit(1)).first()


def _site_ids(session: Session) -> list[str]:
    return list(session.scalars(select(SiteSettingsVersion.site_id).distinct()
                                .order_by(SiteSettingsVersion.site_id)))


def catalog_ref(row: CatalogVersion) -> CatalogVersionRef:
    return CatalogVersionRef(version=row.version, digest=row.digest)


def settings_ref(row: SiteSettingsVersion) -> SettingsVersionRef:
    return SettingsVersionRef(site_id=row.site_id, version=row.version, digest=row.digest)


def settings_etag(row: SiteSettingsVersion) -> str:
    return f'"{row.version}/{row.digest}"'


# ---- catalog ------------------------------------------------------------------------

def read_catalog_dir(directory: Path) -> KioskCatalog:
    """The catalog in ``directory``, validated as a kiosk would; 422 with the loader's
    message (file, key path, problem) when it is not."""
    try:
        catalog = load_catalog(directory)
    except ConfigError as exc:
        raise ApiError(422, "invalid_catalog", str(exc)) from None
    if not VERSION_RE.match(catalog.version):
        raise ApiError(422, "invalid_catalog",
                       f"{directory / 'catalog.yaml'}: version {catalog.version!r} must be "
                       "1-64 of A-Z a-z 0-9 . _ + - (it becomes part of an HTTP ETag)")
    return catalog


def _check_sites_fit(session: Session, catalog: KioskCatalog) -> None:
    for site_id in _site_ids(session):
        row = latest_settings(session, site_id)
        if row is None:
            continue
        settings = CentralSettings.model_validate(row.content)
        try:
            catalog.subset(settings.catalog, source=f"site settings {site_id} v{row.version}")
        except ConfigError as exc:
            raise ApiError(422, "invalid_catalog",
                           f"the catalog does not fit the published settings of site "
                           f"{site_id}: {exc}; publish those settings without the "
                           "missing items first") from None


def _publish_catalog(session: Session, catalog: KioskCatalog, now: datetime, by: str,
                     source: str) -> tuple[CatalogVersionRef, bool]:
    doc = catalog_document(catalog)
    digest = catalog_digest(doc)
    current = _latest_catalog(session)
    if current is not None and current.digest == digest:
        return catalog_ref(current), False
    clash = session.scalars(select(CatalogVersion).where(
        CatalogVersion.version == catalog.version, CatalogVersion.digest != digest)).first()
    if clash is not None:
        raise ApiError(409, "version_taken",
                       f"catalog version {catalog.version} was published "
                       f"{clash.published_at:%Y-%m-%d %H:%M} UTC with other content; give "
                       "this one a new version in catalog.yaml")
    _check_sites_fit(session, catalog)
    row = CatalogVersion(version=catalog.version, digest=digest, content=doc,
                         published_at=now, published_by=by[:80], source=source[:400])
    session.add(row)
    if by != SEED:  # the first start's seed is no one's action
        audit.record(session, now, by, "publish_catalog", catalog.version, digest)
    return catalog_ref(row), True


def publish_catalog(factory: sessionmaker[Session], directory: Path, now: datetime, *,
                    by: str) -> tuple[CatalogVersionRef, bool]:
    """Validate ``directory`` and make it the served catalog. Returns the version and
    whether it is new (False: that content is already current)."""
    catalog = read_catalog_dir(directory)
    with transaction(factory) as session:
        return _publish_catalog(session, catalog, now, by, str(directory))


def catalog_versions(factory: sessionmaker[Session], limit: int = 50) -> list[dict[str, Any]]:
    with transaction(factory, write=False) as session:
        rows = session.execute(select(
            CatalogVersion.id, CatalogVersion.version, CatalogVersion.digest,
            CatalogVersion.published_at, CatalogVersion.published_by, CatalogVersion.source)
            .order_by(CatalogVersion.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


class CatalogStore:
    """What ``GET /api/v1/catalog`` serves: the newest row, built once per row.

    ``get()`` costs one indexed query (the newest id) per call; a catalog published by
    the CLI or another server process is served from the next request on."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._cached: tuple[int, Catalog, str] | None = None
        self._codes: tuple[int, frozenset[str]] | None = None

    def current(self) -> tuple[Catalog, str]:
        """The served catalog and its ETag; 503 ``unavailable`` when none is published."""
        with transaction(self._sessions, write=False) as session:
            found = self.at(session, session.scalar(select(func.max(CatalogVersion.id))))
        if found is None:
            raise ApiError(503, "unavailable", "no catalog is published yet "
                           "(scripts/backoffice catalog publish DIR)")
        return found

    def at(self, session: Session, newest: int | None) -> tuple[Catalog, str] | None:
        """The catalog of row ``newest`` (the newest id, read by the caller in
        ``session``) and its ETag, built once per row; None when there is none."""
        with self._lock:
            cached = self._cached
        if cached is not None and cached[0] == newest:
            return cached[1], cached[2]
        row = None if newest is None else session.get(CatalogVersion, newest)
        if row is None:
            return None
        content = dict(row.content)
        answer = Catalog(version=row.version, digest=row.digest,
                         sample=bool(content.get("sample", False)),
                         items=content["items"], bundles=content["bundles"],
                         departments=content["departments"],
                         life_events=content["life_events"])
        tag = catalog_etag(row.version, row.digest)
        with self._lock:
            self._cached = (row.id, answer, tag)
        return answer, tag

    def get(self) -> Catalog:
        return self.current()[0]

    def codes(self, session: Session) -> frozenset[str]:
        """The item and bundle codes of the served catalog, read in the caller's
        ``session`` (a case intake checks them in its own transaction: one statement,
        not a transaction of their own); 503 ``unavailable`` when none is published."""
        newest = session.scalar(select(func.max(CatalogVersion.id)))
        with self._lock:
            codes = self._codes
        if codes is not None and codes[0] == newest:
            return codes[1]
        found = self.at(session, newest)
        if found is None or newest is None:
            raise ApiError(503, "unavailable", "no catalog is published yet "
                           "(scripts/backoffice catalog publish DIR)")
        known = frozenset(str(i.get("code")) for i in [*found[0].items, *found[0].bundles])
        with self._lock:
            self._codes = (newest, known)
        return known

    def ref(self) -> CatalogVersionRef | None:
        try:
            catalog, _tag = self.current()
        except ApiError:
            return None
        return CatalogVersionRef(version=catalog.version, digest=catalog.digest)

    def ref_at(self, session: Session, newest: int | None) -> CatalogVersionRef | None:
        """:meth:`ref` for the newest id read by the caller in ``session``."""
        found = self.at(session, newest)
        return None if found is None else CatalogVersionRef(version=found[0].version,
                                                            digest=found[0].digest)


# ---- site settings --------------------------------------------------------------------

def read_site_file(site_id: str, path: Path) -> CentralSettings:
    """The centrally managed part of the site profile in ``path`` (validated with the
    kiosk's ``SiteProfile``); 422 ``invalid_settings`` naming file, key and problem."""
    if not SITE_RE.match(site_id):
        raise ApiError(422, "invalid_settings", "site id must be [a-z0-9-], 1-64 chars")
    try:
        profile = validate(SiteProfile, read_yaml(path), file=str(path))
    except ConfigError as exc:
        raise ApiError(422, "invalid_settings", str(exc)) from None
    if profile.id != site_id:
        raise ApiError(422, "invalid_settings", f"{path}: id is {profile.id!r}, not {site_id!r}")
    return profile.central()


def _publish_settings(session: Session, site_id: str, settings: CentralSettings,
                      now: datetime, by: str) -> tuple[SettingsVersionRef, bool]:
    current_catalog = _latest_catalog(session)
    if current_catalog is not None:
        catalog = load_catalog_document(current_catalog.content,
                                        source=f"catalog {current_catalog.version}")
        try:
            catalog.subset(settings.catalog, source=f"settings of site {site_id}")
        except ConfigError as exc:
            raise ApiError(422, "invalid_settings", str(exc)) from None
    content = settings.model_dump(mode="json")
    digest = settings_digest(content)
    current = latest_settings(session, site_id)
    if current is not None and current.digest == digest:
        return settings_ref(current), False
    row = SiteSettingsVersion(site_id=site_id, version=(current.version + 1) if current else 1,
                              digest=digest, content=content, published_at=now,
                              published_by=by[:80])
    session.add(row)
    if by != SEED:
        audit.record(session, now, by, "publish_settings", site_id, f"v{row.version} {digest}")
    return settings_ref(row), True


def publish_settings(factory: sessionmaker[Session], site_id: str, path: Path,
                     now: datetime, *, by: str) -> tuple[SettingsVersionRef, bool]:
    settings = read_site_file(site_id, path)
    with transaction(factory) as session:
        return _publish_settings(session, site_id, settings, now, by)


def site_settings(session: Session, site_id: str) -> tuple[SiteSettings, str] | None:
    row = latest_settings(session, site_id)
    if row is None:
        return None
    return (SiteSettings(site_id=row.site_id, version=row.version, digest=row.digest,
                         settings=dict(row.content)), settings_etag(row))


def newest_settings_id(site_id: str) -> Any:
    """The id of a site's newest settings row, as a scalar subquery (None: no row)."""
    return (select(SiteSettingsVersion.id).where(SiteSettingsVersion.site_id == site_id)
            .order_by(SiteSettingsVersion.version.desc()).limit(1).scalar_subquery())


class SettingsRefs:
    """Settings rows by id, as a heartbeat reply names them. A row never changes (a
    publish adds one), so each is read once per process; at most ``limit`` kept."""

    def __init__(self, limit: int = 1024) -> None:
        self._lock = threading.Lock()
        self._refs: dict[int, SettingsVersionRef] = {}
        self._limit = limit

    def get(self, session: Session, row_id: int | None) -> SettingsVersionRef | None:
        if row_id is None:
            return None
        with self._lock:
            known = self._refs.get(row_id)
        if known is not None:
            return known
        row = session.get(SiteSettingsVersion, row_id)
        if row is None:
            return None
        ref = settings_ref(row)
        with self._lock:
            if len(self._refs) >= self._limit:
                self._refs.clear()
            self._refs[row_id] = ref
        return ref


def settings_versions(factory: sessionmaker[Session]) -> list[SettingsVersionRef]:
    with transaction(factory, write=False) as session:
        return [settings_ref(r) for site in _site_ids(session)
                if (r := latest_settings(session, site)) is not None]


# ---- seed -----------------------------------------------------------------------------

def seed(factory: sessionmaker[Session], catalog_dir: Path, sites_dir: Path,
         now: datetime, *, follow: bool = False) -> None:
    """First start: the catalog in ``catalog_dir`` and every profile in ``sites_dir``
    become version 1, when the database has none. A file that does not validate is
    logged and left out (the server starts; GET /catalog answers 503 until a publish).
    ``follow`` (development): published again at every start when they changed."""
    with transaction(factory) as session:
        _lock(session)
        if _latest_catalog(session) is None or follow:
            try:
                ref, new = _publish_catalog(session, read_catalog_dir(catalog_dir), now,
                                            SEED, f"seed:{catalog_dir}")
                if new:
                    log.info("catalog seeded from %s: %s", catalog_dir, ref.version)
            except ApiError as exc:
                log.error("catalog not seeded from %s: %s", catalog_dir, exc.detail)
        if (_site_ids(session) and not follow) or not sites_dir.is_dir():
            return
        for path in sorted(sites_dir.glob("*.yaml")):
            try:
                _publish_settings(session, path.stem, read_site_file(path.stem, path), now,
                                  SEED)
            except ApiError as exc:
                log.error("settings of site %s not seeded: %s", path.stem, exc.detail)
