"""Whether ``scripts/run`` simulates the terminal, and starting the simulation.

Apart from the journey's wiring (kiosk/wiring/journey.py) so that deciding costs the
path to the first Home screen nothing but the configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.config.model import ROOT, load_config, load_site
from simenv.environment import SimEnvironment


def wants_simulation(config_path: Any, overlays: tuple[Any, ...], *, site: str | None,
                     no_sim: bool) -> bool:
    """``scripts/run`` runs on the simulated terminal unless a back office is configured
    (a real terminal) or ``--no-sim`` is given. Loads config and site first, so that a
    bad file stops the program (ConfigError) before anything starts."""
    config = load_config(config_path, overlays)
    load_site(config, site)
    return not no_sim and not config.backoffice.url


def start_simulation(overlays: tuple[Any, ...], *, site: str | None,
                     directory: Any = None, prepare_only: bool = False) -> SimEnvironment:
    """Start :class:`simenv.environment.SimEnvironment` (child processes; stopped by the
    caller) in ``var/sim`` by default; its ``overlay`` points the kiosk at the simulators.
    ``prepare_only``: write the overlay but start nothing yet (``start()`` later)."""
    where = Path(directory) if directory is not None else ROOT / "var" / "sim"
    sim = SimEnvironment(where, overlays=overlays, site=site)
    return sim.prepare() if prepare_only else sim.start()
