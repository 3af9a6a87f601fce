"""SIGKILL the kiosk during submission, over and over: no receipt without its case,
no case twice, and the outbox reopens cleanly every time (see driver.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kiosk.crash.driver import POINTS, run


def check(result_trials: int, tmp_path: Path, seed: int, *, national: bool = False) -> None:
    r = run(tmp_path, result_trials, seed, national=national)
    assert r.problems == []
    assert r.trials == result_trials
    assert r.receipts, "no receipt was ever reached: the trials killed too early"
    # Every deliberate point was reached and killed at least once.
    assert {f"killed:{p}" for p in POINTS} <= set(r.kills)
    assert r.kills["killed:random"] > 0


@pytest.mark.timeout(900)
def test_sigkill_100_trials(tmp_path: Path) -> None:
    check(100, tmp_path, seed=1)


@pytest.mark.timeout(900)
def test_sigkill_national_suite(tmp_path: Path) -> None:
    """The same on the national suite (SM4-GCM outbox, HMAC-SM3 signatures); fewer
    trials, each kill point still reached."""
    check(60, tmp_path, seed=3, national=True)


@pytest.mark.soak
@pytest.mark.timeout(3600)
def test_sigkill_500_trials(tmp_path: Path) -> None:
    check(500, tmp_path, seed=2)
