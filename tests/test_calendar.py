"""The business calendar: hand-checked cases and properties over many instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings, strategies as st

from cstool.core.calendar import calendar_from_policy, check_calendar, parse_hours

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
OFFICE = calendar_from_policy(
    "office",
    {
        "hours": {d: "09:00-12:00,13:30-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        "overrides": {"2026-10-01": "closed", "2026-10-02": "closed", "2026-10-10": "09:00-12:00,13:30-18:00"},
    },
    SH,
)
HOTLINE = calendar_from_policy("hotline", {"hours": "always"}, SH)
NEW_YORK = calendar_from_policy(
    "ny", {"hours": {d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}, NY
)


def is_open(calendar, instant):
    return calendar.next_open(instant) == instant


def at(text, tz=SH):
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def test_parse_hours():
    assert parse_hours("09:00-12:00, 13:30-18:00") == ((540, 720), (810, 1080))
    assert parse_hours("closed") == ()
    assert parse_hours("00:00-24:00") == ((0, 1440),)
    for bad in ("18:00-09:00", "9-5", "25:00-26:00", "09:00-12:00,11:00-13:00", "09:00-09:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_business_minutes_across_lunch_night_weekend_and_holiday():
    assert OFFICE.business_minutes(at("2026-11-23 11:00"), at("2026-11-23 14:30")) == 120  # lunch skipped
    assert OFFICE.business_minutes(at("2026-11-20 17:00"), at("2026-11-23 10:00")) == 120  # Fri 1h + Mon 1h
    assert OFFICE.business_minutes(at("2026-09-30 17:00"), at("2026-10-05 10:00")) == 60 + 60  # holiday, weekend
    assert OFFICE.business_minutes(at("2026-10-10 08:00"), at("2026-10-10 10:00")) == 60  # a make-up Saturday
    assert OFFICE.business_minutes(at("2026-11-23 10:00"), at("2026-11-23 09:00")) == 0
    assert HOTLINE.business_minutes(at("2026-11-21 23:00"), at("2026-11-22 01:30")) == 150


def test_add_minutes_and_next_open():
    assert OFFICE.add_minutes(at("2026-11-23 11:30"), 60) == at("2026-11-23 14:00")
    assert OFFICE.add_minutes(at("2026-11-20 17:30"), 60) == at("2026-11-23 09:30")
    assert OFFICE.add_minutes(at("2026-11-23 12:00"), 0) == at("2026-11-23 12:00")
    assert OFFICE.next_open(at("2026-11-21 10:00")) == at("2026-11-23 09:00")
    assert OFFICE.next_open(at("2026-11-23 12:30")) == at("2026-11-23 13:30")
    assert OFFICE.next_open(at("2026-11-23 10:00")) == at("2026-11-23 10:00")
    assert not is_open(OFFICE, at("2026-11-23 18:00")) and is_open(OFFICE, at("2026-11-23 17:59"))


def test_working_day_close():
    # created Wednesday 30 Sep: 1wd is the close of the next working day, skipping the 1-2 Oct holiday
    assert OFFICE.close_of_working_day(date(2026, 9, 30), 1) == at("2026-10-05 18:00")
    assert OFFICE.close_of_working_day(date(2026, 11, 20), 3) == at("2026-11-25 18:00")
    assert OFFICE.close_of_working_day(date(2026, 10, 9), 1) == at("2026-10-10 18:00")  # make-up workday counts


def test_time_zones_and_daylight_saving():
    # New York springs forward on 2026-03-08 and falls back on 2026-11-01: real time counts.
    always_ny = calendar_from_policy("ny24", {"hours": "always"}, NY)
    assert always_ny.business_minutes(at("2026-03-08 00:00", NY), at("2026-03-09 00:00", NY)) == 23 * 60
    assert always_ny.business_minutes(at("2026-11-01 00:00", NY), at("2026-11-02 00:00", NY)) == 25 * 60
    all_day = calendar_from_policy("nyday", {"hours": {"sun": "00:00-24:00"}}, NY)
    assert all_day.business_minutes(at("2026-11-01 00:00", NY), at("2026-11-02 00:00", NY)) == 25 * 60
    assert NEW_YORK.business_minutes(at("2026-03-08 00:00", NY), at("2026-03-09 00:00", NY)) == 12 * 60
    utc_start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert OFFICE.business_minutes(utc_start, utc_start + timedelta(hours=1)) == 60


def test_policy_checks_name_the_key():
    problems = dict(
        check_calendar(
            "office",
            {
                "timezone": "Mars/Base",
                "hours": {"mon": "18:00-09:00", "funday": "09:00-10:00"},
                "overrides": {"2026-13-01": "closed", "2026-10-01": "sometimes"},
            },
        )
    )
    assert set(problems) == {
        ("calendars", "office", "timezone"),
        ("calendars", "office", "hours", "mon"),
        ("calendars", "office", "hours", "funday"),
        ("calendars", "office", "overrides", "2026-13-01"),
        ("calendars", "office", "overrides", "2026-10-01"),
    }
    assert "unknown weekday" in problems[("calendars", "office", "hours", "funday")]
    assert "cross midnight" in problems[("calendars", "office", "hours", "mon")]


instants = st.datetimes(min_value=datetime(2026, 9, 1), max_value=datetime(2026, 12, 31)).map(
    lambda d: d.replace(tzinfo=SH)
)
minutes = st.integers(min_value=0, max_value=60 * 60 * 24 * 20).map(
    lambda seconds: seconds / 60
)  # timedelta resolves microseconds; targets are whole minutes
calendars = st.sampled_from([OFFICE, HOTLINE, NEW_YORK])


@settings(max_examples=300, deadline=None)
@given(calendars, instants, minutes)
def test_adding_then_measuring_gives_the_minutes_back(calendar, start, amount):
    end = calendar.add_minutes(start, amount)
    assert calendar.business_minutes(start, end) == pytest.approx(amount, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants, instants)
def test_parts_of_a_split_interval_add_up(calendar, a, b, c):
    start, middle, end = sorted((a, b, c))
    whole = calendar.business_minutes(start, end)
    assert calendar.business_minutes(start, middle) + calendar.business_minutes(middle, end) == pytest.approx(
        whole, abs=1e-6
    )


@settings(max_examples=300, deadline=None)
@given(calendars, instants, minutes)
def test_results_never_fall_in_closed_time(calendar, start, amount):
    assume(amount > 0)
    end = calendar.add_minutes(start, amount)
    just_before = end - timedelta(microseconds=1)
    assert is_open(calendar, just_before)
    opening = calendar.next_open(start)
    assert is_open(calendar, opening) and calendar.business_minutes(start, opening) == 0


def _counted_by_walking(calendar, start, end):
    """Open minutes of [start, end), day by day from the weekly hours (a zone without daylight saving)."""
    total, day = 0.0, start.astimezone(calendar.tz).date()
    while day <= end.astimezone(calendar.tz).date():
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=calendar.tz)
        for a, b in calendar.hours_on(day):
            lo = max(midnight + timedelta(minutes=a), start)
            hi = min(midnight + timedelta(minutes=b), end)
            total += max((hi - lo).total_seconds(), 0) / 60
        day += timedelta(days=1)
    return total


wide_instants = st.datetimes(min_value=datetime(1998, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(tzinfo=SH)
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(wide_instants, wide_instants), min_size=1, max_size=6))
def test_counts_agree_with_walking_the_days_whatever_order_days_come_in(pairs):
    """The prefix sums start near the first day counted and move back for earlier ones."""
    calendar = calendar_from_policy(
        "office",
        {
            "hours": {d: "09:00-12:00,13:30-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
            "overrides": {"2026-10-01": "closed", "2026-10-10": "09:00-12:00"},
        },
        SH,
    )
    for a, b in pairs:
        start, end = sorted((a, b))
        end = min(end, start + timedelta(days=120))  # walking is slow; the prefix sums are what is tested
        assert calendar.business_minutes(start, end) == pytest.approx(
            _counted_by_walking(calendar, start, end), abs=1e-6
        )
        added = calendar.add_minutes(start, 600)
        assert _counted_by_walking(calendar, start, added) == pytest.approx(600, abs=1e-6)


@given(st.lists(instants, min_size=2, max_size=6), instants)
def test_one_now_for_many_points_in_any_order(starts, now):
    """A report asks at one ``now`` for many records, created in any order: an earlier one
    moves the count's origin after ``now`` was placed, and ``now`` must be placed again."""
    table = {"hours": {d: "09:00-12:00,13:30-18:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
    earlier, later = calendar_from_policy("office", table, SH), calendar_from_policy("office", table, SH)
    now = max(now, *starts)
    for start in starts:
        assert later.minutes_since(earlier.point(start), now) == later.business_minutes(start, now)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["office", "ny"]), st.lists(st.tuples(wide_instants, wide_instants), min_size=1, max_size=4))
