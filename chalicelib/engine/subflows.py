"""Subflow states: which child run to start, and what its end means for the parent.

The engine never sees the child's item: the runtime starts the child from a
:class:`SubflowRequest`, reports ``ChildStarted``, and later ``ChildFinished``
with the child's status read from the store. While it waits, the parent keeps
the same 15-minute heartbeat as a parallel/map state, so a lost wake-up
message cannot strand it.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from chalicelib.engine.decision import Decision, ScheduleWork, SubflowRequest, WorkKind
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.events import ChildFinished, ChildStarted
from chalicelib.engine.state import EventType, RunError, RunState, RunStatus
from chalicelib.engine.steps import JOIN_CHECK, RunFails, counted, earliest, event, state_input, states_of
from chalicelib.engine.transitions import complete, state_failed
from chalicelib.flows.loader import Flow
from chalicelib.flows.models import SubflowState

__all__ = ["child_run_id", "pending_subflow", "child_started", "child_finished", "waiting_for_child"]

_NAMESPACE = uuid.UUID("0b8e7f5c-2a41-4f0e-9d3c-7c1f4e2a9b60")


def child_run_id(run: RunState) -> str:
    """The child's id, a function of the parent cursor, its state, attempt and history position.

    A redelivered or raced message derives the same id, so it finds the child instead of
    starting a second one; a retry (next attempt) or a redrive (later position) gets a new one.
    """
    key = f"{run.run_id}\n{run.branch or ''}\n{run.cursor}\n{run.attempt}\n{run.event_count}"
    return str(uuid.uuid5(_NAMESPACE, key))


def child_input(state: SubflowState, context: dict[str, Any], name: str) -> dict[str, Any]:
    """The state input as the child's run input, with the state's ``params`` under ``params``."""
    value = state_input(state, context, name)
    run_input = dict(value) if isinstance(value, dict) else {"input": value}
    if state.params:
        given = run_input.get("params")
        run_input["params"] = {**(given if isinstance(given, dict) else {}), **state.params}
    return run_input


def pending_subflow(flow: Flow, run: RunState, now: datetime | None = None) -> SubflowRequest | None:
    """The child to start when the cursor sits in a subflow state that has none yet."""
    if run.status is not RunStatus.RUNNING or run.cursor is None or run.child_run is not None:
        return None
    if run.unwinding is not None or (now is not None and run.wake_at is not None and now < run.wake_at):
        return None
    state = states_of(flow, run)[run.cursor]
    if not isinstance(state, SubflowState):
        return None
    if now is not None and run.deadline is not None and now >= run.deadline:
        return None  # advance times the state out instead
    try:
        return SubflowRequest(child_run_id(run), state.flow, child_input(state, run.context, run.cursor), run.cursor)
    except RunFails:
        return None  # advance re-evaluates and fails the state with the same error


def _heartbeat(run: RunState, now: datetime) -> ScheduleWork:
    return ScheduleWork(WorkKind.JOIN, earliest(now + JOIN_CHECK, run.deadline, run.run_deadline))


def child_started(run: RunState, name: str, started: ChildStarted, now: datetime) -> Decision:
    """Record the child in the parent's history and wait for it."""
    record = event(run, EventType.SUBFLOW_STARTED, now, state=name, attempt=run.attempt,
                   detail={"child_run_id": started.run_id, "flow": started.flow, "version": started.version})
    parked = dataclasses.replace(counted(run, 1), child_run=started.run_id, wake_at=None, updated_at=now)
    return Decision(run=parked, events=(record,), work=_heartbeat(parked, now))


def child_finished(flow: Flow, run: RunState, name: str, state: SubflowState, done: ChildFinished, now: datetime,
                   jitter: float) -> Decision:
    """The child's output is the state's result; its error fails the state (retryable and catchable by name)."""
    if done.run_id != run.child_run:
        raise EngineError(f"state '{name}' waits for child run {run.child_run}, not {done.run_id}")
    if done.succeeded:
        return complete(flow, run, name, state, done.output, state.next, now)
    child_error = done.error or RunError(ErrorName.SUBFLOW_FAILED)
    error = RunError(child_error.error, f"child run {done.run_id} ({state.flow}): {child_error.cause}", name)
    return state_failed(flow, run, name, state, error, retryable=True, now=now, jitter=jitter)


def waiting_for_child(flow: Flow, run: RunState, name: str, state: SubflowState, now: datetime,
                      jitter: float) -> Decision:
    """A heartbeat with the child still running: time out (the runtime then cancels the child), or keep waiting."""
    if run.child_run is None:
        child_input(state, run.context, name)  # raises the reason the child could not be started
        raise EngineError(f"state '{name}' has no child run yet; the runtime must start it first")
    if run.deadline is not None and now >= run.deadline:
        error = RunError(ErrorName.TIMEOUT, f"child run {run.child_run} did not finish within the state's timeout",
                         name)
        return state_failed(flow, run, name, state, error, retryable=True, now=now, jitter=jitter)
    return Decision(run=dataclasses.replace(run, updated_at=now), work=_heartbeat(run, now))
