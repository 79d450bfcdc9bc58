"""The runtime side of parallel/map states: create branches, read joins, wake the parent.

Lanes keep ``max_concurrency``: item ``i`` is started by the commit that
finishes item ``i - max_concurrency``, inside that same transaction, so at most
``max_concurrency`` items run at once and no counter is read-modified-written.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib import engine
from chalicelib.flows import Flow
from chalicelib.queue import WorkMessage, schedule
from chalicelib.runtime.services import Services
from chalicelib.store import NewBranch, StoredRun

__all__ = ["spawn", "start_lane_heads", "join_event", "after_branch_finished"]

_FINISHED = (engine.RunStatus.SUCCEEDED, engine.RunStatus.FAILED)


def spawn(services: Services, flow: Flow, run: engine.RunState, request: engine.SpawnRequest,
          now: datetime) -> tuple[engine.Spawned, list[NewBranch]]:
    """Create the join and every branch item (only the first lane-heads due); idempotent on redelivery."""
    total = len(request.branches)
    if total == 0:
        return engine.Spawned(request.group, 0), []
    fresh = services.branches.create_join(run.run_id, request.group, request.state, run.branch, total,
                                          request.tolerated, now)
    lanes = request.max_concurrency or total
    created = [
        NewBranch(
            decision=engine.start_branch(flow, run, request, branch, now),
            active=index < lanes,
            successor=engine.branch_id(request.group, request.branches[index + lanes].key)
            if index + lanes < total else None,
        )
        for index, branch in enumerate(request.branches)
    ]
    services.branches.create_branches(created, retrying=not fresh)
    return engine.Spawned(request.group, total), [b for b in created if b.active]


def start_lane_heads(services: Services, run_id: str, heads: list[NewBranch], now: datetime) -> None:
    for head in heads:
        schedule(services.queue, run_id, 1, head.decision.work, now, branch=head.decision.run.branch)


def join_event(services: Services, run: engine.RunState) -> engine.Event:
    """``Joined`` with the finished branches once the join is complete, else ``Resume`` (keep waiting)."""
    join = services.branches.join(run.run_id, run.children) if run.children else None
    if join is None or not join.complete:
        return engine.Resume()
    outcomes = tuple(
        engine.BranchOutcome(
            key=(branch.branch or "").rsplit("#", 1)[-1],
            succeeded=branch.status is engine.RunStatus.SUCCEEDED,
            output=branch.context if branch.status is engine.RunStatus.SUCCEEDED else None,
            error=branch.error,
        )
        for branch in services.branches.outcomes(run.run_id, join.group)
        if branch.status in _FINISHED
    )
    return engine.Joined(outcomes, total=join.total)


def after_branch_finished(services: Services, stored: StoredRun, finished: engine.RunState) -> None:
    """Start the lane's next item and, if this finish completed the join, wake the parent."""
    if stored.successor is not None:
        services.queue.send(WorkMessage(run_id=finished.run_id, seq=1, branch=stored.successor), 0)
    if finished.group is None:
        return
    join = services.branches.join(finished.run_id, finished.group)
    if join is None or not join.complete or not join.open:
        return
    parent = services.repository.get(finished.run_id, join.parent_branch)
    if parent is None or parent.run.children != join.group:
        return  # the parent already moved on (joined, timed out or was cancelled)
    services.queue.send(WorkMessage(run_id=finished.run_id, seq=parent.version, branch=join.parent_branch,
                                    kind=engine.WorkKind.JOIN), 0)
