"""A throwaway PostgreSQL cluster on loopback, for the tests and the benchmarks.

``LocalPostgres`` creates a private data directory under a temp dir with
Debian's ``initdb``, starts ``postgres`` on a free loopback port, and stops it
and removes everything at the end (``stop()`` or the context manager)::

    with LocalPostgres(durable=True) as pg:
        url = pg.create_database("bench")     # postgresql+psycopg://postgres@127.0.0.1:P/bench

As root the cluster belongs to Debian's ``postgres`` user (``initdb`` refuses
root). ``durable=False`` (the tests) turns fsync off; the benchmarks keep it
on, so that what they measure is what a district server would do.
:class:`PostgresUnavailable` says why no cluster could be started (no binaries
and no way to install them, no ``postgres`` user).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from simenv.procs import free_port

PG_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    """No cluster can be started here; the message says why."""


def bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory, or None."""
    candidates = sorted(PG_ROOT.glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name)
                        if p.parent.parent.name.isdigit() else 0)
    return candidates[-1].parent if candidates else None


def install() -> str:
    """Install Debian's postgresql when we are root; "" on success, else why not."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "PostgreSQL is not installed and this user cannot install it " \
               "(as root: apt-get install postgresql, or run scripts/test which bootstraps it)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]):
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False)
        if done.returncode != 0:
            return f"could not install postgresql: {' '.join(cmd)} exited {done.returncode}"
    return ""


class LocalPostgres:
    """One cluster on ``127.0.0.1``; ``url`` is a superuser URL without a database."""

    def __init__(self, *, durable: bool = True, max_connections: int = 100,
                 settings: dict[str, str] | None = None, may_install: bool = True) -> None:
        self.durable = durable
        self.max_connections = max_connections
        self.settings = dict(settings or {})
        self.may_install = may_install
        self.base: Path | None = None
        self.port = 0
        self._bin: Path | None = None
        self._run_as: list[str] = []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        if self.base is None:
            raise RuntimeError("not started")
        return self.base / "data"

    def start(self) -> LocalPostgres:
        self._bin = bindir()
        if self._bin is None:
            problem = install() if self.may_install else "PostgreSQL is not installed"
            self._bin = bindir()
            if self._bin is None:
                raise PostgresUnavailable(problem or f"no initdb under {PG_ROOT}")
        base = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(base, ignore_errors=True)
                raise PostgresUnavailable("running as root and there is no postgres user "
                                          "to own the cluster") from None
            os.chown(base, pw.pw_uid, pw.pw_gid)
            base.chmod(0o700)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        self.base = base
        self.port = free_port()
        try:
            subprocess.run([*self._run_as, str(self._bin / "initdb"), "-D", str(self.data_dir),
                            "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                            "--locale=C.UTF-8", "--no-sync"],
                           check=True, capture_output=True, timeout=120)
            options = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                       "unix_socket_directories": str(base),
                       "fsync": "on" if self.durable else "off",
                       "max_connections": str(self.max_connections), **self.settings}
            opts = " ".join(f"-c {k}={v}" for k, v in options.items())
            subprocess.run([*self._run_as, str(self._bin / "pg_ctl"), "-D", str(self.data_dir),
                            "-o", opts, "-l", str(base / "log"), "-w",
                            "-t", str(START_TIMEOUT_S), "start"],
                           check=True, capture_output=True, timeout=START_TIMEOUT_S + 60)
        except BaseException:
            self.stop()
            raise
        return self

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://")
                             + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.url}/{name}"

    def database_bytes(self, name: str) -> int:
        import psycopg

        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://")
                             + "/postgres", autocommit=True) as conn:
            row = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
        return int(row[0]) if row else 0

    def wal_bytes(self) -> int:
        """Bytes of write-ahead log written since the cluster started (its LSN)."""
        import psycopg

        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://")
                             + "/postgres", autocommit=True) as conn:
            row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')").fetchone()
        return int(row[0]) if row else 0

    def stop(self) -> None:
        if self.base is None:
            return
        if self._bin is not None and (self.data_dir / "postmaster.pid").exists():
            subprocess.run([*self._run_as, str(self._bin / "pg_ctl"), "-D", str(self.data_dir),
                            "-m", "fast", "-w", "-t", str(START_TIMEOUT_S), "stop"],
                           capture_output=True, timeout=START_TIMEOUT_S + 60, check=False)
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
