"""The pure core: flow + run + event + now -> Decision. No AWS, no clock, no randomness."""

from chalicelib.engine.advance import advance, digest, pending_action, start
from chalicelib.engine.decision import ActionRequest, Decision, ScheduleWork, WorkKind
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.events import ActionFailed, ActionSucceeded, Event, Resume
from chalicelib.engine.state import EventType, HistoryEvent, RunError, RunState, RunStatus, StartedBy

__all__ = [
    "ActionFailed",
    "ActionRequest",
    "ActionSucceeded",
    "Decision",
    "EngineError",
    "ErrorName",
    "Event",
    "EventType",
    "HistoryEvent",
    "Resume",
    "RunError",
    "RunState",
    "RunStatus",
    "ScheduleWork",
    "StartedBy",
    "WorkKind",
    "advance",
    "digest",
    "pending_action",
    "start",
]
