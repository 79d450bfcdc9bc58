"""Properties of the engine over random valid flows, inputs and event sequences.

The flows are generated as documents and loaded through ``parse_flow``, so
they are valid by construction: every state is reachable from ``start`` (each
state after the first is attached to an earlier one before any extra edges are
added). Expressions come from small pools that include ones which fail at
runtime on some inputs, so failure paths are exercised as well as success.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalicelib.engine import (
    ActionFailed,
    ActionSucceeded,
    Decision,
    EngineError,
    Event,
    EventType,
    Resume,
    RunState,
    RunStatus,
    WorkKind,
    advance,
    pending_action,
    start,
)
from chalicelib.flows import Flow, parse_flow
from chalicelib.flows.models import TaskState, WaitState

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
MAX_STEPS = 25  # generated graphs may loop forever; the properties hold for every prefix

LINEAR = ("pass", "task", "wait")
TERMINAL = ("succeed", "fail")
TYPES = (*LINEAR, "choice", *TERMINAL)

WHENS = ("x", "flag", "x > `1`", "x < `\"m\"`", "length(items) > `0`", "`true`", "`false`", "count", "!flag",
         "contains(items, x)", "max(items) >= `2`")
REQUIRES = ("`true`", "flag", "x", "length(items) >= `0`", "x > `0`")
INPUTS = ("@", "x", "{x: x, items: items}", "items")
TRANSFORMS = ("x", "{n: x}", "`1`", "length(items)", "items[0]", "@", "sort(items)", "sum(items)", "to_number(x)",
              "join(',', items)", "keys(x)")
RESULTS = ("out", "a.b", "$", "x")
OUTPUTS = ("@", "{x: x, flag: flag, items: items, deadline: deadline}", "x")
UNTILS = ("deadline", "x")
DURATIONS = ("0s", "5s", "1h", "1d", 30)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False,
                                                                             allow_infinity=False) | st.text(max_size=3)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["x", "n", "a", "b"]), inner,
                                                                max_size=3),
    max_leaves=8,
)
deadlines = st.one_of(
    st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 3, 1), timezones=st.just(timezone.utc))
    .map(lambda moment: moment.isoformat()),
    st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 3, 1)).map(lambda m: m.isoformat()),
    st.sampled_from(["soon", "", "2026-13-01T00:00:00"]),
    json_scalars,
)
contexts = st.fixed_dictionaries(
    {},
    optional={
        "x": json_values,
        "flag": st.none() | st.booleans(),
        "items": st.lists(st.integers(0, 5), max_size=3) | st.lists(json_scalars, max_size=3) | json_scalars,
        "count": st.integers(0, 3),
        "deadline": deadlines,
    },
)


def maybe(values: tuple[Any, ...], weight: int = 2) -> st.SearchStrategy[Any]:
    """One of ``values`` or None, with None ``weight`` times as likely as each value."""
    return st.sampled_from((None,) * weight * len(values) + values)


@st.composite
def flow_documents(draw: st.DrawFn) -> dict[str, Any]:
    types: list[str] = [draw(st.sampled_from(TYPES))]
    children: list[list[int]] = [[]]
    for index in range(1, draw(st.integers(1, 8))):
        open_parents = [
            j for j, kind in enumerate(types)
            if (kind == "choice" and len(children[j]) < 3) or (kind in LINEAR and not children[j])
        ]
        if not open_parents:
            break
        children[draw(st.sampled_from(open_parents))].append(index)
        types.append(draw(st.sampled_from(TYPES)))
        children.append([])

    names = [f"s{i}" for i in range(len(types))]
    any_name = st.sampled_from(names)
    states: dict[str, Any] = {}
    for index, kind in enumerate(types):
        state: dict[str, Any] = {"type": kind}
        for key, pool in (("requires", REQUIRES), ("input", INPUTS)):
            if (value := draw(maybe(pool, weight=4))) is not None:
                state[key] = value
        if kind in LINEAR:
            state["next"] = names[children[index][0]] if children[index] else draw(any_name)
            for key, pool in (("result", RESULTS), ("output", OUTPUTS)):
                if (value := draw(maybe(pool))) is not None:
                    state[key] = value
        if kind == "pass" and (transform := draw(maybe(TRANSFORMS, weight=1))) is not None:
            state["transform"] = transform
        if kind == "task":
            state["action"] = "noop"
            state["with"] = draw(st.dictionaries(st.sampled_from(["url", "n"]), json_scalars, max_size=2))
        if kind == "wait":
            if draw(st.booleans()):
                state["duration"] = draw(st.sampled_from(DURATIONS))
            else:
                state["until"] = draw(st.sampled_from(UNTILS))
        if kind == "choice":
            targets = [names[child] for child in children[index]]
            targets += draw(st.lists(any_name, min_size=0 if targets else 1, max_size=2))
            rules = [
                {"when": draw(st.sampled_from(WHENS)), "next": target,
                 **({} if (priority := draw(st.none() | st.integers(1, 3))) is None else {"priority": priority})}
                for target in targets
            ]
            state["rules"] = draw(st.permutations(rules))
            if (default := draw(st.none() | any_name)) is not None:
                state["default"] = default
        if kind == "succeed" and (output := draw(maybe(OUTPUTS))) is not None:
            state["output"] = output
        if kind == "fail":
            state["error"] = draw(st.sampled_from(["States.Fail", "Rejected"]))
        states[names[index]] = state
    return {"name": "generated", "start": "s0", "states": states}


@dataclass(frozen=True)
class Step:
    """One call to the engine: the run it was given (None for ``start``), the event, and what it decided."""

    before: RunState | None
    event: Event | None
    now: datetime
    decision: Decision


def simulate(flow: Flow, run_input: dict[str, Any], data: st.DataObject) -> list[Step]:
    """Drive a run with random (but well-typed) events until it finishes or MAX_STEPS pass."""
    now = EPOCH
    steps = [Step(None, None, now, start(flow, "run-p", run_input, now))]
    for _ in range(MAX_STEPS):
        run = steps[-1].decision.run
        if run.status.finished:
            break
        state = flow.definition.states[run.cursor]
        if isinstance(state, TaskState):
            result: Event = data.draw(st.one_of(
                json_values.map(ActionSucceeded),
                st.sampled_from(["Timeout", "HttpError"]).map(ActionFailed),
            ))
        else:
            result = Resume()
        if isinstance(state, WaitState) and run.wake_at is not None:
            offset = data.draw(st.sampled_from([-600, -1, 0, 1, 3600]))
            now = max(now, run.wake_at + timedelta(seconds=offset))
        else:
            now += timedelta(seconds=data.draw(st.integers(0, 3600)))
        steps.append(Step(run, result, now, advance(flow, run, result, now)))
    event(f"final status {steps[-1].decision.run.status.value}")
    return steps


def generated_run(document: dict[str, Any], run_input: dict[str, Any], data: st.DataObject) -> tuple[Flow, list[Step]]:
    flow = parse_flow(document, "generated.yaml")
    return flow, simulate(flow, run_input, data)


@PROPERTY_SETTINGS
@given(flow_documents())
def test_generated_flows_are_valid_and_fully_reachable(document: dict[str, Any]) -> None:
    flow = parse_flow(document, "generated.yaml")

    assert set(flow.definition.states) == set(document["states"])


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_the_cursor_is_a_declared_state_or_none_when_finished(document: dict[str, Any],
                                                              run_input: dict[str, Any],
                                                              data: st.DataObject) -> None:
    flow, steps = generated_run(document, run_input, data)

    for step in steps:
        run = step.decision.run
        if run.status.finished:
            assert run.cursor is None
        else:
            assert run.cursor in flow.definition.states


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_status_moves_only_from_running_to_a_terminal_status(document: dict[str, Any], run_input: dict[str, Any],
                                                            data: st.DataObject) -> None:
    _, steps = generated_run(document, run_input, data)

    assert steps[0].decision.run.status in (RunStatus.RUNNING, RunStatus.FAILED)
    for step in steps[1:]:
        assert step.before is not None and step.before.status is RunStatus.RUNNING
        assert step.decision.run.status in (RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED)
    for step in steps:
        run = step.decision.run
        assert (run.finished_at is not None) == run.status.finished
        assert (run.error is not None) == (run.status is RunStatus.FAILED)
    assert all(not step.decision.run.status.finished for step in steps[:-1])


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_history_seqs_are_one_to_n_without_gaps(document: dict[str, Any], run_input: dict[str, Any],
                                               data: st.DataObject) -> None:
    _, steps = generated_run(document, run_input, data)

    history = [event for step in steps for event in step.decision.events]
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert history[0].type is EventType.RUN_STARTED
    final = steps[-1].decision.run
    terminal_types = {EventType.RUN_SUCCEEDED, EventType.RUN_FAILED}
    assert [e.type in terminal_types for e in history] == [False] * (len(history) - 1) + [final.status.finished]


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_event_count_equals_the_events_recorded(document: dict[str, Any], run_input: dict[str, Any],
                                               data: st.DataObject) -> None:
    _, steps = generated_run(document, run_input, data)

    recorded = 0
    for step in steps:
        first_seq = recorded + 1
        recorded += len(step.decision.events)
        assert step.decision.run.event_count == recorded
        assert [e.seq for e in step.decision.events] == list(range(first_seq, recorded + 1))


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_a_finished_run_gets_no_more_events(document: dict[str, Any], run_input: dict[str, Any],
                                          data: st.DataObject) -> None:
    flow, steps = generated_run(document, run_input, data)
    final = steps[-1].decision.run
    if not final.status.finished:
        return

    assert pending_action(flow, final) is None
    for late in (Resume(), ActionSucceeded({"late": True}), ActionFailed("Late")):
        with pytest.raises(EngineError):
            advance(flow, final, late, steps[-1].now + timedelta(days=1))


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_work_is_scheduled_exactly_while_the_run_is_running(document: dict[str, Any], run_input: dict[str, Any],
                                                            data: st.DataObject) -> None:
    flow, steps = generated_run(document, run_input, data)

    for step in steps:
        run, work = step.decision.run, step.decision.work
        assert (work is None) == run.status.finished
        if work is None:
            continue
        if work.kind is WorkKind.TIMER:
            assert isinstance(flow.definition.states[run.cursor], WaitState)
            assert work.at == run.wake_at
        else:
            assert work.at == step.now
            assert run.wake_at is None


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_an_early_wake_up_changes_nothing_but_updated_at(document: dict[str, Any], run_input: dict[str, Any],
                                                         data: st.DataObject) -> None:
    _, steps = generated_run(document, run_input, data)

    for step in steps[1:]:
        assert step.before is not None
        if step.before.wake_at is not None and step.now < step.before.wake_at:
            assert step.decision.events == ()
            assert step.decision.run == dataclasses.replace(step.before, updated_at=step.now)


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_the_engine_is_pure(document: dict[str, Any], run_input: dict[str, Any], data: st.DataObject) -> None:
    """Replaying the same events gives the same decisions, and no input is mutated."""
    flow, steps = generated_run(document, run_input, data)
    snapshot = copy.deepcopy(run_input)

    replay = start(flow, "run-p", snapshot, steps[0].now)
    assert replay == steps[0].decision
    for step in steps[1:]:
        assert step.before is not None
        before = copy.deepcopy(step.before)
        again = advance(flow, step.before, step.event, step.now)
        assert again == step.decision
        assert step.before == before
    assert run_input == snapshot


@PROPERTY_SETTINGS
@given(flow_documents(), contexts, st.data())
def test_an_action_is_pending_exactly_while_running_in_a_task(document: dict[str, Any], run_input: dict[str, Any],
                                                              data: st.DataObject) -> None:
    flow, steps = generated_run(document, run_input, data)

    for step in steps:
        run = step.decision.run
        request = pending_action(flow, run)
        in_task = run.cursor is not None and isinstance(flow.definition.states[run.cursor], TaskState)
        assert (request is not None) == (run.status is RunStatus.RUNNING and in_task)
        if request is not None:
            assert request.idempotency_key == f"run-p:{run.cursor}:{run.attempt}"
