"""Fire schedules locally the way EventBridge would, for ``flowctl serve`` (EventBridge never fires in moto).

``tick`` is a plain function of the clock, so tests drive it with a virtual
clock and no sleeping; ``run`` is the thread loop around it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.runtime.clock import Clock
from chalicelib.triggers.index import TriggerHandler
from chalicelib.triggers.schedule import scheduled_event
from chalicelib.triggers.schedule_expressions import ScheduleExpression, parse_cron, parse_rate

__all__ = ["ScheduleTicker"]

Fire = Callable[[TriggerHandler, dict[str, Any]], Any]


def _parse(expression: str) -> ScheduleExpression:
    return parse_cron(expression) if expression.startswith("cron(") else parse_rate(expression)


class ScheduleTicker:
    def __init__(self, handlers: list[TriggerHandler], fire: Fire, clock: Clock) -> None:
        now = clock.now()
        self._clock = clock
        self._fire = fire
        self._due: list[tuple[TriggerHandler, ScheduleExpression, datetime | None]] = []
        for handler in handlers:
            if handler.kind == "schedule" and handler.expression:
                expression = _parse(handler.expression)
                self._due.append((handler, expression, expression.next_after(now)))
        self.fired = 0

    def next_due(self) -> datetime | None:
        times = [due for _, _, due in self._due if due is not None]
        return min(times) if times else None

    def tick(self) -> int:
        """Fire every schedule whose time has come (once per missed time, like a late EventBridge); return how many."""
        now = self._clock.now()
        fired = 0
        for position, (handler, expression, due) in enumerate(self._due):
            while due is not None and due <= now:
                at, due = due, expression.next_after(due)
                self._due[position] = (handler, expression, due)  # moved on first: a failing start is not retried
                self._fire(handler, scheduled_event(at, handler.name))
                fired += 1
        self.fired += fired
        return fired

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a failing flow must not stop the other schedules
                from chalicelib.runtime.observability import logger

                logger.exception("scheduled start failed")
            stop.wait(interval)
