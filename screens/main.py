"""Entry point of the kiosk UI: ``python -m screens.main`` (``scripts/run`` calls it).

    python -m screens.main [--site NAME] [--config FILE]...     the kiosk in a window
    python -m screens.main --headless --screenshots DIR         walk every screen, save PNGs

The configuration is loaded *before* Kivy is imported, so a bad file stops the
program at once with one line naming the file, the key and the problem (exit 2).
Kivy reads its settings at import time, so the window size and the offscreen
video driver are set in the environment first.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

from kiosk.clock import SteppedClock
from kiosk.config.model import load_config
from kiosk.errors import ConfigError, KioskError, SimulationError
from kiosk.logging_setup import setup_logging, stderr_is_journal
from kiosk.service.notify import Notifier
from kiosk.wiring.build import Kiosk, build_kiosk
from kiosk.wiring.simulation import start_simulation, wants_simulation

log = logging.getLogger(__name__)

#: The site profiles the headless walk shows by default: one per orientation.
WALK_SITES = ("township", "bank-branch")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/run", description="Run the self-service kiosk.")
    p.add_argument("--site", help="site profile in config/sites (default: from kiosk.yaml; "
                   f"the headless walk shows {' and '.join(WALK_SITES)})")
    p.add_argument("--config", action="append", type=Path, default=[], metavar="FILE",
                   help="overlay on config/kiosk.yaml; may be repeated, later ones win")
    p.add_argument("--orientation", choices=("landscape", "portrait"),
                   help="force the screen orientation instead of the site profile's")
    p.add_argument("--headless", action="store_true",
                   help="no visible window (offscreen rendering)")
    p.add_argument("--screenshots", type=Path, metavar="DIR",
                   help="walk every screen, save one PNG per screen and variant, then exit")
    p.add_argument("--audit-report-only", action="store_true",
                   help="with --screenshots: write audit.json but do not fail on its findings")
    p.add_argument("--bounded-walk", action="store_true",
                   help="with --screenshots: the test suite's walk (the second site in one "
                   "language and without its journey; both orientations, languages and "
                   "modes are still audited)")
    p.add_argument("--fullscreen", action="store_true", help="fill the screen (kiosk mode)")
    p.add_argument("--no-sim", action="store_true",
                   help="do not start the simulated devices and back office (simenv.environment); "
                   "they start by default when backoffice.url is not configured")
    # scripts/bench startup: print "READY <monotonic>" once Home is drawn and takes a touch.
    p.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def resolution(kiosk: Kiosk, orientation: str | None) -> tuple[int, int]:
    if orientation is None:
        return kiosk.site.resolution
    return (1920, 1080) if orientation == "landscape" else (1080, 1920)


def build_all(args: argparse.Namespace, **services: Any) -> list[Kiosk]:
    """The kiosk(s) to show: one normally; one per walk site for --screenshots."""
    sites = [args.site] if args.site or not args.screenshots else list(WALK_SITES)
    if args.screenshots:
        # The walk jumps the idle timers itself (to show the countdown), never by waiting;
        # dates stay the system's, so the journey and the submission agree on the day.
        services.setdefault("clock", SteppedClock())
    return [build_kiosk(config_path=None, overlays=tuple(args.config), site_name=site,
                        **services) for site in sites]


def service_notifier(args: argparse.Namespace) -> Notifier | None:
    """The service manager's socket when systemd started the kiosk (``$NOTIFY_SOCKET``,
    deploy/systemd/kiosk-app.service); the walk never reports."""
    if args.screenshots is not None:
        return None
    notifier = Notifier.from_environ(os.environ)
    return notifier if notifier.enabled else None


def prepare_kivy(size: tuple[int, int], *, headless: bool, fullscreen: bool = False) -> None:
    """Kivy settings that must exist before ``kivy`` is imported."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    # PYTHON mode: Kivy neither captures sys.stderr nor adds handlers of its own, so
    # our one-line errors reach the console as written.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    from kivy.config import Config
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "resizable", "1")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")
    # No multisampling: on a software renderer (and on the low-end GPUs of many
    # terminals) 4x MSAA doubles the cost of every pixel of every frame, for edges that
    # are straight on almost everything a kiosk draws; round shapes draw their own
    # antialiased edges (Smooth* instructions), text comes antialiased in its texture.
    Config.set("graphics", "multisamples", "0")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sim: Any = None
    kiosks: list[Kiosk] = []
    logs: Any = None
    try:
        # Fonts live in the terminal's own data directory (the simulation moves data_dir).
        fonts = load_config(None, tuple(args.config)).terminal.data_path()
        # Redacted, rotated logs in <data_dir>/log, and the ring buffer the technician
        # mode's log screen reads.
        # Under systemd (deploy/systemd) the same redacted lines also go to journald.
        logs = setup_logging(fonts / "log", journal=stderr_is_journal())
        keep_escpos_cache(fonts / "cache")
        # The interactive kiosk shows Home first and starts the simulators and opens the
        # devices right after (Background below); the walk needs everything up first.
        interactive = args.screenshots is None
        if wants_simulation(None, tuple(args.config), site=args.site, no_sim=args.no_sim):
            sim = start_simulation(tuple(args.config), site=args.site,
                                   prepare_only=interactive)
            args.config.append(sim.overlay)
        factory = RealTimeDevices(open_now=not interactive)
        kiosks = build_all(args, device_factory=factory, notifier=service_notifier(args))
        if sim is not None:
            for kiosk in kiosks:
                kiosk.services.simenv = sim
        background = Background(sim, factory.devices, kiosks)
        if not interactive:
            background.attach_journeys()
        try:
            return _run(args, kiosks, fonts, background)
        finally:
            background.join()
    except ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
    except SimulationError as exc:
        print(f"kiosk: the simulated terminal did not start: {exc}", file=sys.stderr)
        return 1
    finally:
        for kiosk in kiosks:
            kiosk.close()
        if sim is not None:
            sim.stop()
        if logs is not None:
            logs.close()


