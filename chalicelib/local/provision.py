"""Create the table and queues a deployment needs; in AWS, CloudFormation (infra/) does the same."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.config import Settings
from chalicelib.store import bind_models

__all__ = ["provision", "provision_events_queue", "MAX_RECEIVES"]

MAX_RECEIVES = 5


def provision(settings: Settings, sqs: Any) -> str:
    """Create the flow table and the work queue with its dead-letter queue; return the work queue URL."""
    models = bind_models(settings.table_name, settings.region, settings.dynamodb_endpoint)
    if not models.run.exists():
        models.run.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
    return _queue_with_dlq(sqs, settings.work_queue)


def provision_events_queue(settings: Settings, sqs: Any) -> str:
    """Create the inbound events queue (queue triggers) with its dead-letter queue; return its URL."""
    return _queue_with_dlq(sqs, settings.events_queue)


def _queue_with_dlq(sqs: Any, name: str) -> str:
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})
    return sqs.create_queue(
        QueueName=name,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "60"},
    )["QueueUrl"]
