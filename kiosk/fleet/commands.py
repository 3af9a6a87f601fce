"""Remote commands on the kiosk: verified, run once, between citizen sessions, acknowledged.

A heartbeat reply carries every command the back office has for this terminal without
a result (backoffice/commands.py). For each one the runner:

1. checks its signature (:func:`kiosk.submission.signing.verify_command`, the
   terminal's own key): a forged or altered command is refused, logged and reported
   in the next heartbeat, and never run;
2. looks it up in the journal of executed ids (``<data dir>/fleet/commands.json``):
   one already run is acknowledged again with the result it had, not run again;
3. queues it; queued commands run in order on the fleet thread while no citizen
   session is under way (``busy()``); a handler that finds a session started answers
   None and the command waits for the session to end;
4. writes "started" to the journal before running and the result after, then posts
   the result. A command found "started" at the next start (the app stopped while it
   ran) is reported failed ("interrupted"), not run again — except ``restart_app``,
   whose running was the stop.

Handlers are a table (kind → callable), given by the composition root.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kiosk.clock import Clock
from kiosk.errors import KioskError
from kiosk.fleet.files import read_json, write_json
from kiosk.submission import signing

log = logging.getLogger(__name__)

#: Executed ids remembered (the oldest are forgotten past this).
JOURNAL_SIZE = 500


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)
    #: Run after the result is recorded and posted (the restart itself).
    after: Callable[[], None] | None = None


#: A handler runs one command's arguments; None: not now (a session started), retry later.
Handler = Callable[[Mapping[str, Any]], "Outcome | None"]


class Command(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def args(self) -> dict[str, Any]: ...
    @property
    def issued_at(self) -> str: ...
    @property
    def signature(self) -> str: ...


class ResultPoster(Protocol):
    def command_result(self, command_id: str, ok: bool, detail: str,
                       data: Mapping[str, Any] | None = None) -> None: ...


class Journal:
    """Executed command ids with their results, kept on disk (versioned JSON)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        data = read_json(path) if path is not None else None
        entries = data.get("commands", []) if data is not None else []
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict(
            (str(e["id"]), e) for e in entries if isinstance(e, dict) and "id" in e)

    def get(self, command_id: str) -> dict[str, Any] | None:
        return self._entries.get(command_id)

    def put(self, entry: dict[str, Any]) -> None:
        self._entries[str(entry["id"])] = entry
        self._entries.move_to_end(str(entry["id"]))
        while len(self._entries) > JOURNAL_SIZE:
            self._entries.popitem(last=False)
        if self._path is not None:
            write_json(self._path, {"commands": list(self._entries.values())})

    def drop(self, command_id: str) -> None:
        if self._entries.pop(command_id, None) is not None and self._path is not None:
            write_json(self._path, {"commands": list(self._entries.values())})

    def ids(self) -> list[str]:
        return list(self._entries)


class CommandRunner:
    def __init__(self, *, terminal_id: str, keys: Callable[[], tuple[bytes, str]],
                 handlers: Mapping[str, Handler], poster: ResultPoster, journal: Journal,
                 busy: Callable[[], bool], clock: Clock,
                 on_problem: Callable[[str], None] = lambda _p: None) -> None:
        self._terminal_id = terminal_id
        self._keys = keys
        self._handlers = dict(handlers)
        self._poster = poster
        self.journal = journal
        self._busy = busy
        self._clock = clock
        self._problem = on_problem
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._queue: list[Command] = []
        #: Counts for diagnostics.
        self.refused = 0
        self.executed = 0
        self.acknowledged_again = 0

    @property
    def deferred(self) -> list[str]:
        """Ids of verified commands waiting for the session to end."""
        with self._lock:
            return [c.id for c in self._queue]

    def verify(self, command: Command) -> bool:
        secret, suite = self._keys()
        return signing.verify_command(secret, command.signature, self._terminal_id,
                                      command.id, command.kind, command.args,
                                      command.issued_at, suite)

    def offer(self, commands: Sequence[Command]) -> None:
        """The commands of a heartbeat reply: refuse, acknowledge again, or queue."""
        for command in commands:
            if not self.verify(command):
                self.refused += 1
                log.error("command %s (%s) refused: its signature does not verify",
                          command.id[:40], command.kind[:32])
                self._problem(f"command {command.id[:40]} ({command.kind[:32]}) refused: "
                              "signature does not verify")
                continue
            entry = self.journal.get(command.id)
            if entry is not None:
                self._again(command, entry)
                continue
            with self._lock:
                if command.id not in {c.id for c in self._queue}:
                    self._queue.append(command)

    def _again(self, command: Command, entry: dict[str, Any]) -> None:
        if entry.get("state") == "started":
            interrupted = command.kind == "restart_app"
            entry = {**entry, "state": "done", "ok": interrupted,
                     "detail": "restarted" if interrupted
                     else "interrupted: the app stopped while it ran; not run again",
                     "data": {}}
            self.journal.put(entry)
        self.acknowledged_again += 1
        log.info("command %s already executed: acknowledged again", command.id)
        self._post(command.id, bool(entry.get("ok")), str(entry.get("detail", "")),
                   dict(entry.get("data") or {}))

    def run_due(self) -> int:
        """Run queued commands while no session is under way; returns how many ran.

        The queue's lock is never held while a command runs (a handler waits for the UI
        thread, which may read :attr:`deferred` meanwhile); ``_run_lock`` keeps runs one
        at a time."""
        ran = 0
        with self._run_lock:
            while True:
                with self._lock:
                    if not self._queue or self._busy():
                        break
                    command = self._queue[0]
                outcome = self._run(command)
                if outcome is None:
                    break  # a session began: the command waits at the head of the queue
                with self._lock:
                    if self._queue and self._queue[0] is command:
                        self._queue.pop(0)
                ran += 1
        return ran

    def _run(self, command: Command) -> Outcome | None:
        handler = self._handlers.get(command.kind)
        at = self._clock.now().isoformat()
        if handler is None:
            outcome: Outcome | None = Outcome(False, f"unknown command kind {command.kind!r}")
        else:
            self.journal.put({"id": command.id, "kind": command.kind, "state": "started",
                              "at": at})
            try:
                outcome = handler(command.args)
            except KioskError as exc:
                outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                log.exception("command %s (%s) failed", command.id, command.kind)
                outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
            if outcome is None:
                self.journal.drop(command.id)
                return None
        assert outcome is not None
        self.journal.put({"id": command.id, "kind": command.kind, "state": "done",
                          "ok": outcome.ok, "detail": outcome.detail[:2000],
                          "data": outcome.data, "at": self._clock.now().isoformat()})
        self.executed += 1
        log.info("command %s (%s): %s %s", command.id, command.kind,
                 "ok" if outcome.ok else "failed", outcome.detail)
        self._post(command.id, outcome.ok, outcome.detail, outcome.data)
        if outcome.after is not None:
            outcome.after()
        return outcome

    def _post(self, command_id: str, ok: bool, detail: str, data: dict[str, Any]) -> None:
        try:
            self._poster.command_result(command_id, ok, detail, data)
        except KioskError as exc:
            # Kept in the journal: the next delivery is acknowledged with it.
            log.warning("result of command %s not posted: %s", command_id, exc)
