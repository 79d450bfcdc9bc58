"""End to end through the handlers Lambda runs: HTTP start, SQS work to the worker, run finished."""

from __future__ import annotations

import json
from typing import Any

ORDER = {"order_id": "o-1", "items": [{"sku": "a", "qty": 1, "price": 12.5}, {"sku": "b", "qty": 2, "price": 7.5}]}


def post_run(client: Any, flow: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.post(f"/flows/{flow}/runs", body=raw,
                            headers={"Content-Type": "application/json", **(headers or {})})


def get_json(client: Any, path: str) -> tuple[int, Any]:
    response = client.http.get(path)
    return response.status_code, json.loads(response.body)


def test_a_run_started_over_http_finishes_with_a_timeline(client, drain):
    response = post_run(client, "order-processing", {"input": ORDER})
    assert response.status_code == 201
    run = json.loads(response.body)
    assert response.headers["Location"] == f"/runs/{run['run_id']}"
    assert run["status"] == "RUNNING" and run["current_state"] == "price"

    report = drain()

    status, view = get_json(client, f"/runs/{run['run_id']}")
    assert status == 200
    assert view["status"] == "SUCCEEDED"
    assert view["context"]["total"] == 20.0
    assert view["context"]["receipt"] == {"order_id": "o-1", "lines": 2, "total": 20.0, "status": "accepted"}
    assert [step["state"] for step in view["timeline"]] == ["price", "check", "fulfil", "done"]
    assert all(step["status"] == "succeeded" for step in view["timeline"])
    assert report.messages == 4 and report.failures == 0


def test_history_records_each_transition_once_in_gap_free_order(client, drain):
    run_id = json.loads(post_run(client, "order-processing", {"input": ORDER}).body)["run_id"]
    drain()
    status, page = get_json(client, f"/runs/{run_id}/history")
    assert status == 200
    assert [e["seq"] for e in page["events"]] == [1, 2, 3, 4, 5]
    assert [e["type"] for e in page["events"]] == [
        "RunStarted", "StateSucceeded", "StateSucceeded", "StateSucceeded", "RunSucceeded"]
    assert page["next_after"] is None
    status, first = get_json(client, f"/runs/{run_id}/history?limit=2")
    assert [e["seq"] for e in first["events"]] == [1, 2] and first["next_after"] == 2
    status, rest = get_json(client, f"/runs/{run_id}/history?after=2&limit=10")
    assert [e["seq"] for e in rest["events"]] == [3, 4, 5]


def test_a_failing_branch_ends_in_the_fail_state(client, drain):
    body = {"input": {"id": "SR-9", "amount": 50000, "requester": "ada"}}
    run_id = json.loads(post_run(client, "service-request", body).body)["run_id"]
    drain()
    _, view = get_json(client, f"/runs/{run_id}")
    assert view["status"] == "FAILED"
    assert view["error"] == {"error": "AmountAboveLimit",
                             "cause": "Requests above 10,000 need a director; raise a purchase order instead",
                             "state": "too_large"}
    assert view["timeline"][-1]["state"] == "too_large" and view["timeline"][-1]["status"] == "failed"


def test_a_one_day_wait_is_skipped_in_virtual_time_with_900_second_hops(client, drain, stack):
    body = {"input": {"user_id": "u-1", "email": "u1@example.com"}}
    run_id = json.loads(post_run(client, "notification", body).body)["run_id"]
    report = drain()
    _, view = get_json(client, f"/runs/{run_id}")
    assert view["status"] == "SUCCEEDED"
    wait = next(step for step in view["timeline"] if step["state"] == "cool_off")
    assert wait["duration_ms"] == 86_400_000
    assert report.clock_jumps == 86_400 // 900  # one hop per 900 s of waiting, no more
    assert view["context"]["notices"]["follow_up"]["template"] == "day-one-tips"


def test_the_same_idempotency_key_returns_the_same_run(client):
    first = post_run(client, "order-processing", {"input": ORDER}, {"Idempotency-Key": "order-o-1"})
    second = post_run(client, "order-processing", {"input": ORDER}, {"Idempotency-Key": "order-o-1"})
    assert first.status_code == 201 and second.status_code == 200
    assert json.loads(first.body)["run_id"] == json.loads(second.body)["run_id"]
    third = post_run(client, "order-processing", {"input": ORDER, "run_id": "my-run-1"})
    again = post_run(client, "order-processing", {"input": ORDER, "run_id": "my-run-1"})
    assert json.loads(third.body)["run_id"] == "my-run-1" and again.status_code == 200
    other_flow = post_run(client, "notification", {"input": {"user_id": "u", "email": "e"}, "run_id": "my-run-1"})
    assert other_flow.status_code == 409
    assert json.loads(other_flow.body)["error"]["code"] == "idempotency_conflict"


def error_of(response: Any) -> dict[str, Any]:
    return json.loads(response.body)["error"]


def test_bad_input_gets_a_4xx_with_a_stable_code_and_the_field(client):
    bad_json = post_run(client, "order-processing", "{not json")
    assert bad_json.status_code == 400 and error_of(bad_json)["code"] == "invalid_json"

    schema = post_run(client, "order-processing", {"input": {"order_id": "o", "items": [{"sku": "a", "qty": 0,
                                                                                       "price": 1}]}})
    assert schema.status_code == 400
    assert error_of(schema)["code"] == "invalid_input"
    assert error_of(schema)["field"] == "input.items[0].qty"

    missing = post_run(client, "order-processing", {"input": {"items": []}})
    assert missing.status_code == 400 and "order_id" in error_of(missing)["message"]

    unwrapped = post_run(client, "order-processing", ORDER)
    assert unwrapped.status_code == 400 and error_of(unwrapped)["code"] == "invalid_request"
    assert "under 'input'" in error_of(unwrapped)["message"]

    not_object = post_run(client, "order-processing", [1, 2])
    assert not_object.status_code == 400 and error_of(not_object)["code"] == "invalid_request"

    bad_id = post_run(client, "order-processing", {"input": ORDER, "run_id": "../etc"})
    assert bad_id.status_code == 400 and error_of(bad_id)["field"] == "run_id"


def test_unknown_flows_and_runs_are_404(client):
    response = post_run(client, "no-such-flow", {"input": {}})
    assert response.status_code == 404 and error_of(response)["code"] == "flow_not_found"
    status, body = get_json(client, "/runs/nope")
    assert status == 404 and body["error"]["code"] == "run_not_found"
    status, body = get_json(client, "/runs/nope/history")
    assert status == 404
    status, body = get_json(client, "/flows/nope")
    assert status == 404 and body["error"]["code"] == "flow_not_found"


def test_runs_are_listed_by_flow_and_status_with_pagination(client, drain):
    ids = {json.loads(post_run(client, "order-processing", {"input": ORDER}).body)["run_id"] for _ in range(3)}
    failed = json.loads(post_run(client, "service-request",
                                 {"input": {"id": "x", "amount": 99999, "requester": "r"}}).body)["run_id"]
    drain()
    _, listed = get_json(client, "/runs?flow=order-processing")
    assert {r["run_id"] for r in listed["runs"]} == ids
    _, by_status = get_json(client, "/runs?status=FAILED")
    assert [r["run_id"] for r in by_status["runs"]] == [failed]
    _, both = get_json(client, "/runs?flow=service-request&status=SUCCEEDED")
    assert both["runs"] == []
    seen: list[str] = []
    path = "/runs?flow=order-processing&limit=1"
    while path:
        _, page = get_json(client, path)
        seen += [r["run_id"] for r in page["runs"]]
        path = f"/runs?flow=order-processing&limit=1&next_token={page['next_token']}" if page["next_token"] else ""
    assert set(seen) == ids and len(seen) == 3
    for bad in ("/runs", "/runs?status=BOGUS", "/runs?flow=order-processing&limit=0",
                "/runs?flow=order-processing&next_token=%%%", "/runs?flow=order-processing&color=red"):
        status, body = get_json(client, bad)
        assert status == 400, bad
        assert body["error"]["code"] in {"invalid_request", "invalid_page_token"}
    status, body = get_json(client, "/runs?flow=nope")
    assert status == 404


def test_flows_are_listed_with_their_version_hash(client):
    status, body = get_json(client, "/flows")
    assert status == 200
    names = {f["name"]: f for f in body["flows"]}
    assert {"order-processing", "notification", "service-request"} <= set(names)
    assert len(names["order-processing"]["version"]) == 16
    status, flow = get_json(client, "/flows/order-processing")
    assert flow["version"] == names["order-processing"]["version"]
    assert flow["definition"]["start"] == "price"


def test_the_order_fanout_example_maps_runs_parallel_checks_and_charges(client, drain):
    lines = [{"sku": s, "qty": 1, "price": p} for s, p in (("a", 3), ("b", 4), ("c", 5))]
    run_id = json.loads(post_run(client, "order-fanout", {"input": {"order_id": "o-9", "lines": lines}}).body)["run_id"]
    drain()
    _, view = get_json(client, f"/runs/{run_id}")
    assert view["status"] == "SUCCEEDED"
    assert view["context"]["priced"] == [{"sku": "a", "amount": 3}, {"sku": "b", "amount": 4},
                                         {"sku": "c", "amount": 5}]
    assert view["context"]["checks"]["fraud"] == {"risk": "low", "total": 12}
    assert view["context"]["payment"] == {"charged": 12}
