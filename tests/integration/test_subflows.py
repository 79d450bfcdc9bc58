"""Subflow states end to end through the handlers: a parent starts a child run and waits for its end."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.runtime.provider import current_services
from chalicelib.store import StoreError
from tests.integration.test_control_flow import history, post, start, view


@pytest.fixture
def definitions_dir() -> Path:
    return Path(__file__).parent / "subflows"


def invoker(client: Any) -> Any:
    return lambda event: client.lambda_.invoke("process_work", event)


def child_of(client: Any, run_id: str) -> str:
    started = [e for e in history(client, run_id) if e["type"] == "SubflowStarted"]
    assert len(started) == 1, started
    return started[0]["detail"]["child_run_id"]


def runs_of(client: Any, flow: str) -> list[dict[str, Any]]:
    return json.loads(client.http.get(f"/runs?flow={flow}&limit=50").body)["runs"]


def test_a_parent_starts_a_child_with_its_params_and_gets_its_output(client, drain):
    run_id = start(client, "parent", {"n": 7})
    drain()
    parent = view(client, run_id)
    assert parent["status"] == "SUCCEEDED"
    assert parent["context"]["answer"] == {"n": 7, "label": "from-parent"}
    child = view(client, child_of(client, run_id))
    assert child["status"] == "SUCCEEDED" and child["flow"] == "child"
    assert child["started_by"] == {"source": "subflow", "identity": run_id, "parent": run_id,
                                   "delivery_id": child["run_id"], "trigger": "call"}


def test_a_failing_child_is_retried_with_a_new_child_then_caught_by_the_parent(client, drain):
    run_id = start(client, "careful", {})
    drain()
    parent = view(client, run_id)
    assert parent["status"] == "SUCCEEDED"
    assert history(client, run_id)[-1]["state"] == "recovered"
    assert parent["context"]["failure"]["error"] == "ChildBroke"
    assert "no luck" in parent["context"]["failure"]["cause"]
    started = [e["detail"]["child_run_id"] for e in history(client, run_id) if e["type"] == "SubflowStarted"]
    assert len(set(started)) == 2  # one child per attempt
    assert {view(client, c)["status"] for c in started} == {"FAILED"}


def test_a_redelivered_step_does_not_start_a_second_child(client, stack, monkeypatch):
    """GIVEN the commit after starting the child crashes WHEN the message is redelivered THEN it finds that child."""
    repository = current_services().repository
    real_commit = repository.commit
    crashes = []

    def commit_crashing_once(decision, *args, **kwargs):
        if decision.run.child_run is not None and not crashes:
            crashes.append(decision.run.child_run)
            raise StoreError("simulated crash after the child started")
        return real_commit(decision, *args, **kwargs)

    monkeypatch.setattr(repository, "commit", commit_crashing_once)
    run_id = start(client, "parent", {"n": 1})
    report = stack.driver.drain(invoker(client))
    assert crashes and report.failures == 1  # the message failed once and came back
    assert view(client, run_id)["status"] == "SUCCEEDED"
    assert [r["run_id"] for r in runs_of(client, "child")] == crashes == [child_of(client, run_id)]


def test_cancelling_the_parent_cancels_the_child(client, stack):
    run_id = start(client, "patient", {})
    stack.driver.drain(invoker(client), skip_time=False)  # the child now sleeps for a day
    child_id = child_of(client, run_id)
    assert view(client, child_id)["status"] == "RUNNING"
    status, body = post(client, f"/runs/{run_id}/cancel", {"reason": "not needed"})
    assert status == 202 and body["status"] == "CANCELLED"
    child = view(client, child_id)
    assert child["status"] == "CANCELLED" and "left state 'call'" in child["error"]["cause"]
    stack.driver.drain(invoker(client))  # parked timers wake, find both runs finished and are dropped
    assert view(client, run_id)["status"] == "CANCELLED"


def test_a_cancelled_child_fails_its_parent_with_cancelled(client, stack, drain):
    run_id = start(client, "patient", {})
    stack.driver.drain(invoker(client), skip_time=False)
    status, _ = post(client, f"/runs/{child_of(client, run_id)}/cancel", {"reason": "operator"})
    assert status == 202
    drain()
    parent = view(client, run_id)
    assert parent["status"] == "FAILED" and parent["error"]["error"] == "Cancelled"


def test_a_one_year_wait_is_one_message_on_the_long_delay_path(definitions_dir):
    """With the scheduler path (the parking queue honours delays over 900 s) a year costs one timer message."""
    from chalice.test import Client

    import app
    from chalicelib.local.stack import embedded_stack
    from tests.fakes import EPOCH

    with embedded_stack(definitions_dir, start=EPOCH, long_delays=True) as local, Client(app.app) as client:
        run_id = start(client, "year", {})
        report = local.driver.drain(invoker(client))
        run = view(client, run_id)
        assert run["status"] == "SUCCEEDED" and run["context"] == {"woke": True}
        assert report.clock_jumps == 1 and report.messages == 2  # enter the wait; wake a year later
        assert local.clock.now() - EPOCH >= timedelta(days=365)
