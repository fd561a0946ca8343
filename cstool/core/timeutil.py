"""Parsing and formatting instants. Every stored instant is ISO 8601 with an offset."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cstool.core.errors import CstoolError
from cstool.core.i18n import _

# Fixes "now" for the whole program and every process it starts: tests, demos and
# reproducible runs set it; nothing else in cstool reads the real clock.
NOW_VARIABLE = "CSTOOL_TEST_NOW"  # read only where tests run cstool (allow_test_clock)
RETIRED_NOW_VARIABLE = "CSTOOL_NOW"  # its old name, which shipped commands also read until 0.3
_test_clock = {"allowed": False}
# Instants outside these years are refused where they come in: a clock counting from year 1
# or to year 9999 runs off the end of the calendar.
FIRST_YEAR, LAST_YEAR = 1900, 2199

_RELATIVE = re.compile(r"^(?:now|today)?\s*([+-])\s*(\d+)\s*([mhd])$")


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The time zone called ``name``; ValueError names it when it does not exist."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("unknown time zone {name!r} (use a name like Asia/Shanghai)").format(name=name)) from None


def parse_datetime(text: str, tz: tzinfo, fmt: str | None = None, now: datetime | None = None) -> datetime:
    """Read an instant. Without an offset it is read in ``tz``; a bare date is its midnight.

    Accepts ISO 8601 (``2026-11-23 14:30``, ``2026-11-23T14:30:00+08:00``, ``...Z``),
    ``now``, ``today`` and ``now-2h`` style offsets, or ``fmt`` (strptime) when given.
    """
    s = text.strip()
    if not s:
        raise ValueError(_("empty date-time"))
    if fmt:
        try:
            value = datetime.strptime(s, fmt)
        except ValueError:
            raise ValueError(_("{text!r} does not match the format {fmt!r}").format(text=text, fmt=fmt)) from None
    else:
        value = _parse_iso_or_relative(s, tz, now)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:  # 0001-01-01 and 9999-12-31 overflow every clock
        raise ValueError(
            _("{text!r} is outside the years cstool keeps ({first}-{last})").format(
                text=text, first=FIRST_YEAR, last=LAST_YEAR
            )
        )
    return value


def _parse_iso_or_relative(s: str, tz: tzinfo, now: datetime | None) -> datetime:
    if s[0].isdigit():  # the common case first: an ISO date or date-time
        try:
            return datetime.combine(date.fromisoformat(s), time()) if len(s) == 10 else datetime.fromisoformat(s)
        except ValueError:
            pass
    lowered = s.lower()
    if lowered in ("now", "today") or _RELATIVE.match(lowered):
        base = now or now_in(tz)
        if lowered.startswith("today"):
            base = base.replace(hour=0, minute=0, second=0, microsecond=0)
        m = _RELATIVE.match(lowered)
        if m:
            sign, n, unit = m.groups()
            delta = timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: int(n)})
            base = base + delta if sign == "+" else base - delta
        return base
    try:
        if len(s) == 10:
            return datetime.combine(date.fromisoformat(s), time())
        return datetime.fromisoformat(s)
    except ValueError:
        pass
    from cstool.core.local_input import chinese_datetime

    written = chinese_datetime(s, (now or now_in(tz)).astimezone(tz).date())
    if written is not None:
        return (
            datetime.fromisoformat(written)
            if len(written) > 10
            else datetime.combine(date.fromisoformat(written), time())
        )
    raise ValueError(
        _(
            "{s!r} is not a date-time (e.g. 2026-11-23 14:30, 2026/11/23 14:30, 11月23日 下午2点半, 明天 15:00, "
            "or 2026-11-23T14:30+08:00)"
        ).format(s=s)
    )


RELATIVE_DAYS = ("today", "yesterday", "this-week", "last-week", "this-month", "last-month")


def relative_day(text: str, today: date, end: bool = False) -> date | None:
    """``today``, ``yesterday``, ``this-week``, ``last-week``, ``this-month``, ``last-month``
    (also 今天 昨天 本周 上周 本月 上月) as a date: a period's first day, or its last with
    ``end``; None for any other text. Weeks start on Monday."""
    name = _RELATIVE_ZH.get(text.strip(), text.strip().lower())
    if name == "today":
        return today
    if name == "yesterday":
        return today - timedelta(days=1)
    if name in ("this-week", "last-week"):
        monday = today - timedelta(days=today.weekday()) - timedelta(days=7 if name == "last-week" else 0)
        return monday + timedelta(days=6) if end else monday
    if name in ("this-month", "last-month"):
        first = today.replace(day=1)
        if name == "last-month":
            first = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return following - timedelta(days=1) if end else first
    return None


def month_period(text: str, today: date) -> tuple[date, date]:
    """``YYYY-MM`` (or ``this-month``, ``last-month``, 本月, 上月) as its first and last day."""
    name = _RELATIVE_ZH.get(text.strip(), text.strip().lower())
    if name in ("this-month", "last-month"):
        first = relative_day(name, today)
        assert first is not None
    else:
        try:
            first = datetime.strptime(name, "%Y-%m").date()
        except ValueError:
            raise ValueError(
                _("{text!r} is not a month: YYYY-MM, this-month or last-month").format(text=text)
            ) from None
    return first, _last_day(first, 1)


def quarter_period(text: str, today: date) -> tuple[date, date]:
    """``YYYYQn`` / ``YYYY-Qn`` (or ``this-quarter``, ``last-quarter``, 本季度, 上季度) as
    its first and last day."""
    name = _RELATIVE_ZH.get(text.strip(), text.strip().lower())
    if name in ("this-quarter", "last-quarter"):
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        if name == "last-quarter":
            first = date(first.year - 1, 10, 1) if first.month == 1 else first.replace(month=first.month - 3)
    else:
        year, sep, quarter = name.replace("-", "").partition("q")
        if not (sep and year.isdigit() and len(year) == 4 and quarter in ("1", "2", "3", "4")):
            raise ValueError(
                _("{text!r} is not a quarter: YYYYQ1-YYYYQ4, this-quarter or last-quarter").format(text=text)
            )
        first = date(int(year), 3 * int(quarter) - 2, 1)
    return first, _last_day(first, 3)


def _last_day(first: date, months: int) -> date:
    month = first.month - 1 + months
    return date(first.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


_RELATIVE_ZH = {
    "本季度": "this-quarter",
    "上季度": "last-quarter",
    "今天": "today",
    "昨天": "yesterday",
    "本周": "this-week",
    "上周": "last-week",
    "本月": "this-month",
    "上月": "last-month",
}


def parse_date(text: str, fmt: str | None = None) -> date:
    s = text.strip()
    try:
        if fmt:
            return datetime.strptime(s, fmt).date()
        if len(s) > 10:  # a date-time given where a date is wanted: keep its date
            return datetime.fromisoformat(s).date()
        return date.fromisoformat(s)
    except ValueError:
        if not fmt:
            from cstool.core.local_input import chinese_datetime

            written = chinese_datetime(s, now_in(UTC).date())
            if written is not None:
                return date.fromisoformat(written[:10])
        expected = f"the format {fmt!r}" if fmt else "YYYY-MM-DD, 2026/11/23, 2026年11月23日"
        raise ValueError(
            _("{text!r} is not a date (expected {expected})").format(text=text, expected=expected)
        ) from None


def format_datetime(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def allow_test_clock() -> None:
    """Let ``CSTOOL_TEST_NOW`` fix "now": called by the test harness (``cstool.testing``)
    and by ``python -m cstool.testing``, never by the shipped ``cstool`` command, where the
    time of an event is the machine's clock (the server's, on a shared store)."""
    _test_clock["allowed"] = True


def ignored_clock_setting() -> str | None:
    """The name of a clock variable set where a shipped command does not read it, if any."""
    if _test_clock["allowed"]:
        return None
    return next((name for name in (NOW_VARIABLE, RETIRED_NOW_VARIABLE) if os.environ.get(name)), None)


def test_now() -> datetime | None:
    """The instant the tests fix, or None outside tests (or when they fix none)."""
    fixed = os.environ.get(NOW_VARIABLE) if _test_clock["allowed"] else None
    return fixed_now(fixed) if fixed else None


def now_in(tz: tzinfo) -> datetime:
    """The current instant in ``tz``, to the second: the tests' fixed instant when they run,
    else the real clock."""
    fixed = test_now()
    if fixed is not None:
        return fixed.astimezone(tz)
    return datetime.now(tz).replace(microsecond=0)


def local_now() -> datetime:
    """Now in the machine's own zone: for names of files a person finds on this machine."""
    return now_in(datetime.now().astimezone().tzinfo or UTC)


@lru_cache(maxsize=4)
def fixed_now(text: str) -> datetime:
    """The instant ``CSTOOL_TEST_NOW`` names: ISO 8601, read in UTC when it has no offset."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CstoolError(
            _("{variable}={text!r} is not an instant (use ISO 8601, e.g. 2026-11-23T14:30+08:00)").format(
                variable=NOW_VARIABLE, text=text
            )
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.replace(microsecond=0)


def stored_instant(text: str) -> datetime:
    """An instant as stored (always with an offset)."""
    return datetime.fromisoformat(text)
