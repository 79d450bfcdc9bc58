"""What the engine decided: the new run, the history to record and the work to schedule."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.engine.state import HistoryEvent, RunState

__all__ = ["WorkKind", "ScheduleWork", "ActionRequest", "BranchStart", "SpawnRequest", "SubflowRequest", "Decision"]


class WorkKind(str, enum.Enum):
    ADVANCE = "advance"
    TIMER = "timer"
    RETRY = "retry"
    JOIN = "join"
    SWEEP = "sweep"


@dataclass(frozen=True)
class ScheduleWork:
    """Deliver a work message for the run at ``at`` (the queue turns this into delays and hops)."""

    kind: WorkKind
    at: datetime


@dataclass(frozen=True)
class ActionRequest:
    """An action the runtime must perform before the run can advance."""

    action: str
    params: dict[str, Any]
    input: Any
    idempotency_key: str
    timeout_seconds: int


@dataclass(frozen=True)
class BranchStart:
    """One branch or map item to create: its key in the group, the machine it runs and its context."""

    key: str
    machine: str
    context: dict[str, Any]


@dataclass(frozen=True)
class SpawnRequest:
    """Create the join ``group`` and its branches; at most ``max_concurrency`` run at once (0: all)."""

    group: str
    state: str
    branches: tuple[BranchStart, ...]
    max_concurrency: int
    tolerated: int


@dataclass(frozen=True)
class SubflowRequest:
    """Start ``flow`` as the child run ``run_id`` (derived from the parent cursor, so a redelivery finds it)."""

    run_id: str
    flow: str
    input: dict[str, Any]
    state: str


@dataclass(frozen=True)
class Decision:
    run: RunState
    events: tuple[HistoryEvent, ...] = ()
    work: ScheduleWork | None = None
    close_group: str | None = None

    @property
    def due_at(self) -> datetime | None:
        """When the run must next be worked on; what the sweeper watches."""
        return None if self.work is None else self.work.at
