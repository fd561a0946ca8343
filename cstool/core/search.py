"""What ``cstool search TEXT`` matches in a record (pure: no store, no output).

Words in free text (content, subjects, notes in the trail), ids and external ids match
anywhere, in any case: ``冒烟`` finds every complaint whose content mentions it. Personal
values (names, phones, e-mail addresses) match only whole, so a search cannot be used to
read them piece by piece: a phone written ``138 1234 1234``, ``138-1234-1234`` or
``+86 13812341234`` is the same number.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SNIPPET_AROUND = 18  # characters of context either side of a word found in text
_NOT_DIGITS = re.compile(r"\D")
ALWAYS_SEARCHED = ("id", "external_id")


def phone_digits(text: str) -> str:
    """A phone number as its digits, without the country code of China."""
    digits = _NOT_DIGITS.sub("", text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


@dataclass(frozen=True)
class Hit:
    field: str  # where it matched: a field name, or "events" for a note in the trail
    snippet: str  # the text around the match; for a personal value, the field's name only
    personal: bool


def hits(record: Mapping[str, Any], text_fields: Iterable[str], personal: Mapping[str, str], query: str) -> list[Hit]:
    """Where ``query`` is found in ``record``. ``text_fields``: fields searched for a word;
    ``personal``: personal field name -> its type, matched whole only."""
    found: list[Hit] = []
    wanted, digits = query.strip().casefold(), phone_digits(query)
    if not wanted:
        return found
    for name in (*ALWAYS_SEARCHED, *text_fields):
        value = record.get(name)
        if isinstance(value, str) and wanted in value.casefold():
            found.append(Hit(name, snippet(value, wanted), False))
    for item in record.get("events") or []:
        note = item.get("note")
        if isinstance(note, str) and wanted in note.casefold():
            found.append(Hit("events", snippet(note, wanted), False))
    for name, field_type in personal.items():
        value = record.get(name)
        if not isinstance(value, str) or not value:
            continue
        if field_type == "phone":
            same = len(digits) >= 7 and phone_digits(value) == digits
        else:
            same = value.strip().casefold() == wanted
        if same:
            found.append(Hit(name, "", True))
    return found


# ---- an index of what search matches (a store may keep it: PostgreSQL's grams column) ----
#
# Only text written without spaces (Chinese) is indexed, as pairs of adjacent characters
# and single characters: a word of any length is found through them. A query holding a
# Latin letter or a digit is not narrowed (the store reads every record, as the folder
# does): indexing every pair of every English narrative cost 0.5 ms a record at import.

PERSONAL_TOKEN = "p:"  # a whole personal value, casefolded
TAIL_TOKEN = "t:"  # the last digits of a personal phone, by which a desk finds a caller
TAIL_DIGITS = 4  # the fewest digits of a phone a person may look a record up by
SINGLE = "1:"  # one character, for a word of one character
_RUNS = re.compile(r"[^\x00-\x7f\s]+")  # characters of scripts written without spaces


def _pieces(text: str) -> set[str]:
    found: set[str] = set()
    for run in _RUNS.findall(text.casefold()):
        found.update(map(operator.add, run, run[1:]))
        found.update(SINGLE + c for c in set(run))
    return found


def search_grams(record: Mapping[str, Any], text_fields: Iterable[str], personal: Mapping[str, str]) -> list[str]:
    """What an index keeps of ``record`` so that every record ``hits`` finds for a query
    ``query_grams`` narrows is among those it names."""
    found: set[str] = set()
    texts = [record.get(name) for name in (*ALWAYS_SEARCHED, *text_fields)]
    texts += [item.get("note") for item in record.get("events") or []]
    for text in texts:
        if isinstance(text, str):
            found |= _pieces(text)
    for name, field_type in personal.items():
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            found.add(personal_token(value))
            if field_type == "phone" and (tail := phone_tail(value)):
                found.add(tail)
    return sorted(found)


def personal_token(value: str) -> str:
    """The grams token of a personal value whole (a name, a phone as written)."""
    return PERSONAL_TOKEN + value.strip().casefold()


def phone_tail(digits_or_phone: str) -> str | None:
    """The grams token of a phone's last ``TAIL_DIGITS`` digits (a whole number, or the tail
    a person typed: both give the same token), None when it has fewer digits. A record
    whose phone ends in a tail holds that tail's token."""
    digits = phone_digits(digits_or_phone)
    return TAIL_TOKEN + digits[-TAIL_DIGITS:] if len(digits) >= TAIL_DIGITS else None


def query_grams(query: str) -> tuple[list[str], list[str]] | None:
    """What a record's grams must hold to match ``query``: all of the first list (its
    text), or any of the second (a personal value whole); None when the index cannot
    narrow it (a query with a Latin letter, a digit or a space: read every record)."""
    wanted = query.strip().casefold()
    if not wanted or any(c.isascii() or c.isspace() for c in wanted):
        return None
    text = sorted(_pieces(wanted) - {SINGLE + c for c in wanted}) if len(wanted) > 1 else [SINGLE + wanted]
    return text, [personal_token(wanted)]


def snippet(text: str, folded_word: str) -> str:
    """The text around the first occurrence of the word, on one line."""
    flat = " ".join(text.split())
    at = flat.casefold().find(folded_word)
    if at < 0:
        return flat[: 2 * SNIPPET_AROUND]
    start, end = max(0, at - SNIPPET_AROUND), at + len(folded_word) + SNIPPET_AROUND
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")
