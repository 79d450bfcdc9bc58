"""Building blocks every transition uses: history events, expression evaluation, the failure signal."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from jmespath.exceptions import JMESPathError

from chalicelib.engine.errors import ErrorName
from chalicelib.engine.state import EventType, HistoryEvent, RunError, RunState, RunStatus
from chalicelib.flows.loader import Flow
from chalicelib.flows.models import StateBase, WaitState

__all__ = ["RunFails", "digest", "event", "counted", "search", "state_input", "map_output", "wake_time",
           "states_of", "finish_failed", "later", "earliest", "JOIN_CHECK"]


class RunFails(Exception):
    """Internal: the step cannot continue; the state fails with this error (never retryable)."""

    def __init__(self, error: str, cause: str, state: str) -> None:
        super().__init__(cause)
        self.run_error = RunError(error=error, cause=cause, state=state)


def digest(value: Any) -> dict[str, Any]:
    """A short fingerprint of a value for history, so events never carry whole payloads."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest()[:16], "bytes": len(text)}


def states_of(flow: Flow, run: RunState) -> dict[str, StateBase]:
    """The states of the machine this cursor runs (the flow, or a branch/iterator of it)."""
    return flow.machine(run.machine).states  # type: ignore[return-value]


def counted(run: RunState, added: int) -> RunState:
    return dataclasses.replace(run, event_count=run.event_count + added) if added else run


def event(run: RunState, type_: EventType, now: datetime, **fields: Any) -> HistoryEvent:
    """The next event of ``run``; callers add events one commit at a time via ``counted``."""
    return HistoryEvent(seq=run.event_count + 1, type=type_, time=now, **fields)


def finish_failed(run: RunState, events: tuple[HistoryEvent, ...], error: RunError, now: datetime,
                  status: RunStatus = RunStatus.FAILED, close_group: str | None = None) -> Any:
    """End the cursor after ``events`` (whose seqs were already counted into ``run``)."""
    from chalicelib.engine.decision import Decision

    type_ = EventType.RUN_CANCELLED if status is RunStatus.CANCELLED else EventType.RUN_FAILED
    last = HistoryEvent(seq=run.event_count + 1, type=type_, time=now, state=error.state, error=error)
    ended = dataclasses.replace(
        run, status=status, error=error, cursor=None, wake_at=None, deadline=None, children=None, unwinding=None,
        child_run=None,
        finished_at=now, updated_at=now, event_count=run.event_count + 1,
    )
    return Decision(run=ended, events=(*events, last), close_group=close_group)


def search(expression: Any, document: Any, name: str, field_name: str) -> Any:
    try:
        return expression.search(document)
    except JMESPathError as exc:
        raise RunFails(ErrorName.EXPRESSION_FAILED, f"field '{field_name}': {exc}", name) from exc


def state_input(state: StateBase, context: dict[str, Any], name: str) -> Any:
    return context if state.input is None else search(state.input, context, name, "input")


def map_output(state: StateBase, context: dict[str, Any], name: str) -> dict[str, Any]:
    if state.output is None:
        return context
    shaped = search(state.output, context, name, "output")
    if not isinstance(shaped, dict):
        raise RunFails(ErrorName.INVALID_RESULT, f"field 'output' must give an object, got {type(shaped).__name__}",
                       name)
    return shaped


def later(now: datetime, seconds: float, name: str, field_name: str) -> datetime:
    try:
        return datetime.fromtimestamp(now.timestamp() + seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:  # beyond what datetime can hold
        raise RunFails(ErrorName.INVALID_WAIT_TIME, f"field '{field_name}': {seconds}s from {now} is out of range",
                       name) from exc


def earliest(*moments: datetime | None) -> datetime:
    return min(m for m in moments if m is not None)


def wake_time(state: WaitState, context: dict[str, Any], name: str, now: datetime) -> datetime:
    if state.duration is not None:
        return later(now, state.duration, name, "duration")
    value = search(state.until, state_input(state, context, name), name, "until")
    if not isinstance(value, str):
        raise RunFails(ErrorName.INVALID_WAIT_TIME, f"field 'until' gave {value!r}, not an ISO-8601 time", name)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RunFails(ErrorName.INVALID_WAIT_TIME, f"field 'until' gave '{value}', not an ISO-8601 time",
                       name) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


JOIN_CHECK = timedelta(minutes=15)
