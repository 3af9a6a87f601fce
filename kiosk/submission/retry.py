"""The sender's retry policy: an immutable value with a pure backoff function.

Modelled on urllib3's ``Retry``: the policy holds no state and ``delay`` is a
pure function of the attempt number, an injected random source and the
server's Retry-After (RFC 9110 §10.2.3), so tests pin every number.
Exponential backoff with a cap and "equal jitter" (the delay is drawn from
``[d·(1-jitter), d]``) spreads out many terminals that come back after the same
outage, while never waiting longer than the un-jittered delay.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from kiosk.config.model import RetryConfig


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 1.0
    cap_s: float = 300.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not (self.base_s > 0 and self.cap_s >= self.base_s and self.multiplier >= 1
                and 0 <= self.jitter <= 1):
            raise ValueError("need base_s > 0, cap_s >= base_s, multiplier >= 1, "
                             "0 <= jitter <= 1")

    @classmethod
    def from_config(cls, config: RetryConfig) -> RetryPolicy:
        return cls(base_s=config.base_s, cap_s=max(config.cap_s, config.base_s),
                   multiplier=config.multiplier, jitter=config.jitter)

    def backoff(self, attempt: int) -> float:
        """Un-jittered delay after the ``attempt``-th failure (1-based), capped."""
        n = max(1, attempt) - 1
        if self.multiplier == 1:
            return self.base_s
        # Compare exponents, not powers, so attempt 10_000 neither overflows nor loops.
        if n >= math.log(self.cap_s / self.base_s, self.multiplier):
            return self.cap_s
        return min(self.cap_s, self.base_s * self.multiplier ** n)

    def delay(self, attempt: int, rng: random.Random,
              retry_after: float | None = None) -> float:
        """Seconds to wait after the ``attempt``-th consecutive failure.

        A server's Retry-After is honoured (never retry sooner than asked) but capped
        at ``cap_s``, so a hostile or broken header cannot park the kiosk for days.
        """
        d = self.backoff(attempt)
        d -= d * self.jitter * rng.random()
        if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
            d = max(d, min(retry_after, self.cap_s))
        return d
