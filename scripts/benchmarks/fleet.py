"""scripts/bench fleet: a district's terminals against one back office on PostgreSQL.

Starts PostgreSQL on loopback (a private cluster under a temp dir, fsync on,
stopped and removed at the end) and the reference back office on it with
several uvicorn workers (``scripts/backoffice serve --workers W``), registers N
terminals, and runs N light simulated terminals in this process (asyncio and
one pooled HTTP client, not the Kivy app) that speak the real signed API
through our own signing code (kiosk/submission/signing.py):

* heartbeats on a compressed schedule: a kiosk beats every 60 s
  (``backoffice.heartbeat_interval_s``); here every ``--heartbeat-s`` (5 s, 12x
  compressed), each terminal at its own phase;
* case submissions of 5 pages x 300 KB offered at ``--case-rate`` per second
  across the fleet (a terminal sends one case at a time, as its outbox sender
  does), as one bundled request (``POST /api/v1/case-bundles``) or, with
  ``--upload separate``, as the older terminals do (``PUT`` each page, then
  ``POST /api/v1/cases``).

Reported: heartbeat latency p50/p99 as the terminals see it and as the server
measured it (its own /metrics histogram; scripts/benchmarks/_fleet_probes.py), the
bench's own event-loop lag (every simulated terminal shares it), sustained cases/s (completed in the
measured window), case latency, errors by kind, database, WAL and blob growth per
case, and the machine (cores, load average before and after). Bounded in time:
warm-up plus ``--seconds`` of measurement, then everything is stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from backoffice import db, staffops  # noqa: E402
from backoffice.keystore import SecretBox  # noqa: E402
from kiosk.submission import signing  # noqa: E402
from kiosk.submission.reference import format_reference  # noqa: E402
from scripts.benchmarks._fleet_probes import LoopLag, ServerTimes  # noqa: E402
from scripts.benchmarks._local_backoffice import BackofficeProcess, kiosk_case  # noqa: E402
from scripts.benchmarks.common import Report, parser, percentile, run  # noqa: E402
from simenv.postgres import LocalPostgres  # noqa: E402

API = "/api/v1"
PAGE_BYTES = 300 * 1024
PAGES = 5
REAL_HEARTBEAT_S = 60.0
#: Client pools per kind of request (see Fleet.__init__).
SHARDS = 16
KEEPALIVE_S = 2.0


@dataclass
class Terminal:
    id: str
    prefix: str
    secret: bytes
    index: int = 0
    seq: int = 0


@dataclass
class Tally:
    heartbeats: list[float] = field(default_factory=list)
    cases: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    measuring: bool = False
    offered: int = 0
    skipped: int = 0


def prefix_of(n: int) -> str:
    """A distinct 4-character reference prefix per terminal (PREFIX_RE: [A-Z0-9]{2,4})."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "F" + alphabet[n // 676 % 26] + alphabet[n // 26 % 26] + alphabet[n % 26]


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu or platform.machine()}), {mem:.0f} GiB, " \
           f"Python {platform.python_version()}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def case_body(terminal: Terminal, pages: list[bytes]) -> tuple[str, bytes]:
    terminal.seq += 1
    ref = format_reference(terminal.prefix, date.today(), terminal.seq)
    return ref, kiosk_case(pages, terminal.id).with_ref(ref).submission_body()


