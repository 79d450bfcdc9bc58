"""Operator commands through the store: cancel a run, redrive a failed one."""

from __future__ import annotations

from typing import Any

from chalicelib import engine
from chalicelib.queue import schedule
from chalicelib.runtime.observability import logger
from chalicelib.runtime.services import Services
from chalicelib.runtime.subflows import notify_parent
from chalicelib.store import ConcurrentModification, RunNotFound, StoredRun

__all__ = ["cancel_run", "redrive_run", "after_commit"]

_ATTEMPTS = 3  # a busy run moves on between our read and write; re-read a few times, never forever


def cancel_run(services: Services, run_id: str, reason: str | None = None, compensate: bool = False) -> StoredRun:
    """Cancel the run and close its join; its branches stop at their next step, its timers go stale."""
    for attempt in range(_ATTEMPTS):
        stored = _load(services, run_id)
        if stored.pending_events:
            # The run's last commit may have crashed before copying its events out; this commit replaces
            # them, so copy them first (idempotent, and cancels are rare).
            services.repository.flush(stored)
        now = services.clock.now()
        decision = engine.cancel(stored.run, now, reason, compensate=compensate)
        try:
            version = services.repository.commit(decision, stored.version)
        except ConcurrentModification:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        schedule(services.queue, run_id, version, decision.work, now)
        after_commit(services, stored.run, decision.run)
        return StoredRun(run=decision.run, version=version)
    raise AssertionError("unreachable")  # pragma: no cover


def redrive_run(services: Services, run_id: str, patch: dict[str, Any] | None = None,
                latest: bool = False) -> StoredRun:
    """Restart a failed run from the state that failed, optionally on the newest definition version."""
    stored = _load(services, run_id)
    now = services.clock.now()
    if latest:
        flow = services.flows.current(stored.run.flow)
        services.flows.ensure_published(flow, now)
    else:
        flow = services.flows.pinned(stored.run.flow, stored.run.flow_version)
    decision = engine.redrive(flow, stored.run, now, patch)
    version = services.repository.commit(decision, stored.version)
    schedule(services.queue, run_id, version, decision.work, now)
    return StoredRun(run=decision.run, version=version)


def after_commit(services: Services, before: engine.RunState, after: engine.RunState,
                 child_finished: bool = False) -> None:
    """Keep parent and child runs in step after a cursor's commit.

    A cursor that left its subflow state other than by the child finishing (cancel, timeout,
    its branch stopped) cancels the child, which cancels its own children in turn. A child
    run that ended wakes its parent.
    """
    if before.child_run is not None and after.child_run != before.child_run and not child_finished:
        try:
            cancel_run(services, before.child_run, f"the parent run {before.run_id} left state '{before.cursor}'")
        except (engine.RunNotCancellable, RunNotFound):
            pass  # it finished meanwhile; the parent has moved on and ignores it
        except ConcurrentModification:
            logger.warning("child run busy; not cancelled", extra={"run_id": before.child_run})
    if after.status.finished:
        notify_parent(services, after)


def _load(services: Services, run_id: str) -> StoredRun:
    stored = services.repository.get(run_id)
    if stored is None:
        raise RunNotFound(f"no run with id '{run_id}'")
    return stored
