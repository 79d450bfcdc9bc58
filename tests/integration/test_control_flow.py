"""Control flow end to end through the handlers: retries, catch, timeouts, compensation, parallel, map,
cancel, redrive and the sweeper, on moto with the virtual clock."""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from chalicelib.actions import HttpError, default_registry
from chalicelib.actions.registry import ActionContext
from chalicelib.runtime.provider import current_services, install_services
from chalicelib.store import ConcurrentModification, GroupClosed, bind_models
from chalicelib.store.codec import item_to_event
from chalicelib.store.models import run_key
from tests.fakes import EPOCH


class FlakyParams(BaseModel):
    fail_times: int
    status: int = 503


class SlowParams(BaseModel):
    seconds: int


class RecordParams(BaseModel):
    label: str


@pytest.fixture
def definitions_dir() -> Path:
    return Path(__file__).parent / "control_flows"


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def stack(definitions_dir: Path, calls: list[str]) -> Any:
    from chalicelib.local.stack import embedded_stack

    attempts: Counter[str] = Counter()

    def flaky(params: FlakyParams, state_input: Any, context: ActionContext) -> Any:
        key = context.idempotency_key.rsplit(":", 1)[0]
        attempts[key] += 1
        if attempts[key] <= params.fail_times:
            raise HttpError(f"attempt {attempts[key]} answered {params.status}", status_code=params.status)
        return {"attempts": attempts[key]}

    def slow(params: SlowParams, state_input: Any, context: ActionContext) -> Any:
        current_services().clock.advance(params.seconds)  # the call takes this long in virtual time
        return "late"

    def record(params: RecordParams, state_input: Any, context: ActionContext) -> Any:
        calls.append(params.label)
        return params.label

    registry = default_registry()
    registry.register("flaky", FlakyParams, flaky)
    registry.register("slow", SlowParams, slow)
    registry.register("record", RecordParams, record)
    with embedded_stack(definitions_dir, start=EPOCH, actions=registry, tick=timedelta(microseconds=1)) as local:
        yield local


