"""scripts/bench outbox: durable enqueue latency and drain throughput.

* Durable enqueue of a case with 5 × 300 KB pages (sealed, committed with
  fsync'ed WAL) beside the machine's raw SQLite commit of one 1.5 MB blob
  (same directory, WAL, synchronous=FULL) measured in the same run: the ratio
  says what encryption, deduplication and bookkeeping cost on top of the disk.
* Peer: persist-queue's ``SQLiteQueue.put`` (WAL, synchronous=FULL, auto-commit)
  of the same case (its JSON and its pages' bytes, pickled as persist-queue does;
  not sealed) in the same run, on the same disk.
* Drain throughput: the sender delivering a backlog of such cases to the real
  reference back office, started by this benchmark in a subprocess on loopback,
  in case bundles (one request a case); beside it the older way (a PUT per page,
  then the case) by a sender told not to bundle.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.clock import SystemClock  # noqa: E402
from kiosk.submission.cases import Case  # noqa: E402
from kiosk.submission.client import BackofficeClient  # noqa: E402
from kiosk.submission.crypto import Sealer  # noqa: E402
from kiosk.submission.outbox import Outbox  # noqa: E402
from kiosk.submission.reference import format_reference  # noqa: E402
from kiosk.submission.retry import RetryPolicy  # noqa: E402
from kiosk.submission.sender import Sender  # noqa: E402
from scripts.benchmarks._local_backoffice import (  # noqa: E402
    BackofficeProcess,
    add_terminal,
    kiosk_case,
    raw_commit_ms,
)
from scripts.benchmarks.common import Report, parser, percentile, run  # noqa: E402

PAGE_BYTES = 300 * 1024
PAGES = 5
TERMINAL = "XS-BENCH-0001"


def make_case(rng: random.Random, pages_n: int = PAGES, page_bytes: int = PAGE_BYTES) -> Case:
    # Random bytes: scans are JPEGs, which neither compress nor repeat.
    return kiosk_case([b"\xff\xd8\xff\xe0" + rng.randbytes(page_bytes - 4)
                       for _ in range(pages_n)], TERMINAL)


def bench_enqueue(directory: Path, n: int, rng: random.Random) -> list[float]:
    samples = []
    with Outbox(directory / "outbox.sqlite3", Sealer(rng.randbytes(32)), ref_prefix="BE",
                clock=SystemClock(), max_pending_cases=10_000,
                max_pending_bytes=10**12) as outbox:
        for _ in range(n):
            case = make_case(rng)  # built before timing: the screen already holds it
            t0 = time.perf_counter()
            outbox.enqueue(case)
            samples.append((time.perf_counter() - t0) * 1000)
            # Between two citizens the idle sender checkpoints the WAL (kiosk/submission/sender.py).
            outbox.checkpoint()
    return samples


def bench_persist_queue(directory: Path, n: int, rng: random.Random) -> list[float]:
    """The peer: persist-queue's durable put of the same case."""
    import persistqueue

    queue = persistqueue.SQLiteQueue(str(directory / "persist-queue"), auto_commit=True)
    queue._putter.execute("PRAGMA synchronous=FULL")  # as durable as our outbox
    samples = []
    for i in range(n):
        case = make_case(rng).with_ref(format_reference("PQ", date.today(), i + 1))
        item = {"case": case.submission_body(), "pages": [b.data for b in case.blobs()]}
        t0 = time.perf_counter()
        queue.put(item)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def bench_bare(client: BackofficeClient, n: int, rng: random.Random, pages_n: int,
               page_bytes: int) -> float:
    """Reference: the same requests from a bare client, one after another, no outbox."""
    cases = [make_case(rng, pages_n, page_bytes).with_ref(
        format_reference("BR", date.today(), i + 1)) for i in range(n)]
    t0 = time.perf_counter()
    for case in cases:
        for blob in case.blobs():
            client.upload_material(blob.sha256, blob.content_type, blob.data)
        client.create_case(case.kiosk_ref or "", case.submission_body())
    return n / (time.perf_counter() - t0)


