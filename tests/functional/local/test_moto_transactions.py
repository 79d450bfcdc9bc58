"""The local stack's cheaper moto transactions still roll back every item of a cancelled transaction."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib import engine
from chalicelib.runtime.starter import start_run
from chalicelib.store import ConcurrentModification

ORDER = {"order_id": "o-1", "items": [{"sku": "a", "qty": 1, "price": 5}]}


def test_a_transaction_cancelled_by_its_last_item_leaves_the_first_untouched(stack):
    repository = stack.services.repository
    stored = start_run(stack.services, "order-processing", ORDER).stored
    run_id = stored.run.run_id
    before = repository.get(run_id)
    # a finishing commit is a transaction: the run item's write would succeed, but event seq 1 already exists
    clash = engine.Decision(
        run=dataclasses.replace(stored.run, context={"changed": True}, status=engine.RunStatus.CANCELLED),
        events=(engine.HistoryEvent(seq=1, type=engine.EventType.STATE_SUCCEEDED, time=stored.run.started_at),),
    )
    with pytest.raises(ConcurrentModification):
        repository.commit(clash, stored.version)
    assert repository.get(run_id) == before
    assert [e.type for e in repository.history(run_id)] == [engine.EventType.RUN_STARTED]
