"""When a stylist is free: pure functions over a stylist's rules, with no database access.

Wall-clock rules (weekly hours, breaks, date overrides) live in the store's time zone and are
turned into UTC instants day by day, so a 09:00-17:00 day stays 09:00-17:00 on the clock on
both sides of a daylight-saving change. Inside a period, slots step in real (UTC) time from its
start: on a night when the clocks change inside working hours, a slot lasts what it says and
no instant is offered twice. A wall-clock time that does not exist on the day (skipped when the
clocks go forward) is read with the offset before the change, as ``zoneinfo`` does with
``fold=0``; an ambiguous one (repeated when they go back) as its first occurrence.

Everything is returned as aware UTC datetimes; showing them in the customer's or the store's
zone is the template's business (see ``slots_by_local_day``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
ClockPeriod = tuple[time, time]


@dataclass(frozen=True)
class Diary:
    """One stylist's rules and commitments, as the engine needs them."""

    zone: ZoneInfo
    weekly_hours: Mapping[int, Sequence[ClockPeriod]]
    weekly_breaks: Mapping[int, Sequence[ClockPeriod]] = field(default_factory=dict)
    # A date present here replaces that weekday's hours and breaks; an empty list is a day off.
    overrides: Mapping[date, Sequence[ClockPeriod]] = field(default_factory=dict)
    time_off: Sequence[Interval] = ()
    # Sessions already booked, each from its start to its end plus the buffer after it.
    busy: Sequence[Interval] = ()
    buffer: timedelta = timedelta(minutes=15)
    minimum_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=60)
    interval: timedelta = timedelta(minutes=30)


def instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a date in a zone."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def working_periods(diary: Diary, day: date) -> list[Interval]:
    """The stylist's working periods on a local date, breaks taken out, as UTC intervals."""
    clock_periods: Sequence[ClockPeriod]
    clock_breaks: Sequence[ClockPeriod]
    if day in diary.overrides:
        clock_periods, clock_breaks = diary.overrides[day], ()
    else:
        weekday = day.weekday()
        clock_periods = diary.weekly_hours.get(weekday, ())
        clock_breaks = diary.weekly_breaks.get(weekday, ())
    periods = merged(
        (instant(day, starts, diary.zone), instant(day, ends, diary.zone))
        for starts, ends in clock_periods
    )
    breaks = merged(
        (instant(day, starts, diary.zone), instant(day, ends, diary.zone))
        for starts, ends in clock_breaks
    )
    return subtract(periods, breaks)


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined; empty ones dropped."""
    result: list[Interval] = []
    for starts, ends in sorted(interval for interval in intervals if interval[0] < interval[1]):
        if result and starts <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], ends))
        else:
            result.append((starts, ends))
    return result


def subtract(periods: list[Interval], holes: list[Interval]) -> list[Interval]:
    """``periods`` with every part covered by ``holes`` cut out (both sorted and disjoint)."""
    result: list[Interval] = []
    for starts, ends in periods:
        cursor = starts
        for hole_starts, hole_ends in holes:
            if hole_ends <= cursor or hole_starts >= ends:
                continue
            if hole_starts > cursor:
                result.append((cursor, hole_starts))
            cursor = max(cursor, hole_ends)
        if cursor < ends:
            result.append((cursor, ends))
    return result


class _Blocked:
    """Sorted disjoint intervals with an O(log n) overlap test."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        joined = merged(intervals)
        self.starts = [starts for starts, _ in joined]
        self.ends = [ends for _, ends in joined]

    def overlaps(self, starts: datetime, ends: datetime) -> bool:
        # The first interval that ends after ``starts`` is the only one that may overlap.
        index = bisect.bisect_right(self.ends, starts)
        return index < len(self.starts) and self.starts[index] < ends


def free_slots(
    diary: Diary,
    *,
    duration: timedelta,
    now: datetime,
    window_starts: datetime,
    window_ends: datetime,
) -> list[datetime]:
    """Every start in ``[window_starts, window_ends)`` at which a session of ``duration`` fits.

    A slot fits when the session lies inside a working period (breaks excluded), overlaps no
    time off, and the session plus the stylist's buffer after it overlaps no booked session;
    it starts no sooner than the minimum notice and no later than the horizon allows.
    """
    earliest = max(window_starts, now + diary.minimum_notice)
    latest = min(window_ends, now + diary.horizon)
    if earliest >= latest:
        return []
    time_off, busy = _Blocked(diary.time_off), _Blocked(diary.busy)
    # A local day can begin up to 14 hours either side of UTC midnight: look one day further.
    first_day = earliest.astimezone(diary.zone).date() - timedelta(days=1)
    last_day = latest.astimezone(diary.zone).date() + timedelta(days=1)
    slots: list[datetime] = []
    day = first_day
    while day <= last_day:
        for period_starts, period_ends in working_periods(diary, day):
            slots.extend(
                starts
                for starts in _grid(period_starts, period_ends - duration, diary.interval)
                if earliest <= starts < latest
                and not time_off.overlaps(starts, starts + duration)
                and not busy.overlaps(starts, starts + duration + diary.buffer)
            )
        day += timedelta(days=1)
    return sorted(set(slots))


def _grid(first: datetime, last: datetime, step: timedelta) -> Iterable[datetime]:
    current = first
    while current <= last:
        yield current
        current += step


def slots_by_local_day(slots: Iterable[datetime], zone: ZoneInfo) -> dict[date, list[datetime]]:
    """Slots grouped by the date they fall on in ``zone`` (the customer's), in order."""
    days: dict[date, list[datetime]] = {}
    for slot in sorted(slots):
        days.setdefault(slot.astimezone(zone).date(), []).append(slot)
    return days


def local_day_window(day: date, zone: ZoneInfo) -> Interval:
    """The UTC instants a local date spans in a zone (23, 24 or 25 hours long)."""
    return instant(day, time(0), zone), instant(day + timedelta(days=1), time(0), zone)


def nearest(slots: Iterable[datetime], target: datetime, count: int) -> list[datetime]:
    """The ``count`` slots closest to ``target``, earlier one first on a tie, in time order."""
    closest = sorted(slots, key=lambda slot: (abs(slot - target), slot))[:count]
    return sorted(closest)
