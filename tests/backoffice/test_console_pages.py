"""Heartbeat and device history as recorded, and the console pages that show them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import polib
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backoffice import heartbeats, staffops
from backoffice.console import remote
from backoffice.console.web import HERE
from backoffice.console_models import DeviceEvent, HeartbeatRecord
from backoffice.db import transaction
from backoffice.models import AuditEvent
from backoffice.schemas import Heartbeat
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from tests.backoffice.console_helpers import beat, csrf_of, login, report_fleet
from tests.backoffice.testing import BOTH_DATABASES, STAFF_TOKEN, TERMINAL_ID, TerminalClient

HEARTBEAT = "/api/v1/terminals/heartbeat"


def send(terminal: TerminalClient, body: dict[str, object]) -> None:
    r = terminal.request("POST", HEARTBEAT, json_body=body)
    assert r.status_code == 200, r.text


@BOTH_DATABASES
def test_every_heartbeat_is_kept_and_device_changes_become_history(
        terminal: TerminalClient, client: TestClient, clock: FakeClock) -> None:
    send(terminal, beat())
    clock.advance(60)
    send(terminal, beat(paper="empty", printer_state="unavailable",
                        reason="device.reason.paper_out"))
    clock.advance(60)
    send(terminal, beat(paper="empty", printer_state="unavailable",
                        reason="device.reason.paper_out"))  # no change: no event
    factory = client.app.state.sessions  # type: ignore[attr-defined]
    with transaction(factory, write=False) as session:
        beats = heartbeats.recent_heartbeats(session, TERMINAL_ID)
        events = heartbeats.device_history(session, TERMINAL_ID)
    assert len(beats) == 3 and beats[0].received_at == clock.now()
    assert [(e.device, e.previous_state, e.state, e.media) for e in reversed(events)] == [
        ("printer", None, "ready", "present"), ("idcard", None, "ready", "absent"),
        ("printer", "ready", "unavailable", "empty")]
    send(terminal, {"time": "2026-11-22T09:03:00+08:00", "devices": {}})
    with transaction(factory, write=False) as session:
        gone = heartbeats.device_history(session, TERMINAL_ID, 2)
    assert {(e.device, e.state) for e in gone} == {("printer", "gone"), ("idcard", "gone")}


@BOTH_DATABASES
def test_history_is_pruned_by_age_and_by_count(client: TestClient, clock: FakeClock) -> None:
    factory = client.app.state.sessions  # type: ignore[attr-defined]
    keep = heartbeats.Retention(days=1, rows=5, every=1)
    body = Heartbeat.model_validate(beat())
    with transaction(factory) as session:
        session.add(HeartbeatRecord(terminal_id="OLD-1", received_at=clock.now(),
                                    terminal_time=clock.now(), body={}))
        session.add(DeviceEvent(terminal_id="OLD-1", device="printer", at=clock.now(),
                                state="ready"))
    clock.advance(100 * 86400)
    with transaction(factory) as session:
        for _ in range(8):
            clock.advance(60)
            assert heartbeats.record(session, TERMINAL_ID, body, clock.now(), keep)
        assert not heartbeats.record(session, "NO-SUCH-TERMINAL", body, clock.now(), keep)
    with transaction(factory, write=False) as session:
        per_terminal = dict(session.execute(select(HeartbeatRecord.terminal_id, func.count())
                                            .group_by(HeartbeatRecord.terminal_id)).all())
        old_events = session.scalar(select(func.count()).select_from(DeviceEvent)
                                    .where(DeviceEvent.terminal_id == "OLD-1"))
    assert per_terminal == {TERMINAL_ID: 5} and old_events == 0


@BOTH_DATABASES
def test_terminal_list_filters_sorts_and_escapes(terminal: TerminalClient, client: TestClient,
                                                 clock: FakeClock, settings: Settings,
                                                 secret: bytes) -> None:
    app = client.app
    staffops.register_terminal(app.state.sessions, "XS-TEST-0002", secret.hex(),  # type: ignore[attr-defined]
                               clock.now(), app.state.secret_box)  # type: ignore[attr-defined]
    send(terminal, beat(pending=30, reason="<script>alert(1)</script>", paper="low",
                        release={"version": "<img src=x onerror=alert(1)>", "failed": {
                            "version": "1.5.0", "previous": "1.4.2",
                            "at": "2026-11-22T08:00:00+08:00", "reason": "not healthy"}}))
    report_fleet(app.state.sessions, TERMINAL_ID, site_id="township",  # type: ignore[attr-defined]
                 catalog_version="2026.11", maintenance=True, maintenance_reason="换打印机")
    login(client, "tester", STAFF_TOKEN)
    page = client.get("/console/terminals").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "2026.11" in page
    assert "纸将尽" in page and "待发 30" in page and "发件箱积压" in page
    assert 'data-terminal="XS-TEST-0002"' in page  # never seen: offline
    only = client.get("/console/terminals?state=online").text
    assert 'data-terminal="XS-TEST-0001"' in only and 'data-terminal="XS-TEST-0002"' not in only
    assert "维护中" in page and "换打印机" in page and "升级失败已回退" in page
    assert "1.5.0 1.4.2 not healthy" in page
    maintenance = client.get("/console/terminals?state=maintenance").text
    assert maintenance.count("data-terminal=") == 1
    site = client.get("/console/terminals?site=township").text
    assert 'data-terminal="XS-TEST-0002"' not in site
    by_backlog = client.get("/console/terminals?sort=last_seen").text
    assert by_backlog.index("XS-TEST-0002") < by_backlog.index('data-terminal="XS-TEST-0001"')
    clock.advance(3 * settings.alert_interval_s + 1)
    offline = client.get("/console/terminals?state=offline&alerting=1").text
    assert offline.count("data-terminal=") == 2
    english = client.get("/console/lang?to=en&next=/console/terminals").text
    assert "Terminal offline" in english and "Outbox" in english


def test_terminal_page_shows_histories_and_a_commands_panel(terminal: TerminalClient,
                                                            client: TestClient,
                                                            clock: FakeClock) -> None:
    send(terminal, beat())
    clock.advance(60)
    send(terminal, beat(paper="empty", printer_state="unavailable",
                        reason="device.reason.paper_out",
                        time=(clock.now() + timedelta(seconds=95)).isoformat()))
    login(client, "tester", STAFF_TOKEN)
    page = client.get(f"/console/terminals/{TERMINAL_ID}")
    assert page.status_code == 200
    text = page.text
    assert "打印机缺纸" in text and "时钟偏差过大" in text and "+95.0" in text
    assert "心跳记录（最近 2 条）" in text and "device.reason.paper_out" in text
    assert "远程指令" in text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert client.get("/console/terminals/NOPE-1").status_code == 404


def test_acknowledge_is_audited_and_exported(terminal: TerminalClient, client: TestClient,
                                             clock: FakeClock) -> None:
    send(terminal, beat(paper="empty", printer_state="unavailable",
                        reason="=cmd|' /C calc'!A0"))
    login(client, "tester", STAFF_TOKEN)
    page = client.get("/console/alerts").text
    assert "打印机缺纸" in page and "未确认 1 条" in page
    key = page.split('name="key" value="', 1)[1].split('"', 1)[0]
    r = client.post("/console/alerts/ack", data={"csrf": csrf_of(page), "key": key,
                                                 "back": "/console/alerts"})
    assert r.status_code == 200 and "已确认告警" in r.text and "tester 于" in r.text
    factory = client.app.state.sessions  # type: ignore[attr-defined]
    with transaction(factory, write=False) as session:
        actions = [(a.actor, a.action, a.target) for a in session.scalars(select(AuditEvent))]
    assert ("staff:tester", "ack_alert", key) in actions
    exported = client.get("/console/alerts.csv")
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"), newline="")))
    assert rows[1][:3] == [TERMINAL_ID, "paper_out", "printer"]
    assert rows[1][5] == "'=cmd|' /C calc'!A0" and rows[1][6] == "tester"


def test_both_catalogs_have_every_text_the_templates_use() -> None:
    zh = {e.msgid: e.msgstr for e in polib.pofile(str(HERE / "locale" / "zh_CN.po"))}
    en = {e.msgid: e.msgstr for e in polib.pofile(str(HERE / "locale" / "en.po"))}
    assert zh.keys() == en.keys()
    assert all(zh.values()) and all(en.values())
    used = set()
    for template in (HERE / "templates").glob("*.html"):
        text = template.read_text()
        used |= set(re.findall(r'(?<![\w.])t\("([a-z_.]+[a-z_])"', text))
    assert len(used) > 60 and used <= zh.keys(), used - zh.keys()
    for prefix, values in (("rule.", ["offline", "device_unavailable", "paper_out",
                                      "outbox_backlog", "clock_skew"]),
                           ("commands.", ["enter_maintenance", "leave_maintenance",
                                          "upload_diagnostics", "resync_catalog",
                                          "restart_app", "print_test_page", "queued",
                                          "reason_needed", "failed", "unavailable"]),
                           ("filter.", ["online", "offline", "faulty", "maintenance"]),
                           ("sort.", ["id", "last_seen", "backlog", "skew", "alerts"])):
        assert {prefix + v for v in values} <= zh.keys()


def test_commands_panel_queues_or_says_it_cannot(terminal: TerminalClient,
                                                 client: TestClient) -> None:
    send(terminal, beat())
    login(client, "tester", STAFF_TOKEN)
    path = f"/console/terminals/{TERMINAL_ID}"
    csrf = csrf_of(client.get(path).text)
    no_reason = client.post(path + "/commands", data={"csrf": csrf, "kind": "enter_maintenance"})
    if not remote.AVAILABLE:
        # The remote-commands module is not in this back office: said, nothing queued.
        assert 'data-state="unavailable"' in no_reason.text and "disabled" in no_reason.text
        assert "尚未安装" in no_reason.text
        return
    assert "进入维护需要填写原因" in no_reason.text
    queued = client.post(path + "/commands", data={"csrf": csrf, "kind": "enter_maintenance",
                                                   "reason": "更换打印机"})
    assert "指令已排队：进入维护" in queued.text and "更换打印机" in queued.text
    assert 'data-command="enter_maintenance" data-status="pending"' in queued.text
    factory = client.app.state.sessions  # type: ignore[attr-defined]
    with transaction(factory, write=False) as session:
        actions = [(a.actor, a.action) for a in session.scalars(select(AuditEvent))]
    assert ("staff:tester", "enqueue_command") in actions
