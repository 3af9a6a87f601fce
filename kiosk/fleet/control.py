"""The heartbeat's partner: what the kiosk runs on, what the back office announces, and
the commands it sends.

:class:`FleetControl` is given each heartbeat reply (:meth:`on_reply`, on the heartbeat
thread) and hands the work to its own thread (``dispatch``): when the reply announces
a catalog or settings version the kiosk has not got, a conditional fetch, the checks
of :mod:`kiosk.fleet.sync`, the fit of the two (every item the site offers exists),
the last good copy written to disk, and the new pair *staged*. A staged pair replaces
the running one on the UI thread (``deliver``) only while no citizen session is under
way: at once when the kiosk is idle, else when the session ends, so a citizen finishes
with the catalog their session started with. A document that fails a check is refused
(logged, kept in :attr:`problems`, reported by the next heartbeat) and never
replaces the running one; the same announced version is not fetched again.

Commands go to the :class:`~kiosk.fleet.commands.CommandRunner`; its handlers for
maintenance, resync and restart are here, the test page and the diagnostic bundle are
given by the composition root.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from kiosk.catalog import Catalog
from kiosk.clock import Clock
from kiosk.config.model import CentralSettings
from kiosk.errors import BackofficeError, ConfigError, PermanentError
from kiosk.fleet import sync
from kiosk.fleet.commands import Command, CommandRunner, Handler, Journal, Outcome, ResultPoster
from kiosk.fleet.files import FleetPaths, write_json
from kiosk.fleet.maintenance import Maintenance
from kiosk.fleet.sync import CatalogCopy, SettingsCopy

log = logging.getLogger(__name__)

Work = Callable[[], None]
#: The app's exit code for ``restart_app`` (sysexits EX_TEMPFAIL): the service manager
#: starts it again (systemd: ``Restart=on-failure``); ``scripts/run`` does the same.
RESTART_EXIT_CODE = 75
#: How long a command handler waits for the UI thread to run its part.
UI_WAIT_S = 10.0
MAX_PROBLEMS = 10


def inline(work: Work) -> None:
    work()


class Announced(Protocol):
    @property
    def version(self) -> str | int: ...
    @property
    def digest(self) -> str: ...


class Reply(Protocol):
    @property
    def catalog(self) -> Announced | None: ...
    @property
    def settings(self) -> Announced | None: ...
    @property
    def commands(self) -> Sequence[Command]: ...


class FleetBackoffice(sync.FleetClient, ResultPoster, Protocol):
    pass


class SessionLike(Protocol):
    @property
    def active(self) -> bool: ...
    def add_listener(self, listener: Callable[[Any, Any], None]) -> None: ...


class FleetControl:
    def __init__(self, *, client: FleetBackoffice, paths: FleetPaths, clock: Clock,
                 catalog: CatalogCopy, settings: SettingsCopy | None,
                 switch: Callable[[Catalog, CentralSettings | None], None],
                 fits: Callable[[Catalog, CentralSettings | None], object],
                 session: SessionLike, maintenance: Maintenance,
                 terminal_id: str, keys: Callable[[], tuple[bytes, str]],
                 handlers: Mapping[str, Handler] | None = None,
                 central: Callable[[bool], CentralSettings] | None = None,
                 restart: Callable[[], None] | None = None,
                 can_restart: Callable[[], bool] = lambda: True,
                 dispatch: Callable[[Work], None] = inline,
                 deliver: Callable[[Work], None] = inline,
                 problems: Sequence[str] = ()) -> None:
        self._client = client
        self.paths = paths
        self._clock = clock
        self.catalog = catalog
        self.settings = settings
        self._switch = switch
        self._fits = fits
        self._session = session
        self.maintenance = maintenance
        self.dispatch = dispatch
        self.deliver = deliver
        self._restart = restart
        #: central(True): the site's central settings in use; central(False): the
        #: local profile's (what runs without settings from the back office).
        self._central = central
        self._can_restart = can_restart
        self._restart_due = False
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()
        self.staged: tuple[CatalogCopy, SettingsCopy | None] | None = None
        #: Digests of documents refused (not fetched again when announced again).
        self.refused: set[str] = set()
        self.problems: deque[str] = deque(maxlen=MAX_PROBLEMS)
        for problem in problems:
            self.problem(problem)
        table: dict[str, Handler] = {
            "enter_maintenance": self._enter_maintenance,
            "leave_maintenance": self._leave_maintenance,
            "resync_catalog": self._resync,
            "restart_app": self._restart_app,
        }
        table.update(handlers or {})
        self.runner = CommandRunner(terminal_id=terminal_id, keys=keys, handlers=table,
                                    poster=client, journal=Journal(paths.commands),
                                    busy=self.busy, clock=clock, on_problem=self.problem)
        session.add_listener(self._on_session)
        self._write_state()

    # ---- state ---------------------------------------------------------------------------
    def busy(self) -> bool:
        """A citizen session is under way. While the kiosk is in maintenance nobody can be
        served (Home offers nothing, no journey starts): a touch on the 暂停服务 screen
        holds nothing back."""
        return self._session.active and not self.maintenance.on

    def problem(self, text: str) -> None:
        stamp = self._clock.now().strftime("%Y-%m-%d %H:%M")
        self.problems.append(f"{stamp} {text}"[:2000])
        log.error("fleet: %s", text)

    def report(self) -> dict[str, Any]:
        """What the heartbeat tells the back office (its ``fleet`` object)."""
        state = self.maintenance.state
        return {"catalog_version": self.catalog.version[:200],
                "catalog_digest": self.catalog.digest, "catalog_source": self.catalog.source,
                "settings_version": self.settings.version if self.settings else None,
                "maintenance": state.on, "maintenance_reason": state.reason,
                "problems": list(self.problems)[-MAX_PROBLEMS:]}

    def diagnostics(self) -> dict[str, Any]:
        staged = self.staged
        return {**self.report(),
                "settings_source": self.settings.source if self.settings else sync.LOCAL,
                "staged": None if staged is None else {
                    "catalog_version": staged[0].version,
                    "settings_version": staged[1].version if staged[1] else None},
                "commands": {"deferred": self.runner.deferred, "executed": self.runner.executed,
                             "refused": self.runner.refused,
                             "acknowledged_again": self.runner.acknowledged_again},
                "ok": not self.problems and self.catalog.source != sync.SAMPLE}

    def _write_state(self) -> None:
        try:
            write_json(self.paths.state, self.diagnostics())
        except OSError as exc:
            log.warning("fleet state not written: %s", exc)

    # ---- the heartbeat -----------------------------------------------------------------
    def on_reply(self, reply: Reply) -> None:
        """A heartbeat reply (heartbeat thread): fetch what is new, take the commands."""
        catalog, settings = reply.catalog, reply.settings
        with self._lock:
            have_catalog = (self.staged[0] if self.staged else self.catalog).digest
            have_settings = (self.staged[1] if self.staged else self.settings)
        new_catalog = catalog is not None and catalog.digest != have_catalog \
            and catalog.digest not in self.refused
        new_settings = settings is not None and settings.digest not in self.refused and (
            have_settings is None or settings.digest != have_settings.digest)
        if new_catalog or new_settings:
            announced = catalog.digest if new_catalog and catalog is not None else None
            def fetch() -> None:
                self.sync(announced=announced)
            self.dispatch(fetch)
        commands = list(reply.commands)
        if commands:
            self.dispatch(lambda: self._commands(commands))

    def _commands(self, commands: list[Command]) -> None:
        self.runner.offer(commands)
        self.runner.run_due()
        self._write_state()

    def start(self) -> None:
        """At start: fetch (conditionally) what the back office serves now."""
        self.dispatch(self._start_sync)

    def _start_sync(self) -> None:
        self.sync()

    # ---- catalog and settings ------------------------------------------------------------
    def sync(self, *, force: bool = False, announced: str | None = None) -> bool:
        """Fetch the catalog and the settings (conditionally unless ``force``); stage what
        is new and passes every check. True when something new was staged.

        Syncs run one at a time (``_sync_lock``, the fleet thread's); the state lock is
        never held across a request, so the UI thread never waits for the network."""
        with self._sync_lock:
            with self._lock:
                catalog = self.staged[0] if self.staged else self.catalog
                settings = self.staged[1] if self.staged else self.settings
            new_catalog = self._fetch_catalog(catalog, force, announced)
            new_settings = self._fetch_settings(settings, force)
            if new_catalog is None and new_settings is None:
                return False
            with self._lock:
                if new_catalog is None:  # what runs (or waits), maybe confirmed as served
                    catalog = self.staged[0] if self.staged else self.catalog
            candidate = (new_catalog or catalog, new_settings or settings)
            try:
                self._fits(candidate[0].catalog,
                           candidate[1].settings if candidate[1] else None)
            except ConfigError as exc:
                for new in (new_catalog, new_settings):
                    if new is not None:
                        self.refused.add(new.digest)
                self.problem(f"catalog {candidate[0].version} with settings "
                             f"v{candidate[1].version if candidate[1] else '-'} refused: {exc}")
                self._write_state()
                return False
            if new_catalog is not None:
                sync.write_catalog_copy(self.paths.catalog, new_catalog, self._clock)
            if new_settings is not None:
                sync.write_settings_copy(self.paths.settings, new_settings,
                                         self.paths.site_id, self._clock)
            with self._lock:
                self.staged = candidate
            log.info("fleet: catalog %s, settings v%s staged", candidate[0].version,
                     candidate[1].version if candidate[1] else "-")
        self.deliver(self._apply)
        return True

    def _fetch_catalog(self, have: CatalogCopy, force: bool,
                       announced: str | None) -> CatalogCopy | None:
        try:
            copy = sync.fetch_catalog(self._client, None if force else have.etag,
                                      announced=announced)
        except ConfigError as exc:
            if announced:
                self.refused.add(announced)
            self.problem(f"catalog refused: {exc}")
            return None
        except BackofficeError as exc:
            log.warning("fleet: catalog not fetched: %s", exc)
            return None
        if copy is None:
            if have.source == sync.SAMPLE:  # the back office serves exactly the sample
                confirmed = CatalogCopy(have.catalog, have.digest, have.etag, sync.SERVED)
                sync.write_catalog_copy(self.paths.catalog, confirmed, self._clock)
                with self._lock:
                    if self.catalog is have:
                        self.catalog = confirmed
                    if self.staged is not None and self.staged[0] is have:
                        self.staged = (confirmed, self.staged[1])
                self._write_state()
            return None
        if copy.digest == have.digest:
            return None
        return copy

    def _fetch_settings(self, have: SettingsCopy | None, force: bool) -> SettingsCopy | None:
        try:
            copy = sync.fetch_settings(self._client, self.paths.site_id,
                                       None if force or have is None else have.etag)
        except ConfigError as exc:
            self.problem(f"settings refused: {exc}")
            return None
        except PermanentError as exc:
            if getattr(exc, "status", None) == 404:
                return None  # the back office manages nothing of this site: local profile
            log.warning("fleet: settings not fetched: %s", exc)
            return None
        except BackofficeError as exc:
            log.warning("fleet: settings not fetched: %s", exc)
            return None
        if copy is None or copy.digest in self.refused or (
                have is not None and copy.digest == have.digest):
            return None
        return copy

    def _apply(self) -> None:
        self.apply_staged()

    def apply_staged(self) -> bool:
        """On the UI thread: the staged pair replaces the running one unless a citizen
        session is under way (then this runs again when it ends)."""
        with self._lock:
            staged = self.staged
            if staged is None or self.busy():
                return False
            catalog, settings = staged
            if self._central is not None and catalog.digest == self.catalog.digest and (
                    settings.settings if settings is not None else self._central(False)
            ) == self._central(True):
                # The same content under another name (the seeded settings are the local
                # profile's): nothing to switch, no screen to rebuild.
                self.catalog, self.settings, self.staged = catalog, settings, None
                self._write_state()
                return True
            try:
                self._switch(catalog.catalog, settings.settings if settings else None)
            except ConfigError as exc:  # checked when staged; the site changed since?
                self.staged = None
                self.refused.add(catalog.digest)
                self.problem(f"catalog {catalog.version} not switched to: {exc}")
                return False
            self.catalog, self.settings, self.staged = catalog, settings, None
        log.info("fleet: now on catalog %s (%s), settings v%s", catalog.version,
                 catalog.source, settings.version if settings else "-")
        self._write_state()
        return True

    def _on_session(self, _session: Any, event: Any) -> None:
        # On the UI thread, when a session starts or ends.
        if getattr(event, "value", "") != "ended":
            return
        self.apply_staged()
        if self._restart_due:
            self._do_restart()
        if self.runner.deferred:
            self.dispatch(lambda: self._commands([]))

    # ---- command handlers ------------------------------------------------------------
    def on_ui(self, fn: Callable[[], Outcome | None]) -> Outcome | None:
        """Run ``fn`` on the UI thread and wait for its answer (None: a session began)."""
        done = threading.Event()
        box: list[Outcome | None] = [None]

        def run() -> None:
            try:
                box[0] = None if self.busy() else fn()
            finally:
                done.set()
        self.deliver(run)
        if not done.wait(UI_WAIT_S):
            return Outcome(False, "the UI did not answer in time")
        return box[0]

    def _enter_maintenance(self, args: Mapping[str, Any]) -> Outcome | None:
        reason = str(args.get("reason", "")).strip()
        if not reason:
            return Outcome(False, "no reason given")

        def enter() -> Outcome:
            state = self.maintenance.enter(reason, self._clock.now())
            return Outcome(True, "maintenance on", {"reason": state.reason})
        return self._after_state(self.on_ui(enter))

    def _leave_maintenance(self, _args: Mapping[str, Any]) -> Outcome | None:
        def leave() -> Outcome:
            self.maintenance.leave()
            return Outcome(True, "maintenance off")
        return self._after_state(self.on_ui(leave))

    def _after_state(self, outcome: Outcome | None) -> Outcome | None:
        self._write_state()
        return outcome

    def _resync(self, _args: Mapping[str, Any]) -> Outcome:
        self.refused.clear()  # a technician asks again: what was refused is tried again
        changed = self.sync(force=True)
        staged = self.staged
        target = staged[0] if staged else self.catalog
        data = {"catalog_version": target.version, "catalog_digest": target.digest,
                "changed": changed, "switched": changed and staged is None}
        problems = [p for p in self.problems if "refused" in p]
        if not changed and problems and target is self.catalog:
            return Outcome(True, f"nothing new taken; last problem: {problems[-1]}", data)
        return Outcome(True, "catalog and settings fetched" + (
            "; switch waits for the session to end" if staged else ""), data)

    def _restart_app(self, _args: Mapping[str, Any]) -> Outcome | None:
        if self._restart is None or not self._can_restart():
            return Outcome(False, "this kiosk was started without a way to restart "
                           "(no service manager hook)")
        if self.busy():
            return None
        return Outcome(True, "restarting", after=self._schedule_restart)

    def _schedule_restart(self) -> None:
        self._restart_due = True
        self.deliver(self._do_restart)

    def _do_restart(self) -> None:
        if not self._restart_due or self.busy() or self._restart is None:
            return  # when a session began meanwhile: at its end (_on_session)
        self._restart_due = False
        log.warning("restarting at the back office's request")
        self._restart()
