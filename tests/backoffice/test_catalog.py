"""The catalog is the one the kiosk's loader accepts, with its version and a content digest."""

from __future__ import annotations

from backoffice.settings import Settings
from kiosk.catalog import load_catalog
from tests.backoffice.testing import TerminalClient


def test_catalog_is_the_kiosk_catalog(terminal: TerminalClient, settings: Settings) -> None:
    r = terminal.request("GET", "/api/v1/catalog")
    assert r.status_code == 200, r.text
    served = r.json()
    local = load_catalog(settings.catalog_dir)
    assert served["version"] == local.version
    assert [i["code"] for i in served["items"]] == [i.code for i in local.items]
    assert [b["code"] for b in served["bundles"]] == [b.code for b in local.bundles]
    assert len(served["departments"]) == len(local.departments)


def test_digest_changes_with_any_edit(terminal: TerminalClient, settings: Settings) -> None:
    first = terminal.request("GET", "/api/v1/catalog").json()
    assert terminal.request("GET", "/api/v1/catalog").json()["digest"] == first["digest"]
    header = settings.catalog_dir / "catalog.yaml"
    header.write_text(header.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    changed = terminal.request("GET", "/api/v1/catalog").json()
    assert changed["digest"] != first["digest"]
    assert changed["version"] == first["version"]


def test_broken_catalog_is_503_not_500(terminal: TerminalClient, settings: Settings) -> None:
    (settings.catalog_dir / "broken.yaml").write_text("a: [unclosed\n", encoding="utf-8")
    r = terminal.request("GET", "/api/v1/catalog")
    assert r.status_code == 503
    body = r.json()
    assert body["error"] == "unavailable" and "broken.yaml" in body["detail"]
    assert r.headers["Retry-After"] == "1"
