"""scripts/bench workflow: the core of the citizen journey, without screens.

For three scripted journeys from the sample catalog (a simple item, a 两证联办
bundle, an item with a 容缺 material): the citizen's taps, and the machine
time of the core (state machine, views rendered at every step, case building,
the real encrypted outbox, the receipt documents) with no simulated human
waits. Then 200 consecutive journeys: resident memory after them compared with
after the first (each journey is wiped at its end: growth means a leak).

Ratios are against a reference measured in the same run: enqueueing the same
cases straight into the outbox (the part of a journey that must touch disk).
Goals: ≤ 12 taps for a simple item, ≤ 3 s machine time, ≤ 20 MB
memory growth. (The screens' own bench adds rendering on top of this.)
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.catalog import Catalog, load_catalog  # noqa: E402
from kiosk.clock import SystemClock  # noqa: E402
from kiosk.identity import CardType, Identity, id_check_char  # noqa: E402
from kiosk.journey.apply import Journey, JourneySettings  # noqa: E402
from kiosk.journey.plan import plan_for  # noqa: E402
from kiosk.journey.runner import JourneyRunner, ReceiptContext  # noqa: E402
from kiosk.journey.script import to_rating, to_review  # noqa: E402
from kiosk.receipts.builders import build_acceptance  # noqa: E402
from kiosk.receipts.texts import ReceiptCatalog  # noqa: E402
from kiosk.submission.crypto import Sealer  # noqa: E402
from kiosk.submission.outbox import Outbox  # noqa: E402
from scripts.benchmarks.common import Report, parser, rss_mb, run  # noqa: E402

JOURNEYS = {"simple": "330109-HJ-001", "bundle": "330109-NY-B01", "deferred": "330109-HJ-003"}
SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001")
PAGE = b"\xff\xd8\xff\xe0" + os.urandom(300_000)  # a 300 kB scan
SIGNATURE = b"\x89PNG\r\n\x1a\n" + os.urandom(8_000)
TAPS = {"next", "back", "material_ticked", "all_ticked", "material_deferred", "page_added",
        "field_set", "signed", "rated"}


def identity() -> Identity:
    first17 = "33010919850312004"
    return Identity(CardType.RESIDENT, "欧阳娜娜", first17 + id_check_char(first17), "2", None,
                    "01", "浙江省杭州市萧山区城厢街道", long_term=True)


class Printer:
    """Builds the real receipt document; the bytes to the printer are the printer bench's."""

    def __init__(self) -> None:
        self.texts = ReceiptCatalog("zh_CN")

    def print_receipt(self, receipt: object) -> None:
        build_acceptance(receipt, self.texts)  # type: ignore[arg-type]


def journey_once(catalog: Catalog, code: str, outbox: Outbox, printer: Printer,
                 defer: bool) -> tuple[int, float]:
    clock = SystemClock()
    started = time.perf_counter()
    j = Journey(plan_for(code, catalog), SETTINGS, clock=clock)
    JourneyRunner(j, queue=outbox, waiter=None, printer=printer,
                  context=ReceiptContext("城厢街道便民服务中心", "https://kiosk.example.org"),
                  clock=clock)
    taps = 0

    def fire(trigger: str, **data: object) -> None:
        nonlocal taps
        taps += trigger in TAPS
        j.fire(trigger, **data)
        j.view()  # every step is rendered once by a screen

    to_rating(j, identity(), fire=fire, defer=defer, page=lambda _: PAGE, signature=SIGNATURE)
    if j.state != "done":
        raise SystemExit(f"{code}: journey stopped in {j.state}")
    j.wipe()
    return taps, time.perf_counter() - started



def main(argv: list[str]) -> int:
    args = parser("workflow", __doc__.splitlines()[0]).parse_args(argv)
    catalog = load_catalog(ROOT / "config" / "catalog")
    report = Report("workflow")
    printer = Printer()
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "o.sqlite3", Sealer(os.urandom(32)), ref_prefix="XB",
                        clock=SystemClock(), max_pending_cases=100_000,
                        max_pending_bytes=10**12)
        try:
            for name, code in JOURNEYS.items():
                times, taps = [], 0
                for _ in range(5):
                    taps, seconds = journey_once(catalog, code, outbox, printer,
                                                 defer=name == "deferred")
                    times.append(seconds)
                best = statistics.median(times)
                # Reference: the same number of cases enqueued directly (disk + crypto).
                probe = Journey(plan_for(code, catalog), SETTINGS, clock=SystemClock())
                ref_start = time.perf_counter()
                for item in probe.plan.items:
                    del item
                ref = _enqueue_reference(catalog, code, outbox)
                ref_time = time.perf_counter() - ref_start
                report.add(f"{name} ({code}) taps", taps, "taps",
                           goal="<= 12" if name == "simple" else "")
                report.add(f"{name} machine time (median of 5)", best, "s", goal="<= 3")
                report.add(f"{name} time / direct enqueue", best / max(ref, 1e-9), "x",
                           reference="enqueue of the same cases")
                del ref_time
            gc.collect()
            journey_once(catalog, JOURNEYS["simple"], outbox, printer, defer=False)
            gc.collect()
            first = rss_mb()
            for i in range(200):
                code = list(JOURNEYS.values())[i % 3]
                journey_once(catalog, code, outbox, printer, defer=i % 3 == 2)
            gc.collect()
            after = rss_mb()
        finally:
            outbox.close()
    report.add("RSS after first journey", first, "MB")
    report.add("RSS growth after 200 journeys", after - first, "MB", goal="<= 20")
    report.notes.append("scans are 300 kB random JPEG-headed blobs; outbox is the real "
                        "SQLite/AES-GCM one in a temporary directory")
    return report.emit(args.json)


def _enqueue_reference(catalog: Catalog, code: str, outbox: Outbox) -> float:
    """Seconds to put the cases of one finished journey straight into the outbox."""
    j = Journey(plan_for(code, catalog), SETTINGS, clock=SystemClock())
    to_review(j, identity(), page=lambda _: PAGE, signature=SIGNATURE)
    cases = j.cases()
    started = time.perf_counter()
    for case in cases:
        outbox.enqueue(case)
    return time.perf_counter() - started


if __name__ == "__main__":
    run(main)
