"""The small journeys besides applying: progress query, queue ticket, certificate.

Each is a table (print it with ``QueryJourney.TABLE.describe()``) plus the data
of one run, a ``view()`` for screens and ``wipe()``. Work that needs the back
office or the printer is done by :class:`TaskRunner` on entering a working
state (``looking_up``, ``issuing``, ``printing``), exactly like the item
journey's runner, and comes back as a trigger.

* Query (查进度): swipe the card (the applicant's cases, API.md
  ``POST /applicants/cases``) or show the receipt's QR (one case by kiosk
  reference or case number) → list → timeline.
* Queue ticket (取号): choose a service → a number → printed (or shown on
  screen when the printer fails).
* Certificate (证照打印): swipe the card → cases whose result is ready to
  collect at the kiosk → choose → printed (or: collect at the window).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from kiosk.errors import KioskError, WorkflowError
from kiosk.identity import Identity
from kiosk.journey.machine import ANY, SAME, Change, Driven, Event, Table, Workflow, effects_of, row
from kiosk.privacy import mask_id
from kiosk.submission.reference import parse_reference

log = logging.getLogger(__name__)

ENDS = frozenset({"done", "cancelled", "timed_out"})
#: backoffice/API.md case numbers: XS + YYYYMMDD + 6 digits.
CASE_NUMBER_RE = re.compile(r"^XS\d{14}$")
QUERY_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _leave(states: tuple[str, ...]) -> list[Any]:
    return [row("home", states, "cancelled"), row("cancel", states, "cancelled"),
            row("timeout", states, "timed_out"), row("card_removed", ANY, SAME),
            row("card_read", ANY, SAME), row("qr_scanned", ANY, SAME)]


def case_ref_from_qr(payload: str) -> tuple[str, str] | None:
    """The kiosk reference (or case number) and query token in a receipt's QR
    (``.../q/<ref>?t=<token>``). A bare reference or case number is not enough:
    anyone can type one, so without the token the citizen's card is asked for."""
    path, _, query = payload.strip().partition("?")
    text = path.rsplit("/", 1)[-1]
    token = parse_qs(query).get("t", [""])[0]
    if not QUERY_TOKEN_RE.match(token):
        return None
    if CASE_NUMBER_RE.match(text):
        return text, token
    try:
        parse_reference(text)
    except (KioskError, ValueError):
        return None
    return text, token


@dataclass
class ServiceData:
    identity: Identity | None = None
    ref: str | None = None
    #: The query token from the receipt's QR, with ``ref`` (kiosk.submission.signing.query_token).
    token: str | None = None
    cases: list[Any] = field(default_factory=list)
    selected: int | None = None
    choice: str | None = None
    ticket: Mapping[str, Any] | None = None
    error_key: str | None = None
    notice: str | None = None

    def wipe(self) -> None:
        fresh = ServiceData()
        for name in vars(fresh):
            setattr(self, name, getattr(fresh, name))


class ServiceJourney(Driven):
    """Shared machinery of the three small journeys."""

    TABLE: Table
    GUARDS: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.data = ServiceData()
        guards = {n: getattr(self, f"_g_{n}") for n in self.TABLE.guard_names()}
        self._wf = Workflow(self.TABLE, guards=guards, effects=effects_of(self))

    def wipe(self) -> None:
        self.data.wipe()

    # common effects
    def _fx_take_card(self, e: Event) -> None:
        identity = e.get("identity")
        if not isinstance(identity, Identity):
            raise WorkflowError("card_read needs identity=Identity")
        self.data.identity = identity

    def _fx_take_cases(self, e: Event) -> None:
        self.data.cases = list(e.get("cases", ()))
        self.data.selected = 0 if len(self.data.cases) == 1 else None

    def _fx_take_error(self, e: Event) -> None:
        error = e.get("error")
        self.data.error_key = error.i18n_key if isinstance(error, KioskError) else "error.generic"

    def _fx_select(self, e: Event) -> None:
        self.data.selected = int(e.get("index"))

    def _fx_forget(self, e: Event) -> None:
        self.data.wipe()

    def _g_index_ok(self, e: Event) -> bool:
        index = e.get("index")
        return isinstance(index, int) and 0 <= index < len(self.data.cases)

    def view(self) -> dict[str, Any]:
        """What the screen shows; each journey adds its own keys to ``_base_view()``."""
        raise NotImplementedError

    def _base_view(self) -> dict[str, Any]:
        return {"state": self.state, "ended": self.ended, "error_key": self.data.error_key,
                "notice": self.data.notice,
                "triggers": [t for t in ("next", "back", "retry", "reprint", "home")
                             if self.can(t)]}


