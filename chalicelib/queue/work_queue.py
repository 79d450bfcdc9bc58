"""Sending work messages; SQS caps a delay at 900 seconds.

``schedule`` passes the whole delay; each queue decides what to do with more than
900 s. The SQS adapter clamps it (a hop): the worker gets the message early, the
engine sees the wake time has not come and schedules the next hop. A queue with a
long-delay path (``SchedulerWorkQueue``) delivers it once, at the wake time.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.engine import ScheduleWork
from chalicelib.errors import InsideFlowError
from chalicelib.queue.messages import WorkMessage

__all__ = ["MAX_DELAY_SECONDS", "WorkQueue", "SqsWorkQueue", "QueueError", "delay_until", "schedule"]

MAX_DELAY_SECONDS = 900


class QueueError(InsideFlowError):
    status = 503
    code = "queue_unavailable"


class WorkQueue(Protocol):
    def send(self, message: WorkMessage, delay_seconds: int) -> None: ...


def delay_until(at: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``at`` (never negative); queues clamp it to what they can hold."""
    return max(0, math.ceil((at - now).total_seconds()))


def schedule(queue: WorkQueue, run_id: str, version: int, work: ScheduleWork | None, now: datetime,
             branch: str | None = None) -> None:
    """Send the follow-up message a committed decision asked for, if any."""
    if work is None:
        return
    queue.send(WorkMessage(run_id=run_id, seq=version, kind=work.kind, branch=branch), delay_until(work.at, now))


class SqsWorkQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def send(self, message: WorkMessage, delay_seconds: int) -> None:
        try:
            self._client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=message.model_dump_json(),
                DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
            )
        except (BotoCoreError, ClientError) as exc:
            raise QueueError(f"sending work for run '{message.run_id}' failed: {exc}") from exc
