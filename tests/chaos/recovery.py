"""The recovery step the chaos harness calls when nothing is left to deliver: ``recover(services, now)``.

TEST-LOCAL STAND-IN for the sweeper of issue #4 (not on this branch yet). It
does what the design says the sweeper does: find RUNNING runs whose ``due_at``
has passed (through the sparse ``due`` GSI, shard by shard) and re-enqueue a
work message at the run's current version. When the real sweeper lands, make
``recover`` call it (see docs/benchmarks.md, "Chaos suite") and delete the body.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.engine import WorkKind
from chalicelib.queue import WorkMessage
from chalicelib.runtime.services import Services
from chalicelib.store import bind_models
from chalicelib.store.models import DUE_SHARDS

__all__ = ["recover", "next_due", "GRACE"]

GRACE = timedelta(minutes=5)


def recover(services: Services, now: datetime) -> int:
    """Re-enqueue every running run overdue by more than GRACE; returns how many."""
    settings = services.settings
    models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
    overdue = now - GRACE
    sent = 0
    for shard in range(DUE_SHARDS):
        for key in models.run.due.query(f"DUE#{shard}", models.run.due_at <= overdue):
            stored = services.repository.get(key.pk.removeprefix("RUN#"))
            if stored is None or stored.run.status.finished:
                continue
            kind = WorkKind.TIMER if stored.run.wake_at is not None else WorkKind.ADVANCE
            services.queue.send(WorkMessage(run_id=stored.run.run_id, seq=stored.version, kind=kind), 0)
            sent += 1
    return sent


def next_due(services: Services) -> datetime | None:
    """The earliest ``due_at`` of any running run: how far the harness may skip idle time (not sweeper logic)."""
    settings = services.settings
    models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
    firsts = [next(iter(models.run.due.query(f"DUE#{shard}", limit=1)), None) for shard in range(DUE_SHARDS)]
    return min((item.due_at for item in firsts if item is not None), default=None)
