"""The served catalog: seeded from config/catalog, published by the CLI after the kiosk's
own loader accepted it, with an ETag (version and content hash) and 304 on a match."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from backoffice import fleet
from backoffice.cli import main as cli
from backoffice.errors import ApiError
from backoffice.settings import Settings
from kiosk.catalog import catalog_digest, load_catalog, load_catalog_document
from kiosk.submission.reference import format_reference
from tests.backoffice.testing import JPEG, TerminalClient, make_case


def bump(directory: Path, version: str) -> None:
    header = directory / "catalog.yaml"
    text = header.read_text(encoding="utf-8").replace('version: "2026.11-sample.1"',
                                                      f'version: "{version}"')
    header.write_text(text, encoding="utf-8")


def test_catalog_is_the_seeded_kiosk_catalog(terminal: TerminalClient,
                                             settings: Settings) -> None:
    r = terminal.request("GET", "/api/v1/catalog")
    assert r.status_code == 200, r.text
    served = r.json()
    local = load_catalog(settings.catalog_dir)
    assert served["version"] == local.version and served["sample"] is True
    assert [i["code"] for i in served["items"]] == [i.code for i in local.items]
    # what a kiosk reads back is the same catalog, and the digest is the document's
    doc = {k: v for k, v in served.items() if k != "digest"}
    assert load_catalog_document(doc, source="served") == local
    assert served["digest"] == catalog_digest(doc)
    assert r.headers["ETag"] == f'"{local.version}/{served["digest"]}"'


def test_if_none_match_is_304(terminal: TerminalClient) -> None:
    tag = terminal.request("GET", "/api/v1/catalog").headers["ETag"]
    r = terminal.request("GET", "/api/v1/catalog", headers={"If-None-Match": tag})
    assert r.status_code == 304 and r.content == b"" and r.headers["ETag"] == tag
    other = terminal.request("GET", "/api/v1/catalog", headers={"If-None-Match": '"x/y"'})
    assert other.status_code == 200 and other.json()["items"]


def test_publish_serves_the_new_version_and_refuses_a_broken_one(
        terminal: TerminalClient, client: TestClient, settings: Settings,
        tmp_path: Path, staff_headers: dict[str, str]) -> None:
    first = terminal.request("GET", "/api/v1/catalog")
    new = tmp_path / "new"
    shutil.copytree(settings.catalog_dir, new)
    bump(new, "2026.12-1")
    args = ["--data-dir", str(settings.data_dir)]
    assert cli(["catalog", "publish", str(new), "--by", "tester", *args]) == 0
    r = terminal.request("GET", "/api/v1/catalog",
                         headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 200 and r.json()["version"] == "2026.12-1"
    # the same content again changes nothing
    assert cli(["catalog", "publish", str(new), *args]) == 0
    # broken YAML, an unknown department: refused with the loader's words, nothing served
    (new / "broken.yaml").write_text("items: [unclosed\n", encoding="utf-8")
    assert cli(["catalog", "publish", str(new), *args]) == 1
    (new / "broken.yaml").unlink()
    dept = new / "items-water.yaml"
    dept.write_text(dept.read_text(encoding="utf-8").replace("department: water",
                                                             "department: nowhere", 1),
                    encoding="utf-8")
    bump(new, "2026.12-2")
    assert cli(["catalog", "publish", str(new), *args]) == 1
    assert terminal.request("GET", "/api/v1/catalog").json()["version"] == "2026.12-1"
    audit = client.get("/staff/audit", headers=staff_headers).json()["events"]
    assert any(e["action"] == "publish_catalog" and e["actor"] == "tester" for e in audit)


def test_a_version_name_is_not_reused_for_other_content(client: TestClient,
                                                        settings: Settings,
                                                        tmp_path: Path) -> None:
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    now = settings.clock.now()
    edited = tmp_path / "edited"
    shutil.copytree(settings.catalog_dir, edited)
    water = edited / "items-water.yaml"
    text = water.read_text(encoding="utf-8")
    water.write_text(text + "\n# a comment changes nothing\n", encoding="utf-8")
    assert fleet.publish_catalog(sessions, edited, now, by="t")[1] is False
    water.write_text(text.replace("department: water", "department: water\n    tongban: true",
                                  1), encoding="utf-8")
    try:
        fleet.publish_catalog(sessions, edited, now, by="t")
    except ApiError as exc:
        assert exc.status == 409 and "new version" in exc.detail
    else:
        raise AssertionError("the same version with other content was published")


def test_follow_seed_serves_the_edited_seed_at_the_next_start(settings: Settings) -> None:
    """The simulated terminal's back office (BACKOFFICE_FOLLOW_SEED=1) serves
    config/catalog as it is now; a production one only what is published."""
    import dataclasses

    from backoffice.app import create_app

    def served(conf: Settings) -> str:
        app = create_app(conf)
        try:
            return app.state.catalog.get().version
        finally:
            app.state.engine.dispose()
            app.state.fast_engine.dispose()

    assert served(settings) == "2026.11-sample.1"
    bump(settings.catalog_dir, "2026.12-dev")
    assert served(settings) == "2026.11-sample.1"  # seeded once: edits need a publish
    assert served(dataclasses.replace(settings, follow_seed=True)) == "2026.12-dev"


def test_a_new_case_is_checked_against_the_catalog_served_now(
        terminal: TerminalClient, settings: Settings, tmp_path: Path) -> None:
    """An item renamed by a newly published catalog: its new code is taken and its old
    one refused from the next case on, though cases were taken before the publish."""

    def case(n: int, item: str) -> dict[str, object]:
        body = make_case(format_reference("XD", date(2026, 11, 22), n))
        body["item_code"] = item
        return body

    assert terminal.put_material(JPEG).status_code in (200, 201)
    assert terminal.submit(case(1, "330109-SL-002")).status_code == 201
    new = tmp_path / "renamed"
    shutil.copytree(settings.catalog_dir, new)
    water = new / "items-water.yaml"
    water.write_text(water.read_text(encoding="utf-8").replace("330109-SL-002", "330109-SL-009"),
                     encoding="utf-8")
    bump(new, "2026.12-3")
    assert cli(["catalog", "publish", str(new), "--data-dir", str(settings.data_dir)]) == 0
    assert terminal.submit(case(2, "330109-SL-009")).status_code == 201
    refused = terminal.submit(case(3, "330109-SL-002"))
    assert refused.status_code == 422 and "not in the catalog" in refused.json()["detail"]
    # A case received before the rename still gets its receipt again.
    assert terminal.submit(case(1, "330109-SL-002")).status_code == 200
