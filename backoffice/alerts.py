"""Alerts over the terminals' stored state: a pure function of snapshots, thresholds
and the time, so each rule is tested with made-up terminals and a fixed clock.

Rules (``Rule``), each with its threshold in ``Thresholds`` (settings, see
docs/operations-console.md):

* ``offline``: no heartbeat for more than ``offline_beats`` × ``heartbeat_interval_s``;
* ``device_unavailable``: a required device reports ``unavailable`` (or is not
  reported at all);
* ``paper_out``: a printer reports media ``empty`` (this replaces the printer's
  ``device_unavailable``: one cause, one alert);
* ``outbox_backlog``: more than ``outbox_backlog`` cases wait in the outbox;
* ``clock_skew``: the heartbeat's own time is more than ``clock_skew_s`` from the
  server's time when it arrived.

An offline terminal raises ``offline`` only: what it said last is stale.

An alert's ``key`` names the terminal, the rule, the device and, where it is known,
the moment the condition began (the last heartbeat for ``offline``, the device's
last change for device rules). An acknowledgement is stored under the key, so it
covers that episode only: the paper running out again the next day is a new alert.
Rules whose beginning is not known (backlog, skew) keep their acknowledgement until
an evaluation sees them cleared (``Evaluation.stale_acks``, deleted by the caller).
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

#: Device states the kiosk sends (devices/base.py DeviceState) and media values.
READY_STATES = frozenset({"ready", "busy"})
PAPER_OUT = "empty"


class Rule(enum.StrEnum):
    OFFLINE = "offline"
    DEVICE_UNAVAILABLE = "device_unavailable"
    PAPER_OUT = "paper_out"
    OUTBOX_BACKLOG = "outbox_backlog"
    CLOCK_SKEW = "clock_skew"


@dataclass(frozen=True)
class Thresholds:
    heartbeat_interval_s: float = 60.0
    offline_beats: int = 3
    outbox_backlog: int = 20
    clock_skew_s: float = 60.0
    required_devices: tuple[str, ...] = ("printer", "idcard")
    printers: tuple[str, ...] = ("printer",)

    @property
    def offline_after_s(self) -> float:
        return self.heartbeat_interval_s * self.offline_beats


@dataclass(frozen=True)
class DeviceView:
    name: str
    state: str
    media: str | None = None
    reason: str | None = None
    #: When the device entered this state and media (its last device event).
    since: datetime | None = None


@dataclass(frozen=True)
class TerminalSnapshot:
    """What the back office knows of one terminal (backoffice/heartbeats.py builds it)."""

    id: str
    last_seen_at: datetime | None = None
    #: The last heartbeat's own ``time`` (the terminal's clock).
    terminal_time: datetime | None = None
    devices: tuple[DeviceView, ...] = ()
    outbox_pending: int | None = None
    outbox_refused: int | None = None
    site: str | None = None
    software: str | None = None
    catalog_version: str | None = None
    #: The last upgrade that was rolled back ("version previous reason"), until one succeeds.
    failed_update: str | None = None
    #: Taken out of service by a technician (fleet control's enter_maintenance).
    maintenance: bool = False
    maintenance_reason: str | None = None
    open_assists: int = 0

    @property
    def skew_s(self) -> float | None:
        """Terminal clock minus server clock at the last heartbeat, seconds."""
        if self.terminal_time is None or self.last_seen_at is None:
            return None
        return (self.terminal_time - self.last_seen_at).total_seconds()

    def device(self, name: str) -> DeviceView | None:
        return next((d for d in self.devices if d.name == name), None)


@dataclass(frozen=True)
class Ack:
    by: str
    at: datetime


@dataclass(frozen=True)
class Alert:
    terminal_id: str
    rule: Rule
    subject: str = ""  # the device, for device rules
    since: datetime | None = None
    #: The measured value, e.g. seconds offline, cases pending, skew in seconds.
    value: float | None = None
    detail: str = ""  # terminal-supplied text (a device's reason): untrusted
    ack: Ack | None = None

    @property
    def key(self) -> str:
        since = self.since.isoformat() if self.since is not None else ""
        return f"{self.terminal_id}|{self.rule.value}|{self.subject}|{since}"[:200]


@dataclass(frozen=True)
class Evaluation:
    alerts: list[Alert] = field(default_factory=list)
    #: Stored acknowledgements whose alert is no longer active.
    stale_acks: list[str] = field(default_factory=list)

    def for_terminal(self, terminal_id: str) -> list[Alert]:
        return [a for a in self.alerts if a.terminal_id == terminal_id]

    @property
    def open(self) -> list[Alert]:
        return [a for a in self.alerts if a.ack is None]


def terminal_alerts(t: TerminalSnapshot, th: Thresholds, now: datetime) -> list[Alert]:
    """Every rule over one terminal, in the order of ``Rule``."""
    if t.last_seen_at is None:
        return [Alert(t.id, Rule.OFFLINE)]
    silent = (now - t.last_seen_at).total_seconds()
    if silent > th.offline_after_s:
        return [Alert(t.id, Rule.OFFLINE, since=t.last_seen_at, value=round(silent))]
    out: list[Alert] = []
    papers = {d.name for d in t.devices if d.name in th.printers and d.media == PAPER_OUT}
    for name in th.required_devices:
        device = t.device(name)
        if device is None:
            out.append(Alert(t.id, Rule.DEVICE_UNAVAILABLE, name))
        elif device.state not in READY_STATES and name not in papers:
            out.append(Alert(t.id, Rule.DEVICE_UNAVAILABLE, name, device.since,
                             detail=device.reason or device.state))
    out.extend(Alert(t.id, Rule.PAPER_OUT, d.name, d.since, detail=d.reason or "")
               for d in t.devices if d.name in papers)
    if t.outbox_pending is not None and t.outbox_pending > th.outbox_backlog:
        out.append(Alert(t.id, Rule.OUTBOX_BACKLOG, value=t.outbox_pending))
    skew = t.skew_s
    if skew is not None and abs(skew) > th.clock_skew_s:
        out.append(Alert(t.id, Rule.CLOCK_SKEW, value=round(skew, 1)))
    return out


def evaluate(terminals: Iterable[TerminalSnapshot], th: Thresholds, now: datetime,
             acks: Mapping[str, Ack] | None = None) -> Evaluation:
    """All alerts of all terminals, each with its acknowledgement when there is one."""
    acks = acks or {}
    alerts = [a for t in terminals for a in terminal_alerts(t, th, now)]
    marked = [Alert(a.terminal_id, a.rule, a.subject, a.since, a.value, a.detail,
                    acks.get(a.key)) for a in alerts]
    active = {a.key for a in marked}
    return Evaluation(marked, sorted(k for k in acks if k not in active))


# ---- CSV export --------------------------------------------------------------------

CSV_COLUMNS = ("terminal", "rule", "device", "since", "value", "detail",
               "acknowledged_by", "acknowledged_at")
#: A spreadsheet reads a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def csv_cell(value: object) -> str:
    """Text for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def alerts_csv(alerts: Iterable[Alert]) -> str:
    """RFC 4180 CSV (CRLF, quotes doubled), one row per alert, a header first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for a in alerts:
        # Text cells may come from a terminal; numbers and times are our own.
        writer.writerow([
            csv_cell(a.terminal_id), a.rule.value, csv_cell(a.subject),
            a.since.isoformat() if a.since else "",
            "" if a.value is None else f"{a.value:g}", csv_cell(a.detail),
            csv_cell(a.ack.by) if a.ack else "", a.ack.at.isoformat() if a.ack else ""])
    return buf.getvalue()
