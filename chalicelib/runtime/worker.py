"""The worker: one work message becomes at most one committed transition.

load (strongly consistent) -> drop if stale -> perform the state's action ->
engine.advance -> one conditional commit -> enqueue the follow-up.
A crash anywhere before the commit leaves the run untouched and the message
is redelivered; a crash after it is healed by the sweeper via ``due_at``.
"""

from __future__ import annotations

import enum

from chalicelib import engine
from chalicelib.queue import WorkMessage, schedule
from chalicelib.runtime.observability import logger
from chalicelib.runtime.services import Services
from chalicelib.store import ConcurrentModification

__all__ = ["Outcome", "process_message"]


class Outcome(str, enum.Enum):
    ADVANCED = "advanced"
    STALE = "stale"
    MISSING = "missing"
    LOST_RACE = "lost_race"


def process_message(services: Services, message: WorkMessage) -> Outcome:
    stored = services.repository.get(message.run_id)
    if stored is None:
        logger.warning("work for unknown run dropped", extra={"run_id": message.run_id})
        return Outcome.MISSING
    run = stored.run
    if run.status.finished or stored.version != message.seq:
        logger.debug("stale work message dropped",
                     extra={"run_id": run.run_id, "seq": message.seq, "version": stored.version})
        return Outcome.STALE
    flow = services.flows.pinned(run.flow, run.flow_version)
    request = engine.pending_action(flow, run)
    event: engine.Event = services.actions.perform(request) if request is not None else engine.Resume()
    now = services.clock.now()
    decision = engine.advance(flow, run, event, now)
    try:
        version = services.repository.commit(decision, stored.version)
    except ConcurrentModification:
        logger.info("lost the race for a run; another worker committed", extra={"run_id": run.run_id})
        return Outcome.LOST_RACE
    schedule(services.queue, run.run_id, version, decision.work, now)
    return Outcome.ADVANCED
