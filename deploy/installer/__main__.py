"""``scripts/install`` (it runs ``python3 -m deploy.installer``). docs/install.md.

    scripts/install [--release DIR|TARBALL] [--terminal-id ID --ref-prefix P ...]
    scripts/install --root DIR ...           stage every file under DIR, touch nothing else
    scripts/install --upgrade RELEASE        install beside, migrate, switch, judge, roll back
    scripts/install --rollback               current back to the release before it
    scripts/install --build-release OUT [--tar] [--version V]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from deploy.installer.layout import Layout
from deploy.installer.release import (
    ReleaseError,
    build_release,
    current_version,
    previous_release,
    switch,
)
from deploy.installer.services import UNITS, ServiceManager, Systemctl
from deploy.installer.stage import Terminal, install
from deploy.installer.upgrade import record_update, upgrade

TREE = Path(__file__).resolve().parents[2]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/install", description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--upgrade", type=Path, metavar="RELEASE",
                      help="a release directory or tarball to upgrade to")
    mode.add_argument("--rollback", action="store_true",
                      help="switch current back to the previous release and restart")
    mode.add_argument("--build-release", type=Path, metavar="OUT",
                      help="build a release of this working tree into OUT")
    p.add_argument("--tar", action="store_true", help="--build-release: a .tar.gz")
    p.add_argument("--version", help="--build-release: the release's version")
    p.add_argument("--root", type=Path, default=Path("/"),
                   help="stage under DIR: no user, no systemctl, no owner changes")
    p.add_argument("--release", type=Path,
                   help="install this release (default: one built from this tree)")
    p.add_argument("--deps-from", type=Path, metavar="VENV",
                   help="link VENV's site-packages into the release's venv instead of pip")
    for opt, default in (("prefix", "/opt/kiosk"), ("etc", "/etc/kiosk"),
                         ("data", "/var/lib/kiosk")):
        p.add_argument(f"--{opt}", type=Path, default=Path(default), help=argparse.SUPPRESS)
    t = Terminal()
    p.add_argument("--terminal-id", default=t.terminal_id)
    p.add_argument("--ref-prefix", default=t.ref_prefix)
    p.add_argument("--site", default=t.site)
    p.add_argument("--backoffice-url", default=t.backoffice_url)
    p.add_argument("--terminal-secret", type=Path, metavar="FILE",
                   help="this terminal's signing secret (scripts/backoffice terminal add)")
    p.add_argument("--days", default=t.days, help="service days, e.g. Mon..Sat")
    p.add_argument("--on", default=t.on, help="service hours start, HH:MM")
    p.add_argument("--off", default=t.off, help="service hours end, HH:MM")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    layout = Layout(root=args.root, prefix=args.prefix, etc=args.etc, data=args.data)
    try:
        if args.build_release:
            print(build_release(TREE, args.build_release, version=args.version,
                                tarball=args.tar))
            return 0
        if not layout.staged and os.geteuid() != 0:
            print("scripts/install: run as root (or stage with --root DIR)", file=sys.stderr)
            return 1
        if layout.staged and (args.upgrade or args.rollback):
            print("scripts/install: --upgrade and --rollback restart services: not with "
                  "--root", file=sys.stderr)
            return 1
        if args.upgrade:
            outcome = upgrade(layout, args.upgrade, Systemctl(layout),
                              deps_from=args.deps_from)
            if outcome.ok:
                print(f"ok: running {outcome.running}")
                return 0
            print(f"scripts/install: {outcome.tried} rolled back to {outcome.running}: "
                  f"{outcome.reason}", file=sys.stderr)
            return 1
        if args.rollback:
            return rollback(layout, Systemctl(layout))
        terminal = Terminal(args.terminal_id, args.ref_prefix, args.site, args.backoffice_url,
                            args.days, args.on, args.off, args.terminal_secret)
        with tempfile.TemporaryDirectory(prefix="kiosk-build-") as scratch:
            release = args.release or build_release(TREE, Path(scratch))
            actions = install(layout, terminal, release, deps_from=args.deps_from)
        where = f" under {layout.root}" if layout.staged else ""
        print(f"ok: kiosk {current_version(layout)} installed{where}"
              + (f"; {len(actions)} system steps listed in "
                 f"{layout.at(layout.prefix / 'actions.txt')}" if layout.staged else ""))
        return 0
    except (ReleaseError, KeyError, ValueError, OSError) as exc:
        print(f"scripts/install: {exc}", file=sys.stderr)
        return 1


def rollback(layout: Layout, manager: ServiceManager) -> int:
    """Back to the release installed before the current one, and restart."""
    now = current_version(layout)
    target = previous_release(layout)
    if target is None:
        print("scripts/install: no other release to roll back to", file=sys.stderr)
        return 1
    manager.stop(UNITS)
    switch(layout, target)
    why = manager.start(UNITS, 120.0)
    record_update(layout, target, None)
    print(f"ok: rolled back from {now} to {target}" + (f" (but: {why})" if why else ""))
    return 0 if why is None else 1


if __name__ == "__main__":
    sys.exit(main())
