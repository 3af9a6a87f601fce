"""A kiosk core and a real back office on loopback (``BackgroundServer``), joined by
fleet control: ``FleetRig`` builds both, registers the terminal, and gives the test the
kiosk (built by ``build_kiosk`` from a config overlay, as the app builds it), its
``FleetControl`` (fetches and commands on the test's thread, or on its own thread as in
the app) and its ``Heartbeat``."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import yaml

from backoffice import fleet as bo_fleet
from backoffice import staffauth, staffops
from backoffice.db import transaction
from backoffice.server import BackgroundServer
from backoffice.settings import REPO_ROOT, Settings
from devices.base import DeviceState, DeviceStatus
from kiosk.clock import FakeClock, SystemClock
from kiosk.fleet.control import FleetControl
from kiosk.submission.client import BackofficeClient
from kiosk.submission.heartbeat import Heartbeat
from kiosk.wiring.build import Kiosk, build_kiosk
from kiosk.wiring.fleet import attach_fleet
from tests.fakes import StubDevice

TERMINAL = "XS-FLEET-0001"
STAFF = "fleet.staff-token-for-fleet-tests"
KINDS = ("idcard", "sscard", "printer", "camera", "doccam", "scanner")


class CountingPrinter(StubDevice):
    """The receipt printer as the test page reaches it (``print_document``)."""

    def __init__(self) -> None:
        super().__init__("printer")
        self.documents: list[Any] = []

    def print_document(self, doc: Any) -> Any:
        from devices.printer.base import JobResult
        self.documents.append(doc)
        return JobResult("test_page", "text", 100, 100, DeviceStatus(DeviceState.READY))


@dataclass
class FleetRig:
    tmp: Path
    server: BackgroundServer
    secret: bytes
    printer: CountingPrinter = field(default_factory=CountingPrinter)
    kiosks: list[Kiosk] = field(default_factory=list)
    clients: list[BackofficeClient] = field(default_factory=list)
    workers: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, tmp: Path) -> FleetRig:
        catalog = tmp / "seed-catalog"
        shutil.copytree(REPO_ROOT / "config" / "catalog", catalog)
        settings = Settings(data_dir=tmp / "bo", catalog_dir=catalog, clock=SystemClock())
        server = BackgroundServer(settings).start()
        secret = secrets.token_bytes(32)
        now = datetime.now(UTC)
        staffops.register_terminal(server.app.state.sessions, TERMINAL, secret.hex(), now,
                                   server.app.state.secret_box)
        staffauth.add_account(server.app.state.sessions, "fleet", "technician", now,
                              token=STAFF)
        key = tmp / "terminal.key"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secret.hex() + "\n")
        return cls(tmp, server, secret)

    def overlay(self, url: str | None = None) -> Path:
        path = self.tmp / "kiosk-overlay.yaml"
        path.write_text(yaml.safe_dump({
            "terminal": {"id": TERMINAL, "data_dir": str(self.tmp / "kiosk"),
                         "site_profile": "township"},
            "backoffice": {"url": url or self.server.url,
                           "secret_file": str(self.tmp / "terminal.key"),
                           "connect_timeout_s": 1, "read_timeout_s": 5}}), encoding="utf-8")
        return path

    def kiosk(self, url: str | None = None, *, threaded: bool = False
              ) -> tuple[Kiosk, FleetControl, Heartbeat]:
        """A kiosk started on this data dir: fleet control attached, not synced yet.
        ``threaded``: fetches and commands run on fleet control's own thread, as in the
        app (a command waits for the UI thread: the test renders meanwhile); else on the
        caller's thread."""
        devices: dict[str, Any] = {k: StubDevice(k) for k in KINDS}
        devices["printer"] = self.printer
        kiosk = build_kiosk(overlays=[self.overlay(url)], devices=devices,
                            clock=FakeClock(datetime.now(UTC)))
        client = BackofficeClient.from_config(kiosk.config, clock=kiosk.clock)
        holder = SimpleNamespace(fleet_worker=None)  # where attach_fleet puts its thread
        fleet = attach_fleet(kiosk, client, cast(Any, holder), threaded=threaded)
        if holder.fleet_worker is not None:
            self.workers.append(holder.fleet_worker)
        beat = Heartbeat(client, kiosk.devices, clock=kiosk.clock, fleet=fleet,
                         site_id=kiosk.site.id)
        self.kiosks.append(kiosk)
        self.clients.append(client)
        return kiosk, fleet, beat

    def publish(self, version: str) -> str:
        """Publish the sample catalog under another version; returns its digest."""
        directory = self.tmp / f"catalog-{version}"
        shutil.copytree(REPO_ROOT / "config" / "catalog", directory)
        header = directory / "catalog.yaml"
        header.write_text(header.read_text(encoding="utf-8").replace(
            '"2026.11-sample.1"', f'"{version}"'), encoding="utf-8")
        ref, _new = bo_fleet.publish_catalog(self.server.app.state.sessions, directory,
                                             datetime.now(UTC), by="test")
        return ref.digest

    def serve_raw(self, version: str, document: dict[str, Any], digest: str) -> None:
        """Put a catalog row in the database as it is (a back office bug, a bad edit):
        what a kiosk must refuse."""
        from backoffice.models import CatalogVersion
        with transaction(self.server.app.state.sessions) as session:
            session.add(CatalogVersion(version=version, digest=digest, content=document,
                                       published_at=datetime.now(UTC), published_by="test"))

    def staff(self, method: str, path: str, **kw: Any) -> Any:
        import requests
        return requests.request(method, self.server.url + path, timeout=10,
                                headers={"Authorization": f"Bearer {STAFF}"}, **kw)

    def command(self, kind: str, **args: str) -> str:
        """A technician's command to the terminal through the staff API; its id."""
        r = self.staff("POST", f"/staff/terminals/{TERMINAL}/commands",
                       json={"kind": kind, "args": args})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def stop(self) -> None:
        for worker in self.workers:
            worker.close()
        for kiosk in self.kiosks:
            kiosk.close()
        for client in self.clients:
            client.close()
        self.server.stop()

    def __enter__(self) -> FleetRig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
