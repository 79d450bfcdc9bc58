"""The worker: one work message becomes at most one committed transition of one cursor (run or branch).

load (strongly consistent) -> drop if stale -> a branch whose join was closed cancels itself ->
perform the state's effect (action, spawn branches, or read the join) -> engine.advance ->
one conditional commit -> enqueue the follow-up (and start the next map item / wake the parent).
A crash anywhere before the commit leaves the cursor untouched and the message
is redelivered; a crash after it is healed by the sweeper via ``due_at``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from chalicelib import engine
from chalicelib.flows import Flow
from chalicelib.queue import WorkMessage, schedule
from chalicelib.runtime.branching import after_branch_finished, join_event, spawn, start_lane_heads
from chalicelib.runtime.control import after_commit
from chalicelib.runtime.observability import logger
from chalicelib.runtime.services import Services
from chalicelib.runtime.subflows import child_event, start_child
from chalicelib.store import ConcurrentModification, GroupClosed, NewBranch, StoredRun

__all__ = ["Outcome", "process_message"]


class Outcome(str, enum.Enum):
    ADVANCED = "advanced"
    STALE = "stale"
    MISSING = "missing"
    LOST_RACE = "lost_race"
    CANCELLED = "cancelled"


_FOREIGN = (engine.WorkKind.SWEEP, engine.WorkKind.JOIN)


def process_message(services: Services, message: WorkMessage) -> Outcome:
    stored = services.repository.get(message.run_id, message.branch)
    if stored is None:
        logger.warning("work for unknown run dropped", extra={"run_id": message.run_id, "branch": message.branch})
        return Outcome.MISSING
    run = stored.run
    if run.status.finished or stored.version != message.seq:
        logger.debug("stale work message dropped",
                     extra={"run_id": run.run_id, "seq": message.seq, "version": stored.version})
        return Outcome.STALE
    if message.kind in _FOREIGN and stored.pending_events:
        # The last commit may have crashed before copying its events out, and this message does not
        # come from that commit's own schedule (which runs only after the copy): copy them first, or
        # the commit below replaces pending_events and they are lost (a branch's join wake can reach
        # a parent whose spawn commit crashed mid-copy, before the sweeper does).
        services.repository.flush(stored)
    flow = services.flows.pinned(run.flow, run.flow_version)
    now = services.clock.now()
    request = engine.pending_spawn(flow, run, now)
    child = engine.pending_subflow(flow, run, now) if request is None else None
    waits = run.children is not None or run.child_run is not None
    action = engine.pending_action(flow, run, now) if request is None and child is None and not waits else None
    if run.group is not None and (request or child or action or run.wake_at or waits):
        # Before a side effect or a timer hop a branch checks that its parent still wants it; pure
        # steps skip the read, and a branch's last commit is conditioned on the open join anyway.
        join = services.branches.join(run.run_id, run.group)
        if join is None or not join.open:
            return _cancel_branch(services, stored, now)
    heads: list[NewBranch] = []
    if request is not None:
        event, heads = spawn(services, flow, run, request, now)
    elif child is not None:
        event = start_child(services, run, child)
    elif run.children is not None:
        event = join_event(services, run)
    elif run.child_run is not None:
        event = child_event(services, run)
    else:
        event = services.actions.perform(action) if action is not None else engine.Resume()
        now = services.clock.now()  # the action took time; a late result is a timeout
    decision = engine.advance(flow, run, event, now, jitter=services.random())
    return _commit(services, flow, stored, decision, heads, now, isinstance(event, engine.ChildFinished))


def _commit(services: Services, flow: Flow, stored: StoredRun, decision: engine.Decision, heads: list[NewBranch],
            now: datetime, child_finished: bool = False) -> Outcome:
    run = decision.run
    try:
        version = services.repository.commit(decision, stored.version, successor=stored.successor,
                                             due_since=stored.due_at)
    except ConcurrentModification:
        logger.info("lost the race for a run; another worker committed", extra={"run_id": run.run_id})
        return Outcome.LOST_RACE
    except GroupClosed:
        return _cancel_branch(services, stored, now)
    schedule(services.queue, run.run_id, version, decision.work, now, branch=run.branch)
    start_lane_heads(services, run.run_id, heads, now)
    if run.branch is not None and run.status in (engine.RunStatus.SUCCEEDED, engine.RunStatus.FAILED):
        after_branch_finished(services, stored, run)
    after_commit(services, stored.run, run, child_finished)
    return Outcome.ADVANCED


def _cancel_branch(services: Services, stored: StoredRun, now: datetime) -> Outcome:
    """The parent left the parallel/map state: this branch stops, and closes its own children's join."""
    decision = engine.cancel(stored.run, now, "the parent state closed its branches")
    try:
        services.repository.commit(decision, stored.version)
    except ConcurrentModification:
        return Outcome.LOST_RACE
    after_commit(services, stored.run, decision.run)
    return Outcome.CANCELLED
