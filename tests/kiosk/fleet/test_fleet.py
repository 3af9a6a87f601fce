"""Fleet control end to end: a kiosk core and the real back office on loopback.

The catalog: an empty data dir runs on what is served; a new version reaches the kiosk
within one heartbeat (and nothing is fetched while the version is unchanged: 304); a
broken or cut catalog is refused, reported and the good one kept; a citizen session
finishes on the catalog it started with. Commands: signature checked (a forged one is
refused), run once though delivered twice (also across a restart), held back during a
session, results recorded in the back office.
"""

from __future__ import annotations

import io
import json
import socket
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalog import catalog_digest, catalog_document
from kiosk.fleet.files import read_json
from kiosk.session import EndReason
from kiosk.submission import signing
from kiosk.technician.diagnose import check_fleet
from tests.kiosk.fleet.live import TERMINAL, FleetRig

SAMPLE = "2026.11-sample.1"
REASON = "设备维护中，预计 15:00 恢复"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[FleetRig]:
    with FleetRig.start(tmp_path) as rig:
        yield rig


def commands(rig: FleetRig) -> dict[str, dict[str, Any]]:
    listed = rig.staff("GET", f"/staff/terminals/{TERMINAL}/commands").json()["commands"]
    return {c["id"]: c for c in listed}


def test_an_empty_data_dir_runs_on_the_served_catalog_and_keeps_it(rig: FleetRig) -> None:
    rig.publish("2026.12-1")
    kiosk, fleet, _beat = rig.kiosk()
    assert kiosk.catalog.version == SAMPLE and fleet.catalog.source == "sample"
    fleet.start()  # the fetch at start
    assert kiosk.catalog.version == "2026.12-1" and fleet.catalog.source == "served"
    kept = read_json(fleet.paths.catalog)
    assert kept is not None and kept["version"] == "2026.12-1"
    assert kept["digest"] == catalog_digest(kept["document"])
    # the settings of the site came too (version 1, seeded from config/sites)
    assert fleet.settings is not None and fleet.settings.version == 1
    # the next start, with the back office gone, runs on the kept copy
    rig.server.stop()
    again, fleet2, beat2 = rig.kiosk()
    assert again.catalog.version == "2026.12-1" and fleet2.catalog.source == "cached"
    assert not beat2.beat_once()  # no back office: nothing changes
    assert again.catalog.version == "2026.12-1"


def test_no_network_and_no_copy_starts_on_the_sample_and_says_so(rig: FleetRig) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    kiosk, fleet, _beat = rig.kiosk(url=nowhere)
    fleet.start()
    assert kiosk.catalog.version == SAMPLE
    diag = fleet.diagnostics()
    assert diag["catalog_source"] == "sample" and diag["ok"] is False
    # scripts/diagnose (another process) reads what the kiosk wrote
    report = check_fleet(kiosk.config)
    assert report["catalog_source"] == "sample" and report["ok"] is False
    assert "sample" in report["note"]


def test_a_new_catalog_arrives_within_one_heartbeat_and_304_otherwise(rig: FleetRig) -> None:
    kiosk, fleet, beat = rig.kiosk()
    changes: list[str] = []
    kiosk.add_listener(changes.append)
    fleet.start()
    assert fleet.catalog.source == "served"  # the sample is what is served: confirmed
    # the seeded settings are the local profile's: taken, but nothing to rebuild
    assert fleet.settings is not None and changes == []
    etag = fleet.catalog.etag
    assert rig.clients[0].catalog(etag).body is None  # conditional: 304, no body
    assert beat.beat_once() and kiosk.catalog.version == SAMPLE
    rig.publish("2026.12-2")
    assert beat.beat_once()
    assert kiosk.catalog.version == "2026.12-2" and fleet.catalog.source == "served"
    assert changes == ["catalog"]
    health = rig.staff("GET", "/staff/terminals").json()["terminals"][0]["health"]
    assert health["fleet"]["catalog_version"] == SAMPLE  # reported before the switch
    assert beat.beat_once()
    health = rig.staff("GET", "/staff/terminals").json()["terminals"][0]["health"]
    assert health["fleet"]["catalog_version"] == "2026.12-2"


def test_a_broken_catalog_is_refused_reported_and_the_good_one_kept(rig: FleetRig) -> None:
    kiosk, fleet, beat = rig.kiosk()
    fleet.start()
    good = fleet.catalog
    kept_before = fleet.paths.catalog.read_bytes()
    # an item of a department that does not exist: the loader's cross-file rule
    doc = catalog_document(good.catalog)
    doc["version"] = "2026.12-bad"
    doc["items"][0] = {**doc["items"][0], "department": "nowhere"}
    rig.serve_raw("2026.12-bad", doc, catalog_digest(doc))
    assert beat.beat_once()
    assert kiosk.catalog.version == SAMPLE and fleet.catalog is good
    assert fleet.paths.catalog.read_bytes() == kept_before
    assert any("nowhere" in p and "refused" in p for p in fleet.problems)
    assert beat.beat_once()  # the next heartbeat reports it
    health = rig.staff("GET", "/staff/terminals").json()["terminals"][0]["health"]
    assert any("refused" in p for p in health["fleet"]["problems"])
    assert fleet.diagnostics()["ok"] is False
    # a cut document (its hash is not the announced one) is refused too
    cut = dict(doc, version="2026.12-cut", items=doc["items"][1:])
    cut["items"][0] = dict(cut["items"][0])
    rig.serve_raw("2026.12-cut", cut, "0" * 64)
    problems = len(fleet.problems)
    assert beat.beat_once()
    assert kiosk.catalog.version == SAMPLE and len(fleet.problems) == problems + 1
    # the same announcement again is not fetched again
    assert beat.beat_once() and len(fleet.problems) == problems + 1


