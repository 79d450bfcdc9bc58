"""Parallel and map states: which branches to create, and what their join means for the parent.

The engine never sees the branches' items: the runtime creates them from a
:class:`SpawnRequest`, reports ``Spawned``, and later ``Joined`` with the
finished branches' outcomes read from the store.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from chalicelib.engine.decision import BranchStart, Decision, ScheduleWork, SpawnRequest, WorkKind
from chalicelib.engine.errors import EngineError, ErrorName
from chalicelib.engine.events import Joined, Spawned
from chalicelib.engine.state import EventType, RunError, RunState, RunStatus
from chalicelib.engine.steps import JOIN_CHECK, RunFails, counted, earliest, event, state_input, states_of
from chalicelib.engine.transitions import complete, enter, items_of, state_failed
from chalicelib.flows.loader import Flow
from chalicelib.flows.models import MapState, ParallelState

__all__ = ["pending_spawn", "start_branch", "spawned", "joined", "waiting", "branch_id"]

GroupState = MapState | ParallelState


def branch_id(group: str, key: str) -> str:
    return f"{group}#{key}"


def pending_spawn(flow: Flow, run: RunState, now: datetime | None = None) -> SpawnRequest | None:
    """The branches to create when the cursor sits in a parallel/map state that has none yet."""
    if run.status is not RunStatus.RUNNING or run.cursor is None or run.children is not None:
        return None
    if now is not None and run.wake_at is not None and now < run.wake_at:
        return None
    name = run.cursor
    state = states_of(flow, run)[name]
    if not isinstance(state, (MapState, ParallelState)):
        return None
    group = f"{run.branch}/{name}@{run.event_count}" if run.branch else f"{name}@{run.event_count}"
    base = f"{run.machine}/" if run.machine else ""
    try:
        if isinstance(state, MapState):
            items = items_of(state, run.context, name)
            branches = tuple(BranchStart(f"{i:06d}", f"{base}{name}", {"item": item, "index": i})
                             for i, item in enumerate(items))
            return SpawnRequest(group, name, branches, state.max_concurrency, state.tolerated(len(items)))
        shared = state_input(state, run.context, name)
        context = shared if isinstance(shared, dict) else {"input": shared}
        branches = tuple(BranchStart(key, f"{base}{name}:{key}", dict(context)) for key in state.branches)
        return SpawnRequest(group, name, branches, 0, 0)
    except RunFails:
        return None  # advance re-evaluates and fails the state with the same error


def start_branch(flow: Flow, parent: RunState, spawn: SpawnRequest, branch: BranchStart, now: datetime) -> Decision:
    """A new cursor for one branch/map item, entered into its machine's start state."""
    run = RunState(
        run_id=parent.run_id, flow=parent.flow, flow_version=parent.flow_version, status=RunStatus.RUNNING,
        cursor=None, context=branch.context, started_at=now, updated_at=now, started_by=parent.started_by,
        branch=branch_id(spawn.group, branch.key), machine=branch.machine, group=spawn.group,
    )
    start = flow.machine(branch.machine).start
    began = event(run, EventType.RUN_STARTED, now, next=start, detail={"group": spawn.group, "key": branch.key})
    return enter(flow, run, (began,), start, branch.context, now)


def _heartbeat(run: RunState, now: datetime) -> ScheduleWork:
    """While branches run the parent re-checks its join now and then: a lost notification cannot strand it."""
    return ScheduleWork(WorkKind.JOIN, earliest(now + JOIN_CHECK, run.deadline, run.run_deadline))


def spawned(flow: Flow, run: RunState, name: str, state: GroupState, done: Spawned, now: datetime) -> Decision:
    if done.total == 0:
        return complete(flow, run, name, state, [] if isinstance(state, MapState) else {}, state.next, now)
    started = event(run, EventType.BRANCHES_STARTED, now, state=name, attempt=run.attempt,
                    detail={"group": done.group, "branches": done.total})
    parked = dataclasses.replace(counted(run, 1), children=done.group, wake_at=None, updated_at=now)
    return Decision(run=parked, events=(started,), work=_heartbeat(parked, now))


def joined(
    flow: Flow, run: RunState, name: str, state: GroupState, join: Joined, now: datetime, jitter: float
) -> Decision:
    outcomes = sorted(join.outcomes, key=lambda o: o.key)
    failures = [o for o in outcomes if not o.succeeded]
    tolerated = state.tolerated(join.total) if isinstance(state, MapState) else 0
    if len(failures) > tolerated:
        first = failures[0]
        first_error = first.error or RunError("BranchFailed")
        if tolerated == 0:
            error = RunError(first_error.error, f"branch '{first.key}': {first_error.cause}", name)
        else:
            error = RunError(ErrorName.TOLERATED_FAILURES_EXCEEDED,
                             f"{len(failures)} of {join.total} items failed, {tolerated} tolerated; first: "
                             f"item {first.key}: {first_error.error}: {first_error.cause}", name)
        return state_failed(flow, run, name, state, error, retryable=True, now=now, jitter=jitter,
                            close_group=run.children)
    if isinstance(state, MapState):
        result: object = [o.output if o.succeeded else (o.error or RunError("BranchFailed")).to_dict()
                          for o in outcomes]
    else:
        result = {o.key: o.output for o in outcomes}
    decision = complete(flow, run, name, state, result, state.next, now)
    return dataclasses.replace(decision, close_group=run.children)


def waiting(flow: Flow, run: RunState, name: str, state: GroupState, now: datetime, jitter: float) -> Decision:
    """A heartbeat with the join still open: time out, or keep waiting."""
    if run.children is None:
        if isinstance(state, MapState):
            items_of(state, run.context, name)  # raises the reason spawning was impossible
        raise EngineError(f"state '{name}' has no branches yet; the runtime must spawn them first")
    if run.deadline is not None and now >= run.deadline:
        error = RunError(ErrorName.TIMEOUT, f"branches did not finish within the state's timeout", name)
        return state_failed(flow, run, name, state, error, retryable=True, now=now, jitter=jitter,
                            close_group=run.children)
    return Decision(run=dataclasses.replace(run, updated_at=now), work=_heartbeat(run, now))
