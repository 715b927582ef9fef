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
import functools
import math
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
    # More of them, as seconds since the epoch: how the diaries are read from the database, as
    # building thousands of datetimes only for the engine to turn them back costs a third of a
    # "book any stylist" search. Both lists count.
    busy_seconds: Sequence[tuple[float, float]] = ()
    buffer: timedelta = timedelta(minutes=15)
    minimum_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=60)
    interval: timedelta = timedelta(minutes=30)


def instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a date in a zone."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def working_periods(diary: Diary, day: date) -> list[Interval]:
    """The stylist's working periods on a local date, breaks taken out, as UTC intervals."""
    if day in diary.overrides:
        return _periods_on(day, tuple(diary.overrides[day]), (), diary.zone)
    weekday = day.weekday()
    return _periods_on(
        day,
        tuple(diary.weekly_hours.get(weekday, ())),
        tuple(diary.weekly_breaks.get(weekday, ())),
        diary.zone,
    )


@functools.lru_cache(maxsize=4096)
def _periods_on(
    day: date,
    clock_periods: tuple[ClockPeriod, ...],
    clock_breaks: tuple[ClockPeriod, ...],
    zone: ZoneInfo,
) -> list[Interval]:
    # Cached: the stylists of a store mostly share their hours, and a search over their whole
    # horizon would otherwise convert the same wall-clock times day after day for each.
    periods = merged(
        (instant(day, starts, zone), instant(day, ends, zone)) for starts, ends in clock_periods
    )
    breaks = merged(
        (instant(day, starts, zone), instant(day, ends, zone)) for starts, ends in clock_breaks
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
    earliest = max(window_starts, now + diary.minimum_notice).timestamp()
    latest = min(window_ends, now + diary.horizon).timestamp()
    if earliest >= latest:
        return []
    # The walk below is in seconds since the epoch (floats, exact to the microsecond at these
    # magnitudes): a "book any stylist" search walks tens of thousands of grid points, and float
    # arithmetic costs a fraction of creating and comparing aware datetimes.
    length, span = duration.total_seconds(), (duration + diary.buffer).total_seconds()
    # A start s collides with a booked session [b0, b1) when b0 - (duration + buffer) < s < b1,
    # and with time off [t0, t1) when t0 - duration < s < t1: the starts each one forbids.
    forbidden = _joined_open(
        [(starts - span, ends) for starts, ends in diary.busy_seconds]
        + [(starts.timestamp() - span, ends.timestamp()) for starts, ends in diary.busy]
        + [(starts.timestamp() - length, ends.timestamp()) for starts, ends in diary.time_off]
    )
    forbidden_ends = [ends for _, ends in forbidden]
    step = diary.interval.total_seconds()
    # A local day can begin up to 14 hours either side of UTC midnight: look one day further.
    day = _utc(earliest).astimezone(diary.zone).date() - timedelta(days=1)
    last_day = _utc(latest).astimezone(diary.zone).date() + timedelta(days=1)
    found: list[float] = []
    while day <= last_day:
        for period_starts, period_ends in _working_seconds(diary, day):
            first = period_starts
            if first < earliest:
                # The first point of the period's grid inside the window: the grid keeps its
                # origin at the period's start whatever the window.
                first += step * math.ceil((earliest - first) / step)
            _fitting(first, period_ends - length, latest, step, forbidden, forbidden_ends, found)
        day += timedelta(days=1)
    return [_utc(start) for start in sorted(set(found))]


def _working_seconds(diary: Diary, day: date) -> list[tuple[float, float]]:
    """``working_periods`` in seconds since the epoch (cached with them)."""
    if day in diary.overrides:
        return _period_seconds(day, tuple(diary.overrides[day]), (), diary.zone)
    weekday = day.weekday()
    return _period_seconds(
        day,
        tuple(diary.weekly_hours.get(weekday, ())),
        tuple(diary.weekly_breaks.get(weekday, ())),
        diary.zone,
    )


@functools.lru_cache(maxsize=4096)
def _period_seconds(
    day: date,
    clock_periods: tuple[ClockPeriod, ...],
    clock_breaks: tuple[ClockPeriod, ...],
    zone: ZoneInfo,
) -> list[tuple[float, float]]:
    return [
        (starts.timestamp(), ends.timestamp())
        for starts, ends in _periods_on(day, clock_periods, clock_breaks, zone)
    ]


@functools.lru_cache(maxsize=65536)
def _utc(seconds: float) -> datetime:
    # Cached: the stylists of a store share most of their slots, so one search converts each
    # instant once, and the same datetime object (whose hash Python caches) keys every lookup.
    return datetime.fromtimestamp(seconds, UTC)


def _joined_open(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Open intervals, sorted, with those that overlap joined. Two that only touch stay apart:
    the instant between them belongs to neither (a session may end just as the next begins)."""
    result: list[tuple[float, float]] = []
    for starts, ends in sorted(interval for interval in intervals if interval[0] < interval[1]):
        if result and starts < result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], ends))
        else:
            result.append((starts, ends))
    return result


def _fitting(
    first: float,
    last: float,
    before: float,
    step: float,
    forbidden: list[tuple[float, float]],
    forbidden_ends: list[float],
    found: list[float],
) -> None:
    """Append to ``found`` the grid from ``first`` to ``last`` (and before ``before``) by
    ``step``, leaving out starts inside ``forbidden`` (open intervals): each one is jumped over
    in a single step."""
    current = first
    while current <= last and current < before:
        index = bisect.bisect_right(forbidden_ends, current)
        if index < len(forbidden) and forbidden[index][0] < current:
            current += step * math.ceil((forbidden[index][1] - current) / step)
            continue
        found.append(current)
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
