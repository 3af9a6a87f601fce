"""The one place where the kiosk is built.

``build_kiosk`` reads the configuration and wires every core object in order:
config → site profile → catalog subset → translators → search → devices →
availability → session manager. Nothing is a singleton or a module-level
registry: the resulting :class:`Kiosk` is passed to the UI (``screens/``),
which only calls these objects and renders their state.

Later pieces plug in here, not in the screens:

* ``devices``: the device set (the simulators' or the real drivers'); by default
  the kiosk has none and every item that needs a device shows 暂停服务;
* ``accepting``: the outbox's ``accepting()`` (new submissions possible);
* ``backoffice_url``: the 一窗受理 back office (``scripts/run`` starts a local one).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from devices.base import Device
from kiosk.catalog import Catalog, ServiceItem
from kiosk.catalog.availability import Availability, AvailabilityChecker
from kiosk.clock import Clock, SystemClock
from kiosk.config.model import (
    CentralSettings,
    KioskConfig,
    SiteProfile,
    load_config,
    load_site,
    resolve,
)
from kiosk.fleet.files import FleetPaths
from kiosk.fleet.maintenance import (
    Maintenance,
    MaintenanceState,
    MaintenanceView,
    maintenance_view,
)
from kiosk.fleet.sync import CatalogCopy, SettingsCopy, starting_point
from kiosk.service.notify import Notifier
from kiosk.session import SessionManager
from kiosk.wiring.services import Services

if TYPE_CHECKING:
    from kiosk.fleet.control import FleetControl

log = logging.getLogger(__name__)
Work = Callable[[], None]


def _inline(work: Work) -> None:
    work()

#: Hook for the device set: ``kiosk.wiring.devices.open_devices`` (simulated or real drivers).
DeviceFactory = Callable[[KioskConfig, SiteProfile, Clock], Mapping[str, Device]]


class Translate(Protocol):
    """What the UI needs of ``kiosk.i18n.translate.Translator``."""

    def gettext(self, key: str, /, **kw: Any) -> str: ...

    def has(self, key: str) -> bool: ...


class Search(Protocol):
    """What the UI needs of ``kiosk.catalog.search.CatalogSearch``."""

    def search(self, query: str, limit: int = ...) -> Sequence[Any]: ...


class LazySearch:
    """The catalog search, built on first use or by :meth:`warm`.

    Building the index loads pypinyin's dictionaries (~0.3 s), which would be a
    quarter of the kiosk's start-up; the UI calls ``warm`` from a thread once Home
    is on screen, and a query that comes earlier waits for the build.
    """

    def __init__(self, factory: Callable[[], Search]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._search: Search | None = None

    def _get(self) -> Search:
        with self._lock:
            if self._search is None:
                self._search = self._factory()
            return self._search

    def warm(self) -> None:
        self._get()

    def search(self, query: str, limit: int = 50) -> Sequence[Any]:
        return self._get().search(query, limit)


class LazyTranslators(Mapping[str, "Translate"]):
    """The site's languages, each translator loaded (its .po files parsed) on first
    use: the default language for Home, another one when a citizen switches to it."""

    def __init__(self, languages: Sequence[str], factory: Callable[[str], Translate]) -> None:
        self._languages = tuple(languages)
        self._factory = factory
        self._lock = threading.Lock()
        self._loaded: dict[str, Translate] = {}

    def __getitem__(self, lang: str) -> Translate:
        if lang not in self._languages:
            raise KeyError(lang)
        with self._lock:
            if lang not in self._loaded:
                self._loaded[lang] = self._factory(lang)
            return self._loaded[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._languages)

    def __len__(self) -> int:
        return len(self._languages)


@dataclass
class Kiosk:
    """Everything the UI is given. Built once by :func:`build_kiosk`."""

    config: KioskConfig
    site: SiteProfile
    catalog: Catalog
    translators: Mapping[str, Translate]
    search: Search
    devices: Mapping[str, Device]
    availability: AvailabilityChecker
    session: SessionManager
    clock: Clock
    #: What the screens use beyond the core (journey, desk, technician console ...).
    services: Services
    backoffice_url: str = ""
    #: 暂停服务 for citizens (kiosk/fleet/maintenance.py); Home renders it.
    maintenance: Maintenance = field(default_factory=Maintenance)
    #: The site profile as configured locally; ``site`` is it with the back office's
    #: central settings in place (kiosk/fleet/).
    base_site: SiteProfile | None = None
    #: The whole catalog and the settings the kiosk started on (kiosk/fleet/sync.py).
    start_catalog: CatalogCopy | None = None
    start_settings: SettingsCopy | None = None
    fleet_paths: FleetPaths | None = None
    #: Fleet control (attached with the journey when there is a back office).
    fleet: FleetControl | None = None
    #: Runs work on the UI thread; the shell sets its bridge's ``post``.
    ui_deliver: Callable[[Work], None] = _inline
    #: Exits the app so that its service manager starts it again (set by the app).
    on_restart: Callable[[], None] | None = None
    _listeners: list[Callable[[str], None]] = field(default_factory=list, repr=False)

    # -- changes the screens follow (on the UI thread) -----------------------------------
    def add_listener(self, listener: Callable[[str], None]) -> None:
        """``listener(what)``: ``"catalog"`` (catalog or site settings switched) or
        ``"maintenance"`` (暂停服务 on or off); called on the UI thread."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[str], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def notify(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def maintenance_view(self) -> MaintenanceView | None:
        """What Home shows instead of the services while in maintenance (None: serving)."""
        return maintenance_view(self.maintenance.state, self.site)

    def fits(self, catalog: Catalog, settings: CentralSettings | None) -> Catalog:
        """The items this site offers from ``catalog`` with ``settings``; ConfigError
        when the two do not fit (an item the settings name is not in the catalog)."""
        base = self.base_site or self.site
        site = base.with_central(settings) if settings is not None else base
        return catalog.subset(site.catalog, source=f"settings of site {site.id}")

    def switch_catalog(self, catalog: Catalog, settings: CentralSettings | None) -> None:
        """Run on a new catalog and site settings from now on (UI thread, between
        sessions: kiosk/fleet/control.py decides when)."""
        offered = self.fits(catalog, settings)
        base = self.base_site or self.site
        site = base.with_central(settings) if settings is not None else base
        self.site, self.catalog = site, offered
        self.search = LazySearch(_search_factory(offered))
        self.availability = self.availability.for_site(site)
        self.session.timeout_s = float(site.idle.timeout_s)
        self.session.warning_s = float(site.idle.warning_s)
        services = self.services
        services.site, services.catalog, services.desk = site, offered, None
        if services.journey is not None:
            services.journey.starter.catalog = offered
        log.info("catalog %s and site settings switched to (%d items)", catalog.version,
                 len(offered.items))
        self.notify("catalog")

    @property
    def languages(self) -> list[str]:
        return list(self.site.languages)

    def translator(self, lang: str) -> Translate:
        return self.translators[lang]

    def item(self, code: str) -> ServiceItem:
        return self.catalog.item(code)

    def check(self, item: ServiceItem) -> Availability:
        return self.availability.check(item)

    def find(self, query: str, limit: int = 30) -> list[ServiceItem]:
        """Search results as items (the search may return hits wrapping an item)."""
        results = self.search.search(query, limit)
        return [getattr(hit, "item", hit) for hit in results]

    def warm_up(self) -> threading.Thread:
        """Build what is lazy (the search index, the handwriting models) in the background;
        returns the thread."""
        warm = getattr(self.search, "warm", None)

        def work() -> None:
            for lang in self.translators:  # the other languages' texts, parsed now
                self.translators[lang]
            if warm is not None:
                warm()
            # libzinnia's models opened (the rare characters' one trained on the first
            # start of a release) before anyone writes a character
            self.services.handwriting().warm()
        thread = threading.Thread(target=work, name="kiosk-warm-up", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        # The services first (they print and send through the devices).
        self.services.close()
        for device in self.devices.values():
            device.close()


def build_kiosk(*, config_path: Path | None = None, overlays: Sequence[Path] = (),
                site_name: str | None = None, clock: Clock | None = None,
                devices: Mapping[str, Device] | None = None,
                device_factory: DeviceFactory | None = None,
                accepting: Callable[[], bool] | None = None,
                backoffice_url: str | None = None,
                notifier: Notifier | None = None) -> Kiosk:
    """Build the kiosk's core. Raises :class:`~kiosk.errors.ConfigError` on bad files.

    ``device_factory(config, site, clock)`` builds (and opens) the devices from the
    loaded configuration, e.g. ``kiosk.wiring.devices.open_devices``; ``devices``
    given directly (tests) are added to what it builds. ``notifier``: the service
    manager's socket (``Notifier.from_environ(os.environ)`` in screens/main.py)."""
    from kiosk.i18n.translate import Translator

    config = load_config(config_path, tuple(overlays))
    base_site = load_site(config, site_name)
    url = backoffice_url or config.backoffice.url
    # With a back office, the last catalog and settings it served (kept in the data
    # directory) come first; without one, or before the first fetch, the sample.
    paths = FleetPaths(config.terminal.data_path() / "fleet", base_site.id) if url else None
    start = starting_point(resolve(config.catalog_dir), base_site, paths,
                           f"{resolve(config.sites_dir) / base_site.id}.yaml")
    site, catalog = start.site, start.offered
    translators = LazyTranslators(site.languages, Translator)
    search = LazySearch(_search_factory(catalog))
    clock = clock or SystemClock()
    # The factory's mapping is kept, not copied: a device it builds after Home (the
    # cameras, see kiosk/wiring/devices.py) must reach everything that looks it up.
    made: Mapping[str, Device] = device_factory(config, site, clock) if device_factory else {}
    device_map: Mapping[str, Device] = {**made, **devices} if devices else made
    maintenance = Maintenance(paths.maintenance if paths is not None else None)
    checker = AvailabilityChecker(site, device_map, accepting or (lambda: True),
                                  maintenance=lambda: maintenance.on)
    session = SessionManager(clock, site.idle, device_map)
    services = Services(config=config, site=site, catalog=catalog, clock=clock,
                        devices=device_map,
                        texts=lambda lang, key: translators[lang].gettext(key),
                        notifier=notifier)
    kiosk = Kiosk(config=config, site=site, catalog=catalog, translators=translators,
                  search=search, devices=device_map, availability=checker, session=session,
                  clock=clock, services=services, backoffice_url=url,
                  maintenance=maintenance, base_site=base_site,
                  start_catalog=start.catalog, start_settings=start.settings,
                  fleet_paths=paths)

    def announce(_state: MaintenanceState) -> None:
        kiosk.notify("maintenance")
    maintenance.add_listener(announce)
    return kiosk


def _search_factory(catalog: Catalog) -> Callable[[], Search]:
    def make_search() -> Search:
        # pypinyin is imported here, off the start-up path (see LazySearch).
        from kiosk.catalog.search import CatalogSearch
        return CatalogSearch(catalog)
    return make_search
