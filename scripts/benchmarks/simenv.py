"""scripts/bench simenv: how long the simulated terminal takes to come up, and its loops.

* Start-up of the whole environment (back office provisioned and healthy, SAM
  simulator, printer emulator, camera scenes, pcscd when it can run, overlay
  written) against the reference measured in the same run: the back office
  alone, provisioned and started the same way one after the other
  (``terminal add`` then ``serve`` until ``/api/v1/health`` answers). The
  environment starts the rest while the back office starts, so the ratio shows
  what the other simulators add.
* Card placed (control socket) -> CardInserted from the real reader, and
  receipt sent -> PNG on disk, as p50 over a few runs (informational).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import requests

from devices.idcard.base import CardEvent, CardInserted, IdCardReader
from devices.printer.base import ReceiptPrinter
from kiosk.clock import SystemClock
from kiosk.config.model import load_site
from kiosk.receipts import ReceiptCatalog, TestPageInput, build_test_page
from kiosk.wiring.devices import build_devices
from scripts.benchmarks.common import Report, parser, percentile, run
from simenv.environment import SimEnvironment
from simenv.procs import Child, child_environ, free_port


def backoffice_alone(tmp: Path) -> float:
    env = child_environ({"BACKOFFICE_DATA_DIR": str(tmp / "bo")}, drop=("DATABASE_URL",))
    started = time.perf_counter()
    add = Child("add", "backoffice.cli", ["terminal", "add", "XS-DEV-0001", "--secret-file",
                                          str(tmp / "k")], log_dir=tmp, env=env).start()
    if add.wait_exit(120) != 0:
        raise SystemExit(f"terminal add failed: {add.log_tail()}")
    port = free_port()
    serve = Child("serve", "backoffice.cli", ["serve", "--port", str(port)], log_dir=tmp,
                  env=env).start()
    try:
        def healthy() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok
            except requests.RequestException:
                return False

        serve.wait_ready(healthy, 120)
        return time.perf_counter() - started
    finally:
        serve.stop()


def main(argv: list[str]) -> int:
    p = parser("simenv", __doc__ or "")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    report = Report("simenv")
    with tempfile.TemporaryDirectory() as tmp:
        reference = backoffice_alone(Path(tmp))
        started = time.perf_counter()
        with SimEnvironment() as env:
            up = time.perf_counter() - started
            config = env.config()
            with build_devices(config, load_site(config), clock=SystemClock()) as devices:
                devices.open_all()
                reader, printer = devices["idcard"], devices["printer"]
                assert isinstance(reader, IdCardReader) and isinstance(printer, ReceiptPrinter)
                got = threading.Event()

                def on_card(event: CardEvent) -> None:
                    if isinstance(event, CardInserted):
                        got.set()

                reader.add_card_listener(on_card)
                reader.enable()
                card_s, print_s = [], []
                page = build_test_page(TestPageInput(env.terminal_id, "bench",
                                                     datetime.now(UTC)), ReceiptCatalog("zh_CN"))
                for _ in range(args.runs):
                    got.clear()
                    t0 = time.perf_counter()
                    env.place_card("resident", photo=False)
                    if not got.wait(30):
                        raise SystemExit("no card read within 30 s")
                    card_s.append(time.perf_counter() - t0)
                    env.remove_card()
                    time.sleep(0.6)  # the reader notices the empty field (poll 0.25 s)
                    before = len(env.receipts())
                    t0 = time.perf_counter()
                    printer.print_document(page).raise_for_error()
                    while len(env.receipts()) == before and time.perf_counter() - t0 < 30:
                        time.sleep(0.01)
                    print_s.append(time.perf_counter() - t0)
    report.add("environment up (all simulators + back office)", up, "s")
    report.add("back office alone, provisioned and healthy", reference, "s")
    report.add("environment up / back office alone", up / reference, "x", goal="<= 1.5",
               reference="back office alone, same run")
    report.add("card placed -> CardInserted p50", percentile(card_s, 50) * 1000, "ms")
    report.add("test page sent -> PNG on disk p50", percentile(print_s, 50) * 1000, "ms")
    report.notes.append(f"pcscd: {env.sscard.get('pcscd') or env.sscard.get('detail')}")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
