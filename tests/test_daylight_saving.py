"""Business minutes on daylight-saving days (SPEC 11), against a per-minute count.

The rule: a real minute is open when its local wall-clock time, in the calendar's zone,
falls inside an open interval of its local date. The oracle below applies it to every
minute of 2026 and 2027, one by one, and knows nothing of how the calendar counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from cstool.core.calendar import calendar_from_policy

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = {
    "sunday-night": {"sun": "02:30-03:15"},
    "maintenance-break": dict.fromkeys(EVERY_DAY, "00:00-02:30,03:00-24:00"),
    "small-hours": dict.fromkeys(EVERY_DAY, "00:30-01:30,01:45-02:15"),
    "office": dict.fromkeys(EVERY_DAY[:5], "09:00-12:00,13:30-18:00"),
    "all-day": dict.fromkeys(EVERY_DAY, "00:00-24:00"),
}
ZONES = {"ny": NY, "london": LONDON}
ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 2 * 365 * 1440
# The changes of 2026 and 2027 in both zones (the Sunday each happens on).
CHANGE_DAYS = [
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2027, 3, 14),
    date(2027, 11, 7),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 28),
    date(2027, 10, 31),
]


@cache
def calendar(zone: str, hours: str):
    return calendar_from_policy(hours, {"hours": HOURS[hours]}, ZONES[zone])


@cache
def oracle(zone: str, hours: str) -> list[int]:
    """Open minutes from ORIGIN to each minute of 2026-2027, judged minute by minute."""
    tz, cal = ZONES[zone], calendar(zone, hours)
    flags = bytearray(SPAN_MINUTES)
    instant, minute = ORIGIN, timedelta(minutes=1)
    for i in range(SPAN_MINUTES):
        local = instant.astimezone(tz)
        wall = local.hour * 60 + local.minute
        flags[i] = any(a <= wall < b for a, b in cal.hours_on(local.date()))
        instant += minute
    return list(accumulate(flags, initial=0))


def index(instant: datetime) -> int:
    return int((instant - ORIGIN).total_seconds() // 60)


def instant_at(minute: int) -> datetime:
    return ORIGIN + timedelta(minutes=minute)


# Instants on whole minutes, most of them near a change, spans from a minute to 3 months.
near_a_change = st.builds(
    lambda day, minutes: index(datetime.combine(day, datetime.min.time(), tzinfo=UTC)) + minutes,
    st.sampled_from(CHANGE_DAYS),
    st.integers(-3 * 1440, 3 * 1440),
)
starts = st.one_of(near_a_change, near_a_change, st.integers(0, SPAN_MINUTES // 2))
spans = st.one_of(st.integers(1, 180), st.integers(1, 3 * 1440), st.integers(1, 92 * 1440))
cases = st.tuples(st.sampled_from(sorted(ZONES)), st.sampled_from(sorted(HOURS)), starts, spans)


def test_an_interval_partly_in_the_spring_gap_counts_what_exists():
    sunday = calendar("ny", "sunday-night")
    assert sunday.business_minutes(datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY)) == 15
    assert sunday.business_minutes(datetime(2026, 3, 1, tzinfo=NY), datetime(2026, 3, 15, tzinfo=NY)) == 60
    assert sunday.add_minutes(datetime(2026, 3, 7, tzinfo=NY), 45) == datetime(2026, 3, 15, 3, 0, tzinfo=NY)
    opening = sunday.next_open(datetime(2026, 3, 8, tzinfo=NY))
    assert opening == datetime(2026, 3, 8, 3, 0, tzinfo=NY) and sunday.next_open(opening) == opening


def test_a_day_counts_no_more_than_it_lasts():
    broken = calendar("ny", "maintenance-break")
    assert broken.business_minutes(datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY)) == 1380
    # the fall-back day lasts 25 hours; 01:00-02:00 happens twice and 02:30-03:00 once, closed
    assert broken.business_minutes(datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY)) == 1470
    both_times = calendar_from_policy("fold", {"hours": {"sun": "01:00-02:00"}}, NY)
    assert both_times.business_minutes(datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY)) == 120


def test_a_working_day_with_hours_only_in_the_gap_is_no_working_day():
    gap_only = calendar_from_policy("gap", {"hours": {"sun": "02:00-03:00", "mon": "09:00-17:00"}}, NY)
    # created Saturday 7 March: Sunday 8 March's hours do not exist, so the first working day is Monday
    assert gap_only.close_of_working_day(date(2026, 3, 7), 1) == datetime(2026, 3, 9, 17, 0, tzinfo=NY)
    assert gap_only.close_of_working_day(date(2026, 3, 14), 1) == datetime(2026, 3, 15, 3, 0, tzinfo=NY)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(cases)
def test_counting_agrees_with_every_minute_judged_alone(case):
    zone, hours, start, span = case
    end = min(start + span, SPAN_MINUTES - 93 * 1440)
    start = min(start, end)
    cal, counted = calendar(zone, hours), oracle(zone, hours)
    expected = counted[end] - counted[start]
    assert cal.business_minutes(instant_at(start), instant_at(end)) == expected
    if expected:  # adding them back lands on the minute after the last one counted
        landed = cal.add_minutes(instant_at(start), expected)
        assert counted[index(landed)] - counted[start] == expected
        assert counted[index(landed) - 1] - counted[start] == expected - 1
    opening = index(cal.next_open(instant_at(start)))
    assert counted[opening] == counted[start] and counted[opening + 1] == counted[opening] + 1


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_no_day_counts_more_than_its_real_length(zone):
    cal, tz = calendar(zone, "all-day"), ZONES[zone]
    for day in CHANGE_DAYS:
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        real = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60
        assert cal.business_minutes(start, end) == real
