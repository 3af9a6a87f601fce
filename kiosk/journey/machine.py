"""A small state machine whose definition is data (the ``transitions`` model).

A :class:`Table` is a list of states and a list of :class:`Transition` rows
``(trigger, sources, dest, guard, effect)``. Rows are tried in table order; the
first row whose trigger matches, whose sources include the current state and
whose guard (if any) passes is taken. A trigger the current state does not
allow, or one whose every row is refused by its guard, raises
:class:`~kiosk.errors.WorkflowError` and leaves the state unchanged.

Guards and effects are *names*, resolved against mappings given to
:class:`Workflow`, so a table can be printed, compared and reviewed as text
(:meth:`Table.describe`) and checked for missing names when the machine is
built, not when a citizen reaches the row.

* ``sources`` may be ``("*",)``: every state that is not final.
* ``dest`` may be :data:`SAME`: an internal transition (the effect runs, the
  state stays; listeners are still told, so screens re-render).
* Effects run after the guard and before the state changes, so a listener
  always sees data and state that agree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.errors import WorkflowError

#: ``dest`` of an internal transition: stay in the current state.
SAME = "="
#: ``sources`` wildcard: any state that is not final.
ANY = "*"


@dataclass(frozen=True)
class Event:
    """What a trigger carries to guards and effects."""

    trigger: str
    source: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


Guard = Callable[[Event], bool]
Effect = Callable[[Event], None]


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    guard: str | None = None
    effect: str | None = None

    def matches(self, trigger: str, state: str, final: frozenset[str]) -> bool:
        if trigger != self.trigger:
            return False
        if ANY in self.sources:
            return state not in final
        return state in self.sources


def row(trigger: str, sources: str | Iterable[str], dest: str, guard: str | None = None,
        effect: str | None = None) -> Transition:
    """Shorthand used to write tables: ``row("next", "a", "b", guard="ok")``."""
    srcs = (sources,) if isinstance(sources, str) else tuple(sources)
    return Transition(trigger, srcs, dest, guard, effect)


@dataclass(frozen=True)
class Change:
    """A transition that was taken, as told to listeners."""

    trigger: str
    source: str
    dest: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.source == self.dest


Listener = Callable[[Change], None]


@dataclass(frozen=True)
class Table:
    """A workflow definition: states, the initial one, final ones, and the rows."""

    name: str
    states: tuple[str, ...]
    initial: str
    transitions: tuple[Transition, ...]
    final: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        known = set(self.states)
        if len(known) != len(self.states):
            raise WorkflowError(f"{self.name}: duplicate state names")
        if self.initial not in known:
            raise WorkflowError(f"{self.name}: initial state {self.initial!r} unknown")
        if not self.final <= known:
            raise WorkflowError(f"{self.name}: unknown final states "
                                f"{sorted(self.final - known)}")
        for t in self.transitions:
            for s in t.sources:
                if s != ANY and s not in known:
                    raise WorkflowError(f"{self.name}: {t.trigger}: unknown source {s!r}")
            if t.dest != SAME and t.dest not in known:
                raise WorkflowError(f"{self.name}: {t.trigger}: unknown dest {t.dest!r}")

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    def guard_names(self) -> set[str]:
        return {t.guard for t in self.transitions if t.guard}

    def effect_names(self) -> set[str]:
        return {t.effect for t in self.transitions if t.effect}

    def rows_for(self, trigger: str, state: str) -> list[Transition]:
        return [t for t in self.transitions if t.matches(trigger, state, self.final)]

    def allowed(self, state: str) -> tuple[str, ...]:
        """Triggers with at least one row from ``state`` (guards not evaluated)."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions
                                   if t.matches(t.trigger, state, self.final)))

    def describe(self) -> str:
        """The table as aligned text, for documentation and review."""
        header = ("trigger", "source", "dest", "guard", "effect")
        rows = [header] + [(t.trigger, ",".join(t.sources), t.dest, t.guard or "-",
                            t.effect or "-") for t in self.transitions]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = [f"workflow {self.name}: initial {self.initial}; "
                 f"final {', '.join(sorted(self.final)) or '-'}",
                 "states: " + ", ".join(self.states)]
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        return "\n".join(lines)


