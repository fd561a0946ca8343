"""Pure domain functions: field parsing, classification rules, masking."""

from __future__ import annotations

import re
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from cstool.core.classify import (
    KeywordMatcher,
    Suggestion,
    changes_for,
    compile_rules,
    merge_answers,
    merge_into,
    suggest,
)
from cstool.core.fields import parse_value
from cstool.core.kinds import Field
from cstool.core.privacy import mask
from cstool.plugins.complaints import cstool_kinds
from cstool.plugins.rules import searched_fields

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRIORITIES = ["urgent", "high", "normal", "low"]


@pytest.mark.parametrize(
    "type_,raw,expected",
    [
        ("int", "1,200", 1200),
        ("decimal", "19.90", 19.9),
        ("bool", "是", True),
        ("bool", "no", False),
        ("date", "2026-11-23", "2026-11-23"),
        ("datetime", "2026-11-23 14:30", "2026-11-23T14:30:00+08:00"),
        ("datetime", "2026-11-23T06:30Z", "2026-11-23T06:30:00+00:00"),
        ("phone", "138-1234 5678", "13812345678"),
        ("email", "a@b.cn", "a@b.cn"),
        ("list", "a，b, a", ["a", "b"]),
        ("text", "  hi ", "hi"),
        ("int", "", None),
    ],
)
def test_parse_value(type_, raw, expected):
    assert parse_value(Field("f", type_), raw, tz=SHANGHAI) == expected


@pytest.mark.parametrize(
    "type_,raw",
    [
        ("int", "1.5"),
        ("int", True),
        ("decimal", "NaN"),
        ("bool", "maybe"),
        ("date", "2026-02-30"),
        ("datetime", "yesterday"),
        ("phone", "12"),
        ("email", "nobody"),
    ],
)
def test_parse_value_refuses(type_, raw):
    with pytest.raises(ValueError):
        parse_value(Field("f", type_), raw, tz=SHANGHAI)


def test_choice_matches_case_insensitively_and_lists_choices():
    field = Field("channel", "choice")
    assert parse_value(field, "PHONE", tz=UTC, choices=["phone", "web"]) == "phone"
    with pytest.raises(ValueError, match="not one of: phone, web"):
        parse_value(field, "fax", tz=UTC, choices=["phone", "web"])


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_int_round_trips_through_text(number):
    assert parse_value(Field("n", "int"), str(number), tz=UTC) == number


@given(st.text(max_size=60))
def test_parsing_never_raises_anything_but_value_error(text):
    for type_ in ("int", "decimal", "bool", "date", "datetime", "phone", "email", "list", "text"):
        try:
            parse_value(Field("f", type_), text, tz=SHANGHAI)
        except ValueError:
            pass


RULES = compile_rules(
    [
        {"name": "refund", "keywords": ["Refund", "退款"], "set": {"category": "billing", "tags": ["money"]}},
        {
            "name": "danger",
            "keywords": ["fire"],
            "set": {"category": "safety", "priority": "urgent", "tags": ["safety"]},
        },
        {"name": "vip phone", "when": {"channel": ["phone"], "severity": "major"}, "set": {"priority": "high"}},
    ]
)


def test_rules_first_category_most_urgent_priority_joined_tags():
    record = {"content": "fire after the REFUND", "channel": "phone", "severity": "major"}
    result = suggest(RULES, record, ["content"], PRIORITIES)
    assert (result.category, result.priority, result.tags) == ("billing", "urgent", ["money", "safety"])
    assert result.rules == ["refund", "danger", "vip phone"]
    assert suggest(RULES, {"content": "要求退款", "channel": "web"}, ["content"], PRIORITIES).category == "billing"
    assert (
        suggest(RULES, {"content": "ok", "channel": "phone", "severity": "minor"}, ["content"], PRIORITIES).as_dict()
        is None
    )


def keywords_in(keywords, text):
    """The matching rules as documented, one keyword at a time: Chinese anywhere; English
    whole words, ``stem*`` at a word start, several words as a phrase."""
    words = re.findall(r"[a-z0-9']+", text)
    spaced = f" {' '.join(words)} "
    hits = set()
    for keyword in keywords:
        parts = re.findall(r"[a-z0-9']+", keyword)
        if not keyword.isascii():
            found = keyword in text
        elif keyword.endswith("*"):
            found = bool(parts) and f" {' '.join(parts)}" in spaced
        else:
            found = bool(parts) and f" {' '.join(parts)} " in spaced
        if found:
            hits.add(keyword)
    return hits


# A small alphabet, so that keywords overlap, nest and share stems as often as not.
fragments = st.text(alphabet="ab '起火烧", min_size=1, max_size=5)


@given(
    st.lists(st.builds(lambda k, stem: k + "*" if stem else k, fragments, st.booleans()), max_size=8),
    st.text(alphabet="ab '-起火烧", max_size=30),
)
def test_keyword_matcher_finds_exactly_the_keywords_in_the_text(keywords, text):
    assert KeywordMatcher(keywords)(text) == keywords_in(keywords, text)


def test_keywords_that_overlap_or_nest_are_all_found():
    keywords = ["火烧", "烧火", "起火", "火", "refund*", "ref*", "stopped working", "false advertis*"]
    assert KeywordMatcher(keywords)("起火烧火 refunded, it stopped  working: false advertising") == set(keywords)
    assert KeywordMatcher(keywords)("prefund, stopped, false advert") == set()


