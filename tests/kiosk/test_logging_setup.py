"""Logging: redacted everywhere, rotated on disk, recent records in a ring buffer."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.logging_setup import log_files, setup_logging
from tests.kiosk.journey_factory import ID_NUMBER


def test_file_and_ring_are_redacted_and_rotate(tmp_path: Path) -> None:
    logger = logging.getLogger("kiosk.test.logging")
    logger.propagate = False
    setup = setup_logging(tmp_path / "log", logger=logger, max_bytes=2000, backups=2,
                          ring_capacity=10)
    try:
        logger.info("card read for %s", ID_NUMBER)
        try:
            raise ValueError(f"bad {ID_NUMBER}")
        except ValueError:
            logger.exception("failed")
        for i in range(100):
            logger.debug("noise %d", i)      # below INFO: dropped
            logger.warning("line %03d %s", i, "x" * 40)
        records = setup.ring.records()
        assert len(records) == 10 and records[-1]["message"].startswith("line 099")
        assert setup.ring.records(limit=3)[0]["message"].startswith("line 097")
        assert setup.ring.records(min_level=logging.ERROR) == []
    finally:
        setup.close()
    assert logger.handlers == []
    files = log_files(tmp_path / "log")
    assert [p.name for p in files] == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    text = "".join(p.read_text(encoding="utf-8") for p in files)
    assert ID_NUMBER not in text


def _log_failure(logger: logging.Logger, message: str, *args: object) -> None:
    """An exception whose message holds the ID number, logged with its traceback."""
    try:
        raise ValueError(f"bad {ID_NUMBER}")
    except ValueError:
        logger.exception(message, *args)


def test_tracebacks_in_the_file_are_redacted(tmp_path: Path) -> None:
    logger = logging.getLogger("kiosk.test.logging3")
    logger.propagate = False
    setup = setup_logging(tmp_path, logger=logger)
    try:
        _log_failure(logger, "failed")
    finally:
        setup.close()
    text = (tmp_path / "kiosk.log").read_text(encoding="utf-8")
    assert "Traceback" in text and "ValueError: bad 330109" in text
    assert ID_NUMBER not in text


def test_ring_keeps_exceptions_redacted(tmp_path: Path) -> None:
    logger = logging.getLogger("kiosk.test.logging2")
    logger.propagate = False
    setup = setup_logging(None, logger=logger)
    try:
        _log_failure(logger, "read of %s failed", ID_NUMBER)
        (entry,) = setup.ring.records()
        assert ID_NUMBER not in str(entry)
        assert entry["message"] == f"read of {ID_NUMBER[:6]}********{ID_NUMBER[-4:]} failed"
        assert entry["exception"].startswith("ValueError: bad 330109")
    finally:
        setup.close()
    assert setup.file is None
