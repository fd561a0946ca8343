"""Classification rules from policy, as pure functions.

A rule (``[[classify.<kind>]]`` in policy.toml)::

    name = "billing"
    keywords = ["refund", "退款"]          # any of them, case-insensitive, in `fields`
    fields = ["content", "subject"]        # default: the kind's text fields, personal data aside
    when = { channel = ["phone", "visit"] } # every condition must hold (value or list of values)
    unless = ["退款已到账"]                 # phrases inside which a keyword does not count
    set = { category = "billing", priority = "high", tags = ["money"] }
    set = { department = "after_sales", owner = "小陈" }   # routing: only as a record is made

A rule matches when every ``when`` condition holds and, if it has keywords, one of them
occurs outside every ``unless`` phrase
A rule matches when every ``when`` condition holds and, if it has keywords, one of them
occurs outside every ``unless`` phrase (``烧`` with ``unless = ["烧水"]`` finds "插头烧了"
but not "烧水时不加热"; "烧水时插头烧焦" still matches). Keywords ignore case. Chinese (any non-ASCII) keywords match anywhere in the
text, as Chinese has no word boundaries; ASCII keywords match whole words (``fee`` does
not match "coffee"), a trailing ``*`` matches a stem (``overcharg*``), and several words
match as a phrase (``stopped working``). Over all matching rules: the first category
wins, the most urgent priority wins, tags are joined in rule order, the first department
and the first owner win. Department and owner route a record as it is made (分类并分配给
相应的解决团队), where the input named neither; afterwards only ``cstool assign`` moves it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from cstool.core.i18n import _
from cstool.core.policy import Problem

SETTABLE = ("category", "priority", "tags", "department", "owner")
ROUTING = ("department", "owner")
RULE_KEYS = ("name", "keywords", "fields", "when", "unless", "set")


@dataclass(frozen=True)
class Rule:
    name: str
    keywords: frozenset[str]  # lower-cased
    fields: tuple[str, ...] | None
    when: tuple[tuple[str, frozenset[str]], ...]
    category: str | None
    priority: str | None
    tags: tuple[str, ...]
    unless: tuple[str, ...] = ()  # lower-cased phrases inside which a keyword does not count
    department: str | None = None
    owner: str | None = None

    def holds(self, record: Mapping[str, Any]) -> bool:
        """Whether every ``when`` condition holds (keywords aside)."""
        for name, allowed in self.when:
            value = record.get(name)
            if isinstance(value, str):
                if value not in allowed:
                    return False
            elif value is None:
                return False
            elif not any(str(v) in allowed for v in (value if isinstance(value, list) else [value]) if v is not None):
                return False
        return True


_WORD = re.compile(r"[a-z0-9']+")


class KeywordMatcher:
    """Finds which of a set of keywords occur in a text, doing per text only what the
    keywords need: each kind of keyword is looked up through an index, so a text pays for
    the keywords that could be in it, not for every keyword of the policy."""

    def __init__(self, keywords: Iterable[str]):
        anywhere: list[str] = []
        self._whole: dict[str, list[str]] = {}  # word -> keywords that are that word
        self._stems: dict[str, list[str]] = {}  # one-word stem -> keywords ending in it
        self._phrases: dict[str, list[tuple[str, str]]] = {}  # first word -> (keyword, " spaced needle")
        for keyword in sorted(keywords):
            words = _WORD.findall(keyword)
            if keyword.isascii() and not words:
                continue  # no letter or digit: refused by check_rules, matches nothing
            if not keyword.isascii():
                anywhere.append(keyword)
            elif keyword.endswith("*") and len(words) == 1:
                self._stems.setdefault(words[0], []).append(keyword)
            elif keyword.endswith("*"):
                # "false advertis*": the whole words, then the stem of the last one.
                self._phrases.setdefault(words[0], []).append((keyword, f" {' '.join(words)}"))
            elif len(words) > 1:
                self._phrases.setdefault(words[0], []).append((keyword, f" {' '.join(words)} "))
            else:
                self._whole.setdefault(words[0], []).append(keyword)
        self._anywhere = _AnywhereKeywords(anywhere) if anywhere else None
        # One scan finds the longest stem at each word start; shorter stems it begins with
        # are then known to be there too.
        self._stem_pattern = (
            re.compile(r"(?<![a-z0-9'])(" + "|".join(map(re.escape, sorted(self._stems, key=len, reverse=True))) + ")")
            if self._stems
            else None
        )
        self._stem_keywords = {
            stem: [k for shorter, keywords in self._stems.items() if stem.startswith(shorter) for k in keywords]
            for stem in self._stems
        }
        self._first_words = frozenset(self._phrases)
        self._whole_words = frozenset(self._whole)

    def __call__(self, text: str) -> set[str]:
        """The keywords in ``text`` (already lower-cased)."""
        hits: set[str] = set()
        if not text:
            return hits
        if self._anywhere is not None and not text.isascii():
            hits.update(self._anywhere.found(text))
        words = _WORD.findall(text)
        if not words:
            return hits
        vocabulary = set(words)
        for word in self._whole_words.intersection(vocabulary):
            hits.update(self._whole[word])
        if self._stem_pattern is not None:
            for stem in self._stem_pattern.findall(text):
                hits.update(self._stem_keywords[stem])
        starting = self._first_words.intersection(vocabulary)
        if starting:
            spaced = f" {' '.join(words)} "
            hits.update(k for first in starting for k, needle in self._phrases[first] if needle in spaced)
        return hits


class _AnywhereKeywords:
    """Keywords that match anywhere (Chinese has no word boundaries), found by one regular
    expression scan. A scan finds no match starting inside another, so each match also
    brings the keywords it contains, and the keywords that could begin inside it and run
    past its end are looked for by themselves: together, every keyword in the text."""

    def __init__(self, keywords: list[str]):
        longest_first = sorted(keywords, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, longest_first)))
        known = set(keywords)
        with_prefix: dict[str, list[str]] = {}
        for keyword in known:
            for end in range(1, len(keyword)):
                with_prefix.setdefault(keyword[:end], []).append(keyword)
        self._contained = {k: frozenset(_substrings(k) & known) for k in known}
        # Keywords a proper suffix of k begins (and that k does not hold whole).
        self._overlapping = {
            k: tuple({x for i in range(1, len(k)) for x in with_prefix.get(k[i:], ()) if x not in k}) for k in known
        }

    def found(self, text: str) -> set[str]:
        hits: set[str] = set()
        for match in set(self._pattern.findall(text)):
            hits.update(self._contained[match])
            hits.update(x for x in self._overlapping[match] if x in text)
        return hits


def _substrings(text: str) -> set[str]:
    return {text[i:j] for i in range(len(text)) for j in range(i + 1, len(text) + 1)}


class RuleSet:
    """Compiled rules. Each record's text is lower-cased and split into words once per
    field group; a rule is then tried only if one of its keywords was found (or it has none)."""

    def __init__(self, rules: list[Rule]):
        self.rules = rules
        groups: dict[tuple[str, ...] | None, set[str]] = {}
        for rule in rules:
            if rule.keywords:
                groups.setdefault(rule.fields, set()).update(rule.keywords)
        self._matchers = {fields: KeywordMatcher(words) for fields, words in groups.items()}
        # Rules without keywords, by the value their first condition asks for: a record
        # brings only those its value names (a value that is not text brings them all).
        self._always: tuple[int, ...] = tuple(i for i, rule in enumerate(rules) if not rule.keywords and not rule.when)
        self._by_condition: dict[str, dict[str, list[int]]] = {}
        for index, rule in enumerate(rules):
            if not rule.keywords and rule.when:
                name, allowed = rule.when[0]
                by_value = self._by_condition.setdefault(name, {})
                for value in allowed:
                    by_value.setdefault(value, []).append(index)
        self._own_matchers: dict[Rule, KeywordMatcher] = {}  # a rule with unless: its keywords alone
        self._rules_of: dict[tuple[tuple[str, ...] | None, str], list[int]] = {}
        for index, rule in enumerate(rules):
            for keyword in rule.keywords:
                self._rules_of.setdefault((rule.fields, keyword), []).append(index)

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, record: Mapping[str, Any], default_fields: Sequence[str]) -> list[Rule]:
        """The rules whose keywords occur in the record, and those without keywords, in
        policy order: the only rules that can match."""
        indexes = set(self._always)
        for name, by_value in self._by_condition.items():
            value = record.get(name)
            if isinstance(value, str):
                indexes.update(by_value.get(value, ()))
            elif value is not None:
                indexes.update(i for listed in by_value.values() for i in listed)
        rules_of = self._rules_of
        for fields, matcher in self._matchers.items():
            parts = [p for p in map(record.get, fields or default_fields) if isinstance(p, str)]
            for keyword in matcher("\n".join(parts).lower()):
                indexes.update(rules_of[fields, keyword])
        return [self.rules[i] for i in sorted(indexes)]

    def found_outside_exceptions(self, rule: Rule, record: Mapping[str, Any], default_fields: Sequence[str]) -> bool:
        """Whether a keyword of ``rule`` occurs with its ``unless`` phrases taken out of the text."""
        if not rule.unless or not rule.keywords:
            return True
        parts = [p for p in map(record.get, rule.fields or default_fields) if isinstance(p, str)]
        text = "\n".join(parts).lower()
        for phrase in rule.unless:
            text = text.replace(phrase, "\n")
        matcher = self._own_matchers.get(rule)
        if matcher is None:
            matcher = self._own_matchers[rule] = KeywordMatcher(rule.keywords)
        return bool(matcher(text))


@dataclass
class Suggestion:
    category: str | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    department: str | None = None
    owner: str | None = None

    def as_dict(self) -> dict | None:
        if not (self.category or self.priority or self.tags or self.department or self.owner):
            return None
        offer = {"category": self.category, "priority": self.priority, "tags": self.tags, "rules": self.rules}
        offer.update({name: getattr(self, name) for name in ROUTING if getattr(self, name)})
        return offer


def compile_rules(raw_rules: Iterable[Mapping[str, Any]]) -> RuleSet:
    """Rules from policy data (already checked by ``check_rules``)."""
    rules = []
    for index, raw in enumerate(raw_rules):
        keywords = frozenset(str(k).lower() for k in raw.get("keywords", []) if str(k))
        when = tuple(
            (str(k), frozenset(str(x) for x in (v if isinstance(v, list) else [v])))
            for k, v in raw.get("when", {}).items()
        )
        sets = raw.get("set", {})
        fields = raw.get("fields")
        rules.append(
            Rule(
                name=str(raw.get("name", f"rule {index + 1}")),
                keywords=keywords,
                fields=tuple(fields) if fields else None,
                when=when,
                category=sets.get("category"),
                priority=sets.get("priority"),
                tags=tuple(sets.get("tags", ())),
                unless=tuple(str(u).lower() for u in raw.get("unless", []) if str(u)),
                department=sets.get("department"),
                owner=sets.get("owner"),
            )
        )
    return RuleSet(rules)


def suggest(
    rules: RuleSet, record: Mapping[str, Any], default_fields: Sequence[str], priorities: Sequence[str]
) -> Suggestion:
    suggestion = Suggestion()
    for rule in rules.candidates(record, default_fields):
        if rule.holds(record) and rules.found_outside_exceptions(rule, record, default_fields):
            suggestion.rules.append(rule.name)
            merge_into(suggestion, rule.category, rule.priority, rule.tags, priorities, rule.department, rule.owner)
    return suggestion


def merge_into(
    target: Suggestion,
    category: str | None,
    priority: str | None,
    tags: Iterable[str],
    priorities: Sequence[str],
    department: str | None = None,
    owner: str | None = None,
) -> None:
    if category and not target.category:
        target.category = category
    if department and not target.department:
        target.department = department
    if owner and not target.owner:
        target.owner = owner
    if priority and priority in priorities:
        if target.priority is None or priorities.index(priority) < priorities.index(target.priority):
            target.priority = priority
    for tag in tags:
        if tag not in target.tags:
            target.tags.append(tag)


def merge_answers(
    answers: Iterable[Sequence[Mapping | None] | None], priorities: Sequence[str]
) -> Sequence[Mapping | None] | None:
    """Every plugin's ``cstool_classify`` answer merged into one offer per record (None when
    no plugin answered). A lone answer is used as it is: ``changes_for`` checks its values."""
    given = [answer for answer in answers if answer]
    if not given:
        return None
    if len(given) == 1:
        return given[0]
    merged = []
    for offers in zip_longest(*given):
        suggestion = Suggestion()
        for offered in offers:
            if offered:
                merge_into(
                    suggestion,
                    offered.get("category"),
                    offered.get("priority"),
                    offered.get("tags") or [],
                    priorities,
                    offered.get("department"),
                    offered.get("owner"),
                )
                suggestion.rules.extend(r for r in offered.get("rules") or [] if r not in suggestion.rules)
        merged.append(suggestion.as_dict())
    return merged


def changes_for(record: Mapping[str, Any], offered: Mapping[str, Any], priorities: Sequence[str]) -> dict[str, Any]:
    """What an offer (``category``, ``priority``, ``tags``) changes on a record. Values set by
    hand are never overwritten; a priority the policy does not know is ignored."""
    by_rule = record.get("classified") or {}
    changes: dict[str, Any] = {}
    for name in ("category", "priority"):
        value = offered.get(name)
        current = record.get(name)
        if value and value != current and (current in (None, "") or name in by_rule):
            if name != "priority" or value in priorities:
                changes[name] = value
    tags = record.get("tags") or []
    added = [t for t in offered.get("tags") or () if t not in tags]
    if added:
        changes["tags"] = list(dict.fromkeys([*tags, *added]))
    return changes


def routing_for(record: Mapping[str, Any], offered: Mapping[str, Any], default_department: str | None) -> dict:
    """The department and owner an offer routes a record being made to: each only where the
    input left it as it comes (the kind's department; the owner is whoever registers it)."""
    changes: dict[str, Any] = {}
    events = record.get("events") or []
    registrant = events[0].get("by") if events else None
    department = offered.get("department")
    if (
        department
        and record.get("department") in (None, "", default_department)
        and department != record.get("department")
    ):
        changes["department"] = department
    owner = offered.get("owner")
    if owner and record.get("owner") in (None, "", registrant) and owner != record.get("owner"):
        changes["owner"] = owner
    return changes


def check_rules(
    kind: str, raw_rules: Any, priorities: Sequence[str], field_names: Sequence[str] | None
) -> list[Problem]:
    """Problems in ``[[classify.<kind>]]``; ``field_names`` None when the kind is not loaded."""
    base = ("classify", kind)
    if not isinstance(raw_rules, list):
        return [
            Problem(base, _("must be an array of tables: write each rule under [[classify.{kind}]]").format(kind=kind))
        ]
    problems = []
    for index, rule in enumerate(raw_rules):
        here = (*base, index)
        if not isinstance(rule, dict):
            problems.append(Problem(here, _("must be a table")))
            continue
        for key in rule:
            if key not in RULE_KEYS:
                problems.append(
                    Problem(
                        (*here, key), _("unknown rule key; keys are {RULE_KEYS}").format(RULE_KEYS=", ".join(RULE_KEYS))
                    )
                )
        keywords = rule.get("keywords", [])
        if not (isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)):
            problems.append(Problem((*here, "keywords"), _("must be a list of words in quotes")))
        else:
            for keyword in keywords:
                if keyword.isascii() and not _WORD.findall(keyword.lower()):
                    problems.append(
                        Problem(
                            (*here, "keywords"),
                            _("{keyword!r} has no letter, digit or Chinese character: it would match nothing").format(
                                keyword=keyword
                            ),
                        )
                    )
        unless = rule.get("unless", [])
        if not (isinstance(unless, list) and all(isinstance(u, str) and u for u in unless)):
            problems.append(Problem((*here, "unless"), _("must be a list of phrases in quotes")))
        when = rule.get("when", {})
        if not isinstance(when, dict):
            problems.append(Problem((*here, "when"), _("must be a table of field = value (or list of values)")))
            when = {}
        fields = rule.get("fields", [])
        if not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
            problems.append(Problem((*here, "fields"), _("must be a list of field names")))
            fields = []
        for key, names in (("when", list(when)), ("fields", fields)):
            for name in names:
                if field_names is not None and name not in field_names:
                    problems.append(
                        Problem((*here, key), _("unknown field {name!r} for kind {kind}").format(name=name, kind=kind))
                    )
        sets = rule.get("set")
        if not isinstance(sets, dict) or not sets:
            problems.append(Problem((*here, "set"), _("must be a table setting category, priority or tags")))
            continue
        for key, value in sets.items():
            if key not in SETTABLE:
                problems.append(
                    Problem(
                        (*here, "set", key), _("a rule can set only {SETTABLE}").format(SETTABLE=", ".join(SETTABLE))
                    )
                )
            elif key == "priority" and value not in priorities:
                problems.append(
                    Problem(
                        (*here, "set", key),
                        _("{value!r} is not a priority; priorities are {priorities}").format(
                            value=value, priorities=", ".join(priorities)
                        ),
                    )
                )
            elif key == "tags" and not (isinstance(value, list) and all(isinstance(t, str) for t in value)):
                problems.append(Problem((*here, "set", key), _("must be a list of tags")))
            elif key in ("category", "department", "owner") and not (isinstance(value, str) and value):
                problems.append(Problem((*here, "set", key), _("must be a name in quotes")))
    return problems
