"""The state machine: ``start`` a run, ask for its ``pending_action``, ``advance`` it.

Pure functions of (flow, run, event, now). Every call returns a complete
:class:`Decision`; the runtime commits it in one conditional write and then
schedules its work, so the engine never sees storage, queues or the clock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from jmespath.exceptions import JMESPathError

from chalicelib.engine.decision import ActionRequest, Decision, ScheduleWork, WorkKind
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.events import ActionFailed, ActionSucceeded, Event, Resume
from chalicelib.engine.state import EventType, HistoryEvent, RunError, RunState, RunStatus, StartedBy
from chalicelib.flows.expressions import is_truthy
from chalicelib.flows.loader import Flow
from chalicelib.flows.models import (
    ChoiceState,
    FailState,
    PassState,
    StateBase,
    SucceedState,
    TaskState,
    WaitState,
)

__all__ = ["start", "pending_action", "advance", "digest"]


class _RunFails(Exception):
    """Internal: the step cannot continue and the run fails with this error."""

    def __init__(self, error: str, cause: str, state: str) -> None:
        super().__init__(cause)
        self.run_error = RunError(error=error, cause=cause, state=state)


def digest(value: Any) -> dict[str, Any]:
    """A short fingerprint of a value for history, so events never carry whole payloads."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest()[:16], "bytes": len(text)}


def start(
    flow: Flow,
    run_id: str,
    run_input: dict[str, Any],
    now: datetime,
    started_by: StartedBy = StartedBy(),
) -> Decision:
    run = RunState(
        run_id=run_id,
        flow=flow.name,
        flow_version=flow.version,
        status=RunStatus.RUNNING,
        cursor=None,
        context=dict(run_input),
        started_at=now,
        updated_at=now,
        started_by=started_by,
    )
    detail = {"input": digest(run_input), "started_by": started_by.to_dict()}
    started = _event(run, EventType.RUN_STARTED, now, next=flow.definition.start, detail=detail)
    return _enter(flow, run, (started,), flow.definition.start, run.context, now)


def pending_action(flow: Flow, run: RunState) -> ActionRequest | None:
    """The action the current state needs performed, if it is a task of a running run."""
    if run.status is not RunStatus.RUNNING or run.cursor is None:
        return None
    state = flow.definition.states[run.cursor]
    if not isinstance(state, TaskState):
        return None
    return ActionRequest(
        action=state.action,
        params=dict(state.with_),
        input=_state_input(state, run.context, run.cursor),
        idempotency_key=f"{run.run_id}:{run.cursor}:{run.attempt}",
        timeout_seconds=state.timeout,
    )


def advance(flow: Flow, run: RunState, event: Event, now: datetime) -> Decision:
    if run.status is not RunStatus.RUNNING or run.cursor is None:
        raise EngineError(f"run {run.run_id} is {run.status.value}; nothing to advance")
    name = run.cursor
    state = flow.definition.states[name]
    try:
        return _advance_state(flow, run, name, state, event, now)
    except _RunFails as failure:
        return _fail(run, (), failure.run_error, now)


def _advance_state(flow: Flow, run: RunState, name: str, state: StateBase, event: Event, now: datetime) -> Decision:
    if isinstance(state, TaskState):
        if isinstance(event, ActionSucceeded):
            return _complete(flow, run, name, state, event.result, state.next, now)
        if isinstance(event, ActionFailed):
            failed = _event(run, EventType.STATE_FAILED, now, state=name, attempt=run.attempt,
                            error=RunError(event.error, event.cause, name))
            return _fail(_counted(run, 1), (failed,), RunError(event.error, event.cause, name), now)
        raise EngineError(f"task state '{name}' advances only on an action outcome, not {type(event).__name__}")
    if not isinstance(event, Resume):
        raise EngineError(f"state '{name}' ({type(state).__name__}) performs no action; got {type(event).__name__}")
    if isinstance(state, ChoiceState):
        target, rule = _choose(state, run.context, name)
        return _move(flow, run, name, target, run.context, now, detail={"rule": rule})
    if isinstance(state, PassState):
        value = _state_input(state, run.context, name)
        if state.transform is not None:
            value = _search(state.transform, value, name, "transform")
        return _complete(flow, run, name, state, value, state.next, now)
    if isinstance(state, WaitState):
        if run.wake_at is None:
            raise EngineError(f"run {run.run_id} is in wait state '{name}' without a wake_at")
        if now < run.wake_at:
            hop = dataclasses.replace(run, updated_at=now)
            return Decision(run=hop, work=ScheduleWork(WorkKind.TIMER, run.wake_at))
        return _complete(flow, run, name, state, None, state.next, now)
    if isinstance(state, SucceedState):
        context = _map_output(state, run.context, name)
        done = dataclasses.replace(
            run, status=RunStatus.SUCCEEDED, context=context, cursor=None, wake_at=None,
            finished_at=now, updated_at=now,
        )
        return Decision(run=_counted(done, 1), events=(
            _event(run, EventType.RUN_SUCCEEDED, now, state=name, detail={"output": digest(context)}),
        ))
    if isinstance(state, FailState):
        return _fail(run, (), RunError(state.error, state.cause, name), now)
    raise EngineError(f"state '{name}' has a type this engine cannot run: {type(state).__name__}")