def test_a_point_kept_from_another_command_counts_exactly_as_the_instant(name, pairs):
    """``point`` is taken by one command and ``minutes_since`` used by a later one, whose
    prefix sums began elsewhere: the count must be the same to the last bit."""
    table, tz = {
        "office": (
            {
                "hours": {d: "09:00-12:00,13:30-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
                "overrides": {"2026-10-01": "closed"},
            },
            SH,
        ),
        "ny": ({"hours": {d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}, NY),
    }[name]
    earlier, later = calendar_from_policy(name, table, tz), calendar_from_policy(name, table, tz)
    for a, b in pairs:
        start, end = sorted((a, b))
        point = earlier.point(start)
        assert later.minutes_since(point, end) == later.business_minutes(start, end)
    assert calendar_from_policy("hotline", {"hours": "always"}, SH).point(pairs[0][0]) is None


def test_years_without_overrides_are_named_only_for_a_calendar_that_keeps_them():
    assert OFFICE.years_without_overrides(date(2025, 12, 1), date(2028, 1, 2)) == [2025, 2027, 2028]
    assert OFFICE.years_without_overrides(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert HOTLINE.years_without_overrides(date(2027, 1, 1), date(2027, 1, 1)) == []
    assert NEW_YORK.years_without_overrides(date(2027, 1, 1), date(2027, 1, 1)) == []  # it keeps no holidays at all


def test_a_calendar_asked_all_day_keeps_its_memory_bounded():
    """A desk asks one calendar about a new instant every few seconds all day: what it
    remembers per instant stays under its bound, and answers do not change when it starts
    again (100,000 queries once made it 32 MB)."""
    from cstool.core.calendar import COUNTS_KEPT

    calendar = OFFICE
    start = at("2026-11-02 08:00")
    expected = calendar.business_minutes(start, start + timedelta(days=3))
    for minute in range(100_000):
        calendar.business_minutes(start + timedelta(minutes=minute), start + timedelta(days=120))
        assert len(calendar._counts) <= COUNTS_KEPT
    assert calendar.business_minutes(start, start + timedelta(days=3)) == expected > 0
