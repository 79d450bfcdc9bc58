"""The sweeper: re-enqueue cursors that are past due, so a crash between commit and enqueue strands nothing.

Every running cursor carries ``due_at`` in the sparse ``due`` index: its wake
time while it waits, or the start of its current streak of immediate steps. A
cursor past due by more than a grace period, and not updated within it, lost
its message and gets one at its current version (kind ``sweep``, which also
makes the worker copy out history events a crashed commit left in the item).
A duplicate of a message that was only late is harmless: the first one to
arrive advances the version and the other is dropped as stale.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.engine import WorkKind
from chalicelib.queue import WorkMessage
from chalicelib.runtime.observability import logger
from chalicelib.runtime.services import Services

__all__ = ["sweep", "GRACE"]

# SQS delays are exact to the second and a Lambda batch takes under a minute: two minutes
# late means lost, not slow.
GRACE = timedelta(minutes=2)


def sweep(services: Services, grace: timedelta = GRACE) -> int:
    """Re-enqueue every overdue cursor; returns how many messages were sent."""
    sent = 0
    cutoff = services.clock.now() - grace
    for cursor in services.branches.overdue(cutoff):
        stored = services.repository.get(cursor.run_id, cursor.branch)
        if stored is None or stored.run.status.finished or stored.run.updated_at > cutoff:
            continue  # finished, or busy: a streak of immediate steps keeps its first due_at
        services.queue.send(WorkMessage(run_id=cursor.run_id, seq=stored.version, branch=cursor.branch,
                                        kind=WorkKind.SWEEP), 0)
        sent += 1
    if sent:
        logger.warning("sweeper re-enqueued overdue work", extra={"count": sent})
    return sent
