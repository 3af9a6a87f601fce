"""The pure retry policy (kiosk/submission/retry.py)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config.model import RetryConfig
from kiosk.submission.retry import RetryPolicy


class Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_exponential_and_capped_without_jitter() -> None:
    p = RetryPolicy(base_s=1, cap_s=30, multiplier=2, jitter=0)
    assert [p.delay(n, Fixed(0.9)) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert p.delay(0, Fixed(0)) == 1
    assert p.delay(10_000, Fixed(0)) == 30


def test_equal_jitter_bounds() -> None:
    p = RetryPolicy(base_s=1, cap_s=300, multiplier=2, jitter=0.5)
    assert p.delay(4, Fixed(0.0)) == 8
    assert p.delay(4, Fixed(0.999999)) == pytest.approx(4, abs=1e-4)


def test_retry_after_honoured_but_capped() -> None:
    p = RetryPolicy(base_s=1, cap_s=60, multiplier=2, jitter=0)
    assert p.delay(1, Fixed(0), retry_after=7) == 7
    assert p.delay(5, Fixed(0), retry_after=7) == 16  # already waiting longer
    assert p.delay(1, Fixed(0), retry_after=86_400) == 60
    assert p.delay(1, Fixed(0), retry_after=float("nan")) == 1
    assert p.delay(1, Fixed(0), retry_after=-5) == 1


def test_constant_multiplier() -> None:
    assert RetryPolicy(base_s=2, cap_s=10, multiplier=1, jitter=0).delay(50, Fixed(0)) == 2


def test_from_config_and_immutability() -> None:
    p = RetryPolicy.from_config(RetryConfig(base_s=0.5, cap_s=10, multiplier=3, jitter=0.1))
    assert p == RetryPolicy(0.5, 10, 3, 0.1)
    with pytest.raises(AttributeError):
        p.base_s = 2  # type: ignore[misc]
    with pytest.raises(ValueError):
        RetryPolicy(base_s=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2)


def test_same_seed_same_delays() -> None:
    p = RetryPolicy()
    assert [p.delay(n, random.Random(7)) for n in range(1, 6)] == \
        [p.delay(n, random.Random(7)) for n in range(1, 6)]


@given(st.integers(0, 100_000), st.floats(0, 1, exclude_max=True),
       st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
       st.floats(0.01, 100), st.floats(1, 10), st.floats(0, 1))
def test_delay_always_within_bounds(attempt: int, r: float, retry_after: float | None,
                                    base: float, mult: float, jitter: float) -> None:
    p = RetryPolicy(base_s=base, cap_s=base * 50, multiplier=mult, jitter=jitter)
    d = p.delay(attempt, Fixed(r), retry_after)
    assert 0 < d <= p.cap_s * (1 + 1e-9)
