"""The durable outbox: a case is on disk before its receipt prints.

SQLite in WAL mode with ``synchronous=FULL``: a commit returns only after the
WAL is fsync'ed (sqlite.org/pragma.html#pragma_synchronous), so once
:meth:`Outbox.enqueue` returns the case survives a power cut, and the receipt
may print. The kiosk reference is allocated in that same transaction, so a
crash can never hand one number to two cases.

Only the commits that make a promise are fsync'ed: storing a case (the
receipt) and refusing one (kept for staff). The sender's bookkeeping (claimed,
blob uploaded, delivered) commits with ``synchronous=NORMAL``: atomic and safe
against a killed process, and if a power cut loses it the sender merely repeats
an idempotent request. Checkpoints of the WAL run from the sender thread on a
connection of their own (:meth:`Outbox.checkpoint`), so an enqueue does not pay
for copying earlier cases into the database file.

Rows move pending → sending → delivered | refused (the persist-queue model);
rows found in ``sending`` at open are put back to ``pending`` (the back office
deduplicates by Idempotency-Key, so sending one again is safe). Payloads and
blobs are sealed with AES-256-GCM (kiosk/submission/crypto.py); blobs are stored once per
SHA-256. Delivered cases keep only their reference, case number and times.

One connection shared by the sender thread and the UI thread, serialised by a
lock. The *drain lock* (a lock file beside the database) makes one process at a time
the outbox's drainer: only it may put ``sending`` rows back at open, claim cases and
checkpoint. A UI whose cases are delivered by the sender service
(``outbox.sender: service``, kiosk/service/sender.py) opens the outbox with
``drain=False``: it stores cases and reads their state, and two senders can never
drain the same outbox at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from kiosk.clock import Clock
from kiosk.config.model import KioskConfig, resolve
from kiosk.errors import OutboxError, OutboxFull, OutboxKeyError
from kiosk.files import fsync_dir
from kiosk.privacy import redact
from kiosk.submission.cases import Case
from kiosk.submission.crypto import Sealer, outbox_key
from kiosk.submission.outbox_schema import (
    RECORD_COLUMNS,
    BlobRef,
    CaseRecord,
    CaseState,
    OutboxItem,
    OutboxStats,
    migrate,
    record_from_row,
)
from kiosk.submission.outbox_stats import compute_stats, pending_totals
from kiosk.submission.reference import MAX_SEQ, day_of, format_reference

log = logging.getLogger(__name__)

_KEY_CHECK = b"kiosk-outbox-key-check"
#: Automatic checkpoint only as a safety valve (pages of 4 KiB: 64 MiB of WAL).
_AUTOCHECKPOINT_PAGES = 16384


class Outbox:
    def __init__(self, path: Path, sealer: Sealer, *, ref_prefix: str, clock: Clock,
                 max_pending_cases: int = 500, max_pending_bytes: int = 2_000_000_000,
                 drain: bool = True) -> None:
        """``drain``: take the drain lock (:class:`OutboxError` when another process
        holds it); False: store and read only (the sender service drains)."""
        self.path = path
        self.drains = drain
        self._sealer = sealer
        self._prefix = ref_prefix
        self._clock = clock
        self.max_pending_cases = max_pending_cases
        self.max_pending_bytes = max_pending_bytes
        self._lock = threading.RLock()
        self._synchronous = "FULL"
        self._ckpt_lock = threading.Lock()
        self._ckpt_conn: sqlite3.Connection | None = None
        self._closed = False
        self._lockfile = self._take_process_lock(path) if drain else None
        try:
            self._conn = self._connect(path)
            try:
                migrate(self._conn)
                self._check_key()
                recovered = self.recover() if drain else 0
                # The database and WAL names must survive a power cut as well as their
                # contents: sync the directory once they both exist.
                _fsync_dir(path.parent)
            except sqlite3.DatabaseError as exc:
                self._conn.close()
                raise OutboxError(f"{path}: the outbox database is damaged: {exc}") from None
            except BaseException:
                self._conn.close()
                raise
        except BaseException:
            if self._lockfile is not None:
                self._lockfile.close()
            raise
        if recovered:
            log.info("outbox: %d case(s) left in sending put back to pending", recovered)

    @classmethod
    def from_config(cls, config: KioskConfig, *, clock: Clock,
                    environ: Mapping[str, str] | None = None,
                    create_key: bool = False, drain: bool = True) -> Outbox:
        path = resolve(config.outbox.path)
        key = outbox_key(resolve(config.outbox.key_file), path,
                         os.environ if environ is None else environ, create=create_key)
        return cls(path, Sealer(key, config.outbox.cipher),
                   ref_prefix=config.terminal.ref_prefix, clock=clock,
                   max_pending_cases=config.outbox.max_pending_cases,
                   max_pending_bytes=config.outbox.max_pending_bytes, drain=drain)

    # ------------------------------------------------------------------ opening

    @staticmethod
    def drain_lock_path(path: Path) -> Path:
        return path.with_name(path.name + ".lock")

    @staticmethod
    def drained_elsewhere(path: Path) -> bool:
        """Whether some process holds ``path``'s drain lock (the sender service runs)."""
        try:
            with open(Outbox.drain_lock_path(path), "ab") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        except OSError:
            return False
        return False

    @staticmethod
    def _take_process_lock(path: Path) -> IO[bytes]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fh = open(Outbox.drain_lock_path(path), "ab")  # noqa: SIM115 - held open
        except OSError as exc:
            raise OutboxError(f"{path}: cannot create the outbox: {exc}") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise OutboxError(f"{path}: in use by another kiosk process") from None
        return fh

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        try:
            # Owner-only from the start: SQLite gives the -wal and -shm files the same mode.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=10.0)
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit={_AUTOCHECKPOINT_PAGES * 4096}")
        except (sqlite3.DatabaseError, OSError) as exc:
            raise OutboxError(f"{path}: cannot open the outbox: {exc}") from None
        if str(mode).lower() != "wal":
            raise OutboxError(f"{path}: WAL journal not available (got {mode})")
        return conn

    def _check_key(self) -> None:
        row = self._conn.execute("SELECT value FROM meta WHERE key='key_check'").fetchone()
        if row is None:
            with self._tx(durable=True):
                self._conn.execute("INSERT INTO meta VALUES ('key_check', ?)",
                                   (self._sealer.seal(_KEY_CHECK, "meta:key_check"),))
        elif self._sealer.open(row[0], "meta:key_check") != _KEY_CHECK:
            raise OutboxKeyError("outbox key check value does not match")

    def close(self) -> None:
        with self._lock, self._ckpt_lock:
            if self._ckpt_conn is not None:
                self._ckpt_conn.close()
            self._conn.close()
            if self._lockfile is not None:
                self._lockfile.close()
            self._closed = True

    def checkpoint(self) -> None:
        """Copy committed WAL frames into the database file (PASSIVE: never blocks a
        writer). Called by the sender when idle, on a connection of its own."""
        self._require_drain("checkpoint")
        with self._ckpt_lock:
            if self._closed:
                raise OutboxError(f"{self.path}: checkpoint after close")
            try:
                if self._ckpt_conn is None:
                    self._ckpt_conn = sqlite3.connect(self.path, isolation_level=None,
                                                      check_same_thread=False, timeout=10.0)
                self._ckpt_conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                raise OutboxError(f"{self.path}: checkpoint: {exc}") from None

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        """The connection under the thread lock; SQLite errors become OutboxError here, once
        (disk full, I/O error, locked for too long, used after close)."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise OutboxError(f"{self.path}: {type(exc).__name__}: {exc}") from None

    @contextlib.contextmanager
    def _tx(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction. ``durable``: COMMIT returns after the WAL is fsync'ed."""
        with self._locked() as conn:
            wanted = "FULL" if durable else "NORMAL"
            if wanted != self._synchronous:
                conn.execute(f"PRAGMA synchronous={wanted}")
                self._synchronous = wanted
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _require_drain(self, what: str) -> None:
        if not self.drains:
            raise OutboxError(f"{self.path}: {what} needs the drain lock (the sender "
                              "service drains this outbox)")

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def recover(self) -> int:
        with self._tx() as c:
            return c.execute("UPDATE cases SET state='pending' WHERE state='sending'").rowcount

    # ------------------------------------------------------------------ accepting cases

    def accepting(self, reserve_bytes: int = 0) -> bool:
        """False when a new case could not be stored: the UI shows 暂停服务."""
        with self._locked() as c:
            count, size = pending_totals(c)
        return count < self.max_pending_cases and size + reserve_bytes < self.max_pending_bytes

    def enqueue(self, case: Case) -> str:
        """Store the case durably and return its new kiosk reference.

        Returns only after COMMIT (fsync'ed WAL): the receipt may print after this.
        """
        case.check_budget()
        blobs = list(case.blobs())
        now = self._now()
        day = day_of(self._clock.now())
        with self._tx(durable=True) as c:
            count, size = pending_totals(c)
            if count + 1 > self.max_pending_cases:
                raise OutboxFull(f"{count} cases pending (cap {self.max_pending_cases})")
            seq = c.execute(
                "INSERT INTO ref_seq VALUES (?, 1) ON CONFLICT (day) DO UPDATE "
                "SET seq = seq + 1 RETURNING seq", (day.isoformat(),)).fetchone()[0]
            if seq > MAX_SEQ:
                raise OutboxFull(f"daily reference sequence exhausted ({MAX_SEQ})")
            ref = format_reference(self._prefix, day, seq)
            body = case.with_ref(ref).submission_body()
            total = len(body) + sum(b.size for b in blobs)
            if size + total > self.max_pending_bytes:
                raise OutboxFull(f"{size} bytes pending + {total} over the cap "
                                 f"{self.max_pending_bytes}")
            case_id = c.execute(
                "INSERT INTO cases (ref, state, enqueued_at, updated_at, payload, bytes) "
                "VALUES (?, 'pending', ?, ?, ?, ?)",
                (ref, now, now, self._sealer.seal(body, f"case:{ref}"), total)).lastrowid
            for ordinal, blob in enumerate(blobs):
                known = c.execute("SELECT 1 FROM blobs WHERE sha256=?", (blob.sha256,))
                fresh = known.fetchone() is None
                if fresh:
                    c.execute("INSERT INTO blobs VALUES (?, ?, ?)",
                              (blob.sha256, blob.size,
                               self._sealer.seal(blob.data, f"blob:{blob.sha256}")))
                c.execute("INSERT INTO case_blobs (case_id, ordinal, sha256, content_type, "
                          "size, uploaded, fresh) VALUES (?, ?, ?, ?, ?, 0, ?)",
                          (case_id, ordinal, blob.sha256, blob.content_type, blob.size,
                           int(fresh)))
        log.info("outbox: stored %s (%d blobs, %d bytes)", ref, len(blobs), total)
        return ref

    # ------------------------------------------------------------------ the sender's side

    def claim_next(self) -> OutboxItem | None:
        """The oldest pending case that is due, moved to ``sending``; None if none is due."""
        self._require_drain("claim")
        now = self._now()
        with self._tx() as c:
            row = c.execute("SELECT id, ref, payload, attempts FROM cases WHERE state='pending' "
                            "AND next_attempt_at <= ? ORDER BY id LIMIT 1", (now,)).fetchone()
            if row is None:
                return None
            case_id, ref, payload, attempts = row
            c.execute("UPDATE cases SET state='sending', attempts=attempts+1, updated_at=? "
                      "WHERE id=?", (now, case_id))
            blobs = tuple(BlobRef(sha, ctype, size, bool(up), bool(fresh))
                          for sha, ctype, size, up, fresh in c.execute(
                              "SELECT sha256, content_type, size, uploaded, fresh FROM "
                              "case_blobs WHERE case_id=? ORDER BY ordinal", (case_id,)))
        body = self._sealer.open(payload, f"case:{ref}")
        return OutboxItem(ref, body, blobs, attempts + 1)

    def peek_next(self) -> tuple[str, tuple[BlobRef, ...]] | None:
        """The case :meth:`claim_next` would claim now and its blobs, left pending (the
        sender reads its pages ahead while the case before it is out); None if none."""
        with self._locked() as c:
            row = c.execute("SELECT id, ref FROM cases WHERE state='pending' "
                            "AND next_attempt_at <= ? ORDER BY id LIMIT 1",
                            (self._now(),)).fetchone()
            if row is None:
                return None
            blobs = tuple(BlobRef(sha, ctype, size, bool(up), bool(fresh))
                          for sha, ctype, size, up, fresh in c.execute(
                              "SELECT sha256, content_type, size, uploaded, fresh FROM "
                              "case_blobs WHERE case_id=? ORDER BY ordinal", (row[0],)))
        return row[1], blobs

    def next_due_at(self) -> float | None:
        """Unix time at which the earliest pending case becomes due (None: nothing pending)."""
        with self._locked() as c:
            row = c.execute(
                "SELECT MIN(next_attempt_at) FROM cases WHERE state='pending'").fetchone()
        return None if row[0] is None else float(row[0])

    def read_blob(self, sha256: str) -> bytes:
        with self._locked() as c:
            row = c.execute("SELECT sealed FROM blobs WHERE sha256=?", (sha256,)).fetchone()
        if row is None:
            raise OutboxError(f"blob {sha256[:12]}… missing from the outbox")
        data = self._sealer.open(row[0], f"blob:{sha256}")
        # GCM already proves the bytes are ours; the hash check guards the addressing itself.
        if hashlib.sha256(data).hexdigest() != sha256:
            raise OutboxError(f"blob {sha256[:12]}… does not match its hash")
        return data

    def mark_uploaded(self, ref: str, sha256: str, uploaded: bool = True) -> None:
        with self._tx() as c:
            c.execute("UPDATE case_blobs SET uploaded=? WHERE sha256=? AND case_id="
                      "(SELECT id FROM cases WHERE ref=?)", (int(uploaded), sha256, ref))

    def release(self, ref: str, error: str, *, next_attempt_at: float | None = None) -> None:
        """A transient failure: back to pending, due again at ``next_attempt_at``."""
        with self._tx() as c:
            c.execute("UPDATE cases SET state='pending', last_error=?, updated_at=?, "
                      "next_attempt_at=COALESCE(?, next_attempt_at) "
                      "WHERE ref=? AND state='sending'",
                      (redact(error)[:500], self._now(), next_attempt_at, ref))

    def count_server_error(self, ref: str) -> int:
        """One more server error for this case; returns how many it has had."""
        with self._tx() as c:
            row = c.execute("UPDATE cases SET server_errors=server_errors+1 WHERE ref=? "
                            "RETURNING server_errors", (ref,)).fetchone()
        return 0 if row is None else int(row[0])

    def mark_delivered(self, ref: str, case_number: str, received_at: str | None) -> None:
        """Delivered: keep the reference, case number and times; purge personal data."""
        now = self._now()
        with self._tx() as c:
            case_id = c.execute("SELECT id FROM cases WHERE ref=?", (ref,)).fetchone()[0]
            shas = [r[0] for r in c.execute("SELECT sha256 FROM case_blobs WHERE case_id=?",
                                            (case_id,))]
            c.execute("DELETE FROM case_blobs WHERE case_id=?", (case_id,))
            c.executemany("DELETE FROM blobs WHERE sha256=? AND NOT EXISTS "
                          "(SELECT 1 FROM case_blobs WHERE case_blobs.sha256=blobs.sha256)",
                          [(s,) for s in shas])
            c.execute("UPDATE cases SET state='delivered', payload=NULL, case_number=?, "
                      "received_at=?, delivered_at=?, updated_at=?, last_error=NULL "
                      "WHERE id=?", (case_number, received_at, now, now, case_id))
        log.info("outbox: %s delivered as %s", ref, case_number)

    def mark_refused(self, ref: str, status: int | None, reason: str) -> None:
        """Refused for good: kept (sealed) with the reason, for staff. Never deleted."""
        with self._tx(durable=True) as c:
            c.execute("UPDATE cases SET state='refused', http_status=?, reason=?, updated_at=? "
                      "WHERE ref=?", (status, redact(reason)[:1000], self._now(), ref))
        log.warning("outbox: %s refused by the back office (HTTP %s)", ref, status)

    def set_hold(self, until: float | None) -> None:
        """Hold all sending until ``until`` (the back office is unreachable); None clears it."""
        with self._tx() as c:
            if until is None:
                c.execute("DELETE FROM meta WHERE key='hold_until'")
            else:
                c.execute("INSERT OR REPLACE INTO meta VALUES ('hold_until', ?)", (until,))

    def hold_until(self) -> float | None:
        with self._locked() as c:
            row = c.execute("SELECT value FROM meta WHERE key='hold_until'").fetchone()
        return None if row is None else float(row[0])

    # ------------------------------------------------------------------ staff and diagnostics

    def record(self, ref: str) -> CaseRecord | None:
        with self._locked() as c:
            row = c.execute(f"SELECT {RECORD_COLUMNS} FROM cases WHERE ref=?",
                            (ref,)).fetchone()
        return None if row is None else record_from_row(row)

    def records(self, state: CaseState | None = None, limit: int = 1000) -> list[CaseRecord]:
        where, args = ("WHERE state=?", (state.value, limit)) if state else ("", (limit,))
        with self._locked() as c:
            rows = c.execute(f"SELECT {RECORD_COLUMNS} FROM cases {where} "
                             "ORDER BY id LIMIT ?", args).fetchall()
        return [record_from_row(r) for r in rows]

    def refused_submission(self, ref: str) -> bytes:
        """The stored body of a refused case, for staff to re-enter it by hand."""
        with self._locked() as c:
            row = c.execute("SELECT payload FROM cases WHERE ref=? AND state='refused'",
                            (ref,)).fetchone()
        if row is None or row[0] is None:
            raise OutboxError(f"{ref}: no refused case with a stored body")
        return self._sealer.open(row[0], f"case:{ref}")

    def reseal(self, batch: int = 50) -> int:
        """Seal every stored record (case bodies, pages, the key check) with the current
        key and cipher, in durable batches; returns how many were re-sealed. After it,
        the older keys open nothing here and can be retired. Safe to interrupt: each
        batch commits whole, and what is left still opens with the older keys."""
        done = 0
        tables = (("cases", "ref", "payload", "case:", ""),
                  ("blobs", "sha256", "sealed", "blob:", ""),
                  ("meta", "key", "value", "meta:", " AND key='key_check'"))
        for table, key, column, bound, only in tables:
            with self._locked() as c:
                keys = [r[0] for r in c.execute(
                    f"SELECT {key} FROM {table} WHERE {column} IS NOT NULL{only}")]
            for start in range(0, len(keys), batch):
                with self._tx(durable=True) as c:
                    for k in keys[start:start + batch]:
                        row = c.execute(f"SELECT {column} FROM {table} WHERE {key}=?",
                                        (k,)).fetchone()
                        if row is None or row[0] is None or \
                                self._sealer.sealed_with_current(row[0]):
                            continue  # delivered or re-sealed meanwhile
                        plain = self._sealer.open(row[0], f"{bound}{k}")
                        c.execute(f"UPDATE {table} SET {column}=? WHERE {key}=?",
                                  (self._sealer.seal(plain, f"{bound}{k}"), k))
                        done += 1
        return done

    def stats(self) -> OutboxStats:
        with self._locked() as c:
            return compute_stats(c, self._now(), self.max_pending_cases,
                                 self.max_pending_bytes)


def _fsync_dir(directory: Path) -> None:
    try:
        fsync_dir(directory)
    except OSError as exc:
        raise OutboxError(f"{directory}: cannot sync the outbox directory: {exc}") from None
