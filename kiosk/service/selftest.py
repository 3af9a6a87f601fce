"""The self-test an upgrade waits for after ``READY=1``: ``python -m kiosk.service.selftest
[--config FILE]...`` (bin/kiosk-selftest of a release). Exit 0 when this release can
serve: its configuration, site profile, catalog, translations and holidays load (as
``python -m kiosk.cli check``), every module the UI, the journey and the sender import
loads, and the data directory is at the version this release migrates it to.
Anything else: one line on stderr and exit 1 (2 for a configuration error).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from kiosk.cli import check, run_main
from kiosk.config.model import load_config
from kiosk.service.datastate import DATA_VERSION, recorded_version

#: What the running kiosk imports on the way to a citizen's case (the UI modules that
#: need no window included).
MODULES = ("screens.main", "kiosk.wiring.journey", "kiosk.wiring.devices",
           "kiosk.service.sender", "kiosk.submission.heartbeat", "kiosk.technician.console")


def selftest(overlays: tuple[Path, ...]) -> list[str]:
    problems: list[str] = []
    check(None, overlays, None)
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - any import failure fails the release
            problems.append(f"{name} does not import: {type(exc).__name__}: {exc}")
    data = load_config(None, overlays).terminal.data_path()
    found = recorded_version(data)
    if found != DATA_VERSION:
        problems.append(f"{data}: data version {found}, this release needs {DATA_VERSION}")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk-selftest", description=__doc__.splitlines()[0])
    p.add_argument("--config", action="append", type=Path, default=[], metavar="FILE")
    args = p.parse_args(argv)
    problems = selftest(tuple(args.config))
    for problem in problems:
        print(f"kiosk-selftest: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    run_main(main)
