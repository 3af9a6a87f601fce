"""The work behind the small journeys' working states, against small Protocols.

``query_tasks``/``certificate_tasks``/``ticket_tasks`` give the mapping a
:class:`~kiosk.desk.journeys.TaskRunner` needs. The back-office calls are
``kiosk.submission.client.BackofficeClient``'s; printing goes through
whatever the app wires (receipt builders + the printer device).

:class:`DailyTicketCounter` numbers queue tickets per service and per China
day (A001, A002 ...), persisted as versioned JSON in ``var/`` so a restart in
the middle of the day does not hand out a number twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from kiosk.clock import CST, Clock
from kiosk.desk.journeys import (
    CertificateJourney,
    QueryJourney,
    ServiceJourney,
    Task,
    TicketJourney,
)
from kiosk.errors import KioskError, WorkflowError
from kiosk.identity import CardType, Identity
from kiosk.submission.cases import Verification, VerificationMethod


class CaseLookup(Protocol):
    def case_status(self, number_or_ref: str, token: str) -> Any: ...
    def applicant_cases(self, id_number: str, verification: Verification) -> Sequence[Any]: ...


class CertificatePrinter(Protocol):
    def print_certificate(self, case: Any) -> None: ...


class TicketIssuer(Protocol):
    def issue(self, service: str) -> Mapping[str, Any]: ...


class TicketPrinter(Protocol):
    def print_ticket(self, service: str, ticket: Mapping[str, Any]) -> None: ...


def _verification(identity: Identity, clock: Clock) -> Verification:
    # The card was read on this terminal just now: API.md accepts card or sscard.
    method: VerificationMethod = ("sscard" if identity.card_type is CardType.SOCIAL_SECURITY
                                  else "card")
    return Verification(method, None, clock.now())


def _lookup(j: ServiceJourney, client: CaseLookup, clock: Clock) -> Task:
    def look() -> tuple[str, dict[str, Any]]:
        if j.data.ref and j.data.token:
            return "found", {"cases": [client.case_status(j.data.ref, j.data.token)]}
        identity = j.data.identity
        if identity is None:
            raise WorkflowError("lookup without a card or a reference")
        cases = client.applicant_cases(identity.id_number, _verification(identity, clock))
        return "found", {"cases": list(cases)}
    return look


def query_tasks(j: QueryJourney, client: CaseLookup,
                clock: Clock) -> dict[str, tuple[Task, str]]:
    return {"looking_up": (_lookup(j, client, clock), "lookup_failed")}


def certificate_tasks(j: CertificateJourney, client: CaseLookup, printer: CertificatePrinter,
                      clock: Clock) -> dict[str, tuple[Task, str]]:
    def print_it() -> tuple[str, dict[str, Any]]:
        if j.data.selected is None:
            raise WorkflowError("nothing selected")
        printer.print_certificate(j.data.cases[j.data.selected])
        return "printed", {}
    return {"looking_up": (_lookup(j, client, clock), "lookup_failed"),
            "printing": (print_it, "print_failed")}


def ticket_tasks(j: TicketJourney, issuer: TicketIssuer,
                 printer: TicketPrinter) -> dict[str, tuple[Task, str]]:
    def issue() -> tuple[str, dict[str, Any]]:
        return "issued", {"ticket": issuer.issue(j.data.choice or "")}

    def print_it() -> tuple[str, dict[str, Any]]:
        if j.data.ticket is None:
            raise WorkflowError("no ticket")
        printer.print_ticket(j.data.choice or "", j.data.ticket)
        return "printed", {}
    return {"issuing": (issue, "issue_failed"), "printing": (print_it, "print_failed")}


class DailyTicketCounter:
    """Queue numbers per service letter and China day, kept in a small JSON file."""

    VERSION = 1

    def __init__(self, path: Path, clock: Clock, letters: Mapping[str, str] | None = None
                 ) -> None:
        self.path = path
        self._clock = clock
        self._letters = dict(letters or {})
        self._lock = threading.Lock()

    def _load(self, day: str) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise KioskError(f"{self.path}: unreadable ticket counter: {exc}",
                            i18n_key="workflow.ticket.failed") from None
        if not isinstance(data, dict) or data.get("version") != self.VERSION:
            return {}
        counts = data.get("counts", {})
        return dict(counts) if data.get("day") == day and isinstance(counts, dict) else {}

    def issue(self, service: str) -> Mapping[str, Any]:
        day = self._clock.now().astimezone(CST).date().isoformat()
        letter = self._letters.get(service, "A")
        with self._lock:
            counts = self._load(day)
            counts[letter] = counts.get(letter, 0) + 1
            tmp = self.path.with_suffix(".tmp")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(json.dumps({"version": self.VERSION, "day": day,
                                           "counts": counts}), encoding="utf-8")
                tmp.replace(self.path)
            except OSError as exc:
                raise KioskError(f"{self.path}: cannot save: {exc.strerror}",
                                i18n_key="workflow.ticket.failed") from None
        # People waiting: the numbers issued today before this one, a fair upper bound.
        return {"number": f"{letter}{counts[letter]:03d}", "waiting": counts[letter] - 1,
                "day": day}
