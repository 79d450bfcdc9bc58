"""Where time comes from: the wall clock in Lambda, a virtual clock in local runs and tests."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

__all__ = ["Clock", "SystemClock", "VirtualClock"]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class VirtualClock:
    """A clock that can skip ahead, so a one-day wait takes no real time.

    Frozen by default (tests get exact, repeatable times); with ``follow_real_time``
    it also moves with the wall clock, so local runs show real step durations.
    """

    def __init__(self, start: datetime | None = None, *, follow_real_time: bool = False,
                 tick: timedelta = timedelta(0)) -> None:
        self._origin = time.monotonic()
        self._start = start or datetime.now(timezone.utc)
        self._skipped = timedelta(0)
        self._follow = follow_real_time
        self._tick = tick

    def now(self) -> datetime:
        """With a ``tick`` every reading is later than the one before, so history times order events totally."""
        moment = self._start + self._skipped
        self._skipped += self._tick
        if self._follow:
            moment += timedelta(seconds=time.monotonic() - self._origin)
        return moment

    def advance_to(self, moment: datetime) -> None:
        gap = moment - self.now()
        if gap > timedelta(0):
            self._skipped += gap

    def advance(self, seconds: float) -> None:
        self._skipped += timedelta(seconds=seconds)
