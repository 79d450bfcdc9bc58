"""The pure core: flow + run + event + now -> Decision. No AWS, no clock, no randomness."""

from chalicelib.engine.advance import advance, digest, pending_action, start
from chalicelib.engine.control import RunNotCancellable, RunNotRedrivable, cancel, redrive
from chalicelib.engine.decision import (
    ActionRequest, BranchStart, Decision, ScheduleWork, SpawnRequest, SubflowRequest, WorkKind,
)
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.events import (
    ActionFailed, ActionSucceeded, BranchOutcome, ChildFinished, ChildStarted, Event, Joined, Resume, Spawned,
)
from chalicelib.engine.groups import branch_id, pending_spawn, start_branch
from chalicelib.engine.subflows import child_run_id, pending_subflow
from chalicelib.engine.state import EventType, HistoryEvent, RunError, RunState, RunStatus, StartedBy

__all__ = [
    "ActionFailed",
    "ActionRequest",
    "ActionSucceeded",
    "BranchOutcome",
    "BranchStart",
    "ChildFinished",
    "ChildStarted",
    "Decision",
    "EngineError",
    "ErrorName",
    "Event",
    "EventType",
    "HistoryEvent",
    "Joined",
    "Resume",
    "RunError",
    "RunNotCancellable",
    "RunNotRedrivable",
    "RunState",
    "RunStatus",
    "ScheduleWork",
    "SpawnRequest",
    "SubflowRequest",
    "Spawned",
    "StartedBy",
    "WorkKind",
    "advance",
    "branch_id",
    "cancel",
    "child_run_id",
    "digest",
    "pending_action",
    "pending_spawn",
    "pending_subflow",
    "redrive",
    "start",
    "start_branch",
]
