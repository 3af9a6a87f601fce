"""The durable encrypted outbox (kiosk/submission/outbox.py): states, caps, purge, keys, threads."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.clock import FakeClock
from kiosk.errors import OutboxError, OutboxFull, OutboxKeyError
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import SCHEMA_VERSION, CaseState
from kiosk.submission.reference import parse_reference
from tests.kiosk.case_factory import id_number, make_case

KEY = bytes(range(32))


def open_outbox(path: Path, clock: FakeClock | None = None, key: bytes = KEY,
                **caps: int) -> Outbox:
    return Outbox(path / "outbox.sqlite3", Sealer(key), ref_prefix="XD",
                  clock=clock or FakeClock(), **caps)


def test_enqueue_gives_sequential_references_per_china_day(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 22, 15, 59, tzinfo=UTC))  # 23:59 in Beijing
    with open_outbox(tmp_path, clock) as ob:
        a, b = ob.enqueue(make_case("a")), ob.enqueue(make_case("b"))
        clock.advance(120)  # past midnight CST
        c = ob.enqueue(make_case("c"))
    assert [str(parse_reference(r))[:14] for r in (a, b, c)] == [
        "XD-261122-0001", "XD-261122-0002", "XD-261123-0001"]


def test_sequence_not_reused_after_a_failed_enqueue_or_reopen(tmp_path: Path) -> None:
    with open_outbox(tmp_path) as ob:
        first = ob.enqueue(make_case("a"))
    with open_outbox(tmp_path) as ob:
        second = ob.enqueue(make_case("b"))
        assert parse_reference(second).seq == parse_reference(first).seq + 1


def test_enqueue_is_durable_and_encrypted(tmp_path: Path) -> None:
    case = make_case("secret", pages=2)
    with open_outbox(tmp_path) as ob:
        ref = ob.enqueue(case)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for needle in (id_number().encode(), "张三".encode(), b"13800000000",
                   case.materials[0].pages[0].data[:64]):
        assert needle not in raw
    with open_outbox(tmp_path) as ob:
        item = ob.claim_next()
    assert item is not None and item.kiosk_ref == ref
    assert item.body == case.with_ref(ref).submission_body()
    assert [b.sha256 for b in item.blobs] == [b.sha256 for b in case.blobs()]


def test_sqlite_settings(tmp_path: Path) -> None:
    with open_outbox(tmp_path):
        conn = sqlite3.connect(tmp_path / "outbox.sqlite3")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT MAX(version) FROM migrations").fetchone()[0] == SCHEMA_VERSION
        conn.close()


def test_newer_schema_refused(tmp_path: Path) -> None:
    open_outbox(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "outbox.sqlite3")
    conn.execute("INSERT INTO migrations VALUES (99, 'future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(OutboxError, match="newer kiosk"):
        open_outbox(tmp_path)


def test_damaged_file_is_an_outbox_error(tmp_path: Path) -> None:
    (tmp_path / "outbox.sqlite3").write_bytes(b"not a database at all" * 100)
    with pytest.raises(OutboxError, match="outbox"):
        open_outbox(tmp_path)


def test_wrong_key_refused_at_open(tmp_path: Path) -> None:
    with open_outbox(tmp_path) as ob:
        ob.enqueue(make_case())
    with pytest.raises(OutboxKeyError, match="wrong outbox key"):
        open_outbox(tmp_path, key=bytes(32))
    open_outbox(tmp_path).close()  # the failed open released the process lock


def test_second_process_refused(tmp_path: Path) -> None:
    with open_outbox(tmp_path), pytest.raises(OutboxError, match="in use"):
        open_outbox(tmp_path)


def test_swapped_blobs_do_not_open(tmp_path: Path) -> None:
    with open_outbox(tmp_path) as ob:
        ob.enqueue(make_case("a", pages=2))
        item = ob.claim_next()
        assert item is not None
    first, second = item.blobs[0].sha256, item.blobs[1].sha256
    conn = sqlite3.connect(tmp_path / "outbox.sqlite3")
    sealed = conn.execute("SELECT sealed FROM blobs WHERE sha256=?", (second,)).fetchone()[0]
    conn.execute("UPDATE blobs SET sealed=? WHERE sha256=?", (sealed, first))
    conn.commit()
    conn.close()
    with open_outbox(tmp_path) as ob, pytest.raises(OutboxKeyError, match="moved"):
        ob.read_blob(first)


def test_life_cycle_and_purge_after_delivery(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_outbox(tmp_path, clock) as ob:
        a = ob.enqueue(make_case("a", shared_page=True))
        b = ob.enqueue(make_case("b", shared_page=True))
        item = ob.claim_next()
        assert item is not None and item.kiosk_ref == a
        assert ob.record(a).state is CaseState.SENDING  # type: ignore[union-attr]
        shared = item.blobs[2].sha256
        ob.mark_uploaded(a, item.blobs[0].sha256)
        ob.mark_delivered(a, "XS20261122000001", "2026-11-22T09:30:01+08:00")
        rec = ob.record(a)
        assert rec is not None and rec.state is CaseState.DELIVERED
        assert rec.case_number == "XS20261122000001"
        # a's own pages are gone; the page b shares is still there for b.
        with pytest.raises(OutboxError):
            ob.read_blob(item.blobs[0].sha256)
        assert ob.read_blob(shared)
        nxt = ob.claim_next()
        assert nxt is not None and nxt.kiosk_ref == b
        ob.mark_delivered(b, "XS20261122000002", None)
        with pytest.raises(OutboxError):
            ob.read_blob(shared)
    conn = sqlite3.connect(tmp_path / "outbox.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM cases WHERE payload IS NOT NULL").fetchone()[0] == 0
    conn.close()


def test_blobs_deduplicated_on_disk(tmp_path: Path) -> None:
    with open_outbox(tmp_path) as ob:
        ob.enqueue(make_case("a", pages=1, shared_page=True))
        ob.enqueue(make_case("b", pages=1, shared_page=True))
    conn = sqlite3.connect(tmp_path / "outbox.sqlite3")
    # 2 own pages + 2 signatures + the shared page once.
    assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 5
    conn.close()


def test_recover_puts_sending_back(tmp_path: Path) -> None:
    with open_outbox(tmp_path) as ob:
        ref = ob.enqueue(make_case())
        assert ob.claim_next() is not None
        assert ob.claim_next() is None
    with open_outbox(tmp_path) as ob:
        rec = ob.record(ref)
        assert rec is not None and rec.state is CaseState.PENDING and rec.attempts == 1
        item = ob.claim_next()
        assert item is not None and item.attempts == 2


def test_release_with_next_attempt_and_upload_flags(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_outbox(tmp_path, clock) as ob:
        ref = ob.enqueue(make_case())
        item = ob.claim_next()
        assert item is not None
        ob.mark_uploaded(ref, item.blobs[1].sha256)
        due = clock.now().timestamp() + 30
        ob.release(ref, "HTTP 500 for 330181199001011234", next_attempt_at=due)
        assert ob.claim_next() is None
        assert ob.next_due_at() == due
        rec = ob.record(ref)
        assert rec is not None and "1990" not in (rec.last_error or "")
        clock.advance(30)
        again = ob.claim_next()
        assert again is not None
        assert [b.uploaded for b in again.blobs] == [False, True, False]


def test_refused_kept_for_staff(tmp_path: Path) -> None:
    with open_outbox(tmp_path) as ob:
        ref = ob.enqueue(make_case())
        ob.claim_next()
        ob.mark_refused(ref, 422, "invalid_case: bad item code")
        assert ob.claim_next() is None
        assert [r.kiosk_ref for r in ob.records(CaseState.REFUSED)] == [ref]
        assert b'"kiosk_ref"' in ob.refused_submission(ref)
        st = ob.stats()
        assert (st.pending, st.refused, st.pending_bytes) == (0, 1, 0)
    with open_outbox(tmp_path) as ob:
        assert ob.record(ref).reason == "invalid_case: bad item code"  # type: ignore[union-attr]


def test_caps(tmp_path: Path) -> None:
    with open_outbox(tmp_path, max_pending_cases=2) as ob:
        ob.enqueue(make_case("a"))
        assert ob.accepting()
        ob.enqueue(make_case("b"))
        assert not ob.accepting()
        with pytest.raises(OutboxFull):
            ob.enqueue(make_case("c"))
        # The refused attempt did not consume a reference number.
        ob.mark_delivered(ob.claim_next().kiosk_ref, "N1", None)  # type: ignore[union-attr]
        assert parse_reference(ob.enqueue(make_case("c"))).seq == 3
    with open_outbox(tmp_path / "b", max_pending_bytes=12_000) as ob:
        ob.enqueue(make_case("a", pages=2, page_size=4000))
        with pytest.raises(OutboxFull):
            ob.enqueue(make_case("b", pages=2, page_size=4000))
        assert not ob.accepting(reserve_bytes=4000)


def test_stats_without_personal_data(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_outbox(tmp_path, clock) as ob:
        ob.enqueue(make_case())
        clock.advance(90)
        ob.set_hold(clock.now().timestamp() + 5)
        st = ob.stats()
        assert st.pending == 1 and st.oldest_pending_age_s == pytest.approx(90)
        assert st.hold_until == pytest.approx(clock.now().timestamp() + 5)
        ob.set_hold(None)
        assert ob.stats().hold_until is None
        assert set(st.to_dict()) == {"pending", "sending", "delivered", "refused",
                                     "pending_bytes", "oldest_pending_age_s", "accepting",
                                     "hold_until"}


def test_no_personal_data_in_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with open_outbox(tmp_path) as ob:
        ref = ob.enqueue(make_case())
        ob.claim_next()
        ob.mark_refused(ref, 422, "bad")
    assert caplog.text and id_number() not in caplog.text and "张三" not in caplog.text


def test_threads_enqueue_and_claim_concurrently(tmp_path: Path) -> None:
    refs: list[str] = []
    claimed: list[str] = []
    lock = threading.Lock()
    with open_outbox(tmp_path) as ob:
        def produce(tag: str) -> None:
            for i in range(10):
                ref = ob.enqueue(make_case(f"{tag}{i}", pages=1, page_size=500))
                with lock:
                    refs.append(ref)

        def consume() -> None:
            for _ in range(200):
                item = ob.claim_next()
                if item is not None:
                    ob.mark_delivered(item.kiosk_ref, "N-" + item.kiosk_ref, None)
                    with lock:
                        claimed.append(item.kiosk_ref)

        threads = [threading.Thread(target=produce, args=(t,)) for t in "abcd"]
        threads.append(threading.Thread(target=consume))
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        while (item := ob.claim_next()) is not None:
            ob.mark_delivered(item.kiosk_ref, "N", None)
            claimed.append(item.kiosk_ref)
    assert len(set(refs)) == 40
    assert sorted(claimed) == sorted(refs)


def test_only_promises_are_fsynced(tmp_path: Path) -> None:
    # PRAGMA synchronous: 2 = FULL (commit fsyncs the WAL), 1 = NORMAL.
    with open_outbox(tmp_path) as ob:
        ob.enqueue(make_case())
        assert ob._conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        item = ob.claim_next()
        assert ob._conn.execute("PRAGMA synchronous").fetchone()[0] == 1
        assert item is not None
        ob.mark_refused(item.kiosk_ref, 400, "bad")
        assert ob._conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_checkpoint_moves_the_wal_into_the_database(tmp_path: Path) -> None:
    with open_outbox(tmp_path) as ob:
        ref = ob.enqueue(make_case(pages=3, page_size=200_000))
        ob.checkpoint()
        ob.checkpoint()
        db_size = (tmp_path / "outbox.sqlite3").stat().st_size
        assert db_size > 600_000
    with open_outbox(tmp_path) as ob:
        assert ob.record(ref) is not None
    with pytest.raises(OutboxError):
        ob.checkpoint()


def test_migrates_a_version_1_outbox(tmp_path: Path) -> None:
    from kiosk.submission.outbox_schema import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "outbox.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at REAL NOT NULL)")
    for sql in MIGRATIONS[0][2]:
        conn.execute(sql)
    conn.execute("INSERT INTO migrations VALUES (1, 'initial', 0)")
    conn.close()
    with open_outbox(tmp_path) as ob:
        ref = ob.enqueue(make_case())
        item = ob.claim_next()
        assert item is not None and item.kiosk_ref == ref and all(b.fresh for b in item.blobs)
    conn = sqlite3.connect(tmp_path / "outbox.sqlite3")
    assert [r[0] for r in conn.execute("SELECT version FROM migrations")] == [1, 2, 3]
    conn.close()


def test_peek_stats_beside_a_running_kiosk_without_the_key(tmp_path: Path) -> None:
    from kiosk.submission.outbox_stats import peek_stats

    clock = FakeClock()
    with open_outbox(tmp_path, clock, max_pending_cases=2) as ob:
        ob.enqueue(make_case("a"))
        ob.enqueue(make_case("b"))
        item = ob.claim_next()
        assert item is not None
        peek = peek_stats(tmp_path / "outbox.sqlite3", clock.now().timestamp(),
                          max_pending_cases=2, max_pending_bytes=10**9)
        assert peek == ob.stats()
        assert (peek.pending, peek.sending, peek.accepting) == (1, 1, False)
        # Peeking recovered nothing: the running sender still owns its case.
        assert ob.record(item.kiosk_ref).state is CaseState.SENDING  # type: ignore[union-attr]
    with pytest.raises(OutboxError, match="no outbox"):
        peek_stats(tmp_path / "none.sqlite3", 0, max_pending_cases=1, max_pending_bytes=1)


def test_files_are_owner_only(tmp_path: Path) -> None:
    import stat

    with open_outbox(tmp_path) as ob:
        ob.enqueue(make_case())
        for name in ("outbox.sqlite3", "outbox.sqlite3-wal"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_unusable_location_is_an_outbox_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(OutboxError, match="cannot create"):
        Outbox(blocker / "sub" / "outbox.sqlite3", Sealer(KEY), ref_prefix="XD",
               clock=FakeClock())
