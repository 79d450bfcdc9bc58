"""Operator commands on a whole run: cancel it, or redrive a failed one from the state that failed."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from chalicelib.engine.decision import Decision, ScheduleWork, WorkKind
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.state import EventType, RunError, RunState, RunStatus
from chalicelib.engine.steps import event, finish_failed, later
from chalicelib.engine.transitions import enter
from chalicelib.flows.loader import Flow

__all__ = ["cancel", "redrive", "RunNotRedrivable", "RunNotCancellable"]


class RunNotRedrivable(EngineError):
    code = "run_not_redrivable"


class RunNotCancellable(EngineError):
    code = "run_not_cancellable"


def cancel(run: RunState, now: datetime, reason: str | None = None, *, compensate: bool = False) -> Decision:
    """Stop the cursor and close its join, so running branches stop at their next step.

    With ``compensate`` the completed states are undone first (a rollback); the run then ends CANCELLED.
    """
    if run.status.finished:
        raise RunNotCancellable(f"run {run.run_id} is already {run.status.value}")
    error = RunError(ErrorName.CANCELLED, reason or "cancelled on request", run.cursor)
    if compensate and run.compensations and run.unwinding is None:
        unwinding = dataclasses.replace(run, cursor=None, wake_at=None, deadline=None, children=None,
                                        child_run=None, unwinding=error, error=error, updated_at=now)
        return Decision(run=unwinding, work=ScheduleWork(WorkKind.ADVANCE, now), close_group=run.children)
    return finish_failed(run, (), error, now, status=RunStatus.CANCELLED, close_group=run.children)


def redrive(flow: Flow, run: RunState, now: datetime, patch: dict[str, Any] | None = None) -> Decision:
    """Re-enter the failed state of a failed run, on ``flow`` (the pinned or a newer version).

    ``patch`` is merged into the context first (top-level keys), to fix the input that made it fail.
    """
    if run.status is not RunStatus.FAILED or run.branch is not None:
        raise RunNotRedrivable(f"run {run.run_id} is {run.status.value}; only failed runs can be redriven")
    state = run.error.state if run.error else None
    if state is None or state not in flow.definition.states:
        raise RunNotRedrivable(f"run {run.run_id} failed in '{state}', which flow {flow.name}@{flow.version} "
                               f"does not have at its top level")
    context = {**run.context, **(patch or {})}
    revived = dataclasses.replace(
        run, status=RunStatus.RUNNING, error=None, finished_at=None, flow_version=flow.version, unwinding=None,
        run_deadline=None if flow.definition.timeout is None else later(now, flow.definition.timeout, state, "timeout"),
    )
    again = event(revived, EventType.RUN_REDRIVEN, now, state=state, next=state,
                  detail={"from_version": run.flow_version, "to_version": flow.version,
                          "patched": sorted(patch or {})})
    return enter(flow, revived, (again,), state, context, now)
