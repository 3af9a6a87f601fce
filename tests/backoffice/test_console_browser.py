"""The console in a real browser: Playwright driving Debian's chromium against a real
back office on loopback, with heartbeats a kiosk really sends (its printer on the
ESC/POS emulator, out of paper), and a maintenance command queued in the console
reaching a kiosk with its Kivy shell (offscreen, in this process: the test's thread is
its UI thread between browser steps) and showing 暂停服务 on its screen.

Screenshots of every page in both languages, and of the kiosk's screen, go to
``$CONSOLE_SCREENSHOTS`` when set (else a temporary directory).
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import sync_playwright

from backoffice import staffauth, staffops
from backoffice.server import BackgroundServer
from backoffice.settings import REPO_ROOT, Settings
from devices.printer.drivers import NetworkPrinter
from devices.printer.emulator import PrinterEmulator
from devices.printer.profile import profile_for
from kiosk.clock import SystemClock
from kiosk.submission import signing
from kiosk.submission.client import BackofficeClient
from kiosk.submission.heartbeat import Heartbeat
from tests.backoffice.console_helpers import report_fleet
from tests.kiosk.fleet.live import STAFF, TERMINAL, FleetRig
from tests.screens.helpers import buttons, labels

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KIOSK = "XS-DEMO-0001"   # the simulated kiosk: its own heartbeat, its own printer
QUIET = "XS-BANK-0002"   # a healthy terminal at another site
TECH_PASSWORD = "li.console-browser-test-token"
STAFF_TOKEN = "wang.console-browser-test-token"


class Fleet:
    def __init__(self, url: str, secrets_by_id: dict[str, bytes], shots: Path,
                 sessions: Any) -> None:
        self.url, self.secrets, self.shots = url, secrets_by_id, shots
        self.sessions = sessions

    def raw_beat(self, terminal_id: str, **body: Any) -> None:
        """A signed heartbeat as a terminal sends it (for the terminal without a kiosk)."""
        raw = json.dumps(body).encode()
        path = "/api/v1/terminals/heartbeat"
        headers = signing.signed_headers(self.secrets[terminal_id], terminal_id, "POST", path,
                                         raw, time.time())
        r = requests.post(self.url + path, data=raw, timeout=10,
                          headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("console-browser")
    settings = Settings(data_dir=tmp / "bo", catalog_dir=REPO_ROOT / "config" / "catalog")
    shots = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with BackgroundServer(settings) as server:
        state = server.app.state
        now = settings.clock.now()
        keys = {KIOSK: secrets.token_bytes(32), QUIET: secrets.token_bytes(32)}
        for terminal_id, key in keys.items():
            staffops.register_terminal(state.sessions, terminal_id, key.hex(), now,
                                       state.secret_box)
        staffauth.add_account(state.sessions, "li", "technician", now, token=TECH_PASSWORD)
        staffauth.add_account(state.sessions, "wang", "staff", now, token=STAFF_TOKEN)
        yield Fleet(server.url, keys, shots, state.sessions)


@pytest.fixture(scope="module")
def page(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    assert CHROMIUM.exists(), "Debian's chromium is needed (scripts/lib/bootstrap.sh installs it)"
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True,
            viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
        context.set_default_timeout(15_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def shoot(fleet: Fleet, page: Any, name: str) -> None:
    page.screenshot(path=str(fleet.shots / f"{name}.png"), full_page=True)


def switch(page: Any, lang: str) -> None:
    """Through the header's language link, as a technician would."""
    link = page.locator("a.lang")
    if (lang == "en") == (page.locator("html").get_attribute("lang") == "zh-CN"):
        link.click()
        page.wait_for_load_state()


