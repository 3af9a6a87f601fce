"""The headless screenshot walk: every screen, both orientations, both languages,
standard and elderly mode; one PNG per screen and variant.

File names: ``<site>-<orientation>-<lang>-<standard|elderly>-<NN>-<screen>.png``.
Any failure is reported with the screen it happened on and makes the exit code 1.
Every screen is also checked by the layout audit (screens/audit), which writes
``<DIR>/audit.json``; any finding makes the exit code 1 unless ``fail_on_findings``
is off (``--audit-report-only``).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from kiosk.catalog import ServiceItem
from kiosk.session import EndReason
from kiosk.wiring.build import Kiosk
from screens.audit import Audit
from screens.harness import Harness
from screens.shell import Shell

Step = tuple[str, Callable[[Shell], None]]


def _first(items: list[ServiceItem], channel: str | None = None,
           exclude: str | None = None) -> ServiceItem | None:
    for item in items:
        if (channel is None or item.channel == channel) and item.channel != exclude:
            return item
    return None


def steps(kiosk: Kiosk) -> list[Step]:
    """The screens to visit, as (name, action on the shell)."""
    catalog = kiosk.catalog
    dept = catalog.departments[0].id
    event = next((e.id for e in catalog.life_events if catalog.by_life_event(e.id)), None)
    kiosk_item = _first(catalog.items, exclude="window_only")
    window_item = _first(catalog.items, channel="window_only")
    result: list[Step] = [
        ("home", lambda s: s.home()),
        ("browse-department", lambda s: s.go("browse", mode="department")),
        ("items-department", lambda s: s.go("items", mode="department", group=dept)),
    ]
    if event is not None:
        result += [("browse-life-event", lambda s: s.go("browse", mode="life_event")),
                   ("items-life-event", lambda s: s.go("items", mode="life_event", group=event))]
    result.append(("search-gjj", _search_gjj))
    if kiosk_item is not None:
        code = kiosk_item.code
        result += [("guide", lambda s: s.go("guide", code=code)),
                   ("journey-place-card", lambda s: s.go("journey", code=code))]
    if window_item is not None:
        wcode = window_item.code
        result.append(("guide-window-only", lambda s: s.go("guide", code=wcode)))
    result += [
        # through the Home tiles: Home decides which screen serves them
        ("progress", lambda s: _home_tile(s, "progress")),
        ("print", lambda s: _home_tile(s, "print")),
        ("queue", lambda s: _home_tile(s, "queue")),
        ("tech-pin", lambda s: s.go("tech_pin")),
        *[(f"tech-{tool}", _technician(tool)) for tool in TECH_TOOLS],
        ("idle-warning", _idle_warning),
        # 暂停服务 from the back office (kiosk/fleet/maintenance.py), then back in service
        *MAINTENANCE_STEPS,
    ]
    return result


#: A technician's reason, as typed (the walk and the tests show this one).
MAINTENANCE_REASON = "设备维护中，预计 15:00 恢复"


def _maintenance(on: bool) -> Callable[[Shell], None]:
    def step(shell: Shell) -> None:
        shell.session.end(EndReason.CANCEL)
        maintenance = shell.kiosk.maintenance
        if on:
            maintenance.enter(MAINTENANCE_REASON, shell.kiosk.clock.now())
        else:
            maintenance.leave()
        shell.home()
    return step


MAINTENANCE_STEPS: list[Step] = [("home-maintenance", _maintenance(True)),
                                 ("home-back-in-service", _maintenance(False))]


#: The technician screens the walk shows (after the PIN, which the walk skips).
TECH_TOOLS = ("menu", "devices", "selftest", "outbox", "backoffice", "logs", "export")


def _technician(tool: str) -> Callable[[Shell], None]:
    def show(shell: Shell) -> None:
        shell.session.touch()  # a technician session, like the one the PIN pad opens
        shell.hidden_entry.authenticated = True
        shell.go(f"tech_{tool}")
    return show


def _home_tile(shell: Shell, tile_id: str) -> None:
    shell.home()
    shell.screen("home").press(tile_id)


def _search_gjj(shell: Shell) -> None:
    shell.go("search")
    screen = shell.current
    for letter in "gjj":
        screen.key(letter)


def _idle_warning(shell: Shell) -> None:
    shell.go("browse", mode="department")
    session = shell.session
    session.touch()
    clock = shell.kiosk.clock
    advance = getattr(clock, "advance", None)
    if advance is not None:  # the walk's kiosks run on a SteppedClock
        advance(session.timeout_s - session.warning_s + 1)
    shell.tick()


def audit_screen(audit: Audit, shell: Shell, screen: str, variant: str) -> None:
    """Check what ``shell`` shows now; ``variant`` ends in ``-standard`` or ``-elderly``."""
    pair, _, mode = variant.rpartition("-")
    audit.check(shell, screen=screen, variant=variant, elderly=mode == "elderly",
                scale=shell.ui.theme.scale, pair=pair)


def walk_states(kiosks: list[Kiosk], out: Path, states: list[Step],
                orientations: tuple[str, ...] = ("landscape", "portrait")) -> Audit:
    """Only ``states`` (e.g. :data:`MAINTENANCE_STEPS`), in every variant: each site in
    each orientation, language and mode; PNGs named as the walk names them, and the
    audit of just those screens (``<out>/audit.json``)."""
    harness = Harness()
    audit = Audit()
    for kiosk in kiosks:
        for orient in orientations:
            size = (1920, 1080) if orient == "landscape" else (1080, 1920)
            for lang in kiosk.languages:
                for elderly in (False, True):
                    kiosk.session.end(EndReason.CANCEL)
                    shell = harness.show(kiosk, size)
                    shell.ui.lang, shell.ui.elderly = lang, elderly
                    mode = "elderly" if elderly else "standard"
                    variant = f"{kiosk.site.id}-{orient}-{lang}-{mode}"
                    for n, (name, action) in enumerate(states, 1):
                        action(shell)
                        harness.render()
                        harness.screenshot(out / f"{variant}-{n:02d}-{name}.png")
                        audit_screen(audit, shell, name, variant)
        harness.close_shell()
    audit.write(out / "audit.json")
    return audit


def walk(kiosks: list[Kiosk], out: Path, orientation: str | None = None, *,
         fail_on_findings: bool = True) -> int:
    harness = Harness()
    audit = Audit()
    failures: list[str] = []
    saved = 0
    for kiosk in kiosks:
        size = kiosk.site.resolution if orientation is None else (
            (1920, 1080) if orientation == "landscape" else (1080, 1920))
        orient = "landscape" if size[0] > size[1] else "portrait"
        for lang in kiosk.languages:
            for elderly in (False, True):
                # A session left by the previous variant would reset the language when
                # Home ends it: start each variant with none.
                kiosk.session.end(EndReason.CANCEL)
                shell = harness.show(kiosk, size)
                shell.ui.lang = lang
                shell.ui.elderly = elderly
                mode = "elderly" if elderly else "standard"
                for n, (name, action) in enumerate(steps(kiosk), 1):
                    label = f"{kiosk.site.id}-{orient}-{lang}-{mode}-{n:02d}-{name}"
                    try:
                        action(shell)
                        harness.render()
                        harness.screenshot(out / f"{label}.png")
                        saved += 1
                        audit_screen(audit, shell, name,
                                     f"{kiosk.site.id}-{orient}-{lang}-{mode}")
                    except Exception as exc:  # noqa: BLE001 - reported, exit code 1
                        failures.append(f"{label}: {type(exc).__name__}: {exc}")
                        traceback.print_exc()
        for lang in kiosk.languages:
            # keys a screen asked for that no .po file translates (the Translator records them)
            untranslated = getattr(kiosk.translator(lang), "missing", {}).get(lang)
            if untranslated:
                failures.append(f"{kiosk.site.id}-{lang}: untranslated keys "
                                f"{sorted(untranslated)}")
        harness.close_shell()
        audit.write(out / "audit.json")  # so far: a long walk can be read while it runs
    # The citizen journey through the simulated devices (when scripts/run started them).
    from screens.journey.walkthrough import walk_journey
    for n, kiosk in enumerate(kiosks):
        count, problems = walk_journey(harness, kiosk, out, audit=audit, first=n == 0)
        saved += count
        failures += problems
    harness.close_shell()
    print(f"saved {saved} screenshots to {out}", file=sys.stderr)
    audit.write(out / "audit.json")
    print(f"{audit.summary()}: {out / 'audit.json'}", file=sys.stderr)
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures or (fail_on_findings and audit.findings) else 0
