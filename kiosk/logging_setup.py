"""Logging for the kiosk: a rotating file in ``var/log/``, a ring buffer, redaction.

Every handler carries :class:`kiosk.privacy.RedactingFilter`, so an ID number
that slips into a message is masked before it reaches the file, the console or
the technician screen (personal data never in logs). The ring
buffer keeps the most recent records in memory for the technician's "recent
logs" screen and the diagnostic bundle.

:func:`setup_logging` returns a :class:`LogSetup` handle instead of changing
global state for good: ``close()`` removes exactly the handlers it added, so
tests (and a second call) leave no handlers behind.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
import os
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError
from kiosk.privacy import RedactingFilter, redact

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILE = "kiosk.log"


class RedactingFormatter(logging.Formatter):
    """Masks the whole formatted text, tracebacks included (the filter sees only the
    message; an exception's text is added later, by the formatter)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


#: sd-daemon(3) priority prefixes: journald reads ``<N>`` at the start of a line on a
#: service's stderr as the syslog priority of that line (SyslogLevelPrefix=, default on).
_PRIORITY = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4),
             (logging.INFO, 6))


class JournalFormatter(RedactingFormatter):
    """One redacted line per record for journald (which adds the time itself), with its
    priority as a ``<N>`` prefix; a traceback's lines are joined so it stays one entry."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        level = next((p for lvl, p in _PRIORITY if record.levelno >= lvl), 7)
        return f"<{level}>" + super().format(record).replace("\n", " | ")


def stderr_is_journal(environ: dict[str, str] | None = None) -> bool:
    """Whether stderr is connected to journald: ``$JOURNAL_STREAM`` (``device:inode``,
    set by systemd for a service whose output goes to the journal) names stderr's own
    file. A shell started from such a service inherits the variable with another
    stderr (sd_journal_stream_fd(3) advises this check)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    dev, _, ino = value.partition(":")
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return dev.isdigit() and ino.isdigit() and (int(dev), int(ino)) == (st.st_dev, st.st_ino)


class RingBufferHandler(logging.Handler):
    """Keeps the last ``capacity`` records as plain, already-redacted dictionaries."""

    def __init__(self, capacity: int = 500) -> None:
        super().__init__()
        self._records: collections.deque[dict[str, Any]] = collections.deque(maxlen=capacity)
        self._ring_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        # Redact again here: a record may reach this handler without the filter
        # having run (a filter on another handler does not protect this one).
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                     timespec="seconds"),
                 "level": record.levelname, "logger": record.name,
                 "message": redact(record.getMessage())}
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = redact(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
        with self._ring_lock:
            self._records.append(entry)

    def records(self, limit: int | None = None,
                min_level: int = logging.NOTSET) -> list[dict[str, Any]]:
        with self._ring_lock:
            items = [r for r in self._records
                     if logging.getLevelName(r["level"]) >= min_level]
        return items[-limit:] if limit else items

    def clear(self) -> None:
        with self._ring_lock:
            self._records.clear()


@dataclass
class LogSetup:
    logger: logging.Logger
    ring: RingBufferHandler
    file: Path | None
    handlers: list[logging.Handler] = field(default_factory=list)

    def close(self) -> None:
        for handler in self.handlers:
            self.logger.removeHandler(handler)
            handler.close()
        self.handlers.clear()


def setup_logging(log_dir: Path | None, *, level: int = logging.INFO,
                  logger: logging.Logger | None = None, console: bool = False,
                  max_bytes: int = 5 * 1024 * 1024, backups: int = 5,
                  ring_capacity: int = 500, journal: bool = False) -> LogSetup:
    """Attach the kiosk's handlers to ``logger`` (the root logger by default).

    ``log_dir`` is normally ``<terminal.data_dir>/log``; ``None`` logs only to the
    ring buffer (and the console when asked), for tools that must not write.
    ``journal``: also one line per record on stderr for journald (a systemd service:
    ``$JOURNAL_STREAM`` is set), through the same redaction.
    """
    target = logger or logging.getLogger()
    target.setLevel(level)
    formatter = RedactingFormatter(FORMAT)
    ring = RingBufferHandler(ring_capacity)
    handlers: list[logging.Handler] = [ring]
    path: Path | None = None
    if log_dir is not None:
        path = log_dir / LOG_FILE
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.handlers.RotatingFileHandler(
                path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(str(log_dir), "terminal.data_dir",
                              f"cannot write logs: {exc.strerror}") from None
    if console:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(formatter)
    if journal:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(JournalFormatter())
        handlers.append(stream)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        target.addHandler(handler)
    return LogSetup(logger=target, ring=ring, file=path, handlers=handlers)


def log_files(log_dir: Path) -> list[Path]:
    """The current log and its rotated predecessors, newest first."""
    current = log_dir / LOG_FILE
    rotated = sorted(log_dir.glob(LOG_FILE + ".*"),
                     key=lambda p: int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
    return ([current] if current.exists() else []) + rotated
