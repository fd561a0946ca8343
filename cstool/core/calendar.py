"""Business calendars (pure): open hours per weekday, date overrides (holidays and
make-up workdays, 调休), a time zone, or ``always`` for 24x7.

Intervals are half-open ``[start, end)`` in minutes from local midnight and never cross
midnight. Days are walked in the calendar's zone; all arithmetic is done in UTC, because
Python subtracts two datetimes sharing one ZoneInfo by wall clock, ignoring a DST shift.

Daylight saving (SPEC 11): a real minute is open when its local wall-clock time falls in an
open interval of its local date. So the part of an interval inside a spring-forward gap
is not counted (it never happens), and the part inside a fall-back fold is counted once
for each time it happens. A day never counts more than its real length.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache

from cstool.core.i18n import _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Interval = tuple[int, int]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# A calendar with no open hours in this many days is unusable (every target would be infinite).
SEARCH_DAYS = 3 * 366
# The prefix sums start this many days before the first day counted, and grow back by at
# least as much again when an earlier day is asked for.
PREFIX_MARGIN_DAYS = 62


def parse_hours(text: str) -> tuple[Interval, ...]:
    """``"09:00-12:00,13:30-18:00"`` → ((540, 720), (810, 1080)); ``"closed"`` → ()."""
    if not isinstance(text, str):
        raise ValueError(_('hours must be text like "09:00-12:00,13:30-18:00" or "closed"'))
    if text.strip().lower() == "closed":
        return ()
    intervals = []
    for part in text.split(","):
        match = _HOURS.match(part)
        if not match:
            raise ValueError(_("{value!r} is not an interval like 09:00-12:00").format(value=part.strip()))
        h1, m1, h2, m2 = map(int, match.groups())
        if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(_("{value!r} is not a time of day").format(value=part.strip()))
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValueError(
                _("{value!r} ends before it starts; intervals never cross midnight (split it at 24:00)").format(
                    value=part.strip()
                )
            )
        intervals.append((start, end))
    intervals.sort()
    for (_start, end), (start, _end) in zip(intervals, intervals[1:]):
        if start < end:
            raise ValueError(_("intervals overlap in {text!r}").format(text=text))
    return tuple(intervals)


# Instants whose place in the count is remembered (a record's creation is counted from
# often); beyond it the memory starts again: 100,000 queries had made it 32 MB.
COUNTS_KEPT = 20_000


@dataclass(frozen=True)
class Calendar:
    name: str
    tz: tzinfo
    always: bool = False
    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7
    overrides: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    _prefix: list[float] = field(default_factory=list, compare=False, repr=False)
    _origin: list[date] = field(default_factory=list, compare=False, repr=False)  # one date, once counting starts
    _days: dict = field(default_factory=dict, compare=False, repr=False)
    _counts: dict = field(default_factory=dict, compare=False, repr=False)
    # [end, F(end)] of the last minutes_since: a report asks it for thousands of records at one now
    _last_end: list = field(default_factory=list, compare=False, repr=False)
    _closes: dict = field(default_factory=dict, compare=False, repr=False)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        if self.always:
            return ((0, 1440),)
        found = self.overrides.get(day)
        return found if found is not None else self.weekly[day.weekday()]

    def years_without_overrides(self, first: date, last: date) -> list[int]:
        """The years from ``first`` to ``last`` for which a calendar that keeps holidays and
        make-up workdays (overrides) has none: it counts them as plain weeks, which is wrong
        wherever the State Council publishes a holiday notice for that year."""
        if self.always or not self.overrides:
            return []
        known = {day.year for day in self.overrides}
        return [year for year in range(first.year, last.year + 1) if year not in known]

    def _at(self, day: date, minute: int) -> datetime:
        local = (datetime.combine(day, time()) + timedelta(minutes=minute)).replace(tzinfo=self.tz)
        return local.astimezone(UTC)

    # Counting uses F(t), the business minutes from an origin day to t: a prefix sum per
    # day, plus the open minutes of t's own day before t. Then business_minutes(a, b) =
    # F(b) - F(a), and add_minutes is a binary search. The origin is set a little before
    # the first day counted (a fixed origin in 2000 cost 0.2 s of every command building
    # 26 years of sums) and moves back when an earlier day comes.

    def _index(self, day: date) -> int:
        """``day``'s position in the prefix sums, moving the origin back to cover it."""
        if not self._origin:
            self._origin.append(date.fromordinal(max(1, day.toordinal() - PREFIX_MARGIN_DAYS)))
            self._prefix.append(0.0)
        origin = self._origin[0]
        if day < origin:
            earlier = date.fromordinal(max(1, day.toordinal() - max(PREFIX_MARGIN_DAYS, len(self._prefix))))
            block = [0.0]
            for offset in range((origin - earlier).days):
                block.append(block[-1] + self._open_minutes(earlier + timedelta(days=offset)))
            shift = block.pop()
            self._prefix[:] = block + [shift + value for value in self._prefix]
            self._origin[0] = origin = earlier
            self._counts.clear()  # they were counted from the old origin
            self._last_end.clear()
        return (day - origin).days

    def _prefix_to(self, index: int) -> list[float]:
        """The prefix sums, long enough to hold day ``index`` + 1."""
        prefix = self._prefix
        while len(prefix) <= index + 1:
            prefix.append(prefix[-1] + self._open_minutes(self._origin[0] + timedelta(days=len(prefix) - 1)))
        return prefix

    def _open_minutes(self, day: date) -> float:
        return sum(b - a for a, b in self._day(day)[1])

    def _day(self, day: date) -> tuple[datetime, list[tuple[float, float]]]:
        """``day``'s local midnight (in UTC) and its open intervals as real minutes from it,
        in order, disjoint, none empty (see the module's note on daylight saving)."""
        found = self._days.get(day)
        if found is None:
            midnight = self._at(day, 0)
            hours = self.hours_on(day)
            shift = self._wall_offset(day + timedelta(days=1)) - self._wall_offset(day)
            if not shift or not hours:
                real = [(float(a), float(b)) for a, b in hours]
            else:
                real = _shifted(hours, self._transition(day, midnight), shift)
            found = self._days[day] = (midnight, real)
        return found

    def _wall_offset(self, day: date) -> float:
        """The UTC offset (minutes) the zone gives ``day``'s wall-clock midnight: the one in
        force before a change that happens at that midnight."""
        offset = datetime.combine(day, time(), tzinfo=self.tz).utcoffset()
        return offset.total_seconds() / 60 if offset is not None else 0.0

    def _offset_at(self, instant: datetime) -> float:
        offset = instant.astimezone(self.tz).utcoffset()
        return offset.total_seconds() / 60 if offset is not None else 0.0

    def _transition(self, day: date, midnight: datetime) -> float:
        """Real minutes from ``day``'s midnight to its change of UTC offset (to the second)."""
        before = self._wall_offset(day)
        if self._offset_at(midnight) != before:  # the change happens at midnight itself
            return 0.0
        low, high = 0, 26 * 3600  # seconds: the offset is ``before`` at low and not at high
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset_at(midnight + timedelta(seconds=middle)) == before:
                low = middle
            else:
                high = middle
        return high / 60

    def _position(self, instant: datetime) -> tuple[float, int, float]:
        """F(instant), the index of its day, and the day's open minutes before it.
        Remembered: a record's creation is counted from often."""
        found = self._counts.get(instant)
        if found is None:
            day = instant.astimezone(self.tz).date()
            index = self._index(day)
            before = self._open_before(instant, day)
            if len(self._counts) >= COUNTS_KEPT:  # a desk runs all day: its memory must not grow
                self._counts.clear()
            found = self._counts[instant] = (self._prefix_to(index)[index] + before, index, before)
        return found

    def _open_before(self, instant: datetime, day: date) -> float:
        """Open minutes of ``day`` before ``instant``."""
        midnight, intervals = self._day(day)
        into = (instant - midnight).total_seconds() / 60
        return sum(min(b, into) - a for a, b in intervals if into > a)

    def point(self, instant: datetime) -> tuple[int, float] | None:
        """Where ``instant`` stands in the count, as (day ordinal, open minutes of that day
        before it), for ``minutes_since`` in a later command; None on a 24x7 calendar."""
        if self.always:
            return None
        _counted, index, before = self._position(instant.astimezone(UTC))
        return self._origin[0].toordinal() + index, before

    def minutes_since(self, point: tuple[int, float], end: datetime) -> float:
        """``business_minutes(start, end)`` for the ``start`` that gave ``point``, when
        ``end`` is not before it: what is left to find is ``end``'s place alone."""
        ordinal, before = point
        origin = self._origin[0].toordinal() if self._origin else None
        index = ordinal - origin if origin is not None and ordinal >= origin else self._index(date.fromordinal(ordinal))
        first = self._prefix_to(index)[index] + before  # first: it may move the origin, as in business_minutes
        last = self._last_end
        if not last or last[0] is not end:
            last[:] = end, self._position(end.astimezone(UTC))[0]
        return last[1] - first

    def business_minutes(self, start: datetime, end: datetime) -> float:
        """Minutes of ``[start, end)`` that fall in open hours."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.always:
            return (end - start).total_seconds() / 60
        first = self._position(start)[0]  # first: counting ``end`` never moves the origin below ``start``
        return self._position(end)[0] - first

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The first instant at which ``minutes`` business minutes have passed since ``start``."""
        if minutes <= 0:
            return start
        start = start.astimezone(UTC)
        if self.always:
            return start + timedelta(minutes=minutes)
        counted, index, _before = self._position(start)
        goal = counted + minutes
        prefix = self._prefix_to(index)
        stalled = 0
        while prefix[-1] < goal:
            before = prefix[-1]
            prefix = self._prefix_to(len(prefix))
            stalled = stalled + 1 if prefix[-1] == before else 0
            if stalled > SEARCH_DAYS:
                raise ValueError(
                    _("calendar {name} has no open hours to count {minutes:g} minutes in").format(
                        name=self.name, minutes=minutes
                    )
                )
        day_index = bisect_left(prefix, goal) - 1  # prefix[day_index] < goal <= prefix[day_index + 1]
        day = self._origin[0] + timedelta(days=day_index)
        remaining = goal - prefix[day_index]
        midnight, intervals = self._day(day)
        for a, b in intervals:
            if remaining <= b - a:
                return midnight + timedelta(minutes=a + remaining)
            remaining -= b - a
        return midnight + timedelta(minutes=intervals[-1][1])  # float rounding at the close

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` if the calendar is open then, else the next opening."""
        if self.always:
            return instant
        instant = instant.astimezone(UTC)
        day = instant.astimezone(self.tz).date()
        for _day in range(SEARCH_DAYS):
            midnight, intervals = self._day(day)
            for a, b in intervals:
                if midnight + timedelta(minutes=b) > instant:
                    return max(midnight + timedelta(minutes=a), instant)
            day += timedelta(days=1)
        raise ValueError(
            _("calendar {name} has no open hours within {SEARCH_DAYS} days of {instant:%Y-%m-%d}").format(
                name=self.name, SEARCH_DAYS=SEARCH_DAYS, instant=instant
            )
        )

    def close_of_working_day(self, after: date, n: int) -> datetime:
        """The close of the n-th working day after ``after`` (that date itself does not count)."""
        key = (after, n)
        if key not in self._closes:
            self._closes[key] = self._close_of_working_day(after, n)
        return self._closes[key]

    def _close_of_working_day(self, after: date, n: int) -> datetime:
        day, found = after, 0
        for _day in range(SEARCH_DAYS):
            day += timedelta(days=1)
            midnight, intervals = self._day(day)
            if intervals:  # a working day is a date with open minutes (hours wholly in a DST gap have none)
                found += 1
                if found == n:
                    return midnight + timedelta(minutes=intervals[-1][1])
        raise ValueError(
            _("calendar {name} has fewer than {n} working days within {SEARCH_DAYS} days").format(
                name=self.name, n=n, SEARCH_DAYS=SEARCH_DAYS
            )
        )


def _shifted(hours: tuple[Interval, ...], transition: float, shift: float) -> list[tuple[float, float]]:
    """Wall-clock intervals as real minutes from midnight on a day whose UTC offset grows by
    ``shift`` minutes at ``transition`` real minutes: before it a wall minute m is real minute
    m, from it on m - shift. Each interval keeps what falls on its side of the change."""
    real = []
    for a, b in hours:
        for lo, hi in ((a, min(b, transition)), (max(a - shift, transition), b - shift)):
            if lo < hi:
                real.append((float(lo), float(hi)))
    return sorted(real)


@cache
def _weekly(spec: tuple[tuple[str, str], ...]) -> tuple[tuple[Interval, ...], ...]:
    hours = dict(spec)
    return tuple(parse_hours(hours[d]) if d in hours else () for d in WEEKDAYS)


def calendar_from_policy(name: str, table: Mapping, tz: tzinfo) -> Calendar:
    """A Calendar from its policy table (already checked by ``check_calendar``)."""
    hours = table.get("hours", {})
    if isinstance(hours, str) and hours.strip().lower() == "always":
        return Calendar(name, tz, always=True)
    overrides = {date.fromisoformat(k): parse_hours(v) for k, v in (table.get("overrides") or {}).items()}
    weekly = _weekly(tuple(sorted((k.lower(), v) for k, v in hours.items())))
    return Calendar(name, tz, weekly=weekly, overrides=overrides)


def check_calendar(name: str, table) -> list[tuple[tuple, str]]:
    """Problems of one ``[calendars.NAME]`` table, as (key path, message)."""
    from cstool.core.timeutil import zone

    base = ("calendars", name)
    if not isinstance(table, dict):
        return [(base, _("must be a table with timezone and hours"))]
    problems: list[tuple[tuple, str]] = []
    for key in table:
        if key not in ("timezone", "hours", "overrides"):
            problems.append(((*base, key), _("unknown key; a calendar has timezone, hours and overrides")))
    tz = table.get("timezone")
    if tz is not None:
        try:
            if not isinstance(tz, str):
                raise ValueError(_("must be a time zone name"))
            zone(tz)
        except ValueError as exc:
            problems.append(((*base, "timezone"), str(exc)))
    hours = table.get("hours")
    if hours is None:
        problems.append(
            ((*base, "hours"), _('missing: give weekday hours ([calendars.NAME.hours]) or hours = "always"'))
        )
    elif isinstance(hours, str):
        if hours.strip().lower() != "always":
            problems.append(((*base, "hours"), _('must be "always" or a table of weekday = "09:00-18:00"')))
    elif isinstance(hours, dict):
        for day, text in hours.items():
            if day.lower() not in WEEKDAYS:
                problems.append(
                    (
                        (*base, "hours", day),
                        _("unknown weekday; weekdays are {WEEKDAYS}").format(WEEKDAYS=", ".join(WEEKDAYS)),
                    )
                )
                continue
            try:
                parse_hours(text)
            except ValueError as exc:
                problems.append(((*base, "hours", day), str(exc)))
    else:
        problems.append(((*base, "hours"), _('must be "always" or a table of weekday hours')))
    if isinstance(hours, dict) and not problems and not any(parse_hours(text) for text in hours.values()):
        # overrides alone run out with their year: every clock would stop counting then
        problems.append(((*base, "hours"), _("opens on no weekday: give at least one weekday its hours")))
    overrides = table.get("overrides", {})
    if not isinstance(overrides, dict):
        problems.append(((*base, "overrides"), _('must be a table of "YYYY-MM-DD" = "closed" or hours')))
        overrides = {}
    for day, text in overrides.items():
        try:
            date.fromisoformat(day)
        except ValueError:
            problems.append(((*base, "overrides", day), _("is not a date (YYYY-MM-DD)")))
            continue
        try:
            parse_hours(text)
        except ValueError as exc:
            problems.append(((*base, "overrides", day), str(exc)))
    return problems