def _case_view(case: Any) -> dict[str, Any]:
    """A CaseStatus (backoffice_client) as screen data; it holds no personal data."""
    return {"case_number": case.case_number, "kiosk_ref": case.kiosk_ref,
            "item_code": case.item_code, "status": case.status,
            "status_key": f"workflow.status.{case.status}",
            "owed": [{"code": m.code, "name": m.name, "deadline": m.deadline}
                     for m in case.owed_materials],
            "collect": dict(case.collect) if case.collect else None,
            "timeline": [{"status": t.status, "status_key": f"workflow.status.{t.status}",
                          "at": t.at, "note": t.note} for t in case.timeline]}


class QueryJourney(ServiceJourney):
    TABLE = Table(
        name="query", initial="start", final=ENDS,
        states=("start", "looking_up", "results", "timeline", "error", *sorted(ENDS)),
        transitions=(
            row("card_read", "start", "looking_up", effect="take_card"),
            row("qr_scanned", "start", "looking_up", guard="qr_ok", effect="take_ref"),
            row("qr_scanned", "start", SAME, effect="bad_qr"),
            row("found", "looking_up", "timeline", guard="single", effect="take_cases"),
            row("found", "looking_up", "results", effect="take_cases"),
            row("lookup_failed", "looking_up", "error", effect="take_error"),
            row("select", "results", "timeline", guard="index_ok", effect="select"),
            row("back", "timeline", "results", guard="several"),
            row("back", ("timeline", "results", "error"), "start", effect="forget"),
            row("back", "start", "cancelled"),
            row("retry", "error", "looking_up"),
            *_leave(("start", "looking_up", "results", "timeline", "error")),
        ))

    def _g_qr_ok(self, e: Event) -> bool:
        return case_ref_from_qr(str(e.get("payload", ""))) is not None

    def _g_single(self, e: Event) -> bool:
        return len(e.get("cases", ())) == 1

    def _g_several(self, e: Event) -> bool:
        return len(self.data.cases) > 1

    def _fx_take_ref(self, e: Event) -> None:
        found = case_ref_from_qr(str(e.get("payload", "")))
        self.data.ref, self.data.token = found if found is not None else (None, None)
        self.data.notice = None

    def _fx_bad_qr(self, e: Event) -> None:
        self.data.notice = "workflow.query.bad_qr"

    def view(self) -> dict[str, Any]:
        view = self._base_view()
        view["message"] = {"start": "workflow.query.swipe_or_scan",
                           "looking_up": "workflow.query.looking_up",
                           "results": "workflow.query.choose_case",
                           "timeline": "workflow.query.timeline",
                           "error": "workflow.query.failed"}.get(self.state)
        view["cases"] = [_case_view(c) for c in self.data.cases]
        if self.data.identity is not None:
            view["id_number"] = mask_id(self.data.identity.id_number)
        if self.data.selected is not None and self.data.cases:
            view["case"] = view["cases"][self.data.selected]
        return view


class TicketJourney(ServiceJourney):
    TABLE = Table(
        name="queue_ticket", initial="choose", final=ENDS,
        states=("choose", "issuing", "printing", "on_screen", "error", *sorted(ENDS)),
        transitions=(
            row("chose", "choose", "issuing", effect="take_choice"),
            row("issued", "issuing", "printing", effect="take_ticket"),
            row("issue_failed", "issuing", "error", effect="take_error"),
            row("printed", "printing", "done"),
            row("print_failed", "printing", "on_screen", effect="take_error"),
            row("reprint", "on_screen", "printing"),
            row(("next"), "on_screen", "done"),
            row("home", "on_screen", "done"),
            row("timeout", "on_screen", "done"),
            row("timeout", ("issuing", "printing"), SAME),
            row("retry", "error", "issuing"),
            row("back", "error", "choose"),
            row("back", "choose", "cancelled"),
            *_leave(("choose", "error")),
        ))

    def _fx_take_choice(self, e: Event) -> None:
        self.data.choice = str(e.get("service"))

    def _fx_take_ticket(self, e: Event) -> None:
        ticket = e.get("ticket")
        if not isinstance(ticket, Mapping) or "number" not in ticket:
            raise WorkflowError("issued needs ticket={'number': ..., 'waiting': n}")
        self.data.ticket = dict(ticket)

    def view(self) -> dict[str, Any]:
        view = self._base_view()
        view.update(choice=self.data.choice, ticket=self.data.ticket, message={
            "choose": "workflow.ticket.choose", "issuing": "workflow.ticket.issuing",
            "printing": "workflow.ticket.printing", "on_screen": "workflow.ticket.on_screen",
            "done": "workflow.ticket.done", "error": "workflow.ticket.failed"}.get(self.state))
        return view


