"""Dates, times and amounts as people write them in Chinese, read into the forms the
field parsers take (pure functions).

    2026/11/24, 2026.11.24, 2026年11月24日, 11月24日 (this year)   → 2026-11-24
    今天 / 明天 / 后天 / 昨天 / 前天 [时间]                          → that day
    15:00, 15点, 15点30分, 15时30分, 下午3点, 上午10点半, 晚上8点      → the time of day
    150万, 1.5万, 2亿, 3千, ¥1,200, 1200元                           → 1500000, 15000, ...

Anything else is left to the ISO 8601 parser (``None`` here), so what worked before works
the same: these are extra ways to write, never a second meaning for the same text.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_DAY_WORDS = {"前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2}
_DATE = re.compile(r"^(?:(?P<year>\d{4})\s*[/.年-]\s*)?(?P<month>\d{1,2})\s*[/.月-]\s*(?P<day>\d{1,2})\s*[日号]?$")
_TIME = re.compile(
    r"^(?P<part>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?\s*(?P<hour>\d{1,2})\s*(?:[:：点时]\s*(?P<minute>\d{1,2}|半)?\s*分?)?$"
)
_AFTERNOON = ("下午", "傍晚", "晚上")
_UNITS = {"千": 1_000, "万": 10_000, "十万": 100_000, "百万": 1_000_000, "千万": 10_000_000, "亿": 100_000_000}
_AMOUNT = re.compile(r"^[¥￥]?\s*(?P<number>[0-9][0-9,，]*(?:\.[0-9]+)?)\s*(?P<unit>千|十万|百万|千万|万|亿)?\s*元?$")


def chinese_datetime(text: str, today: date) -> str | None:
    """``text`` as ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` when it is written one of the
    ways above; None when it is not (ISO text, or something else altogether)."""
    s = " ".join(text.split())
    if not s:
        return None
    day_part, time_part = _split_day_and_time(s)
    if day_part is None:
        return None
    day = _day(day_part, today)
    if day is None:
        return None
    if not time_part:
        return day.isoformat()
    clock = _clock(time_part)
    return None if clock is None else f"{day.isoformat()} {clock[0]:02d}:{clock[1]:02d}"


def _split_day_and_time(s: str) -> tuple[str | None, str]:
    for word in _DAY_WORDS:
        if s.startswith(word):
            return word, s[len(word) :].strip()
    if " " in s:
        first, rest = s.split(" ", 1)
        return first, rest
    match = re.match(r"^(.*?[日号])(.+)$", s)  # 11月24日15点: the day ends at 日
    if match:
        return match.group(1), match.group(2).strip()
    return s, ""


def _day(text: str, today: date) -> date | None:
    if text in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[text])
    match = _DATE.match(text)
    if not match or ("-" in text and match.group("year")):  # 2026-11-24 is ISO's to read
        return None
    year = int(match.group("year")) if match.group("year") else today.year
    try:
        return date(year, int(match.group("month")), int(match.group("day")))
    except ValueError:
        return None


def _clock(text: str) -> tuple[int, int] | None:
    match = _TIME.match(text)
    if not match:
        return None
    hour = int(match.group("hour"))
    minute_text = match.group("minute")
    minute = 30 if minute_text == "半" else int(minute_text or 0)
    part = match.group("part")
    if part in _AFTERNOON and hour < 12:
        hour += 12
    elif part == "中午" and hour < 6:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return hour, minute


def chinese_amount(text: str) -> str | None:
    """``text`` as a plain number when written with 万, 亿, 千, a currency sign or 元;
    None when it is written some other way."""
    s = "".join(text.split())
    if not s or s.replace(",", "").replace(".", "").isdigit():
        return None  # plain numbers are the number parser's own
    match = _AMOUNT.match(s)
    if not match:
        return None
    from decimal import Decimal, InvalidOperation  # here: most commands parse no amount

    try:
        number = Decimal(match.group("number").replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    unit = match.group("unit")
    if unit:
        number *= _UNITS[unit]
    return format(number.normalize(), "f")
