"""``/metrics``: per-terminal gauges from the database, request metrics by route template,
who may scrape, and the sum over worker processes (``serve --workers 2``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from backoffice.server import BackgroundServer
from backoffice.settings import REPO_ROOT, Settings
from kiosk.clock import FakeClock
from tests.backoffice.console_helpers import beat
from tests.backoffice.testing import TERMINAL_ID, TerminalClient

TOKEN = "scrape-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(tmp_path: Path, clock: FakeClock) -> Settings:
    return Settings(data_dir=tmp_path / "bo", clock=clock, metrics_token=TOKEN)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_terminal_gauges_come_from_the_stored_heartbeat(terminal: TerminalClient,
                                                        client: TestClient,
                                                        clock: FakeClock) -> None:
    body = beat(paper="empty", printer_state="unavailable", pending=7,
                time=clock.now().replace(microsecond=0).isoformat())
    body["devices"]["camera"] = {"state": "<weird>", "media": None, "reason": None}
    assert terminal.request("POST", "/api/v1/terminals/heartbeat",
                            json_body=body).status_code == 200
    got = samples(client.get("/metrics", headers=AUTH).text)
    t = (("terminal", TERMINAL_ID),)
    assert got[("backoffice_terminal_up", t)] == 1.0
    assert got[("backoffice_terminal_last_seen_timestamp_seconds", t)] == \
        clock.now().timestamp()
    assert got[("backoffice_terminal_outbox_pending", t)] == 7.0
    assert got[("backoffice_terminal_device_up", (("device", "printer"), *t))] == 0.0
    assert got[("backoffice_terminal_device_media",
                (("device", "printer"), ("media", "empty"), *t))] == 1.0
    # A value the terminal made up is "other": labels stay a known set.
    assert got[("backoffice_terminal_device_state",
                (("device", "camera"), ("state", "other"), *t))] == 1.0
    assert got[("backoffice_alerts", (("acknowledged", "false"), ("rule", "paper_out")))] == 1
    clock.advance(181)
    later = samples(client.get("/metrics", headers=AUTH).text)
    assert later[("backoffice_terminal_up", t)] == 0.0
    assert later[("backoffice_alerts", (("acknowledged", "false"), ("rule", "offline")))] == 1


def test_requests_are_labelled_by_route_template(client: TestClient) -> None:
    for key in ("XS20261122000001", "XS20261122000002", "XD-261122-0042-F"):
        assert client.get(f"/api/v1/cases/{key}").status_code == 401
    client.get("/no/such/path/4711")
    text = client.get("/metrics", headers=AUTH).text
    got = samples(text)
    route = (("method", "GET"), ("route", "/api/v1/cases/{key}"), ("status", "401"))
    assert got[("backoffice_http_requests_total", route)] == 3.0
    assert got[("backoffice_http_request_duration_seconds_count",
                route[:2])] == 3.0
    assert "XS20261122000001" not in text and "4711" not in text
    assert got[("backoffice_http_requests_total",
                (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))] == 1.0


def test_scraping_needs_the_token_or_loopback(client: TestClient, tmp_path: Path) -> None:
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    with BackgroundServer(Settings(data_dir=tmp_path / "loop")) as server:
        r = requests.get(server.url + "/metrics", timeout=10)
        assert r.status_code == 200 and "backoffice_alerts" in r.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(PYTHONPATH=str(REPO_ROOT), BACKOFFICE_METRICS_TOKEN=TOKEN)
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(tmp_path / "bo"), "--workers", "2"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + "/api/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "server.log").read_text()
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_request_counts_are_summed_over_worker_processes(two_workers: str) -> None:
    with requests.Session() as one, requests.Session() as other:
        for n in range(20):  # two connections: both workers take some
            (one if n % 2 else other).get(two_workers + "/api/v1/health", timeout=10)
    route = (("method", "GET"), ("route", "/api/v1/health"), ("status", "200"))
    for _ in range(4):  # each scrape may reach either worker: all answer the sum
        with requests.Session() as fresh:
            got = samples(fresh.get(two_workers + "/metrics", headers=AUTH, timeout=10).text)
        assert got[("backoffice_http_requests_total", route)] >= 20.0
