"""How runs look on the API: a summary, and a step timeline built from history."""

from __future__ import annotations

from typing import Any

from chalicelib.engine import EventType, HistoryEvent, RunState
from chalicelib.store import RunSummary, StoredRun
from chalicelib.store.codec import event_to_dict

__all__ = ["run_view", "timeline", "event_view", "summary_view"]

_LEAVES_STATE = {
    EventType.STATE_SUCCEEDED: "succeeded",
    EventType.STATE_FAILED: "failed",
    EventType.RUN_SUCCEEDED: "succeeded",
    EventType.RUN_FAILED: "failed",
    EventType.RUN_CANCELLED: "cancelled",
    EventType.COMPENSATION_SUCCEEDED: "compensated",
    EventType.COMPENSATION_FAILED: "compensation_failed",
}


def run_view(stored: StoredRun) -> dict[str, Any]:
    run = stored.run
    return {
        "run_id": run.run_id,
        "flow": run.flow,
        "flow_version": run.flow_version,
        "status": run.status.value,
        "current_state": run.cursor,
        "attempt": run.attempt,
        "wake_at": run.wake_at,
        "context": run.context,
        "error": run.error.to_dict() if run.error else None,
        "started_at": run.started_at,
        "updated_at": run.updated_at,
        "finished_at": run.finished_at,
        "started_by": {k: v for k, v in vars(run.started_by).items() if v is not None},
        "version": stored.version,
    }


def timeline(run: RunState, events: list[HistoryEvent]) -> list[dict[str, Any]]:
    """One step per state visit: when it was entered, when it was left, how long it took."""
    steps: list[dict[str, Any]] = []
    entered: dict[str, Any] = {}
    for event in events:
        if event.type in _LEAVES_STATE and event.state is not None:
            if event.type is EventType.RUN_FAILED and steps and steps[-1]["state"] == event.state \
                    and steps[-1]["status"] == "failed":
                continue  # the state's own failure already closed this step
            began = entered.pop(event.state, event.time)
            steps.append({
                "state": event.state,
                "status": _LEAVES_STATE[event.type],
                "started_at": began,
                "ended_at": event.time,
                "duration_ms": int((event.time - began).total_seconds() * 1000),
                "attempt": event.attempt,
                "error": event.error.to_dict() if event.error else None,
            })
        if event.next is not None:
            entered[event.next] = event.time
    if not run.status.finished and run.cursor is not None:
        steps.append({
            "state": run.cursor,
            "status": "waiting" if run.wake_at else "running",
            "started_at": entered.get(run.cursor, run.updated_at),
            "ended_at": None,
            "duration_ms": None,
            "attempt": run.attempt,
            "error": None,
        })
    return steps


def event_view(event: HistoryEvent) -> dict[str, Any]:
    """The stored JSON shape of an event, with its time left for the response encoder to format."""
    return {**event_to_dict(event), "time": event.time}


def summary_view(summary: RunSummary) -> dict[str, Any]:
    return {
        "run_id": summary.run_id,
        "flow": summary.flow,
        "status": summary.status,
        "started_at": summary.started_at,
        "finished_at": summary.finished_at,
    }
