"""The run repository's promises, held by moto and by AWS's own DynamoDB Local alike.

Conditional writes and transactions are where an emulator is most likely to be
kinder than DynamoDB; these tests pin the behaviour the worker relies on.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib import engine
from chalicelib.actions import default_registry
from chalicelib.flows import FlowCatalog
from chalicelib.queue import WorkMessage
from chalicelib.runtime.clock import VirtualClock
from chalicelib.runtime.services import build_services
from chalicelib.runtime.worker import Outcome, process_message
from chalicelib.store import ConcurrentModification, DynamoRunRepository, RunAlreadyExists, bind_models

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ORDER = {"order_id": "o-1", "items": [{"sku": "a", "qty": 1, "price": 12.5}]}


class ListQueue:
    """Work messages kept in order; the contract is about the store, not SQS."""

    def __init__(self) -> None:
        self.messages: list[WorkMessage] = []

    def send(self, message: WorkMessage, delay_seconds: int) -> None:
        self.messages.append(message)


def _repository(settings) -> DynamoRunRepository:
    return DynamoRunRepository(bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint))


def _flow():
    return FlowCatalog.from_directory(REPO_ROOT / "definitions", default_registry().checks()).get("order-processing")


def test_create_is_conditional_on_the_run_not_existing(settings):
    repository = _repository(settings)
    decision = engine.start(_flow(), "run-1", ORDER, NOW)
    assert repository.create(decision) == 1
    with pytest.raises(RunAlreadyExists):
        repository.create(decision)
    stored = repository.get("run-1")
    assert stored is not None and stored.version == 1 and stored.run.cursor == "price"
    assert [e.seq for e in repository.history("run-1")] == [1]


def test_a_commit_at_a_stale_version_is_a_concurrent_modification_and_writes_nothing(settings):
    repository, flow = _repository(settings), _flow()
    repository.create(engine.start(flow, "run-2", ORDER, NOW))
    stored = repository.get("run-2")
    step = engine.advance(flow, stored.run, engine.Resume(), NOW + timedelta(seconds=1))
    assert repository.commit(step, stored.version) == 2
    with pytest.raises(ConcurrentModification):
        repository.commit(step, stored.version)  # the loser of a race: same decision, old version
    assert repository.get("run-2").version == 2
    assert [e.seq for e in repository.history("run-2")] == [1, 2]


def test_a_transaction_with_an_existing_event_fails_whole_leaving_the_run_untouched(settings):
    """A finishing commit is a transaction; an event item that exists already cancels all of it."""
    repository, flow = _repository(settings), _flow()
    repository.create(engine.start(flow, "run-3", ORDER, NOW))
    stored = repository.get("run-3")
    finish = engine.cancel(stored.run, NOW, "operator")
    clash = dataclasses.replace(finish, events=tuple(dataclasses.replace(e, seq=1) for e in finish.events))
    with pytest.raises(ConcurrentModification):
        repository.commit(clash, stored.version)
    after = repository.get("run-3")
    assert after.version == 1 and after.run.cursor == "price" and after.run.status.value == "RUNNING"


def test_a_step_commits_in_one_item_and_its_events_survive_a_crash_before_they_are_copied(settings):
    """The events travel inside the run item; ``flush`` copies them out (again) after a crash."""
    repository, flow = _repository(settings), _flow()
    repository.create(engine.start(flow, "run-4", ORDER, NOW))
    stored = repository.get("run-4")
    step = engine.advance(flow, stored.run, engine.Resume(), NOW + timedelta(seconds=1))
    repository.commit(step, stored.version)
    after = repository.get("run-4")
    assert after.pending_events == step.events
    repository.flush(after)  # idempotent: the same events land on the same keys
    assert [e.seq for e in repository.history("run-4")] == [1, 2]


def test_the_worker_runs_a_flow_to_the_end_and_drops_duplicates(settings):
    queue = ListQueue()
    clock = VirtualClock(NOW)
    services = build_services(dataclasses.replace(settings, definitions_dir=REPO_ROOT / "definitions"),
                              clock=clock, queue=queue)
    from chalicelib.runtime.starter import start_run

    run_id = start_run(services, "order-processing", ORDER).stored.run.run_id
    outcomes = []
    delivered: list[WorkMessage] = []
    while queue.messages:
        message = queue.messages.pop(0)
        delivered.append(message)
        outcomes.append(process_message(services, message))
        clock.advance(1)
    assert outcomes == [Outcome.ADVANCED] * 4
    assert [process_message(services, m) for m in delivered] == [Outcome.STALE] * 4
    stored = services.repository.get(run_id)
    assert stored.run.status is engine.RunStatus.SUCCEEDED
    assert [e.seq for e in services.repository.history(run_id)] == list(range(1, stored.run.event_count + 1))


def test_runs_are_found_through_the_indexes(settings):
    repository, flow = _repository(settings), _flow()
    for i in range(3):
        repository.create(engine.start(flow, f"idx-{i}", ORDER, NOW + timedelta(seconds=i)))
    page = repository.list_runs("order-processing", None, 2, None)
    assert [r.run_id for r in page.runs] == ["idx-2", "idx-1"] and page.next_token
    rest = repository.list_runs("order-processing", None, 2, page.next_token)
    assert [r.run_id for r in rest.runs] == ["idx-0"]
    models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
    due = [item.pk for shard in range(8) for item in models.run.due.query(f"DUE#{shard}")]
    assert sorted(due) == ["RUN#idx-0", "RUN#idx-1", "RUN#idx-2"]