def _complete(
    flow: Flow, run: RunState, name: str, state: StateBase, result: Any, target: str, now: datetime
) -> Decision:
    context = run.context
    if state.result is not None:
        try:
            context = state.result.assign(context, result)
        except TypeError as exc:
            raise _RunFails(ErrorName.INVALID_RESULT, f"field 'result': {exc}", name) from exc
    context = _map_output(state, context, name)
    detail = {"output": digest(result)} if result is not None else {}
    return _move(flow, run, name, target, context, now, detail=detail)


def _move(
    flow: Flow, run: RunState, name: str, target: str, context: dict[str, Any], now: datetime,
    detail: dict[str, Any],
) -> Decision:
    left = _event(run, EventType.STATE_SUCCEEDED, now, state=name, next=target, attempt=run.attempt, detail=detail)
    return _enter(flow, run, (left,), target, context, now)


def _enter(
    flow: Flow, run: RunState, events: tuple[HistoryEvent, ...], target: str, context: dict[str, Any], now: datetime
) -> Decision:
    """Move the cursor to ``target``: check its guard, arm its timer, schedule the next step."""
    state = flow.definition.states[target]
    moved = dataclasses.replace(run, cursor=target, context=context, attempt=1, wake_at=None, updated_at=now)
    moved = _counted(moved, len(events))
    try:
        if state.requires is not None and not is_truthy(_search(state.requires, context, target, "requires")):
            raise _RunFails(
                ErrorName.GUARD_FAILED, f"field 'requires': '{state.requires.source}' is false on entry", target
            )
        if isinstance(state, TaskState):
            # Evaluated here only to fail on entry: pending_action evaluates the same expression
            # on the same context outside advance, where a failure could not end the run.
            _state_input(state, context, target)
        wake_at = _wake_time(state, context, target, now) if isinstance(state, WaitState) else None
    except _RunFails as failure:
        return _fail(moved, events, failure.run_error, now)
    if wake_at is not None:
        moved = dataclasses.replace(moved, wake_at=wake_at)
        return Decision(run=moved, events=events, work=ScheduleWork(WorkKind.TIMER, wake_at))
    return Decision(run=moved, events=events, work=ScheduleWork(WorkKind.ADVANCE, now))


def _fail(run: RunState, events: tuple[HistoryEvent, ...], error: RunError, now: datetime) -> Decision:
    """End the run as failed after ``events`` (whose seqs were already counted into ``run``)."""
    failed_event = HistoryEvent(
        seq=run.event_count + 1, type=EventType.RUN_FAILED, time=now, state=error.state, error=error
    )
    failed = dataclasses.replace(
        run, status=RunStatus.FAILED, error=error, cursor=None, wake_at=None, finished_at=now, updated_at=now,
        event_count=run.event_count + 1,
    )
    return Decision(run=failed, events=(*events, failed_event))


def _counted(run: RunState, added: int) -> RunState:
    return dataclasses.replace(run, event_count=run.event_count + added) if added else run


def _event(run: RunState, type_: EventType, now: datetime, **fields: Any) -> HistoryEvent:
    """The next event of ``run``; callers add events one commit at a time via ``_counted``."""
    return HistoryEvent(seq=run.event_count + 1, type=type_, time=now, **fields)


def _choose(state: ChoiceState, context: dict[str, Any], name: str) -> tuple[str, int | None]:
    data = _state_input(state, context, name)
    for rule in state.ordered_rules():
        if is_truthy(_search(rule.when, data, name, "rules.when")):
            return rule.next, state.rules.index(rule)
    if state.default is None:
        raise _RunFails(ErrorName.NO_CHOICE_MATCHED, "no rule matched and the state has no 'default'", name)
    return state.default, None


def _state_input(state: StateBase, context: dict[str, Any], name: str) -> Any:
    return context if state.input is None else _search(state.input, context, name, "input")


def _map_output(state: StateBase, context: dict[str, Any], name: str) -> dict[str, Any]:
    if state.output is None:
        return context
    shaped = _search(state.output, context, name, "output")
    if not isinstance(shaped, dict):
        raise _RunFails(ErrorName.INVALID_RESULT, f"field 'output' must give an object, got {type(shaped).__name__}",
                        name)
    return shaped


def _search(expression: Any, document: Any, name: str, field_name: str) -> Any:
    try:
        return expression.search(document)
    except JMESPathError as exc:
        raise _RunFails(ErrorName.EXPRESSION_FAILED, f"field '{field_name}': {exc}", name) from exc


def _wake_time(state: WaitState, context: dict[str, Any], name: str, now: datetime) -> datetime:
    if state.duration is not None:
        try:
            return datetime.fromtimestamp(now.timestamp() + state.duration, tz=timezone.utc)
        except (OverflowError, OSError, ValueError) as exc:  # beyond what datetime can hold
            raise _RunFails(ErrorName.INVALID_WAIT_TIME, f"field 'duration': {state.duration}s from {now} "
                            f"is out of range", name) from exc
    value = _search(state.until, _state_input(state, context, name), name, "until")
    if not isinstance(value, str):
        raise _RunFails(ErrorName.INVALID_WAIT_TIME, f"field 'until' gave {value!r}, not an ISO-8601 time", name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _RunFails(ErrorName.INVALID_WAIT_TIME, f"field 'until' gave '{value}', not an ISO-8601 time",
                        name) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