def keep_escpos_cache(cache: Path) -> None:
    """python-escpos parses its printer database (a large YAML file, about half a second)
    when imported unless it finds its own pickled copy, which it looks for in a new
    temporary directory on every run: give it a lasting one (its own data, written by
    the library itself)."""
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache))


class Background:
    """What the interactive kiosk starts once Home is on screen: the simulators (when
    ``scripts/run`` simulates the terminal), the devices, which report their states
    as they come (an item needing one that is not ready yet shows 暂停服务 for that
    moment), and the journey's services (outbox, sender, receipts, face). The walk
    attaches the journeys before it starts (everything is up by then)."""

    def __init__(self, sim: Any, devices: Any, kiosks: list[Kiosk]) -> None:
        self._sim = sim
        self._devices = devices
        self._kiosks = kiosks
        self._thread: threading.Thread | None = None

    def attach_journeys(self) -> None:
        """The journey on every site shown: one outbox and sender (the first kiosk's), a
        starter per site, one set of devices."""
        from kiosk.wiring.journey import attach_journey  # OpenCV and the rest: after Home
        first = attach_journey(self._kiosks[0])
        for other in self._kiosks[1:]:
            attach_journey(other, share=first)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kiosk-start", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        if self._sim is not None:
            try:
                self._sim.start()
            except SimulationError as exc:
                log.error("the simulated terminal did not start: %s", exc)
        if self._devices is not None:
            self._devices.open_all(settle_s=0)
        try:
            self.attach_journeys()
        except KioskError as exc:  # the kiosk stays up: its screens say the journey is off
            log.error("the citizen journey is not available: %s", exc)

    def join(self, timeout_s: float = 90.0) -> None:
        """Before the simulators are stopped: never leave one half started."""
        if self._thread is not None:
            self._thread.join(timeout_s)


class RealTimeDevices:
    """The device factory of ``scripts/run``: devices always run on real time (their
    pollers and the simulators pace themselves with it), also when the walk moves the
    UI's FakeClock; one set of drivers per process: the walk builds a kiosk per site,
    the first site opens the devices and the others share them (minus the kinds their
    profile marks absent), so every site's screens show the devices running.

    ``open_now=False``: built only; :attr:`devices` (the DeviceSet) is opened later
    (:class:`Background`, once Home is on screen)."""

    def __init__(self, *, open_now: bool = True) -> None:
        self.open_now = open_now
        self.devices: Any = None

    def __call__(self, config: Any, site: Any, _clock: Any) -> Any:
        from kiosk.clock import SystemClock
        from kiosk.wiring.devices import DEFERRABLE, build_devices
        if self.devices is not None:
            return self.devices.present_at(site)
        # Opened later: the cameras and the scanner are built then too (OpenCV and NumPy
        # off the path to an interactive Home).
        self.devices = build_devices(config, site, clock=SystemClock(),
                                     defer=() if self.open_now else DEFERRABLE)
        if self.open_now:
            self.devices.open_all()
        return self.devices


def _run(args: argparse.Namespace, kiosks: list[Kiosk], fonts: Path,
         background: Background) -> int:
    first = kiosks[0]
    prepare_kivy(resolution(first, args.orientation),
                 headless=args.headless or args.screenshots is not None,
                 fullscreen=args.fullscreen)
    from screens.fonts import register_fonts
    try:
        register_fonts(fonts)
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    if args.screenshots is not None:
        from screens.walk import walk
        return walk(kiosks, args.screenshots, args.orientation,
                    fail_on_findings=not args.audit_report_only, bounded=args.bounded_walk)
    from screens.kioskapp import KioskApp
    on_ready = None
    if args.exit_when_ready:
        def on_ready(drawn: float, cpu: float) -> None:
            print(f"READY {drawn:.6f} {cpu:.6f}", flush=True)
    app = KioskApp(first, resolution(first, args.orientation), on_ready=on_ready,
                   after_home=background.start)
    app.run()
    return app.exit_code


if __name__ == "__main__":
    sys.exit(main())
