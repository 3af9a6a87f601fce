"""Every way an upgrade can fail (deploy/installer/upgrade.py), with a service manager
that plays systemd's part: no READY=1, a failed migration, and a migration that changed
the data before the release failed (its snapshot put back)."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from deploy.installer.__main__ import rollback
from deploy.installer.layout import Layout
from deploy.installer.release import current_version, install_release, installed, switch
from deploy.installer.upgrade import upgrade

VENV = Path(sys.prefix)


class Manager:
    """Records what it is asked; ``fail_ready`` / ``fail_migrate`` / ``migrate_to``
    decide what the new release does."""

    def __init__(self, layout: Layout, *, fail_ready: str = "", fail_migrate: bool = False,
                 migrate_to: int = 0, selftest_rc: int = 0) -> None:
        self.layout = layout
        self.fail_ready = fail_ready
        self.fail_migrate = fail_migrate
        self.migrate_to = migrate_to
        self.selftest_rc = selftest_rc
        self.log: list[str] = []

    def stop(self, units: Sequence[str]) -> None:
        self.log.append(f"stop {current_version(self.layout)}")

    def start(self, units: Sequence[str], timeout_s: float) -> str | None:
        running = current_version(self.layout)
        self.log.append(f"start {running}")
        return self.fail_ready if running == "2" and self.fail_ready else None

    def run(self, argv: Sequence[str], timeout_s: float) -> tuple[int, str]:
        name = Path(argv[0]).name
        self.log.append(name)
        data = self.layout.data
        if name == "kiosk-migrate":
            if self.fail_migrate:
                return 3, "data version 9 was written by a newer release"
            if self.migrate_to:
                (data / "state" / "data-version.json").write_text(
                    json.dumps({"version": self.migrate_to, "release": "2"}))
                with sqlite3.connect(data / "outbox.sqlite3") as db:
                    db.execute("ALTER TABLE cases ADD COLUMN new_in_2 TEXT")
            return 0, "ok"
        return self.selftest_rc, "" if self.selftest_rc == 0 else "kiosk-selftest: broken"


def release(tmp: Path, version: str) -> Path:
    path = tmp / f"kiosk-{version}"
    (path / "bin").mkdir(parents=True)
    (path / "VERSION").write_text(version + "\n")
    return path


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(prefix=tmp_path / "opt/kiosk", etc=tmp_path / "etc/kiosk",
                    data=tmp_path / "data", chown=False)
    switch(layout, install_release(layout, release(tmp_path, "1"), deps_from=VENV).name)
    (layout.data / "state").mkdir(parents=True)
    (layout.data / "state" / "data-version.json").write_text('{"version": 1}')
    with sqlite3.connect(layout.data / "outbox.sqlite3") as db:
        db.execute("CREATE TABLE cases (ref TEXT)")
        db.execute("INSERT INTO cases VALUES ('UP-261122-0001-X')")
    return layout


def failure(layout: Layout) -> dict[str, str]:
    report = json.loads((layout.data / "state" / "update.json").read_text())
    assert report["version"] == "1"
    failed: dict[str, str] = report["failed"]
    return failed


def test_no_ready_switches_back_and_starts_the_old_release(layout: Layout,
                                                           tmp_path: Path) -> None:
    manager = Manager(layout, fail_ready="kiosk-sender: exited with 1 before READY=1")
    outcome = upgrade(layout, release(tmp_path, "2"), manager, deps_from=VENV)
    assert not outcome.ok and current_version(layout) == "1"
    assert manager.log == ["stop 1", "kiosk-migrate", "start 2", "stop 2", "start 1"]
    assert "before READY=1" in failure(layout)["reason"]


def test_a_failed_migration_never_switches(layout: Layout, tmp_path: Path) -> None:
    manager = Manager(layout, fail_migrate=True)
    outcome = upgrade(layout, release(tmp_path, "2"), manager, deps_from=VENV)
    assert not outcome.ok and current_version(layout) == "1"
    assert "start 2" not in manager.log and manager.log[-1] == "start 1"
    assert "data migration failed (3)" in failure(layout)["reason"]


def test_data_a_failed_release_migrated_is_put_back(layout: Layout, tmp_path: Path) -> None:
    manager = Manager(layout, migrate_to=2, selftest_rc=1)
    outcome = upgrade(layout, release(tmp_path, "2"), manager, deps_from=VENV)
    assert not outcome.ok and current_version(layout) == "1"
    assert json.loads((layout.data / "state/data-version.json").read_text())["version"] == 1
    with sqlite3.connect(layout.data / "outbox.sqlite3") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(cases)")]
        assert columns == ["ref"]
        assert db.execute("SELECT ref FROM cases").fetchall() == [("UP-261122-0001-X",)]
    assert "self-test failed (1)" in failure(layout)["reason"]


def test_a_healthy_release_keeps_its_migrated_data(layout: Layout, tmp_path: Path) -> None:
    outcome = upgrade(layout, release(tmp_path, "2"), Manager(layout, migrate_to=2),
                      deps_from=VENV)
    assert outcome.ok and current_version(layout) == "2"
    assert json.loads((layout.data / "state/data-version.json").read_text())["version"] == 2
    report = json.loads((layout.data / "state" / "update.json").read_text())
    assert report == {"version": "2", "failed": None}


def test_healthy_upgrades_keep_three_releases_and_rollback_goes_to_the_one_before(
        layout: Layout, tmp_path: Path) -> None:
    for version in ("2", "3", "4"):
        assert upgrade(layout, release(tmp_path, version), Manager(layout),
                       deps_from=VENV).ok
    assert installed(layout) == ["2", "3", "4"] and current_version(layout) == "4"
    manager = Manager(layout)
    assert rollback(layout, manager) == 0
    assert current_version(layout) == "3"
    assert manager.log == ["stop 4", "start 3"]
