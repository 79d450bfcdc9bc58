"""The long-delay adapter on moto: delays over 900 s become one EventBridge Scheduler at() schedule."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.engine import WorkKind
from chalicelib.queue import WorkMessage
from chalicelib.queue.scheduler import SchedulerWorkQueue, schedule_name
from tests.fakes import EPOCH

ROLE = "arn:aws:iam::123456789012:role/inside-flow-scheduler"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[WorkMessage, int]] = []

    def send(self, message: WorkMessage, delay_seconds: int) -> None:
        self.sent.append((message, delay_seconds))


def adapter(stack: Any) -> tuple[SchedulerWorkQueue, Recorder, Any]:
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    sqs = Recorder()
    queue = SchedulerWorkQueue(sqs, scheduler, lambda: EPOCH, "arn:aws:sqs:us-east-1:123456789012:work", ROLE)
    return queue, sqs, scheduler


def test_a_year_long_delay_is_one_schedule_at_the_wake_time(stack):
    queue, sqs, scheduler = adapter(stack)
    message = WorkMessage(run_id="r-1", seq=3, kind=WorkKind.TIMER)
    queue.send(message, 365 * 86_400)
    queue.send(message, 365 * 86_400)  # a repeated send finds the schedule: still one
    assert sqs.sent == [] and queue.scheduled == 1
    found = scheduler.get_schedule(Name=schedule_name(message), GroupName="default")
    assert found["ScheduleExpression"] == "at(2027-01-05T09:00:00)"  # EPOCH + 365 days (2026 is not a leap year)
    assert found["ScheduleExpressionTimezone"] == "UTC"
    assert found["Target"]["RoleArn"] == ROLE
    assert WorkMessage.model_validate(json.loads(found["Target"]["Input"])) == message


def test_delays_up_to_900_seconds_stay_on_sqs(stack):
    queue, sqs, _ = adapter(stack)
    message = WorkMessage(run_id="r-2", seq=1)
    queue.send(message, 900)
    assert sqs.sent == [(message, 900)] and queue.scheduled == 0
