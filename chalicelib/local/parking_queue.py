"""A work queue for virtual time: delayed messages wait here until the virtual clock reaches them.

Immediate messages go straight to SQS; the local runner moves the clock to the
next parked message when SQS is empty, which is how a one-day wait finishes in
milliseconds while still taking the same 900-second hops it takes in AWS.

With ``max_delay=None`` it honours any delay, as the EventBridge Scheduler path
does in AWS (Scheduler never fires in moto): a year-long wait is one message.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime, timedelta

from chalicelib.queue import MAX_DELAY_SECONDS, WorkMessage, WorkQueue
from chalicelib.runtime.clock import Clock

__all__ = ["ParkingQueue"]


class ParkingQueue:
    def __init__(self, inner: WorkQueue, clock: Clock, max_delay: int | None = MAX_DELAY_SECONDS) -> None:
        self._inner = inner
        self._max_delay = max_delay
        self._clock = clock
        self._parked: list[tuple[datetime, int, WorkMessage]] = []
        self._order = itertools.count()
        self.sent = 0

    def send(self, message: WorkMessage, delay_seconds: int) -> None:
        self.sent += 1
        if delay_seconds <= 0:
            self._inner.send(message, 0)
            return
        if self._max_delay is not None:
            delay_seconds = min(delay_seconds, self._max_delay)
        due = self._clock.now() + timedelta(seconds=delay_seconds)
        heapq.heappush(self._parked, (due, next(self._order), message))

    def next_due(self) -> datetime | None:
        return self._parked[0][0] if self._parked else None

    def release_due(self) -> int:
        """Hand every message whose time has come to SQS; returns how many."""
        released = 0
        now = self._clock.now()
        while self._parked and self._parked[0][0] <= now:
            _, _, message = heapq.heappop(self._parked)
            self._inner.send(message, 0)
            released += 1
        return released
