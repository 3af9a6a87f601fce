"""What the fleet bench measures besides the terminals' own clocks.

A heartbeat's time as a simulated terminal sees it includes the simulator's own
delays: 500 terminals share one event loop in the bench process, on the same
cores as the server. Two probes tell the two apart:

* :class:`ServerTimes`: the back office's own request-duration histogram
  (``/metrics``, backoffice/metrics.py: from the app's first middleware to the end
  of the answer, so without uvicorn's parsing or the accept queue), read at the
  start and at the end of the measured window; the difference gives the
  window's server-side quantiles (interpolated inside a bucket, like
  Prometheus' ``histogram_quantile``) and the share answered within a bound;
* :class:`LoopLag`: how late the bench's event loop wakes from a 10 ms sleep, the
  delay every simulated request shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

DURATION = "backoffice_http_request_duration_seconds"


async def _buckets(client: httpx.AsyncClient, route: str) -> dict[float, float]:
    """Cumulative counts by upper bound (s) for ``route``, summed over methods."""
    text = (await client.get("/metrics", timeout=60)).text
    out: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != DURATION:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket") and sample.labels.get("route") == route:
                bound = float(sample.labels["le"])
                out[bound] = out.get(bound, 0.0) + sample.value
    return out


class ServerTimes:
    """The server-side durations of one route during a window."""

    def __init__(self, client: httpx.AsyncClient, route: str) -> None:
        self._client = client
        self._route = route
        self._start: dict[float, float] = {}
        self.window: list[tuple[float, float]] = []  # (upper bound s, cumulative count)

    async def begin(self) -> None:
        self._start = await _buckets(self._client, self._route)

    async def end(self) -> None:
        now = await _buckets(self._client, self._route)
        self.window = sorted((b, now[b] - self._start.get(b, 0.0)) for b in now)

    @property
    def count(self) -> float:
        return self.window[-1][1] if self.window else 0.0

    def quantile(self, q: float) -> float:
        """Seconds below which ``q`` (0-1) of the window's requests were answered."""
        total = self.count
        if total <= 0:
            return float("nan")
        rank, lower, below = q * total, 0.0, 0.0
        for bound, cumulative in self.window:
            if cumulative >= rank:
                if bound == float("inf"):
                    return lower
                inside = cumulative - below
                return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
            lower, below = bound, cumulative
        return lower

    def share_within(self, seconds: float) -> float:
        """Fraction answered within ``seconds`` (a bucket bound of backoffice/metrics.py)."""
        total = self.count
        found = dict(self.window).get(seconds)
        return float("nan") if total <= 0 or found is None else found / total


class LoopLag:
    """Samples how late this event loop wakes from a short sleep, while running."""

    def __init__(self, every_s: float = 0.01) -> None:
        self.every_s = every_s
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.every_s)
            self.samples.append((time.perf_counter() - started - self.every_s) * 1000)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