def log_in(page: Any, fleet: Fleet, account: str, token: str) -> None:
    page.goto(fleet.url + "/console/login")
    page.fill("#account", account)
    page.fill("#token", token)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def test_login_refuses_staff_and_bad_tokens(fleet: Fleet, page: Any) -> None:
    page.goto(fleet.url + "/console/terminals")
    assert page.url.endswith("/console/login")  # never logged in: nothing "expired"
    shoot(fleet, page, "01-login-zh")
    log_in(page, fleet, "wang", STAFF_TOKEN)
    assert "无权使用运维控制台" in page.locator(".notice.bad").inner_text()
    log_in(page, fleet, "li", "li.this-is-not-the-token")
    assert "账号或令牌不正确" in page.locator(".notice.bad").inner_text()
    switch(page, "en")
    shoot(fleet, page, "01-login-en")
    switch(page, "zh_CN")
    log_in(page, fleet, "li", TECH_PASSWORD)
    assert page.url.endswith("/console/terminals")
    assert "li" in page.locator(".who").inner_text()
    cookie = next(c for c in page.context.cookies() if c["name"] == "bo_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_terminal_list_filters(fleet: Fleet, page: Any) -> None:
    stamp = signing_time()
    fleet.raw_beat(QUIET, time=stamp,
                   devices={"printer": {"state": "ready", "media": "present", "reason": None},
                            "idcard": {"state": "ready", "media": "absent", "reason": None}},
                   outbox={"pending": 0, "refused": 0}, release={"version": "1.4.2"})
    report_fleet(fleet.sessions, QUIET, site_id="bank-branch", catalog_version="2026.11.20")
    page.goto(fleet.url + "/console/terminals")
    rows = page.locator("tr[data-terminal]")
    assert rows.count() == 2
    page.select_option("select[name=site]", "bank-branch")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state()
    assert [r.get_attribute("data-terminal") for r in rows.all()] == [QUIET]
    page.goto(fleet.url + "/console/terminals")
    page.check("input[name=alerting]")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state()
    # The kiosk has not sent a heartbeat yet: offline, so alerting.
    assert [r.get_attribute("data-terminal") for r in rows.all()] == [KIOSK]
    page.goto(fleet.url + "/console/terminals")
    shoot(fleet, page, "02-terminals-zh")
    switch(page, "en")
    shoot(fleet, page, "02-terminals-en")
    switch(page, "zh_CN")


def signing_time() -> str:
    return SystemClock().now().replace(microsecond=0).isoformat()


def test_paper_out_alert_acknowledge_and_export(fleet: Fleet, page: Any,
                                                tmp_path: Path) -> None:
    emulator = PrinterEmulator(tmp_path / "receipts", port=0).start()
    printer = NetworkPrinter("printer", profile_for(80), "127.0.0.1", emulator.port)
    try:
        printer.open()
        emulator.set_faults(paper="out")
        printer.refresh_status()
        client = BackofficeClient(fleet.url, KIOSK, fleet.secrets[KIOSK], clock=SystemClock())
        kiosk = Heartbeat(client, {"printer": printer}, clock=SystemClock())
        assert kiosk.beat_once(), kiosk.counters.last_error
    finally:
        printer.close()
        emulator.stop()
    page.goto(fleet.url + "/console/alerts")
    alert = page.locator(f"tr[data-rule=paper_out][data-terminal={KIOSK}]")
    assert alert.count() == 1 and "打印机缺纸" in alert.inner_text()
    # The kiosk reports only its printer: its ID card reader, required, is missing.
    assert page.locator(f"tr[data-rule=device_unavailable][data-terminal={KIOSK}]").count() == 1
    shoot(fleet, page, "03-alerts-zh")
    alert.locator("button").click()
    page.wait_for_load_state()
    acked = page.locator(f"tr.acked[data-rule=paper_out][data-terminal={KIOSK}]")
    assert "li 于" in acked.inner_text()
    switch(page, "en")
    shoot(fleet, page, "03-alerts-en")
    with page.expect_download() as download:
        page.click("a[href='/console/alerts.csv']")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    paper = [r for r in rows if r["rule"] == "paper_out"]
    assert paper and paper[0]["terminal"] == KIOSK and paper[0]["acknowledged_by"] == "li"
    assert paper[0]["detail"] == "device.reason.paper_out"
    page.goto(f"{fleet.url}/console/terminals/{KIOSK}")
    assert page.locator("[data-state=unavailable]").count() in (0, 1)
    shoot(fleet, page, "04-terminal-en")
    switch(page, "zh_CN")
    shoot(fleet, page, "04-terminal-zh")
    assert "缺纸" in page.locator("table.history").inner_text()


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetRig]:
    """A kiosk core with fleet control and its own back office (tests/kiosk/fleet/live.py)."""
    started = FleetRig.start(tmp_path_factory.mktemp("console-fleet"))
    try:
        yield started
    finally:
        started.stop()


def render_until(harness: Any, done: Callable[[], bool], what: str,
                 timeout_s: float = 20.0) -> None:
    """Keep the kiosk's UI thread drawing (fleet control's work reaches it through the
    shell's bridge) until ``done``."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"the kiosk never {what}"
        harness.render(1)
    harness.render()


def heartbeat(harness: Any, beat: Heartbeat) -> None:
    """One heartbeat on its own thread, as in the app, while the UI thread draws."""
    sent: list[bool] = []
    worker = threading.Thread(target=lambda: sent.append(beat.beat_once()))
    worker.start()
    render_until(harness, lambda: not worker.is_alive(), "finished its heartbeat")
    assert sent == [True], beat.counters.last_error


def command_status(rig: FleetRig, kind: str) -> str:
    listed = rig.staff("GET", f"/staff/terminals/{TERMINAL}/commands").json()["commands"]
    return str(next(c["status"] for c in listed if c["kind"] == kind))


def drawn(shell: Any) -> list[str]:
    """The texts of the labels the kiosk's screen shows now."""
    return [w.text for w in labels(shell)]