def start(client: Any, flow: str, run_input: dict[str, Any]) -> str:
    response = client.http.post(f"/flows/{flow}/runs", body=json.dumps({"input": run_input}),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.body
    return json.loads(response.body)["run_id"]


def post(client: Any, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = client.http.post(path, body=json.dumps(body or {}), headers={"Content-Type": "application/json"})
    return response.status_code, json.loads(response.body)


def view(client: Any, run_id: str) -> dict[str, Any]:
    return json.loads(client.http.get(f"/runs/{run_id}").body)


def history(client: Any, run_id: str) -> list[dict[str, Any]]:
    return json.loads(client.http.get(f"/runs/{run_id}/history?limit=1000").body)["events"]


def test_a_task_failing_twice_then_succeeding_shows_three_attempts_with_growing_delays(client, drain):
    run_id = start(client, "retrying", {})
    drain()
    run = view(client, run_id)
    assert run["status"] == "SUCCEEDED" and run["context"]["answer"] == {"attempts": 3}
    events = [e for e in history(client, run_id) if e.get("state") == "call"]
    assert [(e["type"], e["attempt"]) for e in events] == [
        ("StateFailed", 1), ("StateFailed", 2), ("StateSucceeded", 3)]
    assert [e["detail"].get("retry_in_s") for e in events[:2]] == [2.0, 4.0]
    times = [run["started_at"], *(e["time"] for e in events)]
    gaps = [(_t(b) - _t(a)).total_seconds() for a, b in zip(times[1:], times[2:])]
    assert gaps[0] == pytest.approx(2, abs=0.01) and gaps[1] == pytest.approx(4, abs=0.01)


def _t(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_caught_error_routes_to_the_fallback_with_the_error_in_the_context(client, drain):
    run_id = start(client, "catching", {})
    drain()
    run = view(client, run_id)
    assert run["status"] == "SUCCEEDED"
    assert run["context"]["outcome"] == {"used": "fallback", "status": "HttpError"}
    assert run["context"]["problem"]["state"] == "call"
    # a 404 is not retryable: States.ALL does not retry it, the catch takes it at once
    failed = [e for e in history(client, run_id) if e["type"] == "StateFailed"]
    assert len(failed) == 1 and failed[0]["next"] == "fallback"


def test_a_task_answering_after_its_timeout_raises_timeout(client, drain):
    run_id = start(client, "slow", {})
    drain()
    run = view(client, run_id)
    assert run["status"] == "FAILED"
    assert run["error"]["error"] == "Timeout" and run["error"]["state"] == "call"


def test_a_failing_run_compensates_completed_steps_in_reverse_order(client, drain, calls):
    run_id = start(client, "compensating", {})
    drain()
    run = view(client, run_id)
    assert run["status"] == "FAILED" and run["error"]["error"] == "HttpError"
    assert calls == ["reserve", "charge", "refund", "release"]
    undone = [(e["type"], e["state"]) for e in history(client, run_id) if e["type"].startswith("Compensation")]
    assert undone == [("CompensationSucceeded", "charge"), ("CompensationSucceeded", "reserve")]


def test_parallel_with_three_branches_joins_once_with_outputs_by_branch(client, drain, stack):
    run_id = start(client, "checks", {"fail_credit": False})
    drain()
    run = view(client, run_id)
    assert run["status"] == "SUCCEEDED"
    assert run["context"]["checks"] == {"fraud": {"score": "fraud"}, "stock": {"stock": "stock"},
                                       "credit": {"credit": "credit"}}
    types = [(e["type"], e.get("state")) for e in history(client, run_id)]
    assert types.count(("BranchesStarted", "all")) == 1
    assert types.count(("StateSucceeded", "all")) == 1


def test_a_failing_branch_fails_the_parallel_state_and_is_caught(client, drain, calls):
    run_id = start(client, "checks", {"fail_credit": True})
    drain()
    run = view(client, run_id)
    assert run["status"] == "SUCCEEDED" and run["context"]["route"] == "manual review"
    assert run["context"]["why"]["error"] == "CreditDown"
    assert "branch 'credit'" in run["context"]["why"]["cause"]


class CountingRepository:
    """Counts the conditional-write failures (lost races, closed joins) a run meets."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.conflicts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def commit(self, *args: Any, **kwargs: Any) -> int:
        try:
            return self.inner.commit(*args, **kwargs)
        except (ConcurrentModification, GroupClosed):
            self.conflicts += 1
            raise


def test_a_map_over_1000_items_keeps_order_loses_no_update_and_respects_max_concurrency(client, drain, stack):
    counting = CountingRepository(stack.services.repository)
    install_services(dataclasses.replace(stack.services, repository=counting))
    numbers = list(range(1000))
    began = time.perf_counter()
    run_id = start(client, "fanout", {"numbers": numbers})
    report = drain()
    elapsed = time.perf_counter() - began
    run = view(client, run_id)
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["context"]["squares"] == [{"n": n, "index": n} for n in numbers]
    assert counting.conflicts == 0 and report.failures == 0
    group = next(e for e in history(client, run_id) if e["type"] == "BranchesStarted")["detail"]["group"]
    join = stack.services.branches.join(run_id, group)
    assert (join.done, join.failed, join.total) == (1000, 0, 1000)

    # Concurrency from history: an item runs from its first transition to its last (the ticking
    # clock makes every reading distinct); at no moment may more than 10 overlap.
    moments: list[tuple[Any, int]] = []
    by_item: dict[str, list[Any]] = {}
    models = bind_models(stack.services.settings.table_name, stack.services.settings.region)
    for item in models.event.query(run_key(run_id), models.event.sk.startswith(f"BEV#{group}#")):  # one query
        by_item.setdefault(item.sk.rsplit("#", 1)[0], []).append(item_to_event(item))
    assert len(by_item) == 1000
    for events in by_item.values():
        assert [e.seq for e in events] == [1, 2, 3]
        moments += [(events[1].time, 1), (events[-1].time, -1)]
    running = peak = 0
    for _, change in sorted(moments):
        running += change
        peak = max(peak, running)
    assert peak == 10
    print(f"\n1000-item map: {elapsed:.1f}s, {report.messages} messages, {counting.conflicts} conflicts, "
          f"peak concurrency {peak}")


def test_cancel_stops_a_running_map(client, stack, calls):
    run_id = start(client, "slow-map", {"ids": [1, 2, 3, 4, 5, 6]})
    invoke = lambda event: client.lambda_.invoke("process_work", event)  # noqa: E731
    stack.driver.drain(invoke, skip_time=False)  # the first two items are now waiting an hour
    status, body = post(client, f"/runs/{run_id}/cancel", {"reason": "no longer needed"})
    assert status == 202 and body["status"] == "CANCELLED"
    stack.driver.drain(invoke)  # the items wake, find the join closed and stop
    assert calls == []
    group = next(e for e in history(client, run_id) if e["type"] == "BranchesStarted")["detail"]["group"]
    statuses = [stack.services.repository.get(run_id, f"{group}#{i:06d}").run.status.value for i in range(6)]
    assert statuses == ["CANCELLED", "CANCELLED", "RUNNING", "RUNNING", "RUNNING", "RUNNING"]
    assert stack.services.branches.overdue(EPOCH + timedelta(days=30)) == []  # nothing left for the sweeper
    again, body = post(client, f"/runs/{run_id}/cancel")
    assert again == 409 and body["error"]["code"] == "run_not_cancellable"


def test_redrive_finishes_a_failed_run_from_the_failed_state(client, drain):
    run_id = start(client, "fragile", {"fixed": False})
    drain()
    failed = view(client, run_id)
    assert failed["status"] == "FAILED" and failed["error"]["state"] == "finish"
    status, body = post(client, f"/runs/{run_id}/redrive", {"patch": {"fixed": True}})
    assert status == 202 and body["status"] == "RUNNING" and body["current_state"] == "finish"
    drain()
    run = view(client, run_id)
    assert run["status"] == "SUCCEEDED" and run["context"]["stage"] == "finished"
    types = [e["type"] for e in history(client, run_id)]
    assert types.count("StateSucceeded") == 2 and "RunRedriven" in types  # 'prepare' did not run again
    status, body = post(client, f"/runs/{run_id}/redrive")
    assert status == 409 and body["error"]["code"] == "run_not_redrivable"
    status, body = post(client, f"/runs/{run_id}/redrive", {"pach": {}})
    assert status == 400 and body["error"]["field"] == "pach"


class CrashOnce:
    """A queue whose n-th send dies, as a Lambda killed between the commit and the enqueue would."""

    def __init__(self, inner: Any, crash_on: int) -> None:
        self.inner = inner
        self.sends = 0
        self.crash_on = crash_on

    def send(self, message: Any, delay_seconds: int) -> None:
        self.sends += 1
        if self.sends == self.crash_on:
            raise RuntimeError("killed between commit and enqueue")
        self.inner.send(message, delay_seconds)


def test_a_crash_between_commit_and_enqueue_is_recovered_by_the_sweeper(client, drain, stack):
    install_services(dataclasses.replace(stack.services, queue=CrashOnce(stack.services.queue, crash_on=2)))
    run_id = start(client, "fragile", {"fixed": True})  # send 1: the first step
    report = drain()  # the worker commits 'prepare', then dies sending the next message
    assert report.failures == 1
    stuck = view(client, run_id)
    assert stuck["status"] == "RUNNING" and stuck["current_state"] == "finish"
    sweep = lambda: client.lambda_.invoke("sweep", client.events.generate_cw_event(  # noqa: E731
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload
    assert sweep() == {"requeued": 0}  # not yet past the grace period
    stack.clock.advance(180)
    assert sweep() == {"requeued": 1}
    drain()
    assert view(client, run_id)["status"] == "SUCCEEDED"
    assert sweep() == {"requeued": 0}
