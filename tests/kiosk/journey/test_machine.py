"""The generic state machine: tables as data, one error type, listeners."""

from __future__ import annotations

import itertools

import pytest

from kiosk.errors import WorkflowError
from kiosk.journey.machine import ANY, SAME, Change, Event, Table, Workflow, check_names, row


def door_table() -> Table:
    return Table(
        name="door",
        states=("closed", "open", "locked", "broken"),
        initial="closed",
        final=frozenset({"broken"}),
        transitions=(
            row("open", "closed", "open", guard="unlocked_ok"),
            row("close", "open", "closed", effect="count"),
            row("lock", "closed", "locked"),
            row("unlock", "locked", "closed", guard="right_key"),
            row("knock", ("closed", "locked"), SAME, effect="count"),
            row("kick", ANY, "broken"),
        ),
    )


def make(counter: list[str] | None = None) -> Workflow:
    seen = counter if counter is not None else []
    return Workflow(
        door_table(),
        guards={"unlocked_ok": lambda e: True,
                "right_key": lambda e: e.get("key") == "brass"},
        effects={"count": lambda e: seen.append(e.trigger)},
    )


def test_moves_per_table_and_calls_effects() -> None:
    seen: list[str] = []
    wf = make(seen)
    assert wf.state == "closed"
    assert wf.fire("open").dest == "open"
    wf.fire("close")
    wf.fire("knock")
    assert seen == ["close", "knock"]
    assert wf.state == "closed"


def test_guard_refusal_raises_and_keeps_state() -> None:
    wf = make()
    wf.fire("lock")
    assert not wf.can("unlock", key="tin")
    with pytest.raises(WorkflowError, match="refused"):
        wf.fire("unlock", key="tin")
    assert wf.state == "locked"
    assert wf.can("unlock", key="brass")
    wf.fire("unlock", key="brass")
    assert wf.state == "closed"


def test_every_trigger_in_every_state_moves_per_table_or_raises() -> None:
    table = door_table()
    for state, trigger in itertools.product(table.states, table.triggers):
        wf = make()
        wf.reset(state)
        rows = table.rows_for(trigger, state)
        if not rows:
            with pytest.raises(WorkflowError):
                wf.fire(trigger)
            assert wf.state == state
            continue
        change = wf.fire(trigger, key="brass")
        expected = rows[0].dest
        assert change.dest == (state if expected == SAME else expected)
        assert wf.state == change.dest


def test_final_state_allows_nothing_via_wildcard() -> None:
    wf = make()
    wf.fire("kick")
    assert wf.finished
    assert wf.allowed() == ()
    with pytest.raises(WorkflowError):
        wf.fire("kick")


def test_listeners_see_every_change_including_internal() -> None:
    wf = make()
    changes: list[Change] = []
    wf.add_listener(changes.append)
    wf.fire("knock", who="x")
    wf.fire("open")
    assert [(c.trigger, c.source, c.dest, c.internal) for c in changes] == [
        ("knock", "closed", "closed", True), ("open", "closed", "open", False)]
    assert changes[0].data == {"who": "x"}
    wf.remove_listener(changes.append)
    wf.fire("close")
    assert len(changes) == 2


def test_effect_failure_leaves_state_unchanged() -> None:
    def boom(event: Event) -> None:
        raise WorkflowError("no")

    wf = Workflow(door_table(), guards={"unlocked_ok": lambda e: True,
                                        "right_key": lambda e: True},
                  effects={"count": boom})
    wf.fire("open")
    with pytest.raises(WorkflowError):
        wf.fire("close")
    assert wf.state == "open"


def test_bad_tables_are_refused() -> None:
    with pytest.raises(WorkflowError, match="unknown dest"):
        Table("t", ("a",), "a", (row("go", "a", "b"),))
    with pytest.raises(WorkflowError, match="unknown source"):
        Table("t", ("a",), "a", (row("go", "z", "a"),))
    with pytest.raises(WorkflowError, match="initial"):
        Table("t", ("a",), "b", ())
    with pytest.raises(WorkflowError, match="duplicate"):
        Table("t", ("a", "a"), "a", ())
    with pytest.raises(WorkflowError, match="no guard/effect named"):
        Workflow(door_table())


def test_describe_prints_every_row() -> None:
    text = door_table().describe()
    assert text.splitlines()[0].startswith("workflow door: initial closed")
    assert "unlock   locked" in text
    assert len(text.splitlines()) == 2 + 1 + len(door_table().transitions)


def test_check_names() -> None:
    check_names(door_table(), ["open", "kick"])
    with pytest.raises(WorkflowError, match="fly"):
        check_names(door_table(), ["fly"])
