"""Render the CloudFormation merged into ``chalice package``: table, queues, DLQ, batch failures.

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
    return {"table": f"inside-flow-{stage}", "work_queue": f"inside-flow-{stage}-work"}


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
            "WorkDeadLetterQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": f"{names['work_queue']}-dlq", "MessageRetentionPeriod": 1209600},
            },
            "WorkQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": names["work_queue"],
                    "VisibilityTimeout": 360,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["WorkDeadLetterQueue", "Arn"]},
                        "maxReceiveCount": MAX_RECEIVES,
                    },
                },
            },
            # Chalice names the mapping <Function>SqsEventSource and does not set this; without it a
            # partial batch response is ignored and one bad message retries its whole batch.
            "ProcessWork": {
                "Properties": {
                    "Events": {
                        "ProcessWorkSqsEventSource": {
                            "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
                        }
                    }
                }
            },
        }
    }


def main() -> None:
    for stage in STAGES:
        with open(f"infra/resources-{stage}.json", "w", encoding="utf-8") as out:
            json.dump(render(stage), out, indent=2, sort_keys=True)
            out.write("\n")


if __name__ == "__main__":
    main()
