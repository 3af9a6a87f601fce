"""Prometheus metrics at ``GET /metrics`` (docs/operations-console.md lists them).

Two sources:

* per terminal (up, last seen, device states, paper, outbox, clock skew) and the
  alert counts are read from the database at scrape time (``FleetCollector``), so
  every server process answers the same, whichever one the scrape reaches;
* request counts and latencies are counted by ``MetricsMiddleware`` in the process
  that served the request, labelled by the route's template (``/staff/cases/
  {case_number}``), never the raw path, so the label set stays bounded. With
  ``serve --workers N`` the server runs prometheus-client's multiprocess mode
  (``prepare_multiprocess``: one directory of per-process files, emptied at start);
  a scrape then sums every worker's counts.

Who may scrape: with ``metrics_token`` set, a request carrying
``Authorization: Bearer <token>``; without it, loopback clients only.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backoffice import alerts, heartbeats
from backoffice.console import acks as console_acks
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.keystore import secure_data_dir
from backoffice.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"
STATES = ("ready", "busy", "unavailable")
MEDIA = ("present", "absent", "low", "empty", "jammed", "unknown", "n/a")
#: Seconds; the heartbeat's goal is 100 ms at p99, cases and materials take longer.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def prepare_multiprocess(settings: Settings) -> Path:
    """Before worker processes start: a fresh directory for their metric files."""
    secure_data_dir(settings.data_dir)
    directory = settings.data_dir / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class RequestMetrics:
    """The request counter and latency histogram of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("backoffice_http_requests", "HTTP requests answered",
                                ("method", "route", "status"), registry=self.registry)
        self.latency = Histogram("backoffice_http_request_duration_seconds",
                                 "Time from the request to the end of the answer",
                                 ("method", "route"), buckets=BUCKETS, registry=self.registry)


class MetricsMiddleware:
    """Pure ASGI: counts every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.requests.labels(method, template, str(status[0])).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


class FleetCollector(Collector):
    """Per-terminal gauges and alert counts, read from the database at each scrape."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    def collect(self) -> Iterator[Metric]:
        now = self._settings.clock.now()
        with transaction(self._sessions, write=False) as session:
            terminals = heartbeats.snapshots(session)
            acks = console_acks.stored(session)
        yield from terminal_metrics(terminals, self._settings.thresholds, now, acks)


def _gauge(name: str, doc: str, labels: tuple[str, ...]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def terminal_metrics(terminals: list[alerts.TerminalSnapshot], th: alerts.Thresholds,
                     now: datetime, acks: dict[str, alerts.Ack]) -> Iterator[Metric]:
    up = _gauge("backoffice_terminal_up", "1 when the terminal's last heartbeat is recent "
                "(within the offline threshold)", ("terminal",))
    seen = _gauge("backoffice_terminal_last_seen_timestamp_seconds",
                  "Unix time of the terminal's last heartbeat", ("terminal",))
    device_up = _gauge("backoffice_terminal_device_up",
                       "1 when the device reports ready or busy", ("terminal", "device"))
    state = _gauge("backoffice_terminal_device_state",
                   "1 for the device's reported state", ("terminal", "device", "state"))
    media = _gauge("backoffice_terminal_device_media",
                   "1 for the device's reported media (paper: present, low, empty...)",
                   ("terminal", "device", "media"))
    pending = _gauge("backoffice_terminal_outbox_pending",
                     "Cases waiting in the terminal's outbox", ("terminal",))
    refused = _gauge("backoffice_terminal_outbox_refused",
                     "Cases the back office refused, kept at the terminal for staff",
                     ("terminal",))
    skew = _gauge("backoffice_terminal_clock_skew_seconds",
                  "Terminal clock minus server clock at the last heartbeat", ("terminal",))
    for t in terminals:
        recent = t.last_seen_at is not None and \
            (now - t.last_seen_at).total_seconds() <= th.offline_after_s
        up.add_metric([t.id], 1.0 if recent else 0.0)
        if t.last_seen_at is not None:
            seen.add_metric([t.id], t.last_seen_at.timestamp())
        for d in t.devices:
            device_up.add_metric([t.id, d.name], 1.0 if d.state in alerts.READY_STATES else 0.0)
            # Terminal-supplied values: anything unexpected is "other" (bounded labels).
            state.add_metric([t.id, d.name, d.state if d.state in STATES else "other"], 1.0)
            if d.media is not None:
                media.add_metric([t.id, d.name, d.media if d.media in MEDIA else "other"], 1.0)
        if t.outbox_pending is not None:
            pending.add_metric([t.id], float(t.outbox_pending))
        if t.outbox_refused is not None:
            refused.add_metric([t.id], float(t.outbox_refused))
        if t.skew_s is not None:
            skew.add_metric([t.id], t.skew_s)
    found = alerts.evaluate(terminals, th, now, acks)
    counts = _gauge("backoffice_alerts", "Active alerts by rule and acknowledgement",
                    ("rule", "acknowledged"))
    for rule in alerts.Rule:
        for acked in (False, True):
            n = sum(1 for a in found.alerts if a.rule is rule and (a.ack is not None) == acked)
            counts.add_metric([rule.value, "true" if acked else "false"], float(n))
    yield from (up, seen, device_up, state, media, pending, refused, skew, counts)


router = APIRouter(tags=["metrics"])


def _allowed(request: Request, token: str) -> bool:
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                  token.encode())
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/metrics", include_in_schema=False)
def scrape(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not _allowed(request, settings.metrics_token):
        raise ApiError(403, "forbidden", "metrics: a bearer token or a loopback client only")
    state: Any = request.app.state
    directory = multiprocess_dir()
    if directory is None:
        registry = state.metrics_registry
    else:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        registry.register(state.fleet_collector)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
