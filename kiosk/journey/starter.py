"""One call to start a citizen journey with everything wired (for ``kiosk/wiring/build.py``).

``JourneyStarter.start(code)`` builds the plan from the catalog, the
:class:`~kiosk.journey.apply.Journey`, its :class:`~kiosk.journey.runner.JourneyRunner`
(outbox, sender, receipt printer) and its :class:`~kiosk.journey.session.JourneyBinding`
to the citizen session, and returns the journey: the screens then only fire
triggers and render ``journey.state`` / ``journey.view(lang)``.

``dispatch`` runs submission and printing off the UI thread, ``deliver`` brings
the outcome back onto it (``screens/bridge.py``); tests pass inline calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kiosk.catalog import Catalog
from kiosk.clock import Clock
from kiosk.errors import WorkflowError
from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for
from kiosk.journey.runner import (
    CaseQueue,
    CodeResolver,
    DeliveryWaiter,
    JourneyRunner,
    ReceiptContext,
    ReceiptPrinter,
    Work,
    inline,
)
from kiosk.journey.session import JourneyBinding, SessionLike


@dataclass
class JourneyStarter:
    catalog: Catalog
    settings: JourneySettings
    clock: Clock
    queue: CaseQueue
    waiter: DeliveryWaiter | None
    printer: ReceiptPrinter
    context: ReceiptContext
    session: SessionLike
    submit_wait_s: float = 8.0
    dispatch: Callable[[Work], None] = inline
    deliver: Callable[[Work], None] = inline
    #: 亮码: resolves identity codes through the back office (None: not offered).
    codes: CodeResolver | None = None
    #: 亮码: whether the code scanner can read now; a journey starting while it is
    #: unplugged offers the card alone (None: always, as far as the settings say).
    code_ready: Callable[[], bool] | None = None
    #: True while the terminal is in maintenance (暂停服务, kiosk/fleet/maintenance.py):
    #: no journey starts, whatever a screen asks.
    suspended: Callable[[], bool] = lambda: False
    #: The journey under way (at most one: one citizen at a time).
    current: Journey | None = field(default=None, init=False)
    _binding: JourneyBinding | None = field(default=None, init=False, repr=False)
    _runner: JourneyRunner | None = field(default=None, init=False, repr=False)

    def start(self, code: str, *, lang: str | None = None) -> Journey:
        """A fresh journey for an item or bundle code; any earlier one is wiped first.
        WorkflowError while the terminal is in maintenance."""
        self.stop()
        if self.suspended():
            raise WorkflowError("the terminal is in maintenance: no journey starts",
                                i18n_key="availability.reason.maintenance")
        settings = self.settings
        if settings.code_identity and self.code_ready is not None and not self.code_ready():
            settings = replace(settings, code_identity=False)
        journey = Journey(plan_for(code, self.catalog), settings, clock=self.clock)
        context = self.context if lang is None else replace(self.context, lang=lang)
        self._runner = JourneyRunner(journey, queue=self.queue, waiter=self.waiter,
                                     printer=self.printer, context=context, clock=self.clock,
                                     submit_wait_s=self.submit_wait_s,
                                     dispatch=self.dispatch, deliver=self.deliver,
                                     codes=self.codes)
        self._binding = JourneyBinding(journey, self.session)
        self.current = journey
        return journey

    def stop(self) -> None:
        """Drop the current journey (wiped), e.g. when the citizen picks another item."""
        if self._runner is not None:
            self._runner.close()
        if self._binding is not None:
            self._binding.detach()
        self._runner = self._binding = None
        self.current = None
