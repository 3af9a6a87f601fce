"""The real thing: ``python -m backoffice.cli serve`` in its own process, on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from backoffice.cli import main
from backoffice.settings import REPO_ROOT
from kiosk.submission import signing
from tests.backoffice.testing import JPEG, make_case

START_TIMEOUT_S = 30
ID_NUMBER = "11010519491231002X"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _signed(secret: bytes, method: str, path: str, body: bytes = b"") -> dict[str, str]:
    return signing.signed_headers(secret, "XS-PROC-0001", method, path, body, time.time())


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest
           ) -> Iterator[tuple[str, bytes, subprocess.Popen[bytes], Path]]:
    workers = getattr(request, "param", 1)
    data = tmp_path / "bo"
    key = tmp_path / "terminal.key"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    assert main(["terminal", "add", "XS-PROC-0001", "--secret-file", str(key),
                 "--data-dir", str(data)]) == 0
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data), "--workers", str(workers)],
            cwd=REPO_ROOT, env={**env, "PYTHONPATH": str(REPO_ROOT)},
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if requests.get(url + "/api/v1/health", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not start: {log.read_text()}")
        time.sleep(0.05)  # waiting for another process to listen; not a timing assertion
    yield url, bytes.fromhex(key.read_text().strip()), proc, log
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def test_signed_requests_and_clean_sigterm(
        server: tuple[str, bytes, subprocess.Popen[bytes], Path]) -> None:
    url, secret, proc, log = server
    sha = signing.hashlib.sha256(JPEG).hexdigest()
    path = f"/api/v1/materials/{sha}"
    r = requests.put(url + path, data=JPEG, timeout=10, headers={
        **_signed(secret, "PUT", path, JPEG), "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    body = json.dumps(make_case(terminal_id="XS-PROC-0001", id_number=ID_NUMBER)).encode()
    r = requests.post(url + "/api/v1/cases", data=body, timeout=10, headers={
        **_signed(secret, "POST", "/api/v1/cases", body),
        "Content-Type": "application/json", "Idempotency-Key": "XD-261122-0042-F"})
    assert r.status_code == 201, r.text
    number = r.json()["case_number"]
    r = requests.get(f"{url}/api/v1/cases/{number}", timeout=10,
                     headers={**_signed(secret, "GET", f"/api/v1/cases/{number}"),
                              signing.CASE_TOKEN_HEADER:
                                  signing.query_token(secret, "XD-261122-0042-F")})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    bad = requests.get(url + "/api/v1/catalog", timeout=10,
                       headers=_signed(b"x" * 32, "GET", "/api/v1/catalog"))
    assert bad.status_code == 401 and bad.json()["error"] == "bad_signature"

    proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Finished server process" in text
    assert "POST /api/v1/cases" in text  # the access log is on...
    assert ID_NUMBER not in text and "张三" not in text  # ...and prints no bodies


def test_connection_cut_mid_upload_leaves_no_trace(
        server: tuple[str, bytes, subprocess.Popen[bytes], Path], tmp_path: Path) -> None:
    url, secret, proc, log = server
    data = b"\xff\xd8" + os.urandom(2 * 1024 * 1024)
    sha = signing.hashlib.sha256(data).hexdigest()
    path = f"/api/v1/materials/{sha}"
    headers = {**_signed(secret, "PUT", path, data), "Content-Type": "image/jpeg",
               "Content-Length": str(len(data)), "Host": "127.0.0.1"}
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(head.encode() + b"\r\n" + data[:300_000])
    # The server is still well, kept nothing of the cut upload, and did not log an error.
    deadline = time.monotonic() + 10
    tmp_dir = tmp_path / "bo" / "blobs" / "tmp"
    while any(tmp_dir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)  # the server notices the closed connection on its own schedule
    assert not any(tmp_dir.iterdir())
    head_path = f"/api/v1/materials/{sha}"
    r = requests.head(url + head_path, timeout=10, headers=_signed(secret, "HEAD", head_path))
    assert r.status_code == 404
    r = requests.put(url + path, data=data, timeout=30, headers={
        **_signed(secret, "PUT", path, data), "Content-Type": "image/jpeg"})
    assert r.status_code == 201
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and "ERROR" not in text, text


def test_background_server_in_a_thread(tmp_path: Path) -> None:
    """The in-process server that kiosk tests and benchmarks use: real uvicorn, real socket."""
    from backoffice import staffops
    from backoffice.server import BackgroundServer
    from backoffice.settings import Settings

    secret = os.urandom(32)
    with BackgroundServer(Settings(data_dir=tmp_path / "bo")) as server:
        staffops.register_terminal(server.app.state.sessions, "XS-PROC-0001", secret.hex(),
                                   server.app.state.settings.clock.now(),
                                   server.app.state.secret_box)
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        assert requests.get(server.url + "/api/v1/health", timeout=10).json()["status"] == "ok"
        r = requests.get(server.url + "/api/v1/catalog", timeout=10,
                         headers=_signed(secret, "GET", "/api/v1/catalog"))
        assert r.status_code == 200 and r.json()["items"]
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/api/v1/health", timeout=2)


@pytest.mark.parametrize("server", [3], indirect=True)
def test_several_worker_processes_make_one_case(
        server: tuple[str, bytes, subprocess.Popen[bytes], Path]) -> None:
    """``serve --workers 3``: identical submissions on separate connections, one case."""
    url, secret, proc, log = server
    sha = signing.hashlib.sha256(JPEG).hexdigest()
    path = f"/api/v1/materials/{sha}"
    assert requests.put(url + path, data=JPEG, timeout=10, headers={
        **_signed(secret, "PUT", path, JPEG), "Content-Type": "image/jpeg"}).status_code == 201
    body = json.dumps(make_case(terminal_id="XS-PROC-0001")).encode()
    barrier = threading.Barrier(8)

    def submit(_: int) -> tuple[int, str]:
        headers = {**_signed(secret, "POST", "/api/v1/cases", body),
                   "Content-Type": "application/json", "Idempotency-Key": "XD-261122-0042-F",
                   "Connection": "close"}
        barrier.wait(timeout=30)
        r = requests.post(url + "/api/v1/cases", data=body, headers=headers, timeout=30)
        return r.status_code, r.json()["case_number"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(submit, range(8)))
    assert sorted(code for code, _ in results) == [200] * 7 + [201], results
    assert len({number for _, number in results}) == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")
