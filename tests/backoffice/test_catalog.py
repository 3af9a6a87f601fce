"""The catalog is served with a version that changes when any file changes."""

from __future__ import annotations

from backoffice.settings import Settings
from backoffice.testing import TerminalClient


def test_catalog_versioned(terminal: TerminalClient, settings: Settings) -> None:
    first = terminal.request("GET", "/api/v1/catalog").json()
    assert first["items"][0]["code"] == "330109-HJ-001"
    again = terminal.request("GET", "/api/v1/catalog").json()
    assert again["version"] == first["version"]
    (settings.catalog_dir / "more.yaml").write_text(
        "items:\n  - {code: 330109-SB-002, name: {zh_CN: 社保, en: Social security}}\n",
        encoding="utf-8")
    changed = terminal.request("GET", "/api/v1/catalog").json()
    assert changed["version"] != first["version"]
    assert [i["code"] for i in changed["items"]] == ["330109-HJ-001", "330109-SB-002"]


def test_broken_catalog_is_503_not_500(terminal: TerminalClient, settings: Settings) -> None:
    (settings.catalog_dir / "broken.yaml").write_text("a: [unclosed\n", encoding="utf-8")
    r = terminal.request("GET", "/api/v1/catalog")
    assert r.status_code == 503
    assert r.json()["error"] == "unavailable"
