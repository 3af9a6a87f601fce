"""Entry-point plumbing, and ``python -m kiosk.cli check``: validate a terminal's files.

Every entry point (``scripts/run``, ``scripts/diagnose``, the back-office
commands) wraps its ``main`` in :func:`run_main`, so that a bad config or
catalog file stops the program with exit code 2 and one line that names the
file, the key path and the problem, and never a traceback: the reader is an
operator editing YAML, not a programmer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from kiosk.errors import ConfigError

#: Exit code for an unusable configuration.
EXIT_CONFIG = 2


def config_error_line(error: ConfigError) -> str:
    # One line whatever the message holds (YAML problems can carry newlines).
    detail = " ".join(str(error).split())
    return f"配置错误 / configuration error: {detail}"


def run_main(main: Callable[[], int]) -> NoReturn:
    """Run ``main`` and exit with its code; a ConfigError exits 2 with one stderr line."""
    try:
        code = main()
    except ConfigError as error:
        print(config_error_line(error), file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    sys.exit(code)


def check(config_path: Path | None, overlays: tuple[Path, ...], site_name: str | None) -> int:
    """Load everything a terminal reads at start; print a summary line."""
    from kiosk.catalog import load_catalog
    from kiosk.catalog.workdays import load_calendar
    from kiosk.config.model import load_config, load_site, resolve
    from kiosk.i18n.translate import Translator

    config = load_config(config_path, overlays)
    site = load_site(config, site_name)
    catalog = load_catalog(resolve(config.catalog_dir))
    site_file = str(resolve(config.sites_dir) / f"{site.id}.yaml")
    offered = catalog.subset(site.catalog, source=site_file)
    for lang in site.languages:
        Translator(lang)
    calendar = load_calendar(resolve(config.holidays_file))
    sample = " (sample catalog)" if catalog.sample else ""
    print(f"ok: terminal {config.terminal.id}, site {site.id}: {len(offered.items)} items, "
          f"{len(offered.bundles)} bundles, catalog {catalog.version}{sample}, "
          f"holidays {min(calendar.years)}-{max(calendar.years)}")
    return 0


def outbox_key(action: str, config_path: Path | None, overlays: tuple[Path, ...]) -> int:
    """``rotate``: a new outbox key in front of the key file (new records use it, the
    old keys still open the rest). ``retire``: re-seal every stored record with the
    current key, then drop the old keys. ``retire`` needs the outbox to itself: stop
    the kiosk first (a running kiosk holds the outbox's lock and the command says so).
    """
    import os

    from kiosk.clock import SystemClock
    from kiosk.config.model import load_config, resolve
    from kiosk.errors import KioskError
    from kiosk.submission import crypto
    from kiosk.submission.outbox import Outbox

    config = load_config(config_path, overlays)
    key_file = resolve(config.outbox.key_file)
    try:
        if action == "rotate":
            crypto.rotate_key(key_file, os.environ)
            keys = crypto.load_keys(key_file, os.environ) or []
            print(f"ok: new outbox key {crypto.key_id(keys[0]).hex()} in {key_file}; "
                  f"{len(keys) - 1} older key(s) kept until 'outbox-key retire'")
            return 0
        outbox = Outbox.from_config(config, clock=SystemClock())
        try:
            count = outbox.reseal()
        finally:
            outbox.close()
        dropped = crypto.retire_keys(key_file, os.environ)
        print(f"ok: {count} record(s) re-sealed with the current key; "
              f"{dropped} old key(s) removed from {key_file}")
        return 0
    except KioskError as exc:
        print(f"outbox-key {action}: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="validate config, site profile, catalog, translations")
    p_key = sub.add_parser("outbox-key", help="rotate the outbox's encryption key")
    p_key.add_argument("action", choices=("rotate", "retire"),
                       help="rotate: new key, old ones kept; retire: re-seal, drop old keys")
    for p in (p_check, p_key):
        p.add_argument("--config", type=Path, default=None, help="kiosk.yaml to use")
        p.add_argument("--overlay", type=Path, action="append", default=[],
                       help="a local overlay (repeatable; later ones win)")
    p_check.add_argument("--site", default=None, help="site profile (default: the config's)")
    args = parser.parse_args(argv)
    if args.command == "outbox-key":
        return outbox_key(args.action, args.config, tuple(args.overlay))
    return check(args.config, tuple(args.overlay), args.site)


if __name__ == "__main__":
    run_main(main)