class Fleet:
    def __init__(self, url: str, terminals: list[Terminal], args: object, tally: Tally,
                 rng: random.Random) -> None:
        self.url = url
        self.terminals = terminals
        self.args = args
        self.tally = tally
        self.rng = rng
        self.base_page = rng.randbytes(PAGE_BYTES)
        self.idle: asyncio.Queue[Terminal] = asyncio.Queue()
        for t in terminals:
            self.idle.put_nowait(t)
        self.stopping = False
        # Two sets of pools: each real terminal has its own connection, so a heartbeat
        # never waits in this process for a connection that a slow case upload holds.
        # Each set is SHARDS small pools (terminal i uses pool i % SHARDS): httpcore
        # looks at every connection of a pool for every request it places (an idle
        # check, a socket call each), so one pool of 64 cost this process more CPU than
        # the heartbeats' own work and delayed every simulated request.
        # Idle connections are dropped after KEEPALIVE_S, before uvicorn closes them (5 s):
        # with both at 5 s a request sent on a connection the server was closing failed
        # with ReadError now and then (a race of keep-alive, not a server error).
        conns = getattr(args, "connections", 64)
        per = max(1, conns // SHARDS)
        limits = httpx.Limits(max_connections=per, max_keepalive_connections=per,
                              keepalive_expiry=KEEPALIVE_S)
        self.http = [httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30.0, connect=10.0),
                                       limits=limits) for _ in range(SHARDS)]
        self.uploads = [httpx.AsyncClient(base_url=url,
                                          timeout=httpx.Timeout(60.0, connect=10.0),
                                          limits=limits) for _ in range(SHARDS)]
        self.scrapes = httpx.AsyncClient(base_url=url)
        self.server_beats = ServerTimes(self.scrapes, f"{API}/terminals/heartbeat")
        self.lag = LoopLag()

    def _headers(self, t: Terminal, method: str, path: str, body: bytes,
                 digest: str | None = None) -> dict[str, str]:
        if digest is None:
            return signing.signed_headers(t.secret, t.id, method, path, body, time.time())
        ts, nonce = str(int(time.time())), signing.new_nonce()
        return {"X-Terminal-Id": t.id, "X-Timestamp": ts, "X-Nonce": nonce,
                "X-Signature": signing.sign_digest(t.secret, method, path, ts, nonce, digest),
                signing.CONTENT_SHA256_HEADER: digest}

    async def _send(self, t: Terminal, method: str, path: str, body: bytes = b"",
                    headers: dict[str, str] | None = None, digest: str | None = None
                    ) -> httpx.Response | None:
        all_headers = {**(headers or {}), **self._headers(t, method, path, body, digest)}
        pools = self.http if path.endswith("/heartbeat") else self.uploads
        client = pools[t.index % len(pools)]
        try:
            resp = await client.request(method, path, content=body or None,
                                        headers=all_headers)
        except httpx.HTTPError as exc:
            self._error(f"{type(exc).__name__} {method} {path.split('/')[3]}")
            return None
        if resp.status_code >= 400:
            try:
                code = resp.json().get("error", "")
            except ValueError:
                code = ""
            self._error(f"{method} {path.split('/')[3]} {resp.status_code} {code}".strip())
            return None
        return resp

    def _error(self, kind: str) -> None:
        if self.tally.measuring:
            self.tally.errors[kind] += 1

    async def heartbeats(self, t: Terminal) -> None:
        period = self.args.heartbeat_s  # type: ignore[attr-defined]
        await asyncio.sleep(self.rng.uniform(0, period))
        path = f"{API}/terminals/heartbeat"
        while not self.stopping:
            started = time.perf_counter()
            body = json.dumps({"time": datetime.now(UTC).isoformat(),
                               "devices": {"printer": {"state": "ready", "media": "ok"},
                                           "idcard": {"state": "ready"}},
                               "outbox": {"pending": 0, "refused": 0}}).encode()
            resp = await self._send(t, "POST", path, body,
                                    {"Content-Type": "application/json"})
            took = time.perf_counter() - started
            if resp is not None and self.tally.measuring:
                self.tally.heartbeats.append(took * 1000)
            await asyncio.sleep(max(0.0, period - took))

    def _pages(self) -> list[bytes]:
        # Unique pages (content-addressed storage would dedupe repeats), cheap to make.
        return [secrets.token_bytes(16) + self.base_page[16:] for _ in range(PAGES)]

    async def _case_separate(self, t: Terminal, ref: str, body: bytes,
                             pages: list[bytes]) -> bool:
        uploads = [self._send(t, "PUT", f"{API}/materials/{hashlib.sha256(p).hexdigest()}",
                              p, {"Content-Type": "image/jpeg"},
                              digest=hashlib.sha256(p).hexdigest()) for p in pages]
        if any(r is None for r in await asyncio.gather(*uploads)):
            return False
        return await self._send(t, "POST", f"{API}/cases", body, {
            "Content-Type": "application/json", "Idempotency-Key": ref}) is not None

    async def _case_bundle(self, t: Terminal, ref: str, body: bytes,
                           pages: list[bytes]) -> bool:
        parts = [body, *pages]
        manifest, joined = await asyncio.to_thread(
            lambda: (signing.bundle_manifest(parts), b"".join(parts)))
        digest = hashlib.sha256(manifest.encode()).hexdigest()
        return await self._send(t, "POST", f"{API}/case-bundles", joined, {
            "Content-Type": signing.BUNDLE_CONTENT_TYPE, "Idempotency-Key": ref,
            signing.BUNDLE_HEADER: manifest}, digest=digest) is not None

    def _make_case(self, t: Terminal) -> tuple[str, bytes, list[bytes]]:
        pages = self._pages()
        ref, body = case_body(t, pages)
        return ref, body, pages

    async def one_case(self, t: Terminal) -> None:
        try:
            # Off the event loop that every simulated terminal's heartbeat shares (a real
            # terminal builds its cases on a machine of its own).
            ref, body, pages = await asyncio.to_thread(self._make_case, t)
            started = time.perf_counter()
            send = self._case_bundle if self.args.upload == "bundle" \
                else self._case_separate  # type: ignore[attr-defined]
            ok = await send(t, ref, body, pages)
            if ok and self.tally.measuring:
                self.tally.cases.append((time.perf_counter() - started) * 1000)
        finally:
            self.idle.put_nowait(t)

    async def cases(self) -> None:
        rate = self.args.case_rate  # type: ignore[attr-defined]
        if rate <= 0:
            return
        tasks: set[asyncio.Task[None]] = set()
        next_at = time.perf_counter()
        while not self.stopping:
            next_at += self.rng.expovariate(rate)
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            if self.tally.measuring:
                self.tally.offered += 1
            if self.idle.empty():
                if self.tally.measuring:
                    self.tally.skipped += 1  # every terminal still busy sending its case
                continue
            task = asyncio.create_task(self.one_case(self.idle.get_nowait()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=60)

    async def run(self, warmup_s: float, seconds: float) -> float:
        beats = [asyncio.create_task(self.heartbeats(t)) for t in self.terminals]
        cases = asyncio.create_task(self.cases())
        await asyncio.sleep(warmup_s)
        await self.server_beats.begin()
        self.lag.start()
        self.tally.measuring = True
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        self.tally.measuring = False
        elapsed = time.perf_counter() - started
        await self.lag.stop()
        await self.server_beats.end()
        self.stopping = True
        await asyncio.wait([*beats, cases], timeout=60)
        for client in (*self.http, *self.uploads):
            await client.aclose()
        await self.scrapes.aclose()
        return elapsed


def register(url: str, master_key: Path, n: int) -> list[Terminal]:
    engine = db.make_engine(url)
    db.create_schema(engine)
    sessions = db.make_sessionmaker(engine)
    box = SecretBox.from_file(master_key)
    now = datetime.now(UTC)
    terminals = []
    for i in range(n):
        t = Terminal(f"XS-FLEET-{i:04d}", prefix_of(i), secrets.token_bytes(32), index=i)
        staffops.register_terminal(sessions, t.id, t.secret.hex(), now, box, prefix=t.prefix)
        terminals.append(t)
    engine.dispose()
    return terminals


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of ``root`` and its living descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total


def postmaster_pid(pg: LocalPostgres) -> int:
    return int((pg.data_dir / "postmaster.pid").read_text().split()[0])


class WaitSampler:
    """What PostgreSQL's backends wait on (pg_stat_activity), sampled every 50 ms."""

    def __init__(self, pg: LocalPostgres) -> None:
        self.counts: Counter[str] = Counter()
        self._pg = pg
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        dsn = self._pg.url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not self._stop.wait(0.05):
                for state, kind, event, query in conn.execute(
                        "SELECT state, wait_event_type, wait_event, left(query, 30) "
                        "FROM pg_stat_activity WHERE backend_type = 'client backend' "
                        "AND pid <> pg_backend_pid()"):
                    if state == "active":
                        self.counts[f"{kind or 'CPU'}:{event or '-'} {query}"] += 1

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def blob_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def main(argv: list[str]) -> int:
    p = parser("fleet", __doc__ or "")
    p.add_argument("--terminals", type=int, default=500)
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--seconds", type=float, default=30.0, help="measured window")
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--heartbeat-s", type=float, default=5.0,
                   help=f"heartbeat period (a kiosk's is {REAL_HEARTBEAT_S:.0f} s)")
    p.add_argument("--case-rate", type=float, default=22.0,
                   help="cases offered per second (the goal is 20 sustained)")
    p.add_argument("--upload", choices=("bundle", "separate"), default="bundle")
    p.add_argument("--connections", type=int, default=64,
                   help="client connections, for heartbeats and for cases each")
    p.add_argument("--pg-fsync", choices=("on", "off"), default="on",
                   help="off only to see what the disk costs (not a durable setup)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the back office's workers with py-spy (collapsed stacks)")
    args = p.parse_args(argv)
    report = Report("fleet")
    load_before = load()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="fleet-") as tmp, \
            LocalPostgres(durable=args.pg_fsync == "on", max_connections=200) as pg:
        data_dir = Path(tmp) / "backoffice"
        data_dir.mkdir(mode=0o700)
        url = pg.create_database("fleet")
        t0 = time.perf_counter()
        terminals = register(url, data_dir / "master.key", args.terminals)
        registered_s = time.perf_counter() - t0
        server = BackofficeProcess(data_dir, database_url=url, workers=args.workers)
        try:
            server.wait()
            db0, wal0 = pg.database_bytes("fleet"), pg.wal_bytes()
            blobs0 = blob_bytes(data_dir / "blobs")
            tally = Tally()
            fleet = Fleet(server.url, terminals, args, tally, rng)
            spy = None if not args.profile else subprocess.Popen(
                ["py-spy", "record", "--subprocesses", "--nonblocking", "--format", "raw",
                 "-r", "100", "-d", str(int(args.warmup + args.seconds)), "-o", args.profile,
                 "-p", str(server.proc.pid)], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            cpu0 = (os.times(), cpu_seconds(server.proc.pid), cpu_seconds(postmaster_pid(pg)))
            with WaitSampler(pg) as waits:
                elapsed = asyncio.run(fleet.run(args.warmup, args.seconds))
            times = os.times()
            cpu = (times.user + times.system - cpu0[0].user - cpu0[0].system,
                   cpu_seconds(server.proc.pid) - cpu0[1],
                   cpu_seconds(postmaster_pid(pg)) - cpu0[2])
            if spy is not None:
                spy.wait(timeout=60)
            done = len(tally.cases)
            all_cases = max(1, sum(t.seq for t in terminals))
            db_growth = (pg.database_bytes("fleet") - db0) / all_cases
            wal_growth = (pg.wal_bytes() - wal0) / all_cases
            blob_growth = (blob_bytes(data_dir / "blobs") - blobs0) / all_cases
        finally:
            server.stop()
    errors = sum(tally.errors.values())
    report.add("terminals", args.terminals, "")
    report.add("heartbeats measured", len(tally.heartbeats), "")
    report.add("heartbeat p50", percentile(tally.heartbeats, 50), "ms")
    report.add("heartbeat p99", percentile(tally.heartbeats, 99), "ms", goal="<= 100")
    beats = fleet.server_beats
    report.add("heartbeat p50 in the server (/metrics)", beats.quantile(0.5) * 1000, "ms")
    report.add("heartbeat p99 in the server (/metrics)", beats.quantile(0.99) * 1000, "ms")
    report.add("heartbeats answered by the server within 100 ms",
               beats.share_within(0.1) * 100, "%")
    report.add(f"cases offered ({args.case_rate:g}/s)", tally.offered / elapsed, "cases/s")
    report.add(f"large cases sustained ({PAGES} x 300 KB)", done / elapsed, "cases/s",
               goal=">= 20")
    report.add("case p50", percentile(tally.cases, 50), "ms")
    report.add("case p99", percentile(tally.cases, 99), "ms")
    report.add("errors", errors, "", goal="<= 0")
    report.add("database growth per case", db_growth / 1024, "KiB")
    report.add("WAL written per case (heartbeats included)", wal_growth / 1024, "KiB")
    report.add("blob growth per case", blob_growth / 1024, "KiB")
    run_s = args.warmup + elapsed
    report.add("CPU: simulated terminals (this process)", cpu[0] / run_s, "cores")
    report.add(f"CPU: back office ({args.workers} workers)", cpu[1] / run_s, "cores")
    report.add("CPU: PostgreSQL", cpu[2] / run_s, "cores")
    report.notes.append(
        f"the bench's event loop (every simulated terminal's requests) woke late by "
        f"p50 {percentile(fleet.lag.samples, 50):.1f} ms, p99 "
        f"{percentile(fleet.lag.samples, 99):.1f} ms: the terminals' heartbeat times "
        "include that, the server's (/metrics: from the app's first middleware to the end "
        "of the answer) do not")
    busy = sum(waits.counts.values())
    report.notes.append("PostgreSQL backends, active samples by wait: " + ", ".join(
        f"{k} {v / max(1, busy):.0%}" for k, v in waits.counts.most_common(6)))
    for kind, count in sorted(tally.errors.items()):
        report.notes.append(f"error {kind}: {count}")
    report.notes.append(
        f"heartbeat every {args.heartbeat_s:g} s (a kiosk: {REAL_HEARTBEAT_S:.0f} s, so "
        f"{REAL_HEARTBEAT_S / args.heartbeat_s:g}x compressed): "
        f"{args.terminals / args.heartbeat_s:.0f} heartbeats/s offered")
    report.notes.append(f"{args.workers} uvicorn workers on PostgreSQL (fsync {args.pg_fsync}, "
                        "loopback); "
                        f"uploads: {args.upload}; {args.warmup:g} s warm-up, "
                        f"{elapsed:.1f} s measured; {tally.skipped} offered cases found "
                        f"every terminal busy")
    report.notes.append(f"registered {args.terminals} terminals in {registered_s:.1f} s")
    report.notes.append(f"machine: {machine()}; load average before {load_before}, "
                        f"after {load()}")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
