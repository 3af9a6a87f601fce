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

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from devices.base import Device
from kiosk.catalog import Catalog, ServiceItem, load_catalog
from kiosk.catalog.availability import Availability, AvailabilityChecker
from kiosk.clock import Clock, SystemClock
from kiosk.config.model import KioskConfig, SiteProfile, load_config, load_site, resolve
from kiosk.service.notify import Notifier
from kiosk.session import SessionManager
from kiosk.wiring.services import Services

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
    site = load_site(config, site_name)
    catalog = load_catalog(resolve(config.catalog_dir)).subset(
        site.catalog, source=f"{resolve(config.sites_dir) / site.id}.yaml")
    translators = LazyTranslators(site.languages, Translator)

    def make_search() -> Search:
        # pypinyin is imported here, off the start-up path (see LazySearch).
        from kiosk.catalog.search import CatalogSearch
        return CatalogSearch(catalog)

    search = LazySearch(make_search)
    clock = clock or SystemClock()
    # The factory's mapping is kept, not copied: a device it builds after Home (the
    # cameras, see kiosk/wiring/devices.py) must reach everything that looks it up.
    made: Mapping[str, Device] = device_factory(config, site, clock) if device_factory else {}
    device_map: Mapping[str, Device] = {**made, **devices} if devices else made
    checker = AvailabilityChecker(site, device_map, accepting or (lambda: True))
    session = SessionManager(clock, site.idle, device_map)
    services = Services(config=config, site=site, catalog=catalog, clock=clock,
                        devices=device_map,
                        texts=lambda lang, key: translators[lang].gettext(key),
                        notifier=notifier)
    return Kiosk(config=config, site=site, catalog=catalog, translators=translators,
                 search=search, devices=device_map, availability=checker, session=session,
                 clock=clock, services=services,
                 backoffice_url=backoffice_url or config.backoffice.url)
