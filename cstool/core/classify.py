"""Classification rules from policy, as pure functions.

A rule (``[[classify.<kind>]]`` in policy.toml)::

    name = "billing"
    keywords = ["refund", "退款"]          # any of them, case-insensitive, in `fields`
    fields = ["content", "subject"]        # default: every text field of the record
    when = { channel = ["phone", "visit"] } # every condition must hold (value or list of values)
    set = { category = "billing", priority = "high", tags = ["money"] }

A rule matches when every ``when`` condition holds and, if it has keywords, one of them
occurs. Keywords ignore case. Chinese (any non-ASCII) keywords match anywhere in the
text, as Chinese has no word boundaries; ASCII keywords match whole words (``fee`` does
not match "coffee"), a trailing ``*`` matches a stem (``overcharg*``), and several words
match as a phrase (``stopped working``). Over all matching rules: the first category
wins, the most urgent priority wins, tags are joined in rule order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from cstool.core.i18n import _
from cstool.core.policy import Problem

SETTABLE = ("category", "priority", "tags")
RULE_KEYS = ("name", "keywords", "fields", "when", "set")


@dataclass(frozen=True)
class Rule:
    name: str
    keywords: frozenset[str]           # lower-cased
    fields: tuple[str, ...] | None
    when: tuple[tuple[str, tuple[str, ...]], ...]
    category: str | None
    priority: str | None
    tags: tuple[str, ...]

    def holds(self, record: Mapping[str, Any]) -> bool:
        """Whether every ``when`` condition holds (keywords aside)."""
        for name, allowed in self.when:
            value = record.get(name)
            values = value if isinstance(value, list) else [value]
            if not any(str(v) in allowed for v in values if v is not None):
                return False
        return True


_WORD = re.compile(r"[a-z0-9']+")


class RuleSet:
    """Compiled rules. Each record's text is lower-cased and split into words once per
    field group; a rule then matches by set intersection with the keywords found."""

    def __init__(self, rules: list[Rule]):
        self.rules = rules
        groups: dict[tuple[str, ...] | None, set[str]] = {}
        for rule in rules:
            if rule.keywords:
                groups.setdefault(rule.fields, set()).update(rule.keywords)
        self._keywords = {fields: _split_keywords(words) for fields, words in groups.items()}

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def found(self, record: Mapping[str, Any], default_fields: Sequence[str]) -> dict:
        """The keywords present in the record, per field group."""
        found = {}
        for fields, (anywhere, whole, stems, phrases) in self._keywords.items():
            parts = (record.get(name) for name in (fields or default_fields))
            text = "\n".join(p for p in parts if isinstance(p, str)).lower()
            if not text:
                found[fields] = set()
                continue
            words = _WORD.findall(text)
            vocabulary = set(words)
            hits = {k for k in anywhere if k in text}
            hits.update(whole & vocabulary)
            if stems is not None:
                pattern, keyword_of = stems
                hits.update(keyword_of[stem] for stem in pattern.findall(text))
            if phrases:
                spaced = f" {' '.join(words)} "
                hits.update(k for k, phrase in phrases if phrase in spaced)
            found[fields] = hits
        return found


def _split_keywords(words: set[str]):
    """Keywords by how they match: anywhere (non-ASCII), whole words, stems, phrases."""
    anywhere, whole, stems, phrases = [], set(), {}, []
    for keyword in sorted(words):
        if not keyword.isascii():
            anywhere.append(keyword)
        elif keyword.endswith("*"):
            stems[keyword[:-1].strip()] = keyword
        elif len(_WORD.findall(keyword)) > 1:
            phrases.append((keyword, f" {' '.join(_WORD.findall(keyword))} "))
        else:
            whole.add(keyword)
    # One pattern finds every stem at a word start in a single scan; longest stems first.
    stem_pattern = (re.compile(r"(?<![a-z0-9'])(" + "|".join(map(re.escape, sorted(stems, key=len, reverse=True))) + ")"),
                    stems) if stems else None
    return tuple(anywhere), frozenset(whole), stem_pattern, tuple(phrases)


@dataclass
class Suggestion:
    category: str | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    def as_dict(self) -> dict | None:
        if not (self.category or self.priority or self.tags):
            return None
        return {"category": self.category, "priority": self.priority, "tags": self.tags, "rules": self.rules}


def compile_rules(raw_rules: Iterable[Mapping[str, Any]]) -> RuleSet:
    """Rules from policy data (already checked by ``check_rules``)."""
    rules = []
    for index, raw in enumerate(raw_rules):
        keywords = frozenset(str(k).lower() for k in raw.get("keywords", []) if str(k))
        when = tuple((str(k), tuple(str(x) for x in (v if isinstance(v, list) else [v])))
                     for k, v in raw.get("when", {}).items())
        sets = raw.get("set", {})
        fields = raw.get("fields")
        rules.append(Rule(
            name=str(raw.get("name", f"rule {index + 1}")),
            keywords=keywords,
            fields=tuple(fields) if fields else None,
            when=when,
            category=sets.get("category"),
            priority=sets.get("priority"),
            tags=tuple(sets.get("tags", ())),
        ))
    return RuleSet(rules)


def suggest(rules: RuleSet, record: Mapping[str, Any], default_fields: Sequence[str],
            priorities: Sequence[str]) -> Suggestion:
    suggestion = Suggestion()
    found = rules.found(record, default_fields)
    for rule in rules:
        if rule.keywords and rule.keywords.isdisjoint(found[rule.fields]):
            continue
        if not rule.holds(record):
            continue
        suggestion.rules.append(rule.name)
        merge_into(suggestion, rule.category, rule.priority, rule.tags, priorities)
    return suggestion


def merge_into(target: Suggestion, category: str | None, priority: str | None,
               tags: Iterable[str], priorities: Sequence[str]) -> None:
    if category and not target.category:
        target.category = category
    if priority and priority in priorities:
        if target.priority is None or priorities.index(priority) < priorities.index(target.priority):
            target.priority = priority
    for tag in tags:
        if tag not in target.tags:
            target.tags.append(tag)


def changes_for(record: Mapping[str, Any], suggestion: Suggestion) -> dict[str, Any]:
    """What a suggestion changes on a record. Values set by hand are never overwritten."""
    by_rule = record.get("classified") or {}
    changes: dict[str, Any] = {}
    for name in ("category", "priority"):
        value = getattr(suggestion, name)
        current = record.get(name)
        if value and value != current and (current in (None, "") or name in by_rule):
            changes[name] = value
    tags = list(record.get("tags") or [])
    added = [t for t in suggestion.tags if t not in tags]
    if added:
        changes["tags"] = tags + added
    return changes


def check_rules(kind: str, raw_rules: Any, priorities: Sequence[str], field_names: Sequence[str] | None) -> list[Problem]:
    """Problems in ``[[classify.<kind>]]``; ``field_names`` None when the kind is not loaded."""
    base = ("classify", kind)
    if not isinstance(raw_rules, list):
        return [Problem(base, _("must be an array of tables: write each rule under [[classify.{kind}]]").format(kind=kind))]
    problems = []
    for index, rule in enumerate(raw_rules):
        here = (*base, index)
        if not isinstance(rule, dict):
            problems.append(Problem(here, _("must be a table")))
            continue
        for key in rule:
            if key not in RULE_KEYS:
                problems.append(Problem((*here, key), _("unknown rule key; keys are {RULE_KEYS}").format(RULE_KEYS=', '.join(RULE_KEYS))))
        keywords = rule.get("keywords", [])
        if not (isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)):
            problems.append(Problem((*here, "keywords"), _("must be a list of words in quotes")))
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
                    problems.append(Problem((*here, key), _("unknown field {name!r} for kind {kind}").format(name=name, kind=kind)))
        sets = rule.get("set")
        if not isinstance(sets, dict) or not sets:
            problems.append(Problem((*here, "set"), _("must be a table setting category, priority or tags")))
            continue
        for key, value in sets.items():
            if key not in SETTABLE:
                problems.append(Problem((*here, "set", key), _("a rule can set only {SETTABLE}").format(SETTABLE=', '.join(SETTABLE))))
            elif key == "priority" and value not in priorities:
                problems.append(Problem((*here, "set", key), _("{value!r} is not a priority; priorities are {priorities}").format(value=value, priorities=', '.join(priorities))))
            elif key == "tags" and not (isinstance(value, list) and all(isinstance(t, str) for t in value)):
                problems.append(Problem((*here, "set", key), _("must be a list of tags")))
            elif key == "category" and not isinstance(value, str):
                problems.append(Problem((*here, "set", key), _("must be a category name in quotes")))
    return problems
