"""The server and the staff CLI share one SQLite file (WAL): what the server commits
must stay visible to every other process.

SQLite keeps a SHARED lock on the database file for as long as a WAL-mode connection
is open; the process that closes the last connection checkpoints and deletes the
``-wal`` and ``-shm`` files. POSIX locks belong to the process, and closing *any*
descriptor of the file drops all of them: a process that opens and closes the
database file by hand while SQLite has it open loses its lock without SQLite
noticing. The next CLI run then deletes the WAL under the server, which goes on
committing into a deleted file nobody else can read.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backoffice.app import create_app
from backoffice.cli import open_sessions
from backoffice.db import transaction
from backoffice.models import Terminal
from backoffice.settings import Settings

READ_LAST_SEEN = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("select last_seen_at from terminals where id = 'T-1'").fetchone()[0])
db.close()
"""


def other_process_reads(db_file: Path) -> str:
    """``last_seen_at`` as another process (the staff CLI) reads it, closing afterwards."""
    done = subprocess.run([sys.executable, "-c", READ_LAST_SEEN, str(db_file)],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_a_serving_process_keeps_its_commits_visible_to_the_cli(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "bo")
    # What ``backoffice.cli serve`` does: a first look at the database (staff accounts),
    # then the application on the same file, in one process.
    factory = open_sessions(settings)
    with transaction(factory) as session:
        session.add(Terminal(id="T-1", secret_hex="00" * 32,
                             created_at=datetime(2026, 11, 1, tzinfo=UTC)))
    app = create_app(settings)
    db_file = Path(app.state.engine.url.database)
    first = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for n in range(3):
        seen = first + timedelta(minutes=n)
        with transaction(app.state.sessions) as session:
            row = session.get(Terminal, "T-1")
            assert row is not None
            row.last_seen_at = seen
        # Each read is a process that opens the database and closes it, as the CLI does.
        assert other_process_reads(db_file).startswith(seen.strftime("%Y-%m-%d %H:%M")), n
    app.state.engine.dispose()
    app.state.fast_engine.dispose()
    factory.kw["bind"].dispose()
    assert sqlite3.connect(db_file).execute("pragma integrity_check").fetchone() == ("ok",)
