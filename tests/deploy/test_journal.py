"""Under systemd the kiosk's log lines go to journald through the same redaction as
its log file, one line per record with its syslog priority (kiosk/logging_setup.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.logging_setup import setup_logging, stderr_is_journal

ROOT = Path(__file__).resolve().parents[2]


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


def test_journal_stream_must_name_stderr_itself(tmp_path: Path) -> None:
    """systemd says where a service's stderr goes (``$JOURNAL_STREAM`` = device:inode);
    a shell that inherited the variable writes elsewhere and gets plain lines."""
    target = tmp_path / "stderr"
    code = ("import os, sys; from kiosk.logging_setup import stderr_is_journal; "
            "st = os.fstat(2); "
            "print(stderr_is_journal({'JOURNAL_STREAM': f'{st.st_dev}:{st.st_ino}'}), "
            "stderr_is_journal({'JOURNAL_STREAM': f'{st.st_dev}:{st.st_ino + 1}'}), "
            "stderr_is_journal({}))")
    with open(target, "w") as err:
        out = subprocess.run([sys.executable, "-c", code], stderr=err, capture_output=False,
                             stdout=subprocess.PIPE, text=True, timeout=60,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["True", "False", "False"]
    assert not stderr_is_journal({"JOURNAL_STREAM": "garbage"})
