"""Dates, amounts and identity numbers as people write them (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from cstool.core.identifiers import credit_code_ok, identity_number, phone_number, resident_id_ok
from cstool.core.local_input import chinese_amount, chinese_datetime

TODAY = date(2026, 12, 1)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_every_way_of_writing_a_day_reads_as_that_day(day):
    for written in (
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month:02d}.{day.day:02d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}年{day.month}月{day.day}号",
    ):
        assert chinese_datetime(written, TODAY) == day.isoformat(), written


@given(st.integers(0, 23), st.integers(0, 59))
def test_a_time_of_day_reads_the_same_however_written(hour, minute):
    expected = f"2026-11-24 {hour:02d}:{minute:02d}"
    assert chinese_datetime(f"2026/11/24 {hour}:{minute:02d}", TODAY) == expected
    assert chinese_datetime(f"11月24日 {hour}点{minute}分", TODAY) == expected
    if 1 <= hour <= 11:
        assert chinese_datetime(f"11月24日 下午{hour}点", TODAY) == f"2026-11-24 {hour + 12:02d}:00"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("明天 15:00", "2026-12-02 15:00"),
        ("今天", "2026-12-01"),
        ("昨天 上午10点半", "2026-11-30 10:30"),
        ("11月24日", "2026-11-24"),
        ("2026-11-24", None),  # ISO is the ISO parser's
        ("2026/2/30", None),  # no such day
        ("下周三", None),
        ("24点", None),
    ],
)
def test_named_days_and_what_is_not_a_day(written, expected):
    assert chinese_datetime(written, TODAY) == expected


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
def test_wan_is_ten_thousand(number):
    from decimal import Decimal

    assert Decimal(chinese_amount(f"{number}万")) == number * 10_000
    assert Decimal(chinese_amount(f"¥{number}")) == number


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("150万", "1500000"),
        ("2亿", "200000000"),
        ("3千", "3000"),
        ("1200元", "1200"),
        ("1,200", None),
        ("一百万", None),
        ("12abc", None),
    ],  # fmt: skip
)
def test_amounts(written, expected):
    assert chinese_amount(written) == expected


def test_identity_numbers_by_their_check_character():
    assert resident_id_ok("11010519491231002X") and not resident_id_ok("110105194912310021")
    assert credit_code_ok("91350100M000100Y43") and not credit_code_ok("91350100M000100Y44")
    assert identity_number("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ValueError, match="check character"):
        identity_number("110105194912310021")
    with pytest.raises(ValueError, match="neither"):
        identity_number("上海市浦东新区世纪大道100号")


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("138 1234 5678", "13812345678"),
        ("021-12345678", "02112345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("400-123-4567", "4001234567"),
        ("12315", "12315"),
        ("+1 212 555 1234", "+12125551234"),
    ],  # fmt: skip
)
def test_phone_numbers_as_written_in_china(written, kept):
    assert phone_number(written) == kept


@pytest.mark.parametrize(
    ("written", "why"), [("1234567", "area code"), ("12345678901", "mobile"), ("call me", "not a phone")]
)
def test_phone_numbers_refused_with_the_reason(written, why):
    with pytest.raises(ValueError, match=why):
        phone_number(written)
