"""Maintenance (暂停服务): the terminal is out of service for citizens, with the reason a
technician gave (e.g. "设备维护中，预计 15:00 恢复").

While it is on, the Home screen shows 暂停服务 with the reason (as typed, in every
language; the labels around it are translated), every item's availability is
suspended and no journey starts. The state is the core's; screens render it. It is
kept on disk when a path is given (a restart does not bring a terminal under
maintenance back into service). Changes are made on the UI thread (the command runner
delivers them there) and announced to listeners.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.config.loader import LText
from kiosk.config.model import SiteProfile
from kiosk.fleet.files import read_json, write_json

log = logging.getLogger(__name__)

#: i18n key (core.po) of the availability reason while maintenance is on.
REASON_KEY = "availability.reason.maintenance"
MAX_REASON = 200


@dataclass(frozen=True)
class MaintenanceState:
    on: bool = False
    reason: str = ""
    since: str = ""


class Maintenance:
    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._listeners: list[Callable[[MaintenanceState], None]] = []
        data = read_json(path) if path is not None else None
        self._state = MaintenanceState()
        if data is not None and data.get("on") is True:
            self._state = MaintenanceState(True, str(data.get("reason", ""))[:MAX_REASON],
                                           str(data.get("since", "")))
            log.warning("starting in maintenance (暂停服务) since %s", self._state.since)

    @property
    def state(self) -> MaintenanceState:
        with self._lock:
            return self._state

    @property
    def on(self) -> bool:
        return self.state.on

    @property
    def reason(self) -> str:
        return self.state.reason

    def add_listener(self, listener: Callable[[MaintenanceState], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[MaintenanceState], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def enter(self, reason: str, at: datetime) -> MaintenanceState:
        return self._set(MaintenanceState(True, " ".join(reason.split())[:MAX_REASON],
                                          at.isoformat()))

    def leave(self) -> MaintenanceState:
        return self._set(MaintenanceState())

    def _set(self, state: MaintenanceState) -> MaintenanceState:
        if self._path is not None:
            write_json(self._path, {"on": state.on, "reason": state.reason,
                                    "since": state.since})
        with self._lock:
            changed = state != self._state
            self._state = state
        if changed:
            log.warning("maintenance %s%s", "on: " if state.on else "off",
                        state.reason if state.on else "")
            for listener in list(self._listeners):
                listener(state)
        return state


@dataclass(frozen=True)
class MaintenanceView:
    """What Home shows while the terminal is in maintenance: i18n keys for the labels
    (screens.po) and the reason exactly as the technician typed it."""

    reason: str
    title_key: str = "ui.home.maintenance.title"
    reason_key: str = "ui.home.maintenance.reason"
    hint_key: str = "ui.home.maintenance.hint"
    #: The nearest service hall (a site without windows names it), or None.
    hall: LText | None = None


def maintenance_view(state: MaintenanceState, site: SiteProfile) -> MaintenanceView | None:
    if not state.on:
        return None
    hall = site.services.nearest_hall
    if hall is not None:
        return MaintenanceView(state.reason, hint_key="ui.home.maintenance.hint_hall",
                               hall=hall)
    return MaintenanceView(state.reason)
