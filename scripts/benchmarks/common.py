"""Shared reporting for scripts/bench: percentiles, goals, human or --json output."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Metric:
    name: str
    value: float
    unit: str
    goal: str = ""          # e.g. "<= 1.5"; empty = informational
    reference: str = ""     # what a ratio is taken against

    @property
    def met(self) -> bool | None:
        if not self.goal:
            return None
        op, _, bound = self.goal.partition(" ")
        limit = float(bound)
        return {"<=": self.value <= limit, ">=": self.value >= limit}[op]


@dataclass
class Report:
    area: str
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, goal: str = "", reference: str = "") -> None:
        self.metrics.append(Metric(name, value, unit, goal, reference))

    def emit(self, as_json: bool) -> int:
        ok = all(m.met is not False for m in self.metrics)
        if as_json:
            data: dict[str, Any] = {
                "area": self.area,
                "metrics": [{**asdict(m), "met": m.met} for m in self.metrics],
                "notes": self.notes,
                "all_goals_met": ok,
            }
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print(f"== {self.area}")
            for m in self.metrics:
                mark = {True: "ok  ", False: "MISS", None: "    "}[m.met]
                goal = f"  goal {m.goal}" if m.goal else ""
                ref = f"  (vs {m.reference})" if m.reference else ""
                print(f"  {mark} {m.name:<48} {m.value:>12.3f} {m.unit}{goal}{ref}")
            for note in self.notes:
                print(f"  note: {note}")
        # A missed goal is reported, not a crash: the exit code says whether goals were met.
        return 0 if ok else 1


def parser(area: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"scripts/bench {area}", description=description)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[max(0, min(98, round(q) - 1))]


def rss_mb() -> float:
    """This process's resident memory in MB (Linux: VmRSS of /proc/self/status)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def run(main: Any) -> None:
    sys.exit(main(sys.argv[1:]))
