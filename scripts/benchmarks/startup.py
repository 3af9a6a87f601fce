"""Kiosk cold start and catalog search speed.

Measured in one run:
- cold start to an interactive Home screen: from process start to the first frame
  with Home drawn that also takes a touch (``python -m screens.main
  --exit-when-ready``), against a bare Kivy window opened the same way (same
  interpreter, display mode, window size and App.run; an empty widget). Several
  repetitions each, interleaved; medians. Goal: ratio <= 1.5.
- catalog search time for 1,000 items (``measure_search`` of the catalog
  benchmark: p99 over a query set). Goal: <= 10 ms.

Both processes report the time of their first frame in ``time.monotonic()``,
which on Linux is one clock for every process, so the parent subtracts its own
reading taken just before starting the child.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.benchmarks.common import Report, parser, run  # noqa: E402

BARE = textwrap.dedent("""
    import time
    from screens.main import prepare_kivy
    prepare_kivy((1920, 1080), headless=True)
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.widget import Widget

    class Bare(App):
        def load_kv(self, filename=None):  # no .kv file, as KioskApp has none of its own
            return None

        def build(self):
            Window.bind(on_flip=self.first)
            return Widget()

        def first(self, *_):
            Window.unbind(on_flip=self.first)
            print(f"READY {time.monotonic():.6f} {time.process_time():.6f}", flush=True)
            self.stop()

    Bare().run()
""")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["SDL_VIDEODRIVER"] = "offscreen"
    env["PYTHONPATH"] = str(ROOT)
    env.setdefault("KIVY_HOME", str(ROOT / "var" / "kivy"))
    return env


def _start(cmd: list[str]) -> tuple[float, float]:
    """Seconds from process start to its READY line, and the CPU seconds it used."""
    start = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=120, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("READY "):
            _, ready, cpu = line.split()
            return float(ready) - start, float(cpu)
    raise RuntimeError(f"{' '.join(cmd[:3])} gave no READY line (exit {out.returncode}): "
                       f"{out.stderr.strip()[-400:]}")


def measure_startup(repeat: int = 5) -> dict[str, float]:
    kiosk_cmd = [sys.executable, "-m", "screens.main", "--headless", "--exit-when-ready"]
    bare_cmd = [sys.executable, "-c", BARE]
    _start(bare_cmd)  # warm the page cache and compiled bytecode for both
    _start(kiosk_cmd)
    kiosk: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for _ in range(repeat):
        bare.append(_start(bare_cmd))
        kiosk.append(_start(kiosk_cmd))
    kiosk_s = statistics.median(k[0] for k in kiosk)
    bare_s = statistics.median(b[0] for b in bare)
    # CPU time (all threads) is what the start-up costs regardless of other load on
    # a shared machine; shown next to the wall-clock ratio that the goal is about.
    cpu_ratio = statistics.median(k[1] for k in kiosk) / statistics.median(b[1] for b in bare)
    return {"kiosk_s": kiosk_s, "bare_s": bare_s, "ratio": kiosk_s / bare_s,
            "cpu_ratio": cpu_ratio}


def main(argv: list[str]) -> int:
    p = parser("startup", __doc__.splitlines()[0] if __doc__ else "")
    p.add_argument("--repeat", type=int, default=5, help="start-ups of each (default 5)")
    args = p.parse_args(argv)
    report = Report("startup")
    start = measure_startup(args.repeat)
    report.add("cold start to interactive Home", start["kiosk_s"] * 1000, "ms")
    report.add("bare Kivy window", start["bare_s"] * 1000, "ms")
    report.add("start-up ratio", start["ratio"], "x", goal="<= 1.5",
               reference="a bare Kivy window opened the same way")
    report.add("start-up CPU time ratio", start["cpu_ratio"], "x",
               reference="the same bare window")
    try:
        from scripts.benchmarks.catalog import measure_search
    except ImportError as exc:  # the catalog benchmark is another area's file
        report.notes.append(f"catalog search not measured: {exc}")
    else:
        search = measure_search(1000)
        report.add("catalog search p99, 1,000 items", search["p99_ms"], "ms", goal="<= 10")
        report.add("catalog search p50, 1,000 items", search["p50_ms"], "ms")
    report.notes.append(f"{args.repeat} start-ups each, interleaved, medians; offscreen SDL "
                        "with software OpenGL")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
