"""Under systemd the kiosk's log lines go to journald through the same redaction as
its log file, one line per record with its syslog priority (kiosk/logging_setup.py)."""

from __future__ import annotations

import logging

import pytest

from kiosk.logging_setup import setup_logging


def test_journal_lines_are_redacted_with_their_priority(
        capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("kiosk.test.journal")
    logger.propagate = False
    logs = setup_logging(None, logger=logger, journal=True)
    try:
        logger.warning("reader saw %s", "330181199001011234")
        try:
            raise ValueError("card 330181199001011234 unreadable")
        except ValueError:
            logger.exception("read failed")
        logger.info("home")
    finally:
        logs.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "<4>kiosk.test.journal: reader saw 330181********1234"
    assert lines[1].startswith("<3>kiosk.test.journal: read failed | Traceback")
    assert "330181199001011234" not in lines[1] and "330181********1234" in lines[1]
    assert lines[2] == "<6>kiosk.test.journal: home"
    assert len(lines) == 3
