"""The local schedule ticker fires each due time once, driven by a virtual clock (no sleeping)."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.local.ticker import ScheduleTicker
from chalicelib.runtime.clock import VirtualClock
from chalicelib.triggers.index import TriggerHandler

START = datetime(2026, 1, 5, 8, 59, 30, tzinfo=timezone.utc)  # a Monday


def test_each_due_time_fires_once_in_order():
    clock = VirtualClock(START)
    fired: list[tuple[str, str]] = []
    ticker = ScheduleTicker(
        [TriggerHandler("schedule", "r", 0, "schedule_r", expression="cron(0 9 ? * MON-FRI *)"),
         TriggerHandler("schedule", "h", 0, "schedule_h", expression="rate(1 hour)"),
         TriggerHandler("event", "e", 0, "event_e", pattern={"source": ["x"]})],
        lambda handler, event: fired.append((handler.name, event["time"])), clock)
    assert ticker.tick() == 0
    assert ticker.next_due() == datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    clock.advance(30)
    assert ticker.tick() == 2 and ticker.tick() == 0
    clock.advance(2 * 3600)  # a stalled ticker catches up on each missed time
    ticker.tick()
    assert fired == [("schedule_r", "2026-01-05T09:00:00Z"), ("schedule_h", "2026-01-05T09:00:00Z"),
                     ("schedule_h", "2026-01-05T10:00:00Z"), ("schedule_h", "2026-01-05T11:00:00Z")]


def test_a_failing_start_is_not_fired_again_for_the_same_time():
    clock = VirtualClock(START)
    calls: list[str] = []

    def fire(handler, event):
        calls.append(event["time"])
        raise RuntimeError("boom")

    ticker = ScheduleTicker([TriggerHandler("schedule", "h", 0, "schedule_h", expression="rate(1 minute)")],
                            fire, clock)
    clock.advance(31)
    for _ in range(2):
        try:
            ticker.tick()
        except RuntimeError:
            pass
    assert calls == ["2026-01-05T09:00:00Z"]