def home_tiles(shell: Any) -> set[str]:
    return {b.tile_id for b in buttons(shell) if getattr(b, "tile_id", None)}


@pytest.mark.ui
def test_maintenance_queued_in_the_console_shows_on_the_kiosk_screen(
        rig: FleetRig, page: Any, fleet: Fleet, harness: Any) -> None:
    """The kiosk with its Kivy shell, fleet control on its own thread as in the app: a
    command queued in the console reaches it by its heartbeat, waits while a citizen is
    served, then Home shows 暂停服务 with the technician's reason; 退出维护 restores it."""
    kiosk, control, beat = rig.kiosk(threaded=True)
    shell = harness.show(kiosk)
    control.start()
    heartbeat(harness, beat)
    assert "apply" in home_tiles(shell) and "暂停服务" not in drawn(shell)
    page.goto(rig.server.url + "/console/login")
    account, token = STAFF.split(".", 1)
    page.fill("#account", account)
    page.fill("#token", token)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    # A citizen starts browsing the services: a session is under way.
    harness.tap(next(b for b in buttons(shell) if getattr(b, "tile_id", None) == "apply"))
    assert kiosk.session.active and shell.sm.current == "browse"
    terminal_page = f"{rig.server.url}/console/terminals/{TERMINAL}"
    page.goto(terminal_page)
    reason = "更换打印纸，预计 15:00 恢复"
    page.fill("#reason", reason)
    page.click("button[value=enter_maintenance]")
    page.wait_for_load_state()
    queued = page.locator("tr[data-command=enter_maintenance]")
    assert queued.get_attribute("data-status") == "pending" and reason in queued.inner_text()
    shoot(fleet, page, "05-command-queued-zh")
    # A restart asks first; answered "no", nothing is queued.
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button[value=restart_app]")
    assert asked and TERMINAL in asked[0]
    assert page.locator("tr[data-command=restart_app]").count() == 0
    # The heartbeat's reply carries the command; it waits for the citizen to finish.
    heartbeat(harness, beat)
    render_until(harness, lambda: bool(control.runner.deferred), "held the command back")
    harness.render(5)
    assert not kiosk.maintenance.on and shell.sm.current == "browse"
    assert not any("暂停服务" in text for text in drawn(shell))
    harness.screenshot(fleet.shots / "06-kiosk-session-holds-zh.png")
    page.goto(terminal_page)
    assert queued.get_attribute("data-status") == "delivered"
    shoot(fleet, page, "05-command-delivered-zh")
    # The citizen goes back Home: the session ends and the command runs.
    harness.tap(shell.ids.home.__self__)
    render_until(harness, lambda: "暂停服务" in drawn(shell), "showed 暂停服务")
    shown = drawn(shell)
    assert f"原因：{reason}" in shown and shell.sm.current == "home"
    assert home_tiles(shell) == {"language", "elderly"} and not kiosk.session.active
    harness.screenshot(fleet.shots / "06-kiosk-maintenance-zh.png")
    shell.ui.lang = "en"
    render_until(harness, lambda: "Service suspended" in drawn(shell), "showed English")
    assert f"Reason: {reason}" in drawn(shell)
    harness.screenshot(fleet.shots / "06-kiosk-maintenance-en.png")
    shell.ui.lang = "zh_CN"
    render_until(harness, lambda: command_status(rig, "enter_maintenance") == "done",
                 "posted the command's result")
    heartbeat(harness, beat)  # and says so in its next heartbeat
    page.goto(terminal_page)
    assert queued.get_attribute("data-status") == "done"
    assert reason in page.locator("dl.facts").inner_text()
    shoot(fleet, page, "05-command-done-zh")
    switch(page, "en")
    shoot(fleet, page, "05-command-done-en")
    switch(page, "zh_CN")
    # 退出维护: Home offers the services again.
    page.click("button[value=leave_maintenance]")
    page.wait_for_load_state()
    heartbeat(harness, beat)
    render_until(harness, lambda: "apply" in home_tiles(shell), "returned to service")
    assert not any("暂停服务" in text for text in drawn(shell)) and not kiosk.maintenance.on
    harness.screenshot(fleet.shots / "07-kiosk-in-service-zh.png")
    render_until(harness, lambda: command_status(rig, "leave_maintenance") == "done",
                 "posted the command's result")
    page.goto(terminal_page)
    assert page.locator("tr[data-command=leave_maintenance]").get_attribute(
        "data-status") == "done"
