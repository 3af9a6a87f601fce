"""A lane of its own for heartbeats: threads and database connections no upload can take.

Sync work of every other route runs in anyio's shared worker threads (at most 40 at
a time per process) on the app's connection pool (40 per process on PostgreSQL). A
burst of case uploads can hold both (intakes queued on the day's case-number
counter, blob renames and directory fsyncs) and a heartbeat would queue behind
them. A :class:`Lane` has its own capacity limiter (``tokens`` threads at a time),
and on PostgreSQL its own engine with exactly ``tokens`` connections, so a heartbeat
never waits for a thread or a connection that a case holds: it waits at most for
other heartbeats.

The lane's PostgreSQL connections start with ``synchronous_commit = off``: they
carry only what a power cut may lose (the heartbeat's nonce and the beat itself;
the next beat says the same again). Whatever must be durable (a command handed
out) is committed in :meth:`Lane.durable_transaction`.

On SQLite the lane uses the app's own sessions (one writer per file, serialized by
the app's write lock): the threads are still its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from backoffice import db

T = TypeVar("T")

#: Heartbeat threads (and PostgreSQL connections) per worker process: 100 beats/s
#: across two processes at ~10 ms of database time each keep about one busy.
HEARTBEAT_TOKENS = 8


class Lane:
    """``tokens`` threads at a time for one kind of request, on ``fast`` sessions (commits
    that may be lost to a power cut) and ``durable`` ones."""

    def __init__(self, name: str, tokens: int, fast: sessionmaker[Session],
                 durable: sessionmaker[Session], engine: Engine | None = None) -> None:
        self.name = name
        self.tokens = tokens
        self.fast = fast
        self.durable = durable
        self._engine = engine
        self._limiter: CapacityLimiter | None = None

    @property
    def limiter(self) -> CapacityLimiter:
        # Made on first use, inside the server's event loop.
        if self._limiter is None:
            self._limiter = CapacityLimiter(self.tokens)
        return self._limiter

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in a worker thread under this lane's limiter."""
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self.limiter)

    @contextmanager
    def durable_transaction(self) -> Iterator[Session]:
        """A transaction whose commit waits for the disk: on PostgreSQL on the lane's own
        connections (``synchronous_commit = on`` for it alone), on SQLite through the
        app's durable sessions."""
        if self._engine is None:
            with db.transaction(self.durable) as session:
                yield session
            return
        with db.transaction(self.fast) as session:
            db.insist_durable(session)
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def heartbeat_lane(url: str, engine: Engine, fast: sessionmaker[Session],
                   durable: sessionmaker[Session], tokens: int = HEARTBEAT_TOKENS) -> Lane:
    """The heartbeat lane of an app whose durable engine is ``engine`` (on ``url``)."""
    if db.is_sqlite(engine):
        return Lane("heartbeat", tokens, fast, durable)
    own = db.make_engine(url, durable=False, pool=(tokens, 0))
    return Lane("heartbeat", tokens, db.make_sessionmaker(own, relaxed=True), durable, own)
