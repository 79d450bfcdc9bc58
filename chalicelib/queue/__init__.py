"""Work messages on SQS: one message, one transition."""

from chalicelib.queue.messages import WorkMessage
from chalicelib.queue.work_queue import MAX_DELAY_SECONDS, QueueError, SqsWorkQueue, WorkQueue, delay_until, schedule

__all__ = ["MAX_DELAY_SECONDS", "QueueError", "SqsWorkQueue", "WorkMessage", "WorkQueue", "delay_until", "schedule"]
