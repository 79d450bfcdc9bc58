"""Render the CloudFormation merged into ``chalice package``: table, work and events queues, DLQs, batch failures.

The table's keys and indexes come from the PynamoDB models, so the deployed
table and the one tests create on moto cannot drift apart; a test checks the
committed ``infra/resources-<stage>.json`` equals what this renders.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.local.provision import MAX_RECEIVES
from chalicelib.store import bind_models

__all__ = ["render", "stage_names", "STAGES"]

STAGES = ("dev", "prod")


def stage_names(stage: str) -> dict[str, str]:
    return {"table": f"inside-flow-{stage}", "work_queue": f"inside-flow-{stage}-work",
            "events_queue": f"inside-flow-{stage}-events"}


def _queue_with_dlq(name: str, dlq_resource: str) -> dict[str, Any]:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": name,
            "VisibilityTimeout": 360,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq_resource, "Arn"]},
                "maxReceiveCount": MAX_RECEIVES,
            },
        },
    }


def _dlq(name: str) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-dlq", "MessageRetentionPeriod": 1209600}}


def _report_batch_item_failures(function: str) -> dict[str, Any]:
    """Chalice names the mapping <Function>SqsEventSource and does not set this; without it a partial
    batch response is ignored and one bad message retries its whole batch."""
    return {
        "Properties": {
            "Events": {
                f"{function}SqsEventSource": {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}
            }
        }
    }


def _table(table_name: str) -> dict[str, Any]:
    schema = bind_models(table_name, "us-east-1").run._get_schema()
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": sorted(index["key_schema"], key=lambda k: k["KeyType"]),
            "Projection": index["projection"],
        }
        for index in schema["global_secondary_indexes"]
    ]
    return {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
            "KeySchema": sorted(schema["key_schema"], key=lambda k: k["KeyType"]),
            "GlobalSecondaryIndexes": indexes,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    }


def render(stage: str) -> dict[str, Any]:
    names = stage_names(stage)
    return {
        "Resources": {
            "FlowTable": _table(names["table"]),
            "WorkDeadLetterQueue": _dlq(names["work_queue"]),
            "WorkQueue": _queue_with_dlq(names["work_queue"], "WorkDeadLetterQueue"),
            "EventsDeadLetterQueue": _dlq(names["events_queue"]),
            "EventsQueue": _queue_with_dlq(names["events_queue"], "EventsDeadLetterQueue"),
            "ProcessWork": _report_batch_item_failures("ProcessWork"),
            "RouteEvents": _report_batch_item_failures("RouteEvents"),
        }
    }


def main() -> None:
    for stage in STAGES:
        with open(f"infra/resources-{stage}.json", "w", encoding="utf-8") as out:
            json.dump(render(stage), out, indent=2, sort_keys=True)
            out.write("\n")


if __name__ == "__main__":
    main()
