"""The recovery step the chaos harness calls when nothing is left to deliver: the REAL sweeper.

``recover`` runs ``chalicelib.runtime.sweeper.sweep`` unchanged, with the harness's clock
already moved past ``GRACE``; ``next_due`` only tells the harness how far it may skip idle time.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.runtime.services import Services
from chalicelib.runtime.sweeper import GRACE, sweep
from chalicelib.store import bind_models
from chalicelib.store.models import DUE_SHARDS

__all__ = ["recover", "next_due", "GRACE"]


def recover(services: Services, now: datetime) -> int:
    """Sweep as the scheduled sweeper Lambda would at ``now`` (the services' clock); returns messages sent."""
    assert services.clock.now() >= now, "the harness moves the clock before it sweeps"
    return sweep(services, GRACE)


def next_due(services: Services) -> datetime | None:
    """The earliest ``due_at`` of any running cursor: how far the harness may skip idle time (not sweeper logic)."""
    settings = services.settings
    models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
    firsts = [next(iter(models.run.due.query(f"DUE#{shard}", limit=1)), None) for shard in range(DUE_SHARDS)]
    return min((item.due_at for item in firsts if item is not None), default=None)
