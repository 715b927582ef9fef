"""The availability engine, on its own: wall-clock rules, UTC answers, both DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontline.appointments.availability import (
    Diary,
    free_slots,
    local_day_window,
    nearest,
    slots_by_local_day,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")
EVERY_DAY_9_TO_12 = {weekday: [(time(9), time(12))] for weekday in range(7)}
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def diary(**overrides: object) -> Diary:
    fields: dict[str, object] = {
        "zone": LONDON,
        "weekly_hours": EVERY_DAY_9_TO_12,
        "buffer": timedelta(0),
        "minimum_notice": timedelta(0),
        "horizon": timedelta(days=400),
        "interval": timedelta(minutes=60),
    }
    fields.update(overrides)
    return Diary(**fields)  # type: ignore[arg-type]


def slots_on(book: Diary, day: date, *, minutes: int = 60, now: datetime = LONG_AGO) -> list:
    starts, ends = local_day_window(day, book.zone)
    return free_slots(
        book, duration=timedelta(minutes=minutes), now=now, window_starts=starts, window_ends=ends
    )


def test_slots_step_through_the_working_hours_in_the_store_zone():
    # 12 January 2026: London keeps GMT, so local and UTC agree.
    assert slots_on(diary(), date(2026, 1, 12)) == [
        utc(2026, 1, 12, 9),
        utc(2026, 1, 12, 10),
        utc(2026, 1, 12, 11),
    ]


def test_a_session_must_end_within_the_working_hours():
    assert slots_on(diary(), date(2026, 1, 12), minutes=90) == [
        utc(2026, 1, 12, 9),
        utc(2026, 1, 12, 10),
    ]


def test_a_working_day_keeps_its_clock_times_when_the_clocks_go_forward():
    # Clocks went forward at 01:00 UTC on Sunday 29 March 2026: 09:00 in London is 08:00 UTC.
    assert slots_on(diary(), date(2026, 3, 28))[0] == utc(2026, 3, 28, 9)
    assert slots_on(diary(), date(2026, 3, 29)) == [
        utc(2026, 3, 29, 8),
        utc(2026, 3, 29, 9),
        utc(2026, 3, 29, 10),
    ]


def test_a_working_day_keeps_its_clock_times_when_the_clocks_go_back():
    # Clocks went back at 01:00 UTC on Sunday 25 October 2026: 09:00 is 09:00 UTC again.
    assert slots_on(diary(), date(2026, 10, 24))[0] == utc(2026, 10, 24, 8)
    assert slots_on(diary(), date(2026, 10, 25)) == [
        utc(2026, 10, 25, 9),
        utc(2026, 10, 25, 10),
        utc(2026, 10, 25, 11),
    ]


def test_hours_across_the_spring_change_last_the_real_time_they_cover():
    # 00:00-04:00 on the night the clocks skip 01:00-02:00: three real hours, three slots, and
    # none at the wall-clock time that does not exist.
    night = diary(weekly_hours={6: [(time(0), time(4))]})
    slots = slots_on(night, date(2026, 3, 29))
    assert slots == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)]
    assert [slot.astimezone(LONDON).strftime("%H:%M") for slot in slots] == [
        "00:00",
        "02:00",
        "03:00",
    ]


def test_hours_across_the_autumn_change_offer_the_repeated_hour_once_per_real_instant():
    # 00:00-04:00 on the night 01:00-02:00 happens twice: five real hours, five distinct slots.
    night = diary(weekly_hours={6: [(time(0), time(4))]})
    slots = slots_on(night, date(2026, 10, 25))
    assert slots == [utc(2026, 10, 24, 23) + timedelta(hours=h) for h in range(5)]
    assert len(set(slots)) == 5
    assert [slot.astimezone(LONDON).strftime("%H:%M") for slot in slots] == [
        "00:00",
        "01:00",
        "01:00",
        "02:00",
        "03:00",
    ]


def test_local_days_are_23_and_25_hours_long_on_the_change_days():
    starts, ends = local_day_window(date(2026, 3, 29), LONDON)
    assert ends - starts == timedelta(hours=23)
    starts, ends = local_day_window(date(2026, 10, 25), LONDON)
    assert ends - starts == timedelta(hours=25)


def test_a_customer_in_new_york_sees_the_gap_between_the_american_and_european_changes():
    # America changes on 8 March 2026, Europe on 29 March: for three weeks the gap is 4 hours.
    book = diary()
    first = {
        day: slots_on(book, day)[0].astimezone(NEW_YORK).strftime("%H:%M")
        for day in (date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 31))
    }
    assert first == {
        date(2026, 3, 3): "04:00",
        date(2026, 3, 10): "05:00",
        date(2026, 3, 31): "04:00",
    }


def test_a_customer_far_away_sees_the_slots_on_their_own_date():
    # Monday 16:00-18:00 in London is Tuesday 05:00-07:00 in Auckland (NZDT, UTC+13).
    book = diary(weekly_hours={0: [(time(16), time(18))]})
    slots = free_slots(
        book,
        duration=timedelta(hours=1),
        now=LONG_AGO,
        window_starts=utc(2026, 1, 12),
        window_ends=utc(2026, 1, 14),
    )
    by_day = slots_by_local_day(slots, AUCKLAND)
    assert list(by_day) == [date(2026, 1, 13)]
    assert [slot.astimezone(AUCKLAND).strftime("%H:%M") for slot in by_day[date(2026, 1, 13)]] == [
        "05:00",
        "06:00",
    ]


def test_an_auckland_day_window_finds_slots_that_are_yesterday_in_london():
    book = diary(weekly_hours={0: [(time(16), time(18))]})
    starts, ends = local_day_window(date(2026, 1, 13), AUCKLAND)
    slots = free_slots(
        book, duration=timedelta(hours=1), now=LONG_AGO, window_starts=starts, window_ends=ends
    )
    assert slots == [utc(2026, 1, 12, 16), utc(2026, 1, 12, 17)]


def test_breaks_are_taken_out_of_the_day():
    book = diary(weekly_breaks={0: [(time(10), time(11))]})
    assert slots_on(book, date(2026, 1, 12)) == [utc(2026, 1, 12, 9), utc(2026, 1, 12, 11)]


def test_a_date_override_replaces_the_day_and_an_empty_one_is_a_day_off():
    book = diary(
        weekly_breaks={0: [(time(10), time(11))]},
        overrides={date(2026, 1, 12): [(time(14), time(16))], date(2026, 1, 13): []},
    )
    assert slots_on(book, date(2026, 1, 12)) == [utc(2026, 1, 12, 14), utc(2026, 1, 12, 15)]
    assert slots_on(book, date(2026, 1, 13)) == []
    assert slots_on(book, date(2026, 1, 14)) != []


def test_time_off_blocks_any_slot_it_touches():
    book = diary(time_off=[(utc(2026, 1, 12, 9, 30), utc(2026, 1, 12, 10, 15))])
    assert slots_on(book, date(2026, 1, 12)) == [utc(2026, 1, 12, 11)]


def test_a_booked_session_and_its_buffer_block_the_slots_they_touch():
    # A session 10:00-10:30 with a 15-minute buffer blocks until 10:45.
    book = diary(
        busy=[(utc(2026, 1, 12, 10), utc(2026, 1, 12, 10, 45))],
        buffer=timedelta(minutes=15),
        interval=timedelta(minutes=15),
    )
    slots = slots_on(book, date(2026, 1, 12), minutes=30)
    # 09:15 would end at 09:45 and its own buffer at 10:00: it fits; 09:30 does not.
    assert utc(2026, 1, 12, 9, 15) in slots
    assert utc(2026, 1, 12, 9, 30) not in slots
    assert utc(2026, 1, 12, 10, 30) not in slots
    assert utc(2026, 1, 12, 10, 45) in slots


def test_minimum_notice_and_horizon_bound_the_slots():
    book = diary(minimum_notice=timedelta(hours=2), horizon=timedelta(days=2))
    now = utc(2026, 1, 12, 8, 30)
    assert slots_on(book, date(2026, 1, 12), now=now) == [utc(2026, 1, 12, 11)]
    assert len(slots_on(book, date(2026, 1, 13), now=now)) == 3
    # The horizon ends two days from now, at 08:30 on the 14th: before that day's first slot.
    assert slots_on(book, date(2026, 1, 14), now=now) == []


def test_nearest_picks_the_closest_slots_in_time_order():
    slots = [utc(2026, 1, 12, hour) for hour in (8, 9, 13, 15, 16)]
    assert nearest(slots, utc(2026, 1, 12, 12), 3) == [
        utc(2026, 1, 12, 9),
        utc(2026, 1, 12, 13),
        utc(2026, 1, 12, 15),
    ]


def test_a_session_that_exactly_fills_the_gap_between_two_others_fits():
    # 10:00-11:00 plus its 15-minute buffer ends as the next session starts, at 11:15.
    book = diary(
        weekly_hours={0: [(time(9), time(13))]},
        busy=[
            (utc(2026, 1, 12, 9), utc(2026, 1, 12, 10)),
            (utc(2026, 1, 12, 11, 15), utc(2026, 1, 12, 12)),
        ],
        buffer=timedelta(minutes=15),
        interval=timedelta(minutes=15),
    )
    assert slots_on(book, date(2026, 1, 12)) == [utc(2026, 1, 12, 10), utc(2026, 1, 12, 12)]
