"""Moving the cursor: entering a state, completing it, and a state failing (retry, catch, or fail the run)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from chalicelib.engine.decision import Decision, ScheduleWork, WorkKind
from chalicelib.engine.errors import ErrorName
from chalicelib.engine.state import EventType, HistoryEvent, RunError, RunState
from chalicelib.engine.steps import (
    RunFails, counted, digest, earliest, event, finish_failed, later, map_output, search, state_input, states_of,
    wake_time,
)
from chalicelib.flows.expressions import is_truthy
from chalicelib.flows.loader import Flow
from chalicelib.flows.models import MapState, ParallelState, StateBase, SubflowState, TaskState, WaitState

__all__ = ["enter", "complete", "move", "fail", "state_failed", "items_of", "deadline_for", "with_close"]


def items_of(state: MapState, context: dict[str, Any], name: str) -> list[Any]:
    value = search(state.items, state_input(state, context, name), name, "items")
    if not isinstance(value, list):
        raise RunFails(ErrorName.INVALID_ITEMS, f"field 'items' must give an array, got {type(value).__name__}", name)
    return value


def deadline_for(state: StateBase, start: datetime, name: str) -> datetime | None:
    """When an attempt of ``state`` begun at ``start`` times out; tasks always have a timeout."""
    timeout = getattr(state, "timeout", None) if isinstance(state, (TaskState, MapState, ParallelState, SubflowState)) else None
    return None if timeout is None else later(start, timeout, name, "timeout")


def with_close(decision: Decision, group: str | None) -> Decision:
    """Leaving a parallel/map state closes its join, which stops any branch still running."""
    return decision if group is None else dataclasses.replace(decision, close_group=group)


def enter(
    flow: Flow, run: RunState, events: tuple[HistoryEvent, ...], target: str, context: dict[str, Any], now: datetime
) -> Decision:
    """Move the cursor to ``target``: check its guard, arm its timers, schedule the next step.

    ``events`` were numbered from ``run.event_count + 1`` and are counted in here.
    """
    state = states_of(flow, run)[target]
    moved = dataclasses.replace(run, cursor=target, context=context, attempt=1, wake_at=None, deadline=None,
                                children=None, child_run=None, updated_at=now)
    moved = counted(moved, len(events))
    try:
        if state.requires is not None and not is_truthy(search(state.requires, context, target, "requires")):
            raise RunFails(
                ErrorName.GUARD_FAILED, f"field 'requires': '{state.requires.source}' is false on entry", target
            )
        if isinstance(state, (TaskState, ParallelState, SubflowState)):
            # Evaluated here only to fail on entry: pending_action/pending_spawn evaluate the same
            # expression on the same context outside advance, where a failure could not end the run.
            state_input(state, context, target)
        if isinstance(state, MapState):
            items_of(state, context, target)
        wake_at = wake_time(state, context, target, now) if isinstance(state, WaitState) else None
        moved = dataclasses.replace(moved, deadline=deadline_for(state, now, target))
    except RunFails as failure:
        return fail(moved, events, failure.run_error, now)
    if wake_at is not None:
        moved = dataclasses.replace(moved, wake_at=wake_at)
        return Decision(run=moved, events=events,
                        work=ScheduleWork(WorkKind.TIMER, earliest(wake_at, moved.run_deadline)))
    return Decision(run=moved, events=events, work=ScheduleWork(WorkKind.ADVANCE, now))


def complete(
    flow: Flow, run: RunState, name: str, state: StateBase, result: Any, target: str, now: datetime
) -> Decision:
    context = run.context
    if state.result is not None:
        try:
            context = state.result.assign(context, result)
        except TypeError as exc:
            raise RunFails(ErrorName.INVALID_RESULT, f"field 'result': {exc}", name) from exc
    context = map_output(state, context, name)
    if getattr(state, "compensate", None) is not None:
        run = dataclasses.replace(run, compensations=(*run.compensations, name))
    detail = {"output": digest(result)} if result is not None else {}
    return move(flow, run, name, target, context, now, detail=detail)


def move(
    flow: Flow, run: RunState, name: str, target: str, context: dict[str, Any], now: datetime,
    detail: dict[str, Any],
) -> Decision:
    left = event(run, EventType.STATE_SUCCEEDED, now, state=name, next=target, attempt=run.attempt, detail=detail)
    return enter(flow, run, (left,), target, context, now)


def fail(run: RunState, events: tuple[HistoryEvent, ...], error: RunError, now: datetime,
         close_group: str | None = None) -> Decision:
    """An uncaught failure: first undo the completed states that declare ``compensate``, newest first."""
    if not run.compensations or run.branch is not None:
        return finish_failed(run, events, error, now, close_group=close_group)
    unwinding = dataclasses.replace(run, cursor=None, wake_at=None, deadline=None, children=None, child_run=None,
                                    unwinding=error, error=error, updated_at=now)
    return Decision(run=unwinding, events=events, work=ScheduleWork(WorkKind.ADVANCE, now), close_group=close_group)


def state_failed(
    flow: Flow, run: RunState, name: str, state: StateBase, error: RunError, *, retryable: bool, now: datetime,
    jitter: float, close_group: str | None = None,
) -> Decision:
    """Retry the state if a policy matches and attempts remain, else route to a matching catch, else fail."""
    retry = getattr(state, "retry", ())
    policy = next((p for p in retry if p.matches(error.error)), None) if retryable else None
    if policy is not None and run.attempt < policy.max_attempts:
        delay = policy.delay(run.attempt, jitter)
        at = later(now, delay, name, "retry")
        failed = event(run, EventType.STATE_FAILED, now, state=name, attempt=run.attempt, error=error,
                       detail={"retry_in_s": round(delay, 3), "next_attempt": run.attempt + 1})
        again = dataclasses.replace(counted(run, 1), attempt=run.attempt + 1, wake_at=at, children=None, child_run=None,
                                    deadline=deadline_for(state, at, name), updated_at=now)
        return Decision(run=again, events=(failed,), work=ScheduleWork(WorkKind.RETRY, at), close_group=close_group)
    rule = next((r for r in getattr(state, "catch", ()) if r.matches(error.error)), None)
    if rule is not None:
        context = run.context if rule.result is None else rule.result.assign(run.context, error.to_dict())
        caught = event(run, EventType.STATE_FAILED, now, state=name, next=rule.next, attempt=run.attempt,
                       error=error, detail={"caught": True})
        return with_close(enter(flow, run, (caught,), rule.next, context, now), close_group)
    failed = event(run, EventType.STATE_FAILED, now, state=name, attempt=run.attempt, error=error)
    return fail(counted(run, 1), (failed,), error, now, close_group)
