"""Drive the work queue locally: receive from SQS, invoke the worker handler, skip idle time.

``invoke`` is the Lambda entry point (``app.process_work`` or a chalice test
client's ``lambda_.invoke``), so local runs and tests use the code path Lambda runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.local.parking_queue import ParkingQueue
from chalicelib.runtime.clock import VirtualClock

__all__ = ["QueueDriver", "DrainReport", "sqs_event"]

Invoke = Callable[[dict[str, Any]], Any]


@dataclass
class DrainReport:
    batches: int = 0
    messages: int = 0
    failures: int = 0
    clock_jumps: int = 0


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping would deliver for these received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for m in messages
        ]
    }


class QueueDriver:
    def __init__(self, sqs: Any, queue_url: str, parking: ParkingQueue | None, clock: VirtualClock | None) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._parking = parking
        self._clock = clock
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def receive(self, limit: int = 10) -> list[dict[str, Any]]:
        return self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=limit, WaitTimeSeconds=0,
            AttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        ).get("Messages", [])

    def deliver(self, messages: list[dict[str, Any]], invoke: Invoke, report: DrainReport) -> None:
        """Invoke the handler with one batch, then delete what succeeded, as the event source mapping does."""
        response = invoke(sqs_event(messages, self._arn))
        payload = getattr(response, "payload", response) or {}
        failed = {f["itemIdentifier"] for f in payload.get("batchItemFailures", [])}
        report.batches += 1
        report.messages += len(messages)
        report.failures += len(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
            else:  # visible again at once; SQS's redrive policy moves it to the DLQ after MAX_RECEIVES
                self._sqs.change_message_visibility(
                    QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )

    def drain(self, invoke: Invoke, max_batches: int = 100_000, skip_time: bool = True) -> DrainReport:
        """Deliver until the queue is empty and nothing is parked (or, without skipping, nothing is due)."""
        report = DrainReport()
        while report.batches < max_batches:
            messages = self.receive()
            if messages:
                self.deliver(messages, invoke, report)
                continue
            if self._parking is None or self._parking.next_due() is None:
                break
            if skip_time and self._clock is not None:
                self._clock.advance_to(self._parking.next_due())
                report.clock_jumps += 1
            if not self._parking.release_due():
                break
        return report
