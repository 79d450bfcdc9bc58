"""Undoing completed states when a run fails or is rolled back: newest first, each once, best effort."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from jmespath.exceptions import JMESPathError

from chalicelib.engine.decision import ActionRequest, Decision, ScheduleWork, WorkKind
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.events import ActionFailed, ActionSucceeded, Event
from chalicelib.engine.state import EventType, RunError, RunState, RunStatus
from chalicelib.engine.steps import counted, digest, event, finish_failed, states_of
from chalicelib.flows.loader import Flow
from chalicelib.flows.models import CompensateAction, TaskState

__all__ = ["compensation_action", "unwind"]


def compensation_action(flow: Flow, run: RunState) -> ActionRequest:
    name = run.compensations[-1]
    states = states_of(flow, run)
    undo = getattr(states[name], "compensate")
    spec: TaskState | CompensateAction = states[undo] if isinstance(undo, str) else undo  # type: ignore[assignment]
    try:
        value = run.context if spec.input is None else spec.input.search(run.context)
    except JMESPathError:
        value = run.context  # the undo still runs; its action sees the whole context
    return ActionRequest(action=spec.action, params=dict(spec.with_), input=value,
                         idempotency_key=f"{run.run_id}:{name}:compensate", timeout_seconds=spec.timeout)


def unwind(run: RunState, outcome: Event, now: datetime) -> Decision:
    """Record one compensation's outcome and move to the next; the last one ends the run."""
    name = run.compensations[-1]
    if isinstance(outcome, ActionSucceeded):
        done = event(run, EventType.COMPENSATION_SUCCEEDED, now, state=name, detail={"output": digest(outcome.result)})
    elif isinstance(outcome, ActionFailed):
        done = event(run, EventType.COMPENSATION_FAILED, now, state=name,
                     error=RunError(outcome.error, outcome.cause, name))
    else:
        raise EngineError(f"run {run.run_id} is compensating '{name}'; got {type(outcome).__name__}")
    rest = dataclasses.replace(counted(run, 1), compensations=run.compensations[:-1], updated_at=now)
    if rest.compensations:
        return Decision(run=rest, events=(done,), work=ScheduleWork(WorkKind.ADVANCE, now))
    final = run.unwinding or RunError("Unknown")
    status = RunStatus.CANCELLED if final.error == ErrorName.CANCELLED else RunStatus.FAILED
    return finish_failed(rest, (done,), final, now, status=status)