def test_a_session_in_progress_keeps_the_catalog_it_started_with(rig: FleetRig) -> None:
    kiosk, fleet, beat = rig.kiosk()
    fleet.start()
    kiosk.session.touch()  # a citizen
    started_on = kiosk.catalog
    rig.publish("2026.12-3")
    assert beat.beat_once()
    assert kiosk.catalog is started_on and fleet.staged is not None
    assert fleet.staged[0].version == "2026.12-3"
    kiosk.session.end(EndReason.DONE)
    assert kiosk.catalog.version == "2026.12-3" and fleet.staged is None


@dataclass(frozen=True)
class Forged:
    id: str
    kind: str
    args: dict[str, Any]
    issued_at: str
    signature: str


@dataclass(frozen=True)
class Reply:
    commands: tuple[Any, ...]
    catalog: Any = None
    settings: Any = None


def test_commands_are_verified_run_once_and_acknowledged(rig: FleetRig) -> None:
    kiosk, fleet, _beat = rig.kiosk()
    fleet.start()
    first = rig.command("print_test_page")
    reply = rig.clients[0].beat({}, site_id=kiosk.site.id)
    assert [c.id for c in reply.commands] == [first]
    fleet.on_reply(reply)
    fleet.on_reply(reply)  # delivered twice: acknowledged again, not printed again
    assert len(rig.printer.documents) == 1 and fleet.runner.acknowledged_again == 1
    done = commands(rig)[first]
    assert done["status"] == "done" and done["result"]["ok"] is True
    # after a restart the journal on disk still knows it
    _again, fleet2, _beat2 = rig.kiosk()
    fleet2.on_reply(reply)
    assert len(rig.printer.documents) == 1
    # a command signed with another key, or altered on the way, is never run
    sent = reply.commands[0]
    forged = Forged("cmd-" + "f" * 24, "enter_maintenance", {"reason": "x"}, sent.issued_at,
                    signing.sign_command(b"k" * 32, TERMINAL, "cmd-" + "f" * 24,
                                         "enter_maintenance", {"reason": "x"}, sent.issued_at))
    altered = Forged(sent.id, "restart_app", {}, sent.issued_at, sent.signature)
    fleet.on_reply(Reply((forged, altered)))
    assert not kiosk.maintenance.on and fleet.runner.refused == 2
    assert any("signature" in p for p in fleet.problems)
    assert json.loads(fleet.paths.commands.read_text())["commands"][-1]["id"] == first


def test_commands_wait_for_the_session_to_end(rig: FleetRig) -> None:
    kiosk, fleet, beat = rig.kiosk()
    fleet.start()
    kiosk.session.touch()
    on = rig.command("enter_maintenance", reason=REASON)
    assert beat.beat_once()
    assert not kiosk.maintenance.on and fleet.runner.deferred == [on]
    assert commands(rig)[on]["status"] == "delivered"
    kiosk.session.end(EndReason.TIMEOUT)
    assert kiosk.maintenance.on and kiosk.maintenance.reason == REASON
    assert commands(rig)[on]["status"] == "done"
    # in maintenance nothing starts, and a touch on Home does not hold commands back
    item = next(i for i in kiosk.catalog.items if i.channel != "window_only")
    assert kiosk.check(item).reason == "availability.reason.maintenance"
    kiosk.session.touch()
    off = rig.command("leave_maintenance")
    assert beat.beat_once() and not kiosk.maintenance.on
    assert commands(rig)[off]["status"] == "done"
    # the state survives a restart while on
    kiosk.session.end(EndReason.CANCEL)
    rig.command("enter_maintenance", reason=REASON)
    assert beat.beat_once() and kiosk.maintenance.on
    restarted, _f, _b = rig.kiosk()
    assert restarted.maintenance.on and restarted.maintenance.reason == REASON


def test_resync_and_restart_commands(rig: FleetRig) -> None:
    kiosk, fleet, beat = rig.kiosk()
    fleet.start()
    restarts: list[str] = []
    restart = rig.command("restart_app")
    assert beat.beat_once()
    assert commands(rig)[restart]["status"] == "failed"  # no app to restart here
    kiosk.on_restart = lambda: restarts.append("now")
    rig.publish("2026.12-4")
    resync = rig.command("resync_catalog")
    again = rig.command("restart_app")
    reply = rig.clients[0].beat({}, site_id=kiosk.site.id)  # the announcement not taken
    fleet.on_reply(Reply(reply.commands))
    assert kiosk.catalog.version == "2026.12-4"
    listed = commands(rig)
    assert listed[resync]["result"]["data"]["catalog_version"] == "2026.12-4"
    assert listed[again]["status"] == "done" and restarts == ["now"]


def test_a_diagnostic_bundle_is_uploaded_on_command(rig: FleetRig) -> None:
    _kiosk, fleet, beat = rig.kiosk()
    fleet.start()
    upload = rig.command("upload_diagnostics")
    assert beat.beat_once()
    result = commands(rig)[upload]["result"]
    assert result["ok"] is True, result
    sha = result["data"]["sha256"]
    got = rig.staff("GET", f"/staff/terminals/{TERMINAL}/bundles/{sha}")
    assert got.status_code == 200 and got.content[:2] == b"PK"
    assert len(got.content) == result["data"]["size"]
    with zipfile.ZipFile(io.BytesIO(got.content)) as bundle:
        names = bundle.namelist()
        diagnostics = json.loads(next(bundle.read(n) for n in names
                                      if n.endswith("diagnostics.json")))
        secret_hex = rig.secret.hex()
        assert all(secret_hex.encode() not in bundle.read(n) for n in names)
    assert diagnostics["fleet"]["catalog_source"] == "served"
