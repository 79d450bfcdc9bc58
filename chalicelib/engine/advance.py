"""The state machine: ``start`` a run, ask for its ``pending_action``, ``advance`` it.

Pure functions of (flow, run, event, now). Every call returns a complete
:class:`Decision`; the runtime commits it in one conditional write and then
schedules its work, so the engine never sees storage, queues or the clock.
Randomness (retry jitter) comes in as a parameter.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from chalicelib.engine.compensation import compensation_action, unwind
from chalicelib.engine.decision import ActionRequest, Decision, ScheduleWork, WorkKind
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.events import (
    ActionFailed, ActionSucceeded, ChildFinished, ChildStarted, Event, Joined, Resume, Spawned,
)
from chalicelib.engine.groups import joined, spawned, waiting
from chalicelib.engine.subflows import child_finished, child_started, waiting_for_child
from chalicelib.engine.state import EventType, RunError, RunState, RunStatus, StartedBy
from chalicelib.engine.steps import (
    RunFails, counted, digest, earliest, event, finish_failed, later, map_output, search, state_input, states_of,
)
from chalicelib.engine.transitions import complete, enter, fail, move, state_failed
from chalicelib.flows.expressions import is_truthy
from chalicelib.flows.loader import Flow
from chalicelib.flows.models import (
    ChoiceState, FailState, MapState, ParallelState, PassState, StateBase, SubflowState, SucceedState, TaskState,
    WaitState,
)

__all__ = ["start", "pending_action", "advance", "digest", "with_params"]


def start(
    flow: Flow,
    run_id: str,
    run_input: dict[str, Any],
    now: datetime,
    started_by: StartedBy = StartedBy(),
) -> Decision:
    timeout = flow.definition.timeout
    run_input = with_params(flow, run_input)
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
        run_deadline=None if timeout is None else later(now, timeout, flow.definition.start, "timeout"),
    )
    detail = {"input": digest(run_input), "started_by": started_by.to_dict()}
    started = event(run, EventType.RUN_STARTED, now, next=flow.definition.start, detail=detail)
    return enter(flow, run, (started,), flow.definition.start, run.context, now)


def with_params(flow: Flow, run_input: dict[str, Any]) -> dict[str, Any]:
    """A template's run sees ``params``: its declared defaults overlaid with the ``params`` its input gives."""
    defaults = flow.definition.params
    if defaults is None:
        return run_input
    given = run_input.get("params")
    return {**run_input, "params": {**defaults, **(given if isinstance(given, dict) else {})}}


def pending_action(flow: Flow, run: RunState, now: datetime | None = None) -> ActionRequest | None:
    """The action the cursor needs performed: its task (when due and not timed out) or the next compensation.

    Without ``now`` timing is not considered.
    """
    if run.status is not RunStatus.RUNNING:
        return None
    if run.unwinding is not None and run.compensations:
        return compensation_action(flow, run)
    if run.cursor is None:
        return None
    state = states_of(flow, run)[run.cursor]
    if not isinstance(state, TaskState):
        return None
    timeout = state.timeout
    if now is not None:
        if run.wake_at is not None and now < run.wake_at:
            return None
        if run.deadline is not None:
            if now >= run.deadline:
                return None
            timeout = max(1, min(timeout, int((run.deadline - now).total_seconds())))
    where = f"{run.branch}:" if run.branch else ""
    return ActionRequest(
        action=state.action,
        params=dict(state.with_),
        input=state_input(state, run.context, run.cursor),
        idempotency_key=f"{run.run_id}:{where}{run.cursor}:{run.attempt}",
        timeout_seconds=timeout,
    )


def advance(flow: Flow, run: RunState, event_: Event, now: datetime, *, jitter: float = 1.0) -> Decision:
    """Apply ``event_`` to the run; ``jitter`` is a uniform sample in [0, 1] for retry backoff."""
    if run.status is not RunStatus.RUNNING:
        raise EngineError(f"run {run.run_id} is {run.status.value}; nothing to advance")
    if run.unwinding is not None:
        return unwind(run, event_, now)
    if run.cursor is None:
        raise EngineError(f"run {run.run_id} has no current state; nothing to advance")
    name = run.cursor
    state = states_of(flow, run)[name]
    if run.run_deadline is not None and now >= run.run_deadline and run.branch is None:
        error = RunError(ErrorName.TIMEOUT, "the run did not finish within the flow's timeout", name)
        failed = event(run, EventType.STATE_FAILED, now, state=name, attempt=run.attempt, error=error)
        return finish_failed(counted(run, 1), (failed,), error, now, close_group=run.children)
    if run.wake_at is not None and not isinstance(event_, (Spawned, Joined, ChildStarted, ChildFinished)):
        if now < run.wake_at:
            hop = dataclasses.replace(run, updated_at=now)
            kind = WorkKind.TIMER if isinstance(state, WaitState) else WorkKind.RETRY
            return Decision(run=hop, work=ScheduleWork(kind, earliest(run.wake_at, run.run_deadline)))
        if not isinstance(state, WaitState):
            run = dataclasses.replace(run, wake_at=None)  # a retry's back-off is over
    try:
        return _advance_state(flow, run, name, state, event_, now, jitter)
    except RunFails as failure:
        if not hasattr(state, "catch"):  # only states that declare retry/catch handle their own errors
            return fail(run, (), failure.run_error, now, close_group=run.children)
        return state_failed(flow, run, name, state, failure.run_error, retryable=False, now=now, jitter=jitter,
                            close_group=run.children)


