"""The sender against a hostile back office on loopback: no loss, no duplicate, no crash."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.clock import FakeClock, SystemClock
from kiosk.config.model import (
    BackofficeConfig,
    KioskConfig,
    OutboxConfig,
    RetryConfig,
    TerminalConfig,
)
from kiosk.errors import ConfigError, OutboxKeyError
from kiosk.submission.client import BackofficeClient
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.retry import RetryPolicy
from kiosk.submission.sender import Sender, build_submission
from tests.kiosk.case_factory import make_case
from tests.kiosk.hostile_server import SECRET, TERMINAL, Fault, HostileServer, Seen

POLICY = RetryPolicy(base_s=1, cap_s=60, multiplier=2, jitter=0.5)


class Rig:
    """The hostile server is an older back office (no case bundles): these tests are about
    separate uploads, so the sender is told so up front (``bundles``); the fallback a real
    sender goes through is tested on its own below."""

    def __init__(self, tmp: Path, server: HostileServer, clock: FakeClock | SystemClock,
                 *, bundles: bool = False, pipelined: bool = False) -> None:
        self.clock = clock
        #: drain() as the sender's thread does (the next case out while one is recorded)
        self.pipelined = pipelined
        self.server = server
        self.outbox = Outbox(tmp / "outbox.sqlite3", Sealer(bytes(range(32))),
                             ref_prefix="XD", clock=clock)
        # Read timeout: long enough for a loaded 2-core CI machine, shorter than the
        # delays the timeout tests inject (2.5 s).
        self.client = BackofficeClient(server.url, TERMINAL, SECRET, clock=clock,
                                       connect_timeout_s=0.5, read_timeout_s=1.5)
        self.sender = Sender(self.outbox, self.client, POLICY, clock=clock,
                             rng=random.Random(1), idle_s=0.2, bundles=bundles)

    def enqueue(self, n: int, **kw: object) -> list[str]:
        return [self.outbox.enqueue(make_case(f"c{i}", **kw)) for i in range(n)]  # type: ignore[arg-type]

    def drain(self, max_rounds: int = 200) -> None:
        """Run the sender until nothing is pending, advancing fake time past every wait."""
        assert isinstance(self.clock, FakeClock)
        for _ in range(max_rounds):
            if not (self.sender.drain() if self.pipelined else self.sender.drain_once()):
                st = self.outbox.stats()
                if st.pending == 0:
                    return
                self.clock.advance(POLICY.cap_s)
        raise AssertionError("outbox did not drain")

    def delivered_order(self) -> list[str]:
        posts = self.server.requests("POST", "/api/v1/cases")
        return [json.loads(s.body)["kiosk_ref"] for s in posts]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        yield srv


@pytest.fixture(params=["one by one", "pipelined"])
def rig(request: pytest.FixtureRequest, tmp_path: Path, server: HostileServer) -> Iterator[Rig]:
    r = Rig(tmp_path, server, FakeClock(), pipelined=request.param == "pipelined")
    yield r
    r.sender.stop()
    r.outbox.close()
    r.client.close()


def assert_exactly_once(rig: Rig, refs: list[str]) -> None:
    assert set(rig.server.cases) == set(refs)
    assert rig.server.created == len(refs)
    for ref in refs:
        rec = rig.outbox.record(ref)
        assert rec is not None and rec.state is CaseState.DELIVERED
        assert rec.case_number == rig.server.cases[ref][1]["case_number"]


def test_delivers_in_order_uploading_first(rig: Rig) -> None:
    refs = rig.enqueue(3)
    rig.drain()
    assert rig.delivered_order() == refs
    assert_exactly_once(rig, refs)
    first_post = next(i for i, s in enumerate(rig.server.seen) if s.method == "POST")
    # Pages first stored by their case are PUT without a HEAD: nobody can have them yet.
    assert {s.method for s in rig.server.seen[:first_post]} == {"PUT"}


def test_a_back_office_without_bundles_gets_separate_uploads(tmp_path: Path,
                                                            server: HostileServer) -> None:
    rig = Rig(tmp_path, server, FakeClock(), bundles=True)
    try:
        refs = rig.enqueue(3)
        rig.drain()
        assert rig.delivered_order() == refs
        assert_exactly_once(rig, refs)
        # One bundle tried (404 from the older server), then never again.
        tried = rig.server.requests("POST", "/api/v1/case-bundles")
        assert len(tried) == 1
        assert rig.outbox.stats().refused == 0
    finally:
        rig.sender.stop()
        rig.outbox.close()
        rig.client.close()


def test_blobs_the_server_has_are_not_sent_again(rig: Rig) -> None:
    # Two cases (a bundle) share a page: the second case HEADs it and skips the PUT.
    rig.outbox.enqueue(make_case("a", pages=1, shared_page=True))
    rig.outbox.enqueue(make_case("b", pages=1, shared_page=True))
    rig.drain()
    shared = make_case("a", pages=1, shared_page=True).materials[0].pages[-1].sha256
    assert len([s for s in rig.server.requests("PUT") if shared in s.path]) == 1
    assert len([s for s in rig.server.requests("HEAD") if shared in s.path]) == 1


def test_after_a_failed_attempt_every_page_is_checked_first(rig: Rig) -> None:
    case = make_case("a", pages=2)
    page = case.materials[0].pages[0]
    rig.outbox.enqueue(case)
    # The upload lands on the server but its answer is lost.
    rig.server.inject(Fault(method="PUT", path_prefix=f"/api/v1/materials/{page.sha256}",
                            process=True, status=502))
    rig.sender.drain_once()
    assert page.sha256 in rig.server.materials
    rig.server.seen.clear()
    rig.drain()
    assert not [s for s in rig.server.requests("PUT") if page.sha256 in s.path]
    assert [s for s in rig.server.requests("HEAD") if page.sha256 in s.path]


def test_outage_holds_the_queue_and_keeps_order(rig: Rig, tmp_path: Path) -> None:
    refs = rig.enqueue(4)
    # Point a sender at a port where nothing listens.
    with HostileServer() as gone:
        dead_url = gone.url
    dead = BackofficeClient(dead_url, TERMINAL, SECRET, clock=rig.clock, connect_timeout_s=0.5)
    sender = Sender(rig.outbox, dead, POLICY, clock=rig.clock, rng=random.Random(2))
    assert sender.drain_once() is True
    st = rig.outbox.stats()
    assert st.pending == 4 and st.hold_until is not None
    assert sender.drain_once() is False  # held: nothing else is tried
    for _ in range(5):
        rig.clock.advance(POLICY.cap_s)
        sender.drain_once()
    held = rig.outbox.stats().hold_until
    assert held is not None and held - rig.clock.now().timestamp() > 8  # backoff grew
    assert rig.outbox.record(refs[0]).attempts == 6  # type: ignore[union-attr]
    assert all(rig.outbox.record(r).attempts == 0 for r in refs[1:])  # type: ignore[union-attr]
    rig.clock.advance(POLICY.cap_s)
    rig.drain()
    assert rig.delivered_order() == refs
    assert_exactly_once(rig, refs)
    assert rig.outbox.stats().hold_until is None


def test_wake_skips_the_hold_once(rig: Rig) -> None:
    refs = rig.enqueue(1)
    rig.server.inject(Fault(status=503, headers={"Retry-After": "50"}))
    rig.sender.drain_once()
    assert rig.sender.drain_once() is False
    assert rig.sender.drain_once(ignore_hold=True) is True
    assert_exactly_once(rig, refs)


def test_retry_after_is_honoured(rig: Rig) -> None:
    rig.enqueue(1)
    rig.server.inject(Fault(status=429, headers={"Retry-After": "45"}))
    now = rig.clock.now().timestamp()
    rig.sender.drain_once()
    hold = rig.outbox.stats().hold_until
    assert hold is not None and hold - now >= 45
    rig.clock.advance(44)
    assert rig.sender.drain_once() is False


def test_a_500_case_does_not_block_the_others(rig: Rig) -> None:
    refs = rig.enqueue(3)
    rig.server.inject(Fault(method="POST", status=500))
    rig.sender.drain_once()
    rec = rig.outbox.record(refs[0])
    assert rec is not None and rec.state is CaseState.PENDING and "500" in (rec.last_error or "")
    assert rig.outbox.stats().hold_until is None
    rig.sender.drain_once()
    rig.sender.drain_once()
    assert rig.delivered_order()[1:] == refs[1:]
    rig.drain()
    assert_exactly_once(rig, refs)


def test_lost_answer_is_not_a_duplicate(rig: Rig) -> None:
    refs = rig.enqueue(2)
    # The server creates the case, but the kiosk only sees garbage (or a timeout).
    rig.server.inject(Fault(method="POST", process=True, status=200, body=b"<html>proxy</html>"),
                      Fault(method="POST", process=True, delay_s=2.5, status=201))
    rig.drain()
    assert_exactly_once(rig, refs)
    assert len(rig.server.requests("POST", "/api/v1/cases")) == 4


def test_connection_cut_mid_upload_then_resume_only_what_is_missing(rig: Rig) -> None:
    refs = rig.enqueue(1, pages=3, page_size=300_000)
    # The other pages go through; the second page's PUT is cut after 50 kB of its body.
    item_blobs = [b.sha256 for b in make_case("c0", pages=3, page_size=300_000).blobs()]
    rig.server.inject(Fault(method="PUT", path_prefix=f"/api/v1/materials/{item_blobs[1]}",
                            cut_after=50_000))
    rig.sender.drain_once()
    rec = rig.outbox.record(refs[0])
    assert rec is not None and rec.state is CaseState.PENDING
    made_it = set(rig.server.materials)
    assert item_blobs[0] in made_it and item_blobs[1] not in made_it
    rig.server.seen.clear()
    rig.drain()
    # The retry neither re-checks nor re-sends the pages that made it.
    assert not [s for s in rig.server.seen for sha in made_it if sha in s.path]
    assert_exactly_once(rig, refs)


def test_refusal_is_kept_and_visible_in_stats(rig: Rig) -> None:
    refs = rig.enqueue(2)
    rig.server.inject(Fault(method="POST", status=422,
                            body=b'{"error": "invalid_case", "detail": "unknown item"}'))
    rig.drain()
    rec = rig.outbox.record(refs[0])
    assert rec is not None and rec.state is CaseState.REFUSED
    assert rec.http_status == 422 and "unknown item" in (rec.reason or "")
    st = rig.outbox.stats()
    assert (st.refused, st.delivered, st.pending) == (1, 1, 0)
    assert rig.outbox.refused_submission(refs[0])


def test_bad_credentials_hold_the_queue_instead_of_refusing(rig: Rig) -> None:
    refs = rig.enqueue(2)
    bad = BackofficeClient(rig.server.url, TERMINAL, bytes(32), clock=rig.clock)
    sender = Sender(rig.outbox, bad, POLICY, clock=rig.clock, rng=random.Random(3))
    sender.drain_once()
    assert rig.outbox.stats().refused == 0 and rig.outbox.stats().hold_until is not None
    rig.clock.advance(POLICY.cap_s)
    rig.drain()
    assert_exactly_once(rig, refs)


def test_server_that_lost_blobs_gets_them_again(rig: Rig) -> None:
    refs = rig.enqueue(1)
    lost = [False]

    def forget(seen: Seen) -> None:
        if seen.method == "POST" and not lost[0]:
            lost[0] = True
            rig.server.materials.clear()

    rig.server.on_request = forget
    assert rig.sender.drain_once()
    assert_exactly_once(rig, refs)


def test_tampered_blob_is_refused_locally(rig: Rig, tmp_path: Path) -> None:
    import sqlite3

    refs = rig.enqueue(2)
    sha = next(make_case("c0").blobs()).sha256
    conn = sqlite3.connect(tmp_path / "outbox.sqlite3")
    conn.execute("UPDATE blobs SET sealed = X'01' || zeroblob(40) WHERE sha256=?", (sha,))
    conn.commit()
    conn.close()
    rig.drain()
    rec = rig.outbox.record(refs[0])
    assert rec is not None and rec.state is CaseState.REFUSED and "local" in (rec.reason or "")
    assert rig.outbox.record(refs[1]).state is CaseState.DELIVERED  # type: ignore[union-attr]


def test_random_hostility_no_loss_no_duplicate(rig: Rig) -> None:
    rnd = random.Random(42)
    refs = rig.enqueue(12, pages=2, page_size=20_000)
    kinds = [Fault(status=500), Fault(status=503, headers={"Retry-After": "3"}),
             Fault(status=200, body=b"{garbage"), Fault(method="PUT", cut_after=5000),
             Fault(method="POST", process=True, status=502),
             Fault(method="POST", process=True, delay_s=2.5, status=201)]
    for _ in range(25):
        f = rnd.choice(kinds)
        rig.server.inject(Fault(**f.__dict__))
    rig.drain(max_rounds=400)
    assert_exactly_once(rig, refs)


def test_thread_delivers_and_submit_and_wait(tmp_path: Path, server: HostileServer) -> None:
    rig = Rig(tmp_path, server, SystemClock())
    assert not rig.sender.alive
    rig.sender.start()
    try:
        assert rig.sender.alive
        ref = rig.outbox.enqueue(make_case("live"))
        rec = rig.sender.submit_and_wait(ref, timeout_s=20)
        assert rec is not None and rec.state is CaseState.DELIVERED and rec.case_number
        with pytest.raises(RuntimeError):
            rig.sender.start()
    finally:
        rig.sender.stop(timeout_s=5)
        rig.outbox.close()


def test_submit_and_wait_times_out_when_down(tmp_path: Path) -> None:
    with HostileServer() as gone:
        pass
    rig = Rig(tmp_path, gone, SystemClock())
    rig.sender.start()
    try:
        ref = rig.outbox.enqueue(make_case("x"))
        rec = rig.sender.submit_and_wait(ref, timeout_s=0.5)
        assert rec is not None and rec.case_number is None
        assert rec.state in (CaseState.PENDING, CaseState.SENDING)
    finally:
        rig.sender.stop(timeout_s=5)
        rig.outbox.close()


def test_thread_survives_outbox_failures(tmp_path: Path, server: HostileServer) -> None:
    failures = threading.Semaphore(0)

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                failures.release()

    handler = Count()
    logging.getLogger("kiosk.submission.sender").addHandler(handler)
    rig = Rig(tmp_path, server, SystemClock())
    rig.outbox.close()  # every outbox call now fails with OutboxError
    rig.sender.start()
    try:
        for _ in range(2):
            rig.sender.wake()
            assert failures.acquire(timeout=10)
        assert rig.sender.alive
    finally:
        rig.sender.stop(timeout_s=5)
        logging.getLogger("kiosk.submission.sender").removeHandler(handler)
    assert not rig.sender.alive


def test_wrong_url_holds_the_queue_instead_of_refusing(rig: Rig) -> None:
    refs = rig.enqueue(2)
    rig.server.inject(Fault(method="POST", status=404,
                            body=b'{"error": "not_found", "detail": "no such route"}'))
    rig.sender.drain_once()
    st = rig.outbox.stats()
    assert st.refused == 0 and st.pending == 2 and st.hold_until is not None
    rig.clock.advance(POLICY.cap_s)
    rig.drain()
    assert_exactly_once(rig, refs)


def test_materials_missing_twice_is_retried_not_refused(rig: Rig) -> None:
    refs = rig.enqueue(1)
    missing = b'{"error": "missing_materials", "detail": "x", "missing": []}'
    rig.server.inject(Fault(method="POST", status=422, body=missing),
                      Fault(method="POST", status=422, body=missing))
    rig.sender.drain_once()
    rec = rig.outbox.record(refs[0])
    assert rec is not None and rec.state is CaseState.PENDING and rec.next_attempt_at > 0
    rig.drain()
    assert_exactly_once(rig, refs)


def _config(tmp: Path, url: str) -> KioskConfig:
    secret = tmp / "terminal.key"
    secret.write_text(SECRET.hex())
    secret.chmod(0o600)
    return KioskConfig(
        terminal=TerminalConfig(id=TERMINAL, ref_prefix="T1", site_profile="township"),
        backoffice=BackofficeConfig(url=url, secret_file=str(secret)),
        outbox=OutboxConfig(path=str(tmp / "outbox.sqlite3"), key_file=str(tmp / "k" / "key"),
                            retry=RetryConfig(base_s=0.05, cap_s=1)))


def test_build_submission_from_config(tmp_path: Path, server: HostileServer) -> None:
    config = _config(tmp_path, server.url)
    with pytest.raises(OutboxKeyError, match="no outbox key"):
        build_submission(config, clock=FakeClock(), rng=random.Random(), environ={})
    sub = build_submission(config, clock=FakeClock(), rng=random.Random(), environ={},
                           create_key=True)
    try:
        ref = sub.outbox.enqueue(make_case())
        assert sub.sender.drain_once()
        assert sub.outbox.record(ref).state is CaseState.DELIVERED  # type: ignore[union-attr]
    finally:
        sub.close()
    no_url = config.model_copy(update={"backoffice": BackofficeConfig(url="")})
    with pytest.raises(ConfigError, match=r"backoffice\.url"):
        build_submission(no_url, clock=FakeClock(), rng=random.Random(), environ={})
    build_submission(config, clock=FakeClock(), rng=random.Random(), environ={}).close()
