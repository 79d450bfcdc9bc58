"""Triggers end to end through the handlers Lambda runs: webhooks, schedules, the events queue, EventBridge.

Every source must start a run exactly once per delivery, however often it is
delivered, and record where the run came from.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from chalicelib.local.provision import MAX_RECEIVES
from chalicelib.local.runner import sqs_event
from chalicelib.triggers.signature import sign

SECRET = "s3cr3t-for-tests"
SECRET_PARAM = "/inside-flow/service-request/webhook-secret"
REQUEST = {"id": "SR-1", "amount": 500, "requester": "ada"}


@pytest.fixture
def ssm_secret(stack: Any) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=SECRET_PARAM, Value=SECRET, Type="SecureString")


def now_ts(stack: Any) -> int:
    return int(stack.clock.now().timestamp())


def post_hook(client: Any, body: bytes, headers: dict[str, str], flow: str = "service-request") -> Any:
    return client.http.post(f"/hooks/{flow}", body=body, headers=headers)


def signed(body: bytes, timestamp: int, delivery: str | None = None, secret: str = SECRET,
           content_type: str = "application/json") -> dict[str, str]:
    headers = {"Content-Type": content_type, "X-Inside-Flow-Timestamp": str(timestamp),
               "X-Inside-Flow-Signature": sign(secret, timestamp, body)}
    if delivery is not None:
        headers["X-Inside-Flow-Delivery"] = delivery
    return headers


def runs_of(client: Any, flow: str) -> list[str]:
    return [r["run_id"] for r in json.loads(client.http.get(f"/runs?flow={flow}").body)["runs"]]


def get_json(client: Any, path: str) -> Any:
    return json.loads(client.http.get(path).body)


# --- webhooks -------------------------------------------------------------------------------------------------


def test_a_signed_webhook_starts_one_run_that_records_its_delivery(client, stack, drain, ssm_secret):
    body = json.dumps(REQUEST).encode()
    response = post_hook(client, body, signed(body, now_ts(stack), delivery="dlv-1"))

    assert response.status_code == 202
    reply = json.loads(response.body)
    assert response.headers["Location"] == f"/runs/{reply['run_id']}"
    assert reply["duplicate"] is False and reply["flow"] == "service-request"
    drain()
    run = get_json(client, f"/runs/{reply['run_id']}")
    assert run["status"] == "SUCCEEDED" and run["context"]["fulfilment"]["ticket"] == "SR-SR-1"
    assert run["started_by"]["source"] == "webhook"
    assert run["started_by"]["delivery_id"] == "dlv-1" and run["started_by"]["trigger"] == "triggers[0]"
    first = get_json(client, f"/runs/{reply['run_id']}/history")["events"][0]
    assert first["type"] == "RunStarted" and first["detail"]["started_by"] == run["started_by"]
    assert runs_of(client, "service-request") == [reply["run_id"]]


def test_the_same_delivery_sent_twice_starts_one_run(client, stack, ssm_secret):
    body = json.dumps(REQUEST).encode()
    first = post_hook(client, body, signed(body, now_ts(stack), delivery="dlv-7"))
    stack.clock.advance(60)  # the sender retries a minute later and re-signs with a new timestamp
    second = post_hook(client, body, signed(body, now_ts(stack), delivery="dlv-7"))

    assert first.status_code == second.status_code == 202
    assert json.loads(first.body)["run_id"] == json.loads(second.body)["run_id"]
    assert json.loads(second.body)["duplicate"] is True
    assert len(runs_of(client, "service-request")) == 1


def test_without_a_delivery_id_a_byte_identical_retry_starts_one_run(client, stack, ssm_secret):
    body = json.dumps(REQUEST).encode()
    headers = signed(body, now_ts(stack))
    assert post_hook(client, body, headers).status_code == 202
    assert json.loads(post_hook(client, body, headers).body)["duplicate"] is True
    other = json.dumps({**REQUEST, "id": "SR-2"}).encode()
    assert json.loads(post_hook(client, other, signed(other, now_ts(stack))).body)["duplicate"] is False
    assert len(runs_of(client, "service-request")) == 2


@pytest.mark.parametrize("case", ["unsigned", "wrong-secret", "tampered-body", "stale", "future", "bad-timestamp"])
def test_bad_or_stale_signatures_get_401_and_start_nothing(client, stack, ssm_secret, case):
    body = json.dumps(REQUEST).encode()
    ts = now_ts(stack)
    headers, expected = {
        "unsigned": ({"Content-Type": "application/json"}, "signature_missing"),
        "wrong-secret": (signed(body, ts, secret="guess"), "signature_invalid"),
        "tampered-body": (signed(json.dumps({**REQUEST, "amount": 1}).encode(), ts), "signature_invalid"),
        "stale": (signed(body, ts - 301), "signature_expired"),
        "future": (signed(body, ts + 301), "signature_expired"),
        "bad-timestamp": ({**signed(body, ts), "X-Inside-Flow-Timestamp": "yesterday"}, "signature_invalid"),
    }[case]
    response = post_hook(client, body, headers)
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == expected
    assert runs_of(client, "service-request") == []


def test_a_timestamp_inside_the_window_is_accepted(client, stack, ssm_secret):
    body = json.dumps(REQUEST).encode()
    assert post_hook(client, body, signed(body, now_ts(stack) - 299)).status_code == 202


def test_a_form_encoded_webhook_is_mapped_into_the_run_input(client, stack, drain, ssm_secret):
    body = urlencode({"id": "SR-5", "amount": "750", "requester": "grace"}).encode()
    response = post_hook(client, body, signed(body, now_ts(stack), content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 202
    drain()
    run = get_json(client, f"/runs/{json.loads(response.body)['run_id']}")
    assert run["status"] == "SUCCEEDED"
    assert run["context"]["fulfilment"] == {"ticket": "SR-SR-5", "amount": 750, "approver": "policy:auto"}


def test_webhook_input_failing_the_schema_is_400_and_starts_nothing(client, stack, ssm_secret):
    body = json.dumps({"id": "SR-1", "amount": 5}).encode()  # no requester
    response = post_hook(client, body, signed(body, now_ts(stack)))
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_input"
    bad_json = b"{nope"
    assert json.loads(post_hook(client, bad_json, signed(bad_json, now_ts(stack))).body)["error"]["code"] \
        == "invalid_json"
    assert runs_of(client, "service-request") == []


def test_flows_without_a_webhook_and_missing_secrets_start_nothing(client, stack):
    body = b"{}"
    no_hook = post_hook(client, body, signed(body, now_ts(stack)), flow="order-processing")
    assert no_hook.status_code == 404 and json.loads(no_hook.body)["error"]["code"] == "webhook_not_found"
    assert post_hook(client, body, signed(body, now_ts(stack)), flow="nope").status_code == 404
    no_secret = post_hook(client, body, signed(body, now_ts(stack)))  # the SSM parameter was never created
    assert no_secret.status_code == 500
    assert json.loads(no_secret.body)["error"]["code"] == "webhook_secret_unavailable"
    assert runs_of(client, "service-request") == []


def test_a_run_started_through_the_api_records_its_caller(client):
    response = client.http.post("/flows/service-request/runs", body=json.dumps({"input": REQUEST}),
                                headers={"Content-Type": "application/json"})
    started_by = json.loads(response.body)["started_by"]
    assert started_by["source"] == "api" and started_by["identity"]  # the source IP without IAM auth


# --- schedules ------------------------------------------------------------------------------------------------


def scheduled_event(time: str, event_id: str) -> dict[str, Any]:
    return {"version": "0", "id": event_id, "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": time, "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/inside-flow-dev-schedule_daily_report"],
            "detail": {}}


def test_a_schedule_fired_twice_for_the_same_time_starts_one_run(client, drain):
    first = client.lambda_.invoke("schedule_daily_report", scheduled_event("2026-01-05T09:00:00Z", "e-1"))
    again = client.lambda_.invoke("schedule_daily_report", scheduled_event("2026-01-05T09:00:00Z", "e-2"))
    assert first.payload["run_id"] == again.payload["run_id"]
    assert first.payload["created"] is True and again.payload["created"] is False
    assert len(runs_of(client, "daily-report")) == 1

    next_day = client.lambda_.invoke("schedule_daily_report", scheduled_event("2026-01-06T09:00:00Z", "e-3"))
    assert next_day.payload["created"] is True and len(runs_of(client, "daily-report")) == 2
    drain()
    run = get_json(client, f"/runs/{first.payload['run_id']}")
    assert run["status"] == "SUCCEEDED" and run["context"]["notice"]["subject"] == "Report: daily"
    assert run["started_by"] == {"source": "schedule", "delivery_id": "2026-01-05T09:00:00Z",
                                 "trigger": "triggers[0]",
                                 "identity": "arn:aws:events:us-east-1:123456789012:rule/"
                                             "inside-flow-dev-schedule_daily_report"}


# --- the inbound events queue ---------------------------------------------------------------------------------


def send_events(stack: Any, bodies: list[str]) -> None:
    stack.sqs.send_message_batch(QueueUrl=stack.events_url, Entries=[
        {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)])


def route(stack: Any, client: Any) -> Any:
    return stack.events_driver.drain(lambda event: client.lambda_.invoke("route_events", event))


SERVICE_REQUESTED = json.dumps({"detail_type": "ServiceRequested", "detail": REQUEST})


def test_a_message_matching_two_flows_starts_two_runs_once(client, stack, drain):
    send_events(stack, [SERVICE_REQUESTED])
    received = stack.events_driver.receive()
    arn = stack.sqs.get_queue_attributes(QueueUrl=stack.events_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    event = sqs_event(received, arn)
    first = client.lambda_.invoke("route_events", event)
    redelivered = client.lambda_.invoke("route_events", event)  # SQS delivers at least once
    assert first.payload == redelivered.payload == {"batchItemFailures": []}

    service, audit = runs_of(client, "service-request"), runs_of(client, "audit-log")
    assert len(service) == 1 and len(audit) == 1
    drain()
    run = get_json(client, f"/runs/{service[0]}")
    assert run["status"] == "SUCCEEDED"
    assert run["started_by"]["source"] == "queue"
    assert run["started_by"]["delivery_id"] == received[0]["MessageId"]
    assert run["started_by"]["identity"] == arn and run["started_by"]["trigger"] == "triggers[1]"
    assert get_json(client, f"/runs/{audit[0]}")["context"]["entry"] == {"kind": "ServiceRequested",
                                                                      "recorded": True}


def emf_metrics(output: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for definition in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                values = document[definition["Name"]]
                found[definition["Name"]] = found.get(definition["Name"], 0) + sum(
                    values if isinstance(values, list) else [values])
    return found


def test_a_non_matching_message_starts_nothing_and_is_counted(client, stack, monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    send_events(stack, [json.dumps({"hello": "world"}), json.dumps({"detail_type": None})])
    report = route(stack, client)
    assert report.messages == 2 and report.failures == 0
    assert runs_of(client, "service-request") == [] and runs_of(client, "audit-log") == []
    assert emf_metrics(capsys.readouterr().out).get("UnmatchedEvents") == 2


def test_a_malformed_message_reaches_the_dlq_without_blocking_its_batch(client, stack):
    send_events(stack, [SERVICE_REQUESTED, "{not json", json.dumps({"detail_type": "Other"}), "[1, 2]"])
    report = route(stack, client)

    assert report.failures == 2 * MAX_RECEIVES  # each poison message is retried, then redriven
    dlq_url = stack.sqs.get_queue_url(QueueName=f"{stack.services.settings.events_queue}-dlq")["QueueUrl"]
    dead = stack.sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in dead) == ["[1, 2]", "{not json"]
    assert len(runs_of(client, "service-request")) == 1
    assert len(runs_of(client, "audit-log")) == 2  # ServiceRequested and Other, each once despite the retries
    assert stack.events_driver.receive() == []


# --- EventBridge events ---------------------------------------------------------------------------------------


def test_an_eventbridge_event_starts_one_run_per_event_id(client, drain):
    event = {"version": "0", "id": "ev-1", "detail-type": "Deployed", "source": "inside-flow.demo",
             "account": "123456789012", "time": "2026-01-05T09:00:00Z", "region": "us-east-1", "resources": [],
             "detail": {"service": "billing"}}
    first = client.lambda_.invoke("event_audit_log", event)
    again = client.lambda_.invoke("event_audit_log", event)
    assert first.payload["run_id"] == again.payload["run_id"] and again.payload["created"] is False
    drain()
    run = get_json(client, f"/runs/{first.payload['run_id']}")
    assert run["context"]["entry"] == {"kind": "Deployed", "recorded": True}
    assert run["started_by"]["source"] == "event" and run["started_by"]["delivery_id"] == "ev-1"
