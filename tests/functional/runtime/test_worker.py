"""The worker on moto: duplicates are dropped, races commit once, bad messages fail alone."""

from __future__ import annotations

import json
import threading
from typing import Any

from chalicelib.queue import WorkMessage
from chalicelib.runtime.starter import start_run
from chalicelib.runtime.worker import Outcome, process_message

ORDER = {"order_id": "o-1", "items": [{"sku": "a", "qty": 1, "price": 5}]}


def first_message(stack: Any) -> dict[str, Any]:
    messages = stack.driver.receive(limit=1)
    assert len(messages) == 1
    return messages[0]


def test_a_duplicate_delivery_causes_no_second_transition(stack, client):
    started = start_run(stack.services, "order-processing", ORDER)
    message = first_message(stack)
    # deliver the very same SQS message twice, as an at-least-once queue may
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": message["Body"], "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inside-flow-work",
                          "awsRegion": "us-east-1"}]}
    first = client.lambda_.invoke("process_work", event).payload
    second = client.lambda_.invoke("process_work", {"Records": [dict(event["Records"][0], messageId="m-2")]}).payload
    assert first == {"batchItemFailures": []} and second == {"batchItemFailures": []}

    run_id = started.stored.run.run_id
    events = stack.services.repository.history(run_id)
    assert [(e.seq, e.type.value, e.state) for e in events] == [
        (1, "RunStarted", None), (2, "StateSucceeded", "price")]
    assert stack.services.repository.get(run_id).version == 2


def test_two_workers_racing_on_one_message_commit_exactly_once(stack):
    started = start_run(stack.services, "order-processing", ORDER)
    message = WorkMessage.model_validate_json(first_message(stack)["Body"])
    repository = stack.services.repository
    both_loaded = threading.Barrier(2, timeout=10)
    one_commit_at_a_time = threading.Lock()

    class LoadThenWait:
        """Both workers read the run before either commits: the worst interleaving.

        Commits are serialised only because moto's transaction rollback is not thread-safe;
        DynamoDB evaluates each conditional write atomically anyway.
        """

        def __getattr__(self, name: str) -> Any:
            return getattr(repository, name)

        def get(self, run_id: str, branch: str | None = None) -> Any:
            stored = repository.get(run_id, branch)
            both_loaded.wait()
            return stored

        def commit(self, *args: Any, **kwargs: Any) -> int:
            with one_commit_at_a_time:
                return repository.commit(*args, **kwargs)

    import dataclasses

    racing = dataclasses.replace(stack.services, repository=LoadThenWait())
    outcomes: list[Outcome] = []
    threads = [threading.Thread(target=lambda: outcomes.append(process_message(racing, message))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(o.value for o in outcomes) == ["advanced", "lost_race"]
    history = repository.history(started.stored.run.run_id)
    assert [e.seq for e in history] == [1, 2]
    assert repository.get(started.stored.run.run_id).version == 2


def test_a_malformed_message_fails_alone_and_the_rest_of_the_batch_proceeds(stack, client):
    started = start_run(stack.services, "order-processing", ORDER)
    good = first_message(stack)
    records = [
        {"messageId": mid, "receiptHandle": mid, "body": body, "attributes": {}, "messageAttributes": {},
         "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
         "awsRegion": "us-east-1"}
        for mid, body in (("bad-json", "{nope"), ("bad-shape", json.dumps({"run": 1})), ("good", good["Body"]))
    ]
    payload = client.lambda_.invoke("process_work", {"Records": records}).payload
    assert sorted(f["itemIdentifier"] for f in payload["batchItemFailures"]) == ["bad-json", "bad-shape"]
    assert stack.services.repository.get(started.stored.run.run_id).run.cursor == "check"


def test_work_for_an_unknown_run_is_dropped(stack):
    outcome = process_message(stack.services, WorkMessage(run_id="ghost", seq=1))
    assert outcome is Outcome.MISSING


def test_a_message_that_keeps_failing_reaches_the_dead_letter_queue(stack, client):
    stack.services.queue.send(WorkMessage(run_id="x", seq=1), 0)
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody="{broken")
    report = stack.driver.drain(lambda event: client.lambda_.invoke("process_work", event))
    dlq = stack.sqs.get_queue_url(QueueName=f"{stack.services.settings.work_queue}-dlq")["QueueUrl"]
    dead = stack.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ["{broken"]
    assert report.failures == 5  # tried up to the redrive policy's max receives, then moved aside
