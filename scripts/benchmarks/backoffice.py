"""Reference back office throughput, over real HTTP on loopback (SQLite, synchronous=FULL).

Measured in one run:
- reference: an unsigned GET /api/v1/health round trip (HTTP + framework cost), and
  a raw SQLite INSERT + COMMIT with fsync on the same disk;
- a signed POST /api/v1/cases (p50, p99) and its ratio to both references;
- full intake of a case with 5 x 300 KB pages (HEAD + PUT per page, then POST):
  cases/s, against the kiosk's drain goal of >= 20 cases/s; and the same case as
  one bundle (POST /api/v1/case-bundles).

Peer, in the same run: a bare FastAPI endpoint under the same uvicorn that inserts
the same case JSON into SQLite (WAL, synchronous=FULL), one transaction a request
(scripts/benchmarks/_peer_intake.py): no signature, nonce, validation, idempotency
or case number. Goal: our signed POST /cases as fast as it; docs/performance.md
says why it is not.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.submission import signing
from kiosk.submission.cases import Case
from kiosk.submission.reference import format_reference
from scripts.benchmarks._local_backoffice import (
    BackofficeProcess,
    add_terminal,
    kiosk_case,
    raw_commit_ms,
)
from scripts.benchmarks.common import Report, parser, percentile, run

TERMINAL = "XS-BENCH-0001"
PAGE_BYTES = 300 * 1024
PAGES = 5
PARALLEL = 4
PEER_APP = "scripts.benchmarks._peer_intake:app"


def ref(prefix: str, n: int) -> str:
    """A valid kiosk reference (the back office checks the check character)."""
    return format_reference(prefix, date.today(), n + 1)


def bench_case(ref: str, pages: list[bytes]) -> Case:
    return kiosk_case(pages, TERMINAL).with_ref(ref)


class Terminal:
    def __init__(self, url: str, secret: bytes) -> None:
        self.url, self.secret = url, secret
        self.session = requests.Session()

    def call(self, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None) -> requests.Response:
        signed = signing.signed_headers(self.secret, TERMINAL, method, path, body, time.time())
        return self.session.request(method, self.url + path, data=body, timeout=30,
                                    headers={**signed, **(headers or {})})

    def submit(self, case: Case) -> requests.Response:
        return self.call("POST", "/api/v1/cases", case.submission_body(), {
            "Content-Type": "application/json", "Idempotency-Key": str(case.kiosk_ref)})

    def bundle(self, ref: str, pages: list[bytes]) -> None:
        parts = [bench_case(ref, pages).submission_body(), *pages]
        manifest = signing.bundle_manifest(parts)
        path = "/api/v1/case-bundles"
        signed = signing.signed_headers(self.secret, TERMINAL, "POST", path, b"", time.time(),
                                        body_sha256=signing.bundle_digest(manifest))
        r = self.session.post(self.url + path, data=b"".join(parts), timeout=30, headers={
            **signed, "Content-Type": signing.BUNDLE_CONTENT_TYPE, "Idempotency-Key": ref,
            signing.BUNDLE_HEADER: manifest})
        assert r.status_code == 201, r.text

    def deliver(self, ref: str, pages: list[bytes],
                times: dict[str, list[float]] | None = None) -> None:
        times = {} if times is None else times

        def timed(kind: str, *args: object, **kwargs: object) -> requests.Response:
            start = time.perf_counter()
            r = (self.submit if kind == "POST" else self.call)(*args, **kwargs)  # type: ignore[arg-type]
            times.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
            return r

        for page in pages:
            sha = hashlib.sha256(page).hexdigest()
            if timed("HEAD", "HEAD", f"/api/v1/materials/{sha}").status_code != 200:
                r = timed("PUT", "PUT", f"/api/v1/materials/{sha}", page,
                          {"Content-Type": "image/jpeg"})
                assert r.status_code in (200, 201), r.text
        r = timed("POST", bench_case(ref, pages))
        assert r.status_code == 201, r.text


def _parallel(url: str, secret: bytes, cases: int) -> float:
    """Cases/s when several terminals deliver at once (one server process)."""
    per = max(1, cases // PARALLEL)
    work = [[[os.urandom(PAGE_BYTES) for _ in range(PAGES)] for _ in range(per)]
            for _ in range(PARALLEL)]

    def one(n: int) -> None:
        term = Terminal(url, secret)
        for i, pages in enumerate(work[n]):
            term.deliver(ref(f"Q{n}", i), pages)

    start = time.perf_counter()
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(one, range(PARALLEL)))
    return per * PARALLEL / (time.perf_counter() - start)


def main(argv: list[str]) -> int:
    p = parser("backoffice", __doc__ or "")
    p.add_argument("--cases", type=int, default=40, help="cases per measurement")
    args = p.parse_args(argv)
    report = Report("backoffice")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw = raw_commit_ms(root, 200, lambda i: os.urandom(512) + bytes([i % 256]))
        secret = add_terminal(root / "bo", TERMINAL, root / "terminal.key")
        server = BackofficeProcess(root / "bo").wait()
        try:
            term = Terminal(server.url, secret)
            health = []
            for _ in range(200):
                start = time.perf_counter()
                term.session.get(server.url + "/api/v1/health", timeout=10)
                health.append((time.perf_counter() - start) * 1000)
            post = []
            for i in range(args.cases * 3):
                empty = bench_case(ref("XB", i), [])
                start = time.perf_counter()
                assert term.submit(empty).status_code == 201
                post.append((time.perf_counter() - start) * 1000)
            times: dict[str, list[float]] = {}
            cases = [[os.urandom(PAGE_BYTES) for _ in range(PAGES)] for _ in range(args.cases)]
            start = time.perf_counter()
            for i, pages in enumerate(cases):
                term.deliver(ref("XF", i), pages, times)
            full_rate = args.cases / (time.perf_counter() - start)
            start = time.perf_counter()
            for i, pages in enumerate(cases):
                term.bundle(ref("XG", i), [os.urandom(PAGE_BYTES) for _ in pages])
            bundle_rate = args.cases / (time.perf_counter() - start)
            parallel_rate = _parallel(server.url, secret, args.cases)
        finally:
            server.stop()
        peer = BackofficeProcess(root / "peer", command=["uvicorn", PEER_APP], env={
            "PEER_DB": str(root / "peer" / "peer.sqlite3")}).wait()
        try:
            session = requests.Session()
            peer_post = []
            for i in range(args.cases * 3):
                body = bench_case(ref("XP", i), []).submission_body()
                start = time.perf_counter()
                r = session.post(peer.url + "/intake", data=body, timeout=30,
                                 headers={"Content-Type": "application/json"})
                assert r.status_code == 201, r.text
                peer_post.append((time.perf_counter() - start) * 1000)
        finally:
            peer.stop()
    h50, c50 = percentile(health, 50), percentile(raw, 50)
    report.add("reference: GET /health p50", h50, "ms")
    report.add("reference: raw SQLite commit+fsync p50", c50, "ms")
    report.add("POST /cases (signed, no pages) p50", percentile(post, 50), "ms")
    report.add("POST /cases (signed, no pages) p99", percentile(post, 99), "ms")
    report.add("POST /cases p50 / GET /health p50", percentile(post, 50) / h50, "x",
               reference="health round trip")
    report.add("POST /cases p50 / raw commit p50", percentile(post, 50) / c50, "x",
               reference="raw SQLite commit")
    report.add("peer: bare FastAPI + one SQLite insert, p50", percentile(peer_post, 50), "ms")
    report.add("POST /cases p50 / peer p50", percentile(post, 50) / percentile(peer_post, 50),
               "x", goal="<= 1", reference="bare FastAPI endpoint, one SQLite insert")
    for kind in ("HEAD", "PUT", "POST"):
        report.add(f"  in full intake: {kind} p50", percentile(times[kind], 50), "ms")
    report.add(f"full intake, {PAGES} x {PAGE_BYTES // 1024} KB pages", full_rate, "cases/s",
               goal=">= 20")
    report.add("same cases as one bundle each (POST /case-bundles)", bundle_rate, "cases/s",
               goal=">= 20")
    report.add(f"full intake, {PARALLEL} terminals at once", parallel_rate, "cases/s",
               reference="one terminal")
    report.notes.append("server in its own process; one client, sequential; "
                        "SQLite WAL with synchronous=FULL; loopback")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
