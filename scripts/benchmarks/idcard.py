"""scripts/bench idcard: card placed -> parsed Identity through the pty at 115200 baud.

The reference is the pure wire time of the very bytes exchanged in the same run
(requests and answers: find, select, read, appended address) at 115200 8N1,
10 bits a byte; the simulator paces its output to that rate, so what remains
above the ratio 1.0 is the driver's own overhead. Also shown: the textbook figure
for the read alone (10-byte request + 1295-byte answer ≈ 113 ms).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devices.idcard.base import CardEvent, CardInserted
from devices.idcard.profiles import builtin_profiles
from devices.idcard.sam_serial import SamSerialReader
from devices.idcard.simulator import SamSimulator, wire_time
from kiosk.clock import SystemClock
from scripts.benchmarks.common import Report, parser, percentile, run

BAUD = 115200


def main(argv: list[str]) -> int:
    p = parser("idcard", __doc__ or "")
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--profile", default="resident", choices=sorted(builtin_profiles()))
    args = p.parse_args(argv)
    card = builtin_profiles()[args.profile]
    with tempfile.TemporaryDirectory() as tmp, SamSimulator(Path(tmp) / "tty", baud=BAUD) as sim:
        events: list[CardEvent] = []
        reader = SamSerialReader(clock=SystemClock(), port=sim.port, baud=BAUD)
        reader.add_card_listener(events.append)
        reader.enable()
        reader.poll_once()
        measured: list[float] = []
        wire: list[float] = []
        for _ in range(args.runs):
            sim.model.remove()
            reader.poll_once()
            sim.model.place(card)
            n0 = sim.bytes_in + sim.bytes_out
            t0 = time.perf_counter()
            reader.poll_once()
            measured.append(time.perf_counter() - t0)
            wire.append(wire_time(sim.bytes_in + sim.bytes_out - n0, BAUD))
            if not isinstance(events[-1], CardInserted):
                print(f"read failed: {events[-1]!r}", file=sys.stderr)
                return 2
        reader.close()
    med, ref = statistics.median(measured), statistics.median(wire)
    report = Report("idcard")
    report.add("card placed -> identity, median", med * 1000, "ms")
    report.add("card placed -> identity, p90", percentile(measured, 90) * 1000, "ms")
    report.add("wire time of the same bytes (115200 8N1)", ref * 1000, "ms")
    report.add("wire time of read alone (10 + 1295 B)", wire_time(10 + 1295, BAUD) * 1000, "ms")
    report.add("ratio measured / wire", med / ref, "x", goal="<= 1.10",
               reference="wire time of the same bytes")
    report.notes.append(f"{args.runs} runs, profile {args.profile}, simulator on a pty paced "
                        f"at {BAUD} baud; driver overhead {100 * (med / ref - 1):.1f} %")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
