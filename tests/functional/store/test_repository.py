"""The DynamoDB run repository on moto: optimistic locking, atomic commits, pinned definitions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import engine
from chalicelib.flows import load_flow_file
from chalicelib.flows import FlowCatalog
from chalicelib.runtime.flow_versions import FlowVersions
from chalicelib.store import ConcurrentModification, RunAlreadyExists

from tests.fakes import EPOCH, REPO_ROOT

ORDER = {"order_id": "o-1", "items": [{"sku": "a", "qty": 1, "price": 5}]}


def order_flow() -> Any:
    return load_flow_file(REPO_ROOT / "definitions" / "order-processing.yaml")


def test_create_then_commit_with_the_expected_version(stack):
    repo = stack.services.repository
    flow = order_flow()
    started = engine.start(flow, "run-1", ORDER, EPOCH)
    assert repo.create(started) == 1
    with pytest.raises(RunAlreadyExists):
        repo.create(started)
    step = engine.advance(flow, started.run, engine.Resume(), EPOCH + timedelta(seconds=1))
    assert repo.commit(step, expected_version=1) == 2
    stored = repo.get("run-1")
    assert stored.version == 2 and stored.run == step.run
    assert [e.seq for e in repo.history("run-1")] == [1, 2]


def test_a_stale_commit_is_a_concurrent_modification_and_writes_nothing(stack):
    repo = stack.services.repository
    flow = order_flow()
    started = engine.start(flow, "run-2", ORDER, EPOCH)
    repo.create(started)
    step = engine.advance(flow, started.run, engine.Resume(), EPOCH)
    repo.commit(step, expected_version=1)
    with pytest.raises(ConcurrentModification):
        repo.commit(step, expected_version=1)
    hop = engine.Decision(run=dataclasses.replace(step.run, updated_at=EPOCH + timedelta(seconds=5)))
    with pytest.raises(ConcurrentModification):
        repo.commit(hop, expected_version=1)  # a commit without events is guarded too
    assert repo.get("run-2").version == 2
    assert [e.seq for e in repo.history("run-2")] == [1, 2]


def test_due_at_keeps_the_start_of_a_streak_of_immediate_steps(stack):
    """Every change of due_at rewrites the due index (2 write units): immediate steps leave it alone."""
    repo = stack.services.repository
    flow = order_flow()
    started = engine.start(flow, "run-3", ORDER, EPOCH)
    repo.create(started)
    stored = repo.get("run-3")
    assert stored.due_at == EPOCH
    later = EPOCH + timedelta(seconds=7)
    step = engine.advance(flow, stored.run, engine.Resume(), later)
    repo.commit(step, stored.version, due_since=stored.due_at)
    assert repo.get("run-3").due_at == EPOCH
    repo.commit(step, 2, due_since=None)
    assert repo.get("run-3").due_at == later


def test_a_run_keeps_its_pinned_definition_after_the_file_changes(stack, tmp_path: Path):
    repo = stack.services.repository
    source = (REPO_ROOT / "definitions" / "order-processing.yaml").read_text()
    (tmp_path / "order.yaml").write_text(source)
    old = FlowVersions(FlowCatalog.from_directory(tmp_path), repo, stack.services.actions.checks())
    flow = old.current("order-processing")
    old.ensure_published(flow, EPOCH)

    (tmp_path / "order.yaml").write_text(source.replace("total > `5000`", "total > `9000`"))
    new = FlowVersions(FlowCatalog.from_directory(tmp_path), repo, stack.services.actions.checks())
    assert new.current("order-processing").version != flow.version
    pinned = new.pinned("order-processing", flow.version)
    assert pinned.version == flow.version
    assert pinned.definition.states["check"].rules[0].when.source == "total > `5000`"