def _advance_state(
    flow: Flow, run: RunState, name: str, state: StateBase, event_: Event, now: datetime, jitter: float
) -> Decision:
    if isinstance(state, TaskState):
        return _advance_task(flow, run, name, state, event_, now, jitter)
    if isinstance(state, (MapState, ParallelState)):
        if isinstance(event_, Spawned):
            return spawned(flow, run, name, state, event_, now)
        if isinstance(event_, Joined):
            return joined(flow, run, name, state, event_, now, jitter)
        if isinstance(event_, Resume):
            return waiting(flow, run, name, state, now, jitter)
        raise EngineError(f"state '{name}' waits for its branches; got {type(event_).__name__}")
    if isinstance(state, SubflowState):
        return _advance_subflow(flow, run, name, state, event_, now, jitter)
    if not isinstance(event_, Resume):
        raise EngineError(f"state '{name}' ({type(state).__name__}) performs no action; got {type(event_).__name__}")
    if isinstance(state, ChoiceState):
        target, rule = _choose(state, run.context, name)
        return move(flow, run, name, target, run.context, now, detail={"rule": rule})
    if isinstance(state, PassState):
        value = state_input(state, run.context, name)
        if state.transform is not None:
            value = search(state.transform, value, name, "transform")
        return complete(flow, run, name, state, value, state.next, now)
    if isinstance(state, WaitState):
        if run.wake_at is None:
            raise EngineError(f"run {run.run_id} is in wait state '{name}' without a wake_at")
        return complete(flow, run, name, state, None, state.next, now)
    if isinstance(state, SucceedState):
        context = map_output(state, run.context, name)
        done = dataclasses.replace(
            run, status=RunStatus.SUCCEEDED, context=context, cursor=None, wake_at=None, deadline=None,
            finished_at=now, updated_at=now,
        )
        return Decision(run=counted(done, 1), events=(
            event(run, EventType.RUN_SUCCEEDED, now, state=name, detail={"output": digest(context)}),
        ))
    if isinstance(state, FailState):
        return finish_failed(run, (), RunError(state.error, state.cause, name), now)
    raise EngineError(f"state '{name}' has a type this engine cannot run: {type(state).__name__}")


def _advance_task(
    flow: Flow, run: RunState, name: str, state: TaskState, event_: Event, now: datetime, jitter: float
) -> Decision:
    timed_out = run.deadline is not None and now > run.deadline
    if timed_out and isinstance(event_, (ActionSucceeded, ActionFailed, Resume)):
        error = RunError(ErrorName.TIMEOUT, f"no result within the state's timeout of {state.timeout}s", name)
        return state_failed(flow, run, name, state, error, retryable=True, now=now, jitter=jitter)
    if isinstance(event_, ActionSucceeded):
        return complete(flow, run, name, state, event_.result, state.next, now)
    if isinstance(event_, ActionFailed):
        return state_failed(flow, run, name, state, RunError(event_.error, event_.cause, name),
                            retryable=event_.retryable, now=now, jitter=jitter)
    raise EngineError(f"task state '{name}' advances only on an action outcome, not {type(event_).__name__}")


def _advance_subflow(
    flow: Flow, run: RunState, name: str, state: SubflowState, event_: Event, now: datetime, jitter: float
) -> Decision:
    if isinstance(event_, ChildStarted):
        return child_started(run, name, event_, now)
    if isinstance(event_, ChildFinished):
        return child_finished(flow, run, name, state, event_, now, jitter)
    if isinstance(event_, ActionFailed):  # the child could not be started (unknown flow, invalid input)
        return state_failed(flow, run, name, state, RunError(event_.error, event_.cause, name),
                            retryable=event_.retryable, now=now, jitter=jitter)
    if isinstance(event_, Resume):
        return waiting_for_child(flow, run, name, state, now, jitter)
    raise EngineError(f"state '{name}' waits for its child run; got {type(event_).__name__}")


def _choose(state: ChoiceState, context: dict[str, Any], name: str) -> tuple[str, int | None]:
    data = state_input(state, context, name)
    for rule in state.ordered_rules():
        if is_truthy(search(rule.when, data, name, "rules.when")):
            return rule.next, state.rules.index(rule)
    if state.default is None:
        raise RunFails(ErrorName.NO_CHOICE_MATCHED, "no rule matched and the state has no 'default'", name)
    return state.default, None
