"""What the engine knows about a run: plain frozen data, no storage concerns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["RunStatus", "EventType", "RunError", "HistoryEvent", "RunState", "StartedBy"]


class RunStatus(str, enum.Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self is not RunStatus.RUNNING


class EventType(str, enum.Enum):
    RUN_STARTED = "RunStarted"
    STATE_SUCCEEDED = "StateSucceeded"
    STATE_FAILED = "StateFailed"
    BRANCHES_STARTED = "BranchesStarted"
    SUBFLOW_STARTED = "SubflowStarted"
    COMPENSATION_SUCCEEDED = "CompensationSucceeded"
    COMPENSATION_FAILED = "CompensationFailed"
    RUN_REDRIVEN = "RunRedriven"
    RUN_CANCELLED = "RunCancelled"
    RUN_SUCCEEDED = "RunSucceeded"
    RUN_FAILED = "RunFailed"


@dataclass(frozen=True)
class RunError:
    error: str
    cause: str | None = None
    state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.error, "cause": self.cause, "state": self.state}


@dataclass(frozen=True)
class StartedBy:
    """Provenance of a run: which trigger started it and who, as far as known.

    ``source`` is api, webhook, schedule, queue or event; ``delivery_id`` is what
    deduplicated the start (delivery header, scheduled time, SQS message id);
    ``trigger`` points into the definition, e.g. ``triggers[1]``. A child run started by a
    ``subflow`` state has source ``subflow``, ``parent`` (the parent run id), ``parent_branch``
    (when the state runs inside a branch) and ``trigger`` naming the parent's state.
    """

    source: str = "api"
    identity: str | None = None
    delivery_id: str | None = None
    trigger: str | None = None
    parent: str | None = None
    parent_branch: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class HistoryEvent:
    """One entry of a run's audit trail; ``seq`` numbers a run's events 1, 2, 3… without gaps."""

    seq: int
    type: EventType
    time: datetime
    state: str | None = None
    next: str | None = None
    attempt: int | None = None
    error: RunError | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunState:
    """A cursor through a flow: a run, or one branch / map item of a run (``branch`` set).

    A branch runs the sub-machine at ``machine`` and belongs to the join ``group``;
    ``children`` is the group a cursor in a parallel/map state waits on; ``child_run`` the run a
    cursor in a subflow state waits on.
    ``compensations`` lists completed states to undo, oldest first; ``unwinding``
    holds the error the run ends with while they run.
    """

    run_id: str
    flow: str
    flow_version: str
    status: RunStatus
    cursor: str | None
    context: dict[str, Any]
    started_at: datetime
    updated_at: datetime
    started_by: StartedBy = StartedBy()
    attempt: int = 1
    event_count: int = 0
    wake_at: datetime | None = None
    finished_at: datetime | None = None
    error: RunError | None = None
    branch: str | None = None
    machine: str | None = None
    group: str | None = None
    children: str | None = None
    deadline: datetime | None = None
    run_deadline: datetime | None = None
    compensations: tuple[str, ...] = ()
    unwinding: RunError | None = None
    child_run: str | None = None
