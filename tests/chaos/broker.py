"""An in-memory queue with SQS's delivery contract, on a virtual clock, made hostile.

What SQS promises, and no more: every message is delivered at least once; a
received message is invisible until acknowledged or its visibility timeout
passes; order is not kept. On top, the broker redelivers a share of
acknowledged messages (duplicates), picks among visible messages at random
(reordering) and holds some sends back for a while (delays).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.queue import WorkMessage
from chalicelib.runtime.clock import VirtualClock

__all__ = ["Delivery", "HostileBroker"]

VISIBILITY_TIMEOUT = timedelta(seconds=60)
MAX_RECEIVES = 5


@dataclass
class Delivery:
    id: int
    message: WorkMessage
    visible_at: datetime
    receives: int = 0


class HostileBroker:
    def __init__(self, clock: VirtualClock, rng: random.Random, *, redeliver: float = 0.20,
                 delay: float = 0.30, max_extra_delay: int = 120) -> None:
        self._clock = clock
        self._rng = rng
        self._redeliver = redeliver
        self._delay = delay
        self._max_extra_delay = max_extra_delay
        self._ids = itertools.count(1)
        self._pending: dict[int, Delivery] = {}
        self.dead_letters: list[WorkMessage] = []
        self.sent = 0
        self.duplicates = 0

    def send(self, message: WorkMessage, delay_seconds: int) -> None:
        self.sent += 1
        self._put(message, delay_seconds + self._jitter())

    def _jitter(self) -> int:
        return self._rng.randint(1, self._max_extra_delay) if self._rng.random() < self._delay else 0

    def _put(self, message: WorkMessage, delay_seconds: int) -> None:
        delivery = Delivery(next(self._ids), message, self._clock.now() + timedelta(seconds=delay_seconds))
        self._pending[delivery.id] = delivery

    def receive(self) -> Delivery | None:
        now = self._clock.now()
        visible = [d for d in self._pending.values() if d.visible_at <= now]
        if not visible:
            return None
        delivery = self._rng.choice(visible)
        delivery.receives += 1
        delivery.visible_at = now + VISIBILITY_TIMEOUT
        return delivery

    def ack(self, delivery: Delivery) -> None:
        self._pending.pop(delivery.id, None)
        if self._rng.random() < self._redeliver:
            self.duplicates += 1
            self._put(delivery.message, self._jitter())

    def nack(self, delivery: Delivery) -> None:
        """A reported failure: visible again now, or dead-lettered after MAX_RECEIVES like the redrive policy."""
        if delivery.receives >= MAX_RECEIVES:
            self._pending.pop(delivery.id, None)
            self.dead_letters.append(delivery.message)
        else:
            delivery.visible_at = self._clock.now()

    def in_flight_copy(self, delivery: Delivery) -> Delivery:
        """The same message handed to a second worker, as when a visibility timeout runs out mid-work."""
        self.duplicates += 1
        copy = Delivery(next(self._ids), delivery.message, self._clock.now(), receives=1)
        return copy

    def next_visible_at(self) -> datetime | None:
        return min((d.visible_at for d in self._pending.values()), default=None)

    def __len__(self) -> int:
        return len(self._pending)
