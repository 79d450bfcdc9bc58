"""Deliberately broken variants of the runtime, used only to show the chaos suite can fail.

Each mutation removes one safeguard; the suite must report violations with it
in place. ``CHAOS_BREAK=stale-check`` or ``CHAOS_BREAK=sweeper`` applies one to
the full chaos test for a demonstration (see docs/benchmarks.md).
"""

from __future__ import annotations

from chalicelib import engine
from chalicelib.queue import WorkMessage, schedule
from chalicelib.runtime.services import Services
from chalicelib.runtime.worker import Outcome
from chalicelib.store import ConcurrentModification

__all__ = ["process_message_without_stale_check", "MUTATIONS"]


def process_message_without_stale_check(services: Services, message: WorkMessage) -> Outcome:
    """``worker.process_message`` minus the line that drops stale and finished-run messages."""
    stored = services.repository.get(message.run_id)
    if stored is None:
        return Outcome.MISSING
    run = stored.run
    flow = services.flows.pinned(run.flow, run.flow_version)
    request = engine.pending_action(flow, run)
    event: engine.Event = services.actions.perform(request) if request is not None else engine.Resume()
    now = services.clock.now()
    decision = engine.advance(flow, run, event, now)
    try:
        version = services.repository.commit(decision, stored.version)
    except ConcurrentModification:
        return Outcome.LOST_RACE
    schedule(services.queue, run.run_id, version, decision.work, now)
    return Outcome.ADVANCED


MUTATIONS = ("stale-check", "sweeper")