class Workflow:
    """One running instance of a :class:`Table`.

    ``fire`` is serialised by a lock, so a device thread and the UI thread can
    both fire; listeners run after the lock is released, in the firing thread.
    """

    def __init__(self, table: Table, *, guards: Mapping[str, Guard] | None = None,
                 effects: Mapping[str, Effect] | None = None) -> None:
        self.table = table
        self._guards = dict(guards or {})
        self._effects = dict(effects or {})
        missing = sorted((table.guard_names() - self._guards.keys())
                         | (table.effect_names() - self._effects.keys()))
        if missing:
            raise WorkflowError(f"{table.name}: no guard/effect named {', '.join(missing)}")
        self._state = table.initial
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []

    @property
    def state(self) -> str:
        return self._state

    @property
    def finished(self) -> bool:
        return self._state in self.table.final

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def allowed(self) -> tuple[str, ...]:
        return self.table.allowed(self._state)

    def can(self, trigger: str, **data: Any) -> bool:
        """Would ``fire(trigger, **data)`` move? Guards are evaluated, effects are not run."""
        with self._lock:
            return self._choose(Event(trigger, self._state, data)) is not None

    def _choose(self, event: Event) -> Transition | None:
        for t in self.table.rows_for(event.trigger, event.source):
            if t.guard is None or self._guards[t.guard](event):
                return t
        return None

    def fire(self, trigger: str, **data: Any) -> Change:
        with self._lock:
            event = Event(trigger, self._state, data)
            rows = self.table.rows_for(trigger, self._state)
            if not rows:
                raise WorkflowError(f"{self.table.name}: {trigger!r} not allowed in "
                                    f"state {self._state!r}")
            chosen = self._choose(event)
            if chosen is None:
                raise WorkflowError(f"{self.table.name}: {trigger!r} refused by guards in "
                                    f"state {self._state!r}")
            if chosen.effect:
                self._effects[chosen.effect](event)
            dest = self._state if chosen.dest == SAME else chosen.dest
            change = Change(trigger, self._state, dest, data)
            self._state = dest
            listeners = list(self._listeners)
        for listener in listeners:
            listener(change)
        return change

    def reset(self, state: str | None = None) -> None:
        """Put the machine back to ``state`` (default the initial one) without effects."""
        with self._lock:
            target = state or self.table.initial
            if target not in self.table.states:
                raise WorkflowError(f"{self.table.name}: unknown state {target!r}")
            self._state = target


class Driven:
    """What an object run by a :class:`Workflow` (a journey) shows of it: the state,
    whether it has ended, the listeners, the triggers it would take, and ``fire``.

    The subclass builds ``self._wf``, with :func:`effects_of` for its effects.
    """

    _wf: Workflow

    @property
    def state(self) -> str:
        return self._wf.state

    @property
    def ended(self) -> bool:
        return self._wf.finished

    def add_listener(self, listener: Listener) -> None:
        self._wf.add_listener(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._wf.remove_listener(listener)

    def can(self, trigger: str, **data: Any) -> bool:
        return self._wf.can(trigger, **data)

    def allowed(self) -> tuple[str, ...]:
        return self._wf.allowed()

    def fire(self, trigger: str, **data: Any) -> Change:
        return self._wf.fire(trigger, **data)


def effects_of(owner: object) -> dict[str, Effect]:
    """The owner's ``_fx_<name>`` methods by name: the effects its table refers to."""
    return {n[len("_fx_"):]: getattr(owner, n) for n in dir(owner) if n.startswith("_fx_")}


def check_names(table: Table, names: Sequence[str]) -> None:
    """Raise when ``names`` (e.g. triggers the screens fire) are not in the table."""
    unknown = sorted(set(names) - set(table.triggers))
    if unknown:
        raise WorkflowError(f"{table.name}: unknown triggers {', '.join(unknown)}")
