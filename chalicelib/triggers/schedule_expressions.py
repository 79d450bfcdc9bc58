"""EventBridge schedule expressions: parse ``cron(...)`` and ``rate(...)`` and compute firing times.

Pure (no clock): the definition loader uses it to reject a bad expression at
load, and the local ticker uses :meth:`next_after` to fire schedules the way
EventBridge would. Syntax follows EventBridge, not Unix cron: six fields
(minutes hours day-of-month month day-of-week year), UTC, days of the week
1-7 = SUN-SAT, exactly one of day-of-month and day-of-week is ``?``, and the
``L``, ``W`` and ``#`` wildcards.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

__all__ = ["CronExpression", "RateExpression", "ScheduleExpression", "parse_cron", "parse_rate"]

_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_YEARS = (1970, 2199)
_RATE = re.compile(r"^\s*(?:rate\(\s*)?(\d+)\s+(minutes?|hours?|days?)\s*\)?\s*$")
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


_MINUTE = _Field("minutes", 0, 59)
_HOUR = _Field("hours", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTHS)
_DOW = _Field("day-of-week", 1, 7, _DAYS)
_YEAR = _Field("year", *_YEARS)


def _number(text: str, spec: _Field) -> int:
    value = spec.names.get(text.upper()) if spec.names else None
    if value is None:
        if not text.isdigit():
            raise ValueError(f"{spec.name}: '{text}' is not a number" + (" or name" if spec.names else ""))
        value = int(text)
    if not spec.low <= value <= spec.high:
        raise ValueError(f"{spec.name}: {value} is outside {spec.low}-{spec.high}")
    return value


def _values(text: str, spec: _Field) -> frozenset[int]:
    """Expand ``*``, lists, ranges (wrapping, like FRI-MON) and steps into the set of allowed values."""
    found: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{spec.name}: '/{step_text}' is not a positive step")
            step = int(step_text)
        if base == "*":
            first, last = spec.low, spec.high
        elif "-" in base:
            left, _, right = base.partition("-")
            first, last = _number(left, spec), _number(right, spec)
        else:
            first = _number(base, spec)
            last = spec.high if step_text else first
        span = list(range(first, last + 1)) if first <= last else \
            list(range(first, spec.high + 1)) + list(range(spec.low, last + 1))
        found.update(span[::step])
    return frozenset(found)


def _weekday(day: date) -> int:
    """EventBridge numbering: SUN=1 ... SAT=7."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int) -> int | None:
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return None
    weekday = date(year, month, day).weekday()  # MON=0
    if weekday == 5:  # Saturday: Friday before, or Monday after if the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before if the last day
        return day + 1 if day < last else day - 2
    return day


@dataclass(frozen=True)
class CronExpression:
    source: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    dom: str
    dow: str

    @property
    def expression(self) -> str:
        return f"cron({self.source})"

    def _days(self, year: int, month: int) -> list[int]:
        last = calendar.monthrange(year, month)[1]
        spec, by_weekday = (self.dow, True) if self.dom == "?" else (self.dom, False)
        days: set[int] = set()
        for item in spec.split(","):
            if by_weekday:
                days.update(_weekday_days(item, year, month, last))
            elif item == "L":
                days.add(last)
            elif item.endswith("W"):
                nearest = _nearest_weekday(year, month, _number(item[:-1], _DOM))
                if nearest is not None:
                    days.add(nearest)
            else:
                days.update(d for d in _values(item, _DOM) if d <= last)
        return sorted(days)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after ``moment`` (UTC), or None if the expression never fires again."""
        start = moment.astimezone(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for year in sorted(y for y in self.years if y >= start.year):
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                for day in self._days(year, month):
                    if (year, month, day) < (start.year, start.month, start.day):
                        continue
                    same_day = (year, month, day) == (start.year, start.month, start.day)
                    for hour in sorted(self.hours):
                        if same_day and hour < start.hour:
                            continue
                        for minute in sorted(self.minutes):
                            candidate = datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
                            if candidate >= start:
                                return candidate
        return None


def _weekday_days(item: str, year: int, month: int, last: int) -> list[int]:
    weekdays = {day: _weekday(date(year, month, day)) for day in range(1, last + 1)}
    if item == "L":  # the last day of the week: Saturday
        return [d for d, w in weekdays.items() if w == 7]
    if item.endswith("L"):  # 6L: the last Friday of the month
        target = _number(item[:-1], _DOW)
        return [max(d for d, w in weekdays.items() if w == target)]
    if "#" in item:  # 3#2: the second Tuesday
        day_text, _, nth_text = item.partition("#")
        target = _number(day_text, _DOW)
        if not nth_text.isdigit() or not 1 <= int(nth_text) <= 5:
            raise ValueError(f"day-of-week: '#{nth_text}' must be 1-5")
        matches = [d for d, w in weekdays.items() if w == target]
        return matches[int(nth_text) - 1: int(nth_text)]
    allowed = _values(item, _DOW)
    return [d for d, w in weekdays.items() if w in allowed]


def _check_day_item(item: str, by_weekday: bool) -> None:
    """Parse one day item against a dummy month so syntax errors surface at load."""
    if by_weekday:
        _weekday_days(item, 2026, 1, 31)
    elif item == "L":
        return
    elif item.endswith("W"):
        _number(item[:-1], _DOM)
    else:
        _values(item, _DOM)


def parse_cron(text: str) -> CronExpression:
    """Accepts ``0 9 * * ? *`` or ``cron(0 9 * * ? *)``; raises ValueError naming the bad field."""
    source = text.strip()
    if source.startswith("cron(") and source.endswith(")"):
        source = source[5:-1].strip()
    parts = source.split()
    if len(parts) != 6:
        raise ValueError(f"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), "
                         f"got {len(parts)}")
    minute, hour, dom, month, dow, year = parts
    if (dom == "?") == (dow == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?'")
    for item in (dom if dom != "?" else dow).split(","):
        _check_day_item(item, by_weekday=dom == "?")
    cron = CronExpression(
        source=" ".join(parts),
        minutes=_values(minute, _MINUTE),
        hours=_values(hour, _HOUR),
        months=_values(month, _MONTH),
        years=_values(year, _YEAR),
        dom=dom.upper(),
        dow=dow.upper(),
    )
    return cron


@dataclass(frozen=True)
class RateExpression:
    """``rate(5 minutes)``. EventBridge anchors a rate at rule creation; locally firings align to the epoch."""

    value: int
    unit: str

    @property
    def seconds(self) -> int:
        return self.value * _RATE_UNITS[self.unit.rstrip("s")]

    @property
    def expression(self) -> str:
        return f"rate({self.value} {self.unit})"

    def next_after(self, moment: datetime) -> datetime:
        epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
        elapsed = int((moment - epoch).total_seconds())
        return epoch + timedelta(seconds=(elapsed // self.seconds + 1) * self.seconds)


def parse_rate(text: str) -> RateExpression:
    """Accepts ``5 minutes`` or ``rate(5 minutes)``; singular unit for 1, plural otherwise, as EventBridge requires."""
    match = _RATE.match(text)
    if not match:
        raise ValueError("a rate is '<positive integer> minute(s)|hour(s)|day(s)', e.g. '5 minutes'")
    value, unit = int(match.group(1)), match.group(2)
    if value == 0:
        raise ValueError("a rate must be a positive integer")
    if (value == 1) == unit.endswith("s"):
        raise ValueError(f"use '{unit.rstrip('s')}' for 1 and '{unit.rstrip('s')}s' for more (EventBridge rule)")
    return RateExpression(value, unit)


ScheduleExpression = CronExpression | RateExpression
