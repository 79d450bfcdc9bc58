"""The long-delay path: a work message due more than 900 s ahead becomes one EventBridge Scheduler
one-time ``at()`` schedule that sends it to the work queue at the wake time.

Hops cost a message and a commit every 900 s (96 per day of waiting); a schedule costs one create
and one delivery whatever the delay. The engine still re-checks ``wake_at`` on arrival, so a schedule
that fires early is just a hop. Schedules delete themselves after firing (``ActionAfterCompletion``).
EventBridge Scheduler never fires in moto: locally the ``ParkingQueue`` honours the full delay instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.queue.messages import WorkMessage
from chalicelib.queue.work_queue import MAX_DELAY_SECONDS, QueueError, WorkQueue

__all__ = ["SchedulerWorkQueue", "schedule_name"]


def schedule_name(message: WorkMessage) -> str:
    """One schedule per (cursor, version, kind): a repeated send is a ConflictException, not a second schedule."""
    key = f"{message.run_id}\n{message.branch or ''}\n{message.seq}\n{message.kind.value}"
    return f"if-{hashlib.sha256(key.encode()).hexdigest()[:48]}"


class SchedulerWorkQueue:
    """Short delays go to SQS as before; longer ones to a one-time schedule targeting the same queue."""

    def __init__(self, sqs_queue: WorkQueue, scheduler: Any, now: Callable[[], datetime], queue_arn: str,
                 role_arn: str, group: str = "default") -> None:
        self._sqs = sqs_queue
        self._scheduler = scheduler
        self._now = now
        self._queue_arn = queue_arn
        self._role_arn = role_arn
        self._group = group
        self.scheduled = 0

    def send(self, message: WorkMessage, delay_seconds: int) -> None:
        if delay_seconds <= MAX_DELAY_SECONDS:
            self._sqs.send(message, delay_seconds)
            return
        at = self._now() + timedelta(seconds=delay_seconds)
        try:
            self._scheduler.create_schedule(
                Name=schedule_name(message),
                GroupName=self._group,
                ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={"Arn": self._queue_arn, "RoleArn": self._role_arn, "Input": message.model_dump_json()},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConflictException":
                return  # this message was scheduled already (a redelivered commit's follow-up)
            raise QueueError(f"scheduling work for run '{message.run_id}' failed: {exc}") from exc
        except BotoCoreError as exc:
            raise QueueError(f"scheduling work for run '{message.run_id}' failed: {exc}") from exc
        self.scheduled += 1
