"""Fleet control's parts, built for a kiosk with a back office (kiosk/fleet/,
docs/fleet-control.md): :func:`attach_fleet` makes the :class:`FleetControl` the
heartbeat reports to, with its thread, and the command handlers that need the kiosk's
own objects: the receipt printer's test page and the technician's diagnostic bundle.
"""

from __future__ import annotations

import logging
import queue
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config.model import resolve
from kiosk.fleet.commands import Handler, Outcome
from kiosk.fleet.control import FleetControl, Work
from kiosk.fleet.files import FleetPaths
from kiosk.fleet.sync import sample_catalog
from kiosk.submission.client import BackofficeClient
from kiosk.wiring.journey import JourneyServices, Worker

if TYPE_CHECKING:
    from kiosk.wiring.build import Kiosk

log = logging.getLogger(__name__)

#: The largest diagnostic bundle sent (the back office refuses more: MAX_DIAGNOSTIC_BUNDLE_BYTES).
MAX_BUNDLE_BYTES = 20 * 1024 * 1024


def attach_fleet(kiosk: Kiosk, client: BackofficeClient,
                 journey: JourneyServices | None = None, *, threaded: bool = True
                 ) -> FleetControl:
    """Build fleet control onto ``kiosk`` (``kiosk.fleet``, ``kiosk.services.fleet``).
    ``threaded=False``: fetches and commands run on the caller's thread (tests)."""
    config = kiosk.config
    paths = kiosk.fleet_paths or FleetPaths(config.terminal.data_path() / "fleet",
                                            kiosk.site.id)
    catalog = kiosk.start_catalog or sample_catalog(resolve(config.catalog_dir))
    worker = Worker("fleet") if threaded else None
    if journey is not None:
        journey.fleet_worker = worker
    fleet = FleetControl(
        client=client, paths=paths, clock=kiosk.clock, catalog=catalog,
        settings=kiosk.start_settings, switch=kiosk.switch_catalog, fits=kiosk.fits,
        session=kiosk.session, maintenance=kiosk.maintenance,
        central=lambda running: (kiosk.site if running
                                 else kiosk.base_site or kiosk.site).central(),
        terminal_id=config.terminal.id, keys=client.signing_key,
        handlers=_handlers(kiosk, client),
        restart=lambda: _restart(kiosk), can_restart=lambda: kiosk.on_restart is not None,
        dispatch=_dispatcher(worker),
        deliver=lambda work: kiosk.ui_deliver(work))
    kiosk.fleet = fleet
    kiosk.services.fleet = fleet
    return fleet


def _dispatcher(worker: Worker | None) -> Callable[[Work], None]:
    """Work for the fleet thread; never raises into the heartbeat: a full queue (the
    back office answering faster than the thread works) drops the work, and the next
    heartbeat reply brings it again."""
    if worker is None:
        return lambda work: work()

    def dispatch(work: Work) -> None:
        try:
            worker(work)
        except queue.Full:
            log.warning("fleet thread busy: work dropped until the next heartbeat")
    return dispatch


def _restart(kiosk: Kiosk) -> None:
    if kiosk.on_restart is not None:
        kiosk.on_restart()


def _handlers(kiosk: Kiosk, client: BackofficeClient) -> Mapping[str, Handler]:
    def test_page(_args: Mapping[str, Any]) -> Outcome:
        from kiosk.technician.selftests import print_test_page
        lang = kiosk.site.default_language
        result = print_test_page(kiosk.devices.get("printer"),
                                 terminal_id=kiosk.config.terminal.id, clock=kiosk.clock,
                                 texts=kiosk.services.receipt_texts(lang))
        return Outcome(result.ok, result.key, {k: str(v) for k, v in result.values.items()})

    def upload(_args: Mapping[str, Any]) -> Outcome:
        console = kiosk.services.technician_console()
        with tempfile.TemporaryDirectory(prefix="kiosk-bundle-") as tmp:
            data = console.export(Path(tmp)).read_bytes()
        if len(data) > MAX_BUNDLE_BYTES:
            return Outcome(False, f"bundle of {len(data)} bytes exceeds {MAX_BUNDLE_BYTES}")
        sha256 = client.upload_bundle(data)
        return Outcome(True, "bundle uploaded", {"sha256": sha256, "size": len(data)})

    return {"print_test_page": test_page, "upload_diagnostics": upload}
