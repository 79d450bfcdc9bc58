"""Deliberately broken variants of the runtime, used only to show the chaos suite can fail.

Each mutation removes one safeguard; the suite must report violations with it
in place. ``CHAOS_BREAK=stale-check`` or ``CHAOS_BREAK=sweeper`` applies one to
the full chaos test for a demonstration (see the README, "Chaos suite").
"""

from __future__ import annotations

from chalicelib import engine
from chalicelib.queue import WorkMessage
from chalicelib.runtime.branching import join_event, spawn
from chalicelib.runtime.services import Services
from chalicelib.runtime.worker import _FOREIGN, Outcome, _cancel_branch, _commit
from chalicelib.store import NewBranch

__all__ = ["process_message_without_stale_check", "MUTATIONS"]


def process_message_without_stale_check(services: Services, message: WorkMessage) -> Outcome:
    """``worker.process_message`` minus the line that drops stale and finished-cursor messages.

    Everything else is the current worker, line for line (branches, sweep flush, joins, the
    one-write commit via the worker's own ``_commit``).
    """
    stored = services.repository.get(message.run_id, message.branch)
    if stored is None:
        return Outcome.MISSING
    run = stored.run
    # removed: if run.status.finished or stored.version != message.seq: return Outcome.STALE
    if message.kind in _FOREIGN and stored.pending_events:
        services.repository.flush(stored)
    flow = services.flows.pinned(run.flow, run.flow_version)
    now = services.clock.now()
    request = engine.pending_spawn(flow, run, now)
    action = engine.pending_action(flow, run, now) if request is None and run.children is None else None
    if run.group is not None and (request or action or run.wake_at or run.children):
        join = services.branches.join(run.run_id, run.group)
        if join is None or not join.open:
            return _cancel_branch(services, stored, now)
    heads: list[NewBranch] = []
    if request is not None:
        event, heads = spawn(services, flow, run, request, now)
    elif run.children is not None:
        event = join_event(services, run)
    else:
        event = services.actions.perform(action) if action is not None else engine.Resume()
        now = services.clock.now()
    decision = engine.advance(flow, run, event, now, jitter=services.random())
    return _commit(services, flow, stored, decision, heads, now)


MUTATIONS = ("stale-check", "sweeper")
