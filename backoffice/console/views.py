"""The terminal list's rows, filters and sort orders: pure functions over snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backoffice.alerts import READY_STATES, Alert, Evaluation, TerminalSnapshot, Thresholds

STATES = ("online", "offline", "faulty", "maintenance")
SORTS = ("id", "last_seen", "backlog", "skew", "alerts")


@dataclass(frozen=True)
class Row:
    terminal: TerminalSnapshot
    alerts: list[Alert]
    online: bool

    @property
    def faulty(self) -> bool:
        return any(d.state not in READY_STATES for d in self.terminal.devices)


def rows(terminals: list[TerminalSnapshot], found: Evaluation, th: Thresholds,
         now: datetime) -> list[Row]:
    return [Row(t, found.for_terminal(t.id),
                t.last_seen_at is not None
                and (now - t.last_seen_at).total_seconds() <= th.offline_after_s)
            for t in terminals]


def choose(rows: list[Row], *, site: str = "", state: str = "", alerting: bool = False,
           sort: str = "id") -> list[Row]:
    picked = [r for r in rows
              if (not site or r.terminal.site == site)
              and (state != "online" or r.online)
              and (state != "offline" or not r.online)
              and (state != "faulty" or r.faulty)
              and (state != "maintenance" or r.terminal.maintenance)
              and (not alerting or r.alerts)]
    keys: dict[str, Callable[[Row], Any]] = {
        "id": lambda r: r.terminal.id,
        "last_seen": lambda r: (r.terminal.last_seen_at is not None,
                                r.terminal.last_seen_at or datetime.min),
        "backlog": lambda r: -(r.terminal.outbox_pending or 0),
        "skew": lambda r: -abs(r.terminal.skew_s or 0.0),
        "alerts": lambda r: -len([a for a in r.alerts if a.ack is None]),
    }
    return sorted(picked, key=lambda r: (keys.get(sort, keys["id"])(r), r.terminal.id))


def sites(rows: list[Row]) -> list[str]:
    return sorted({r.terminal.site for r in rows if r.terminal.site})


def ago(then: datetime | None, now: datetime, t: Callable[..., str]) -> str:
    if then is None:
        return t("never")
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return t("ago.seconds", n=seconds)
    if seconds < 7200:
        return t("ago.minutes", n=seconds // 60)
    if seconds < 2 * 86400:
        return t("ago.hours", n=seconds // 3600)
    return t("ago.days", n=seconds // 86400)


def alert_value(alert: Alert, t: Callable[..., str]) -> str:
    """The measured value in words (e.g. "412 秒无心跳")."""
    if alert.rule.value == "offline":
        return t("value.seconds_offline", n=f"{alert.value:g}") if alert.value is not None \
            else t("never")
    if alert.rule.value == "outbox_backlog":
        return t("value.pending", n=f"{alert.value:g}")
    if alert.rule.value == "clock_skew":
        return t("value.skew", n=f"{alert.value:+g}")
    if alert.since is None and alert.rule.value == "device_unavailable":
        return t("value.not_reported")
    return ""