rule_tables = st.lists(
    st.fixed_dictionaries(
        {"name": st.text(alphabet="xyz", min_size=1, max_size=3), "set": st.just({"tags": ["t"]})},
        optional={
            "keywords": st.lists(fragments, max_size=3),
            "when": st.dictionaries(
                st.sampled_from(["channel", "severity"]),
                st.one_of(
                    st.sampled_from(["phone", "web", "1"]), st.lists(st.sampled_from(["phone", "web"]), max_size=2)
                ),
                max_size=2,
            ),
        },
    ),
    max_size=6,
)
records = st.fixed_dictionaries(
    {"content": st.text(alphabet="ab '起火烧", max_size=20)},
    optional={
        "channel": st.one_of(
            st.none(),
            st.sampled_from(["phone", "web", "mail"]),
            st.just(1),
            st.lists(st.sampled_from(["phone", "web", "mail"]), max_size=2),
        ),
        "severity": st.sampled_from(["phone", "web"]),
    },
)


@given(rule_tables, records)
def test_a_record_matches_exactly_the_rules_whose_keywords_and_conditions_hold(tables, record):
    rules = compile_rules(tables)

    def condition_holds(allowed, value):
        values = value if isinstance(value, list) else [value]
        return any(str(v) in allowed for v in values if v is not None)

    text = record["content"].lower()
    expected = [
        rule.name
        for rule in rules
        if (not rule.keywords or keywords_in(rule.keywords, text))
        and all(condition_holds(allowed, record.get(name)) for name, allowed in rule.when)
    ]
    assert suggest(rules, record, ["content"], PRIORITIES).rules == expected


def test_rules_never_look_in_personal_data():
    complaint = next(k for k in cstool_kinds() if k.name == "complaint")
    fields = searched_fields(complaint)
    assert "content" in fields and "customer_name" not in fields


priority_lists = st.lists(st.sampled_from(PRIORITIES + [None]), max_size=8)


@given(priority_lists)
def test_merged_priority_is_the_most_urgent_offered(offered):
    merged = Suggestion()
    for priority in offered:
        merge_into(merged, None, priority, [], PRIORITIES)
    named = [p for p in offered if p]
    assert merged.priority == (min(named, key=PRIORITIES.index) if named else None)


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3), max_size=5))
def test_merged_tags_are_the_union_in_first_seen_order(tag_lists):
    merged = Suggestion()
    for tags in tag_lists:
        merge_into(merged, None, None, tags, PRIORITIES)
    flat = [t for tags in tag_lists for t in tags]
    assert merged.tags == list(dict.fromkeys(flat))


def test_changes_never_overwrite_hand_values():
    suggestion = {"category": "billing", "priority": "urgent", "tags": ["money"]}
    by_hand = {"category": "pricing", "priority": "low", "tags": ["vip"]}
    assert changes_for(by_hand, suggestion, PRIORITIES) == {"tags": ["vip", "money"]}
    by_rule = {**by_hand, "classified": {"category": "old rule", "priority": "old rule"}}
    assert changes_for(by_rule, suggestion, PRIORITIES) == {
        "category": "billing",
        "priority": "urgent",
        "tags": ["vip", "money"],
    }
    empty = {"category": None, "priority": None, "tags": []}
    assert changes_for(empty, suggestion, PRIORITIES) == {
        "category": "billing",
        "priority": "urgent",
        "tags": ["money"],
    }


@pytest.mark.parametrize(
    "value,type_,expected",
    [
        ("13812341234", "phone", "138****1234"),
        ("zhang@example.com", "email", "z***@example.com"),
        ("张三", "text", "张*"),
        ("110101199003071234", "text", "110****1234"),
        ("", "text", ""),
    ],
)
def test_mask(value, type_, expected):
    assert mask(value, type_) == expected


@given(st.text(min_size=1, max_size=40), st.sampled_from(["text", "phone", "email"]))
def test_mask_always_hides_something(value, field_type):
    shown = str(mask(value, field_type))
    meaningful = sum(c != "*" for c in value)
    assert meaningful <= 1 or sum(c != "*" for c in shown) < meaningful


def test_bounded_numbers():
    score = Field("score", "int", min=1, max=5)
    assert parse_value(score, "5", tz=SHANGHAI) == 5
    with pytest.raises(ValueError, match="must be from 1 to 5, not 9"):
        parse_value(score, "9", tz=SHANGHAI)
    with pytest.raises(ValueError, match="must be at least 0, not -3"):
        parse_value(Field("wait", "int", min=0), "-3", tz=SHANGHAI)


def test_answers_of_several_plugins_merge_per_record():
    rules_plugin = [{"category": "billing", "priority": "normal", "tags": ["money"], "rules": ["refund"]}, None]
    other_plugin = [
        {"category": "fraud", "priority": "urgent", "tags": ["money", "vip"], "rules": ["big"]},
        {"tags": ["heavy"], "rules": ["weight"]},
        {"tags": ["ignored: no third record"]},
    ]
    assert merge_answers([None, None], PRIORITIES) is None
    assert merge_answers([None, rules_plugin], PRIORITIES) is rules_plugin
    first, second, _ = merge_answers([rules_plugin, None, other_plugin], PRIORITIES)
    assert first == {"category": "billing", "priority": "urgent", "tags": ["money", "vip"], "rules": ["refund", "big"]}
    assert second == {"category": None, "priority": None, "tags": ["heavy"], "rules": ["weight"]}


def test_a_priority_the_policy_does_not_know_is_not_set():
    assert changes_for({"priority": None}, {"priority": "whenever", "category": "x"}, PRIORITIES) == {"category": "x"}