class CertificateJourney(ServiceJourney):
    TABLE = Table(
        name="certificate", initial="identity", final=ENDS,
        states=("identity", "looking_up", "list", "none_ready", "printing", "reprint", "error",
                *sorted(ENDS)),
        transitions=(
            row("card_read", "identity", "looking_up", effect="take_card"),
            row("found", "looking_up", "list", guard="any_ready", effect="take_ready"),
            row("found", "looking_up", "none_ready", effect="take_ready"),
            row("lookup_failed", "looking_up", "error", effect="take_error"),
            row("select", "list", "printing", guard="index_ok", effect="select"),
            row("printed", "printing", "done"),
            row("print_failed", "printing", "reprint", effect="take_error"),
            row("reprint", "reprint", "printing"),
            row("home", "reprint", "done"),
            row("timeout", "reprint", "done"),
            row("timeout", "printing", SAME),
            row("card_removed", ("list", "none_ready"), "cancelled", effect="forget"),
            row("retry", "error", "looking_up"),
            row("back", ("list", "none_ready", "error"), "identity", effect="forget"),
            row("back", "identity", "cancelled"),
            *_leave(("identity", "looking_up", "list", "none_ready", "error")),
        ))

    def _g_any_ready(self, e: Event) -> bool:
        return bool(ready_at_kiosk(e.get("cases", ())))

    def _fx_take_ready(self, e: Event) -> None:
        self.data.cases = ready_at_kiosk(e.get("cases", ()))

    def view(self) -> dict[str, Any]:
        view = self._base_view()
        view["cases"] = [_case_view(c) for c in self.data.cases]
        view["message"] = {"identity": "workflow.certificate.swipe",
                           "looking_up": "workflow.query.looking_up",
                           "list": "workflow.certificate.choose",
                           "none_ready": "workflow.certificate.none_ready",
                           "printing": "workflow.certificate.printing",
                           "reprint": "workflow.certificate.print_failed",
                           "error": "workflow.query.failed"}.get(self.state)
        return view


def ready_at_kiosk(cases: Sequence[Any]) -> list[Any]:
    """Cases whose result waits to be printed here (status 待领取, collect by kiosk)."""
    return [c for c in cases if c.status == "ready_for_pickup"
            and (c.collect or {}).get("method") == "kiosk"]


Task = Callable[[], tuple[str, dict[str, Any]]]


class TaskRunner:
    """On entering a working state, run its task and fire the trigger it returns.

    ``tasks`` maps a state to ``(work, failure_trigger)``; ``work()`` returns the
    success trigger and its data; a KioskError fires ``failure_trigger`` with it.
    """

    def __init__(self, journey: ServiceJourney,
                 tasks: Mapping[str, tuple[Task, str]], *,
                 dispatch: Callable[[Callable[[], None]], None] = lambda w: w(),
                 deliver: Callable[[Callable[[], None]], None] = lambda w: w()) -> None:
        self.journey = journey
        self._tasks = dict(tasks)
        self._dispatch = dispatch
        self._deliver = deliver
        journey.add_listener(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.internal or change.dest not in self._tasks:
            return
        work, failure = self._tasks[change.dest]

        def run() -> None:
            try:
                trigger, data = work()
            except KioskError as exc:
                log.warning("%s: %s failed: %s", self.journey.TABLE.name, change.dest, exc)
                trigger, data = failure, {"error": exc}

            def fire() -> None:
                if self.journey.ended:  # the citizen left while we were working
                    return
                self.journey.fire(trigger, **data)

            self._deliver(fire)

        self._dispatch(run)