def bench_drain(directory: Path, n: int, rng: random.Random, pages_n: int = PAGES,
                page_bytes: int = PAGE_BYTES, *, bundles: bool = True) -> tuple[float, float]:
    """Cases/s of the sender draining a backlog, and of the bare-client reference."""
    directory = directory / f"drain-{pages_n}x{page_bytes}-{bundles}"
    directory.mkdir()
    secret = add_terminal(directory / "backoffice", TERMINAL, directory / "terminal.key")
    bo = BackofficeProcess(directory / "backoffice").wait()
    clock = SystemClock()
    try:
        client = BackofficeClient(bo.url, TERMINAL, secret, clock=clock)
        with Outbox(directory / "drain.sqlite3", Sealer(rng.randbytes(32)), ref_prefix="BD",
                    clock=clock, max_pending_cases=10_000, max_pending_bytes=10**12) as outbox:
            for _ in range(n):
                outbox.enqueue(make_case(rng, pages_n, page_bytes))
            sender = Sender(outbox, client, RetryPolicy(base_s=0.05, cap_s=1), clock=clock,
                            rng=rng, bundles=bundles)
            t0 = time.perf_counter()
            for _ in range(n * 20):  # as the sender's thread drains (pipelined)
                if not sender.drain(ignore_hold=True) and outbox.stats().pending == 0:
                    break
            elapsed = time.perf_counter() - t0
            stats = outbox.stats()
            if stats.delivered != n:
                raise RuntimeError(f"drain incomplete: {stats.to_dict()}")
        bare = bench_bare(client, n, rng, pages_n, page_bytes)
        client.close()
    finally:
        bo.stop()
    return n / elapsed, bare


def main(argv: list[str]) -> int:
    p = parser("outbox", __doc__ or "")
    p.add_argument("--samples", type=int, default=60)
    p.add_argument("--drain-cases", type=int, default=60)
    args = p.parse_args(argv)
    rng = random.Random(7)
    report = Report("outbox")
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").is_dir() else None) as t:
        tmp = Path(t)
        raw = raw_commit_ms(tmp, args.samples, lambda _i: rng.randbytes(PAGE_BYTES * PAGES))
        enq = bench_enqueue(tmp, args.samples, rng)
        peer = bench_persist_queue(tmp, args.samples, rng)
        rate, bare = bench_drain(tmp, args.drain_cases, rng)
        separate, _ = bench_drain(tmp, args.drain_cases, rng, bundles=False)
        light, light_bare = bench_drain(tmp, args.drain_cases, rng, pages_n=1,
                                        page_bytes=50 * 1024)
    raw50, raw99 = percentile(raw, 50), percentile(raw, 99)
    enq50, enq99 = percentile(enq, 50), percentile(enq, 99)
    report.add("raw SQLite commit of 1.5 MB (WAL, FULL) p50", raw50, "ms")
    report.add("raw SQLite commit of 1.5 MB (WAL, FULL) p99", raw99, "ms")
    report.add("durable enqueue, 5 x 300 KB pages, p50", enq50, "ms")
    report.add("durable enqueue, 5 x 300 KB pages, p99", enq99, "ms", goal="<= 50")
    report.add("enqueue / raw commit, p50", enq50 / raw50, "x", goal="<= 3",
               reference="raw SQLite commit p50")
    report.add("enqueue / raw commit, p99", enq99 / raw99, "x", reference="raw SQLite commit p99")
    peer50, peer99 = percentile(peer, 50), percentile(peer, 99)
    report.add("peer: persist-queue put of the same case, p50", peer50, "ms")
    report.add("peer: persist-queue put of the same case, p99", peer99, "ms")
    report.add("enqueue / persist-queue put, p50", enq50 / peer50, "x", goal="<= 1",
               reference="persist-queue SQLiteQueue.put p50")
    report.add("drain to the local back office, 5 x 300 KB cases (bundles)", rate, "cases/s",
               goal=">= 50")
    report.add("drain, older terminals' way (a PUT per page, then the case)", separate,
               "cases/s")
    report.add("bare client, same requests, 5 x 300 KB cases", bare, "cases/s")
    report.add("drain / bare client, 5 x 300 KB cases", rate / bare, "x",
               reference="bare client without outbox, serial")
    report.add("drain to the local back office, 1 x 50 KB cases", light, "cases/s")
    report.add("drain / bare client, 1 x 50 KB cases", light / light_bare, "x",
               reference="bare client without outbox, serial")
    report.notes.append(f"{args.samples} enqueues, {args.drain_cases} cases drained per size; "
                        "temp dir on the same disk as var/; the sender checkpoints between "
                        "enqueues as it does when idle")
    report.notes.append("bare client: separate uploads, serial, no outbox")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
