"""Alert rules, one by one, on made-up terminals and a fixed clock; the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from backoffice.alerts import (
    Ack,
    Alert,
    DeviceView,
    Rule,
    TerminalSnapshot,
    Thresholds,
    alerts_csv,
    evaluate,
    terminal_alerts,
)

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
TH = Thresholds()
READY = (DeviceView("printer", "ready", "present"), DeviceView("idcard", "ready", "absent"))


def healthy(**changes: object) -> TerminalSnapshot:
    values: dict[str, object] = {
        "id": "XS-0001", "last_seen_at": NOW - timedelta(seconds=30),
        "terminal_time": NOW - timedelta(seconds=29), "devices": READY,
        "outbox_pending": 0, "outbox_refused": 0}
    values.update(changes)
    if "terminal_time" not in changes and isinstance(values["last_seen_at"], datetime):
        values["terminal_time"] = values["last_seen_at"] + timedelta(seconds=1)
    return TerminalSnapshot(**values)  # type: ignore[arg-type]


def rules(t: TerminalSnapshot, th: Thresholds = TH) -> list[tuple[Rule, str]]:
    return [(a.rule, a.subject) for a in terminal_alerts(t, th, NOW)]


def test_a_healthy_terminal_has_no_alert() -> None:
    assert rules(healthy()) == []


def test_offline_after_three_heartbeat_intervals() -> None:
    assert rules(healthy(last_seen_at=NOW - timedelta(seconds=180))) == []
    late = healthy(last_seen_at=NOW - timedelta(seconds=181),
                   devices=(DeviceView("printer", "unavailable", "empty"),))
    # Offline says it all: the stale paper-out of its last heartbeat is not raised too.
    assert rules(late) == [(Rule.OFFLINE, "")]
    alert = terminal_alerts(late, TH, NOW)[0]
    assert alert.value == 181 and alert.since == late.last_seen_at
    assert rules(healthy(last_seen_at=None)) == [(Rule.OFFLINE, "")]
    # The interval and the count are settings.
    assert rules(healthy(last_seen_at=NOW - timedelta(seconds=100)),
                 Thresholds(heartbeat_interval_s=30)) == [(Rule.OFFLINE, "")]


def test_a_required_device_unavailable_or_missing() -> None:
    since = NOW - timedelta(minutes=5)
    t = healthy(devices=(DeviceView("printer", "ready", "present"),
                         DeviceView("idcard", "unavailable", None, "device.reason.offline",
                                    since),
                         DeviceView("camera", "unavailable")))  # not required: no alert
    assert rules(t) == [(Rule.DEVICE_UNAVAILABLE, "idcard")]
    alert = terminal_alerts(t, TH, NOW)[0]
    assert alert.since == since and alert.detail == "device.reason.offline"
    missing = healthy(devices=(DeviceView("printer", "busy", "present"),))
    assert rules(missing) == [(Rule.DEVICE_UNAVAILABLE, "idcard")]
    assert rules(missing, Thresholds(required_devices=("printer",))) == []


def test_paper_out_is_one_alert_not_two() -> None:
    t = healthy(devices=(DeviceView("printer", "unavailable", "empty", "device.reason.paper_out"),
                         DeviceView("idcard", "ready", "absent")))
    assert rules(t) == [(Rule.PAPER_OUT, "printer")]
    low = healthy(devices=(DeviceView("printer", "ready", "low"),
                           DeviceView("idcard", "ready")))
    assert rules(low) == []


def test_outbox_backlog_above_the_threshold() -> None:
    assert rules(healthy(outbox_pending=20)) == []
    assert rules(healthy(outbox_pending=21)) == [(Rule.OUTBOX_BACKLOG, "")]
    assert rules(healthy(outbox_pending=5), Thresholds(outbox_backlog=4)) == \
        [(Rule.OUTBOX_BACKLOG, "")]


def test_clock_skew_either_way() -> None:
    seen = NOW - timedelta(seconds=10)
    assert rules(healthy(last_seen_at=seen, terminal_time=seen + timedelta(seconds=60))) == []
    ahead = healthy(last_seen_at=seen, terminal_time=seen + timedelta(seconds=61))
    behind = healthy(last_seen_at=seen, terminal_time=seen - timedelta(seconds=90))
    assert rules(ahead) == [(Rule.CLOCK_SKEW, "")]
    assert terminal_alerts(behind, TH, NOW)[0].value == -90


def test_an_acknowledgement_covers_one_episode() -> None:
    first = NOW - timedelta(minutes=10)
    out = healthy(devices=(DeviceView("printer", "unavailable", "empty", None, first),
                           DeviceView("idcard", "ready")))
    key = terminal_alerts(out, TH, NOW)[0].key
    acked = evaluate([out], TH, NOW, {key: Ack("li", NOW)})
    assert acked.alerts[0].ack == Ack("li", NOW) and acked.open == []
    # Refilled, then out again: a new episode, a new alert.
    again = healthy(devices=(DeviceView("printer", "unavailable", "empty", None, NOW),
                             DeviceView("idcard", "ready")))
    later = evaluate([again], TH, NOW, {key: Ack("li", NOW)})
    assert [a.ack for a in later.alerts] == [None] and later.stale_acks == [key]


def test_csv_quotes_and_defuses_formulas() -> None:
    rows = [
        Alert("XS-0001", Rule.PAPER_OUT, "printer", NOW, detail='=HYPERLINK("x","y"), "quoted"'),
        Alert("XS-0002", Rule.CLOCK_SKEW, value=-90.0, detail="line\nbreak",
              ack=Ack("@admin", NOW)),
        Alert("XS-0003", Rule.DEVICE_UNAVAILABLE, "idcard", detail="+1 -2 %x"),
    ]
    text = alerts_csv(rows)
    assert text.startswith("terminal,rule,device,since,value,detail,acknowledged_by,"
                           "acknowledged_at\r\n")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[1] == ["XS-0001", "paper_out", "printer", "2026-11-22T01:00:00+00:00", "",
                         "'=HYPERLINK(\"x\",\"y\"), \"quoted\"", "", ""]
    assert parsed[2][4] == "-90" and parsed[2][5] == "line\nbreak"  # numbers stay numbers
    assert parsed[2][6] == "'@admin"
    assert parsed[3][5] == "'+1 -2 %x"
    assert len(parsed) == 4
