"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by URL.

SQLite notes: every transaction starts with ``BEGIN IMMEDIATE`` so that two
writers never both hold a read snapshot and then fail to upgrade it
(SQLITE_BUSY_SNAPSHOT cannot be waited out by ``busy_timeout``); WAL lets
readers run beside the one writer; ``synchronous=FULL`` makes a committed
case survive power loss, which the kiosk's exactly-once promise relies on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: Connections per worker process on PostgreSQL: a request thread holds at most one at
#: a time and anyio runs at most 40 such threads, so 40 connections at most means no
#: thread ever waits for one (with 20, heartbeats waited seconds behind case intakes
#: queued on the day counter). Heartbeats have 8 more of their own (backoffice/lanes.py):
#: size PostgreSQL's max_connections for 48 per worker.
PG_POOL_SIZE = 10
PG_POOL_OVERFLOW = 30
READ_ONLY = "backoffice_read_only"
WRITE_LOCK = "backoffice_write_lock"
#: Session info key: the engine's connections already commit without waiting for the disk.
RELAXED = "backoffice_relaxed"


class Base(DeclarativeBase):
    pass


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 (the driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, durable: bool = True, pool: tuple[int, int] | None = None
                ) -> Engine:
    """``durable=False``: commits skip the fsync; for rows a power cut may lose (SQLite:
    ``synchronous=NORMAL``; PostgreSQL: every connection starts with
    ``synchronous_commit = off``, see :func:`make_sessionmaker`'s ``relaxed``).
    ``pool`` (PostgreSQL): (size, overflow) instead of the defaults below.

    ``hide_parameters``: a database error must not carry an ID number into a log.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True,
            connect_args={"check_same_thread": False,
                          "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _sqlite_setup(engine, "FULL" if durable else "NORMAL")
    else:
        # No ping per checkout (a round trip on every request, a tenth of a heartbeat's
        # cost under load): a connection that died with a database restart fails its
        # request as a 503 (OperationalError, see app.py; the kiosk retries) and is
        # dropped from the pool; connections are renewed every half hour anyway.
        size, overflow = pool or (PG_POOL_SIZE, PG_POOL_OVERFLOW)
        # Not durable: set once per connection, not by a statement in every transaction
        # (a round trip each time; see relax_commit).
        args = {} if durable else {"options": "-c synchronous_commit=off"}
        engine = create_engine(url, hide_parameters=True, pool_size=size,
                               max_overflow=overflow, pool_recycle=1800, connect_args=args)
    return engine


def _sqlite_setup(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that the
        # "begin" hook below decides how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Reads begin deferred: under WAL they see a snapshot and never wait for writers.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


#: Any constant: the advisory lock that serializes schema creation on PostgreSQL.
_SCHEMA_LOCK_KEY = 0x6B696F736B


def create_schema(engine: Engine) -> None:
    """Create missing tables; safe when several server processes start at once.

    SQLite serializes the check-and-create through ``BEGIN IMMEDIATE``;
    PostgreSQL through a transaction-scoped advisory lock.
    """
    from backoffice import console_models, models  # noqa: F401  (registers the tables)

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK_KEY})")
        Base.metadata.create_all(conn)


def make_sessionmaker(engine: Engine, write_lock: AbstractContextManager[Any] | None = None,
                      *, relaxed: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``write_lock`` (SQLite) is held by every write transaction.
    ``relaxed``: ``engine`` was made with ``durable=False`` (its commits never wait for
    the disk, so :func:`relax_commit` has nothing left to do).

    SQLite allows one writer per file. Threads of one process that collide on
    it would fall into SQLite's busy handler, which sleeps (up to 100 ms a
    round) instead of queueing; a lock in the process queues them fairly, and
    ``busy_timeout`` is left for other processes on the same file.
    """
    return sessionmaker(engine, expire_on_commit=False,
                        info={WRITE_LOCK: write_lock, RELAXED: relaxed})


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One unit of work: committed on success, rolled back on any exception.

    ``write=False`` promises only reads: on SQLite it begins deferred instead of
    taking the write lock up front.
    """
    lock = factory.kw.get("info", {}).get(WRITE_LOCK) if write else None
    with lock or nullcontext(), factory() as session, session.begin():
        if not write:
            session.connection(execution_options={READ_ONLY: True})
        yield session


def relax_commit(session: Session) -> None:
    """This transaction's commit may be lost to a power cut (never half-applied): on
    PostgreSQL ``synchronous_commit = off`` for it alone; on SQLite the caller uses the
    non-durable engine (``create_app``'s ``fast_sessions``). Sessions of a relaxed
    PostgreSQL engine (``make_engine(durable=False)``) are so already: no statement."""
    if session.get_bind().dialect.name == "postgresql" and not session.info.get(RELAXED):
        session.execute(text("SET LOCAL synchronous_commit = off"))


def insist_durable(session: Session) -> None:
    """This transaction's commit waits for the disk even on a relaxed PostgreSQL engine
    (``make_engine(durable=False)``); on SQLite use a durable engine's sessions instead."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = on"))


def wait_durable(factory: sessionmaker[Session]) -> None:
    """Return once every commit this process made so far is on disk.

    For a transaction that holds a hot lock (the day counter of case numbers): it
    commits with :func:`relax_commit`, releasing its locks without waiting for the disk,
    and the caller answers only after this. On PostgreSQL a transaction that takes a
    transaction id commits with a record of its own and waits (with every concurrent
    committer: one fsync for all) until the write-ahead log is flushed up to it, which
    covers every earlier commit. On SQLite the commit itself was durable: nothing to do.
    """
    bind = factory.kw.get("bind")
    if bind is None or bind.dialect.name != "postgresql":
        return
    with factory() as session, session.begin():
        session.execute(text("SELECT pg_current_xact_id()"))


def upsert(session: Session, table: Any) -> Any:
    """``INSERT ... ON CONFLICT`` for the session's database (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
