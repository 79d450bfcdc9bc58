"""EventBridge cron and rate expressions: what loads, what is rejected, and when they fire."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.triggers.schedule_expressions import parse_cron, parse_rate


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def firings(expression: str, after: datetime, count: int) -> list[datetime]:
    cron = parse_cron(expression)
    times: list[datetime] = []
    while len(times) < count:
        after = cron.next_after(after)
        times.append(after)
    return times


def test_weekdays_at_nine_skip_the_weekend():
    # 2026-01-09 is a Friday
    assert firings("0 9 ? * MON-FRI *", utc(2026, 1, 9, 9, 0), 2) == [utc(2026, 1, 12, 9), utc(2026, 1, 13, 9)]


def test_next_is_strictly_after_and_seconds_are_ignored():
    cron = parse_cron("cron(*/15 * * * ? *)")
    assert cron.next_after(utc(2026, 1, 1, 10, 15)) == utc(2026, 1, 1, 10, 30)
    assert cron.next_after(utc(2026, 1, 1, 10, 14, 59)) == utc(2026, 1, 1, 10, 15)
    assert cron.expression == "cron(*/15 * * * ? *)"


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("0 0 L * ? *", utc(2026, 2, 1), utc(2026, 2, 28)),          # last day of the month
    ("0 0 ? * 6L *", utc(2026, 1, 1), utc(2026, 1, 30)),         # last Friday
    ("0 0 ? * 3#2 *", utc(2026, 1, 1), utc(2026, 1, 13)),        # second Tuesday
    ("0 0 1W * ? *", utc(2026, 2, 2, 1), utc(2026, 3, 2)),       # 1 Mar 2026 is a Sunday -> Monday 2nd
    ("0 0 15W * ? *", utc(2026, 2, 1), utc(2026, 2, 16)),        # 15 Feb 2026 is a Sunday -> Monday 16th
    ("0 0 31 * ? *", utc(2026, 2, 1), utc(2026, 3, 31)),         # months without a 31st are skipped
    ("30 12 1 JAN ? 2030", utc(2026, 1, 1), utc(2030, 1, 1, 12, 30)),
    ("0 0 ? * FRI-MON *", utc(2026, 1, 6), utc(2026, 1, 9)),     # a range may wrap around the week
    ("0 0 29 2 ? *", utc(2026, 1, 1), utc(2028, 2, 29)),
])
def test_wildcards(expression, after, expected):
    assert parse_cron(expression).next_after(after) == expected


def test_an_expression_in_the_past_never_fires_again():
    assert parse_cron("0 0 1 1 ? 2020").next_after(utc(2026, 1, 1)) is None


@pytest.mark.parametrize(("expression", "problem"), [
    ("0 9 * * *", "6 fields"),
    ("0 9 * * * *", "exactly one of day-of-month and day-of-week"),
    ("0 9 ? * ? *", "exactly one of day-of-month and day-of-week"),
    ("60 9 * * ? *", "minutes: 60 is outside 0-59"),
    ("0 24 * * ? *", "hours: 24"),
    ("0 9 ? * 8 *", "day-of-week: 8"),
    ("0 9 ? * FUNDAY *", "day-of-week: 'FUNDAY'"),
    ("0 9 * 13 ? *", "month: 13"),
    ("0 9 * * ? 1900", "year: 1900"),
    ("*/0 9 * * ? *", "positive step"),
    ("0 9 ? * 2#6 *", "must be 1-5"),
])
def test_bad_cron_expressions_name_the_field(expression, problem):
    with pytest.raises(ValueError, match=problem):
        parse_cron(expression)


def test_rates():
    assert parse_rate("5 minutes").seconds == 300
    assert parse_rate("rate(1 hour)").expression == "rate(1 hour)"
    assert parse_rate("2 days").next_after(utc(2026, 1, 1, 5)) == utc(2026, 1, 3)  # every 2nd day since the epoch
    for bad in ("1 minutes", "5 minute", "0 minutes", "5 weeks", "-1 days", "soon"):
        with pytest.raises(ValueError):
            parse_rate(bad)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(timezone.utc))


@settings(max_examples=150, deadline=None)
@given(moment=moments, minute=st.integers(0, 59), hours=st.sets(st.integers(0, 23), min_size=1, max_size=4),
       weekdays=st.sets(st.integers(1, 7), min_size=1, max_size=7))
def test_the_next_firing_matches_every_field_and_none_is_skipped(moment, minute, hours, weekdays):
    expression = f"{minute} {','.join(map(str, sorted(hours)))} ? * {','.join(map(str, sorted(weekdays)))} *"
    fired = parse_cron(expression).next_after(moment)
    assert fired is not None and fired > moment and fired - moment <= timedelta(days=8)
    assert fired.minute == minute and fired.hour in hours and (fired.isoweekday() % 7) + 1 in weekdays
    # brute force: no matching minute lies between moment and the answer
    probe = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < fired:
        assert not (probe.minute == minute and probe.hour in hours and (probe.isoweekday() % 7) + 1 in weekdays)
        probe += timedelta(minutes=1) if probe.hour in hours else timedelta(hours=1) - timedelta(minutes=probe.minute)


@settings(max_examples=100, deadline=None)
@given(moment=moments, value=st.integers(2, 90), unit=st.sampled_from(["minutes", "hours", "days"]))
def test_a_rate_fires_once_per_period(moment, value, unit):
    rate = parse_rate(f"{value} {unit}")
    fired = rate.next_after(moment)
    assert moment < fired <= moment + timedelta(seconds=rate.seconds)
    assert rate.next_after(fired) - fired == timedelta(seconds=rate.seconds)
