"""Turning what people and files give into typed field values, or a message saying why not.

Every value entering a record passes through a parser from ``make_parser``: --set, prompts and import
rows alike. Values already typed (from JSON) are accepted when they fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from cstool.core.i18n import _
from cstool.core.kinds import Field
from cstool.core.local_input import chinese_amount
from cstool.core.timeutil import format_datetime, parse_date, parse_datetime

_TRUE = {"true", "yes", "y", "1", "是", "对", "真"}
_FALSE = {"false", "no", "n", "0", "否", "不", "假"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def parse_value(
    field: Field,
    raw: Any,
    *,
    tz: tzinfo,
    choices: Sequence[str] | None = None,
    fmt: str | None = None,
    now: datetime | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Any:
    """The typed value of ``raw`` for ``field``; ValueError with a plain message otherwise.

    Blank input gives None. ``choices`` are the allowed values of a choice field (from the
    field or policy); matching ignores case; ``aliases`` (a name folded to lower case ->
    its choice) are accepted too. ``fmt`` is a strptime format for dates.
    """
    return make_parser(field, tz=tz, choices=choices, fmt=fmt, now=now, aliases=aliases)(raw)


def make_parser(
    field: Field,
    *,
    tz: tzinfo,
    choices: Sequence[str] | None = None,
    fmt: str | None = None,
    now: datetime | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Callable[[Any], Any]:
    """A function parsing raw values for ``field``: built once, applied to every row of an import."""
    convert = _converter(field, tz, choices if choices is not None else field.choices, fmt, now, aliases or {})

    def parse(raw: Any) -> Any:
        if raw is None or raw == [] or (isinstance(raw, str) and (not raw or raw.isspace())):
            return None
        return convert(raw)

    if not field.personal:
        return parse

    def parse_personal(raw: Any) -> Any:
        """The same, but a refusal never repeats the personal value it refused."""
        try:
            return parse(raw)
        except ValueError as exc:
            from cstool.core.privacy import mask

            shown = mask(str(raw), field.type)
            raise ValueError(str(exc).replace(repr(raw), repr(shown)).replace(str(raw), shown)) from None

    return parse_personal


def _converter(
    field: Field,
    tz: tzinfo,
    choices: Sequence[str] | None,
    fmt: str | None,
    now: datetime | None,
    aliases: Mapping[str, str],
) -> Callable[[Any], Any]:
    kind = field.type
    if kind == "text":
        if field.multiline:
            # Line ends made one (CRLF and a lone CR from other systems) before the ends are trimmed.
            return lambda raw: str(raw).replace("\r\n", "\n").replace("\r", "\n").strip("\n ")
        return lambda raw: str(raw).strip()
    if kind in ("int", "decimal"):
        number = _parse_int if kind == "int" else _parse_decimal
        if field.min is None and field.max is None:
            return number
        low, high = field.min, field.max

        def bounded(raw: Any) -> float:
            value = number(raw)
            if (low is not None and value < low) or (high is not None and value > high):
                if low is not None and high is not None:
                    raise ValueError(
                        _("must be from {low:g} to {high:g}, not {value:g}").format(low=low, high=high, value=value)
                    )
                bound = _("at least {low:g}") if high is None else _("at most {high:g}")
                bound = bound.format(low=low, high=high)
                raise ValueError(_("must be {bound}, not {value:g}").format(bound=bound, value=value))
            return value

        return bounded
    if kind == "bool":
        return _parse_bool
    if kind == "date":

        def to_date(raw: Any) -> str:
            if isinstance(raw, date) and not isinstance(raw, datetime):
                return raw.isoformat()
            return parse_date(str(raw), fmt).isoformat()

        return to_date
    if kind == "datetime":

        def to_datetime(raw: Any) -> str:
            if isinstance(raw, datetime):
                return format_datetime(raw if raw.tzinfo else raw.replace(tzinfo=tz))
            return format_datetime(parse_datetime(str(raw), tz, fmt, now))

        return to_datetime
    if kind == "choice":
        allowed = tuple(choices or ())
        lookup = {**{name: c for name, c in aliases.items() if c in allowed}, **{c.lower(): c for c in allowed}}

        def to_choice(raw: Any) -> str:
            text = str(raw).strip()
            found = lookup.get(text.lower())
            if found is None:
                shown = ", ".join(allowed) if len(allowed) <= 12 else ", ".join(allowed[:12]) + ", …"
                raise ValueError(_("{text!r} is not one of: {shown}").format(text=text, shown=shown))
            return found

        return to_choice
    if kind == "phone":
        from cstool.core.identifiers import phone_number

        return phone_number
    if kind == "email":

        def to_email(raw: Any) -> str:
            text = str(raw).strip()
            if not _EMAIL.match(text):
                raise ValueError(_("{raw!r} is not an e-mail address").format(raw=raw))
            return text

        return to_email
    if kind == "list":
        allowed_items = (
            {**{name: c for name, c in aliases.items() if c in choices}, **{c.lower(): c for c in choices}}
            if choices
            else None
        )

        def to_list(raw: Any) -> list[str] | None:
            items = raw if isinstance(raw, list) else re.split(r"[,，;；]", str(raw))
            cleaned = [str(item).strip() for item in items if str(item).strip()]
            if allowed_items is not None:
                unknown = [item for item in cleaned if item.lower() not in allowed_items]
                if unknown:
                    raise ValueError(
                        _("{items} not among: {choices}").format(
                            items=", ".join(map(repr, unknown)), choices=", ".join(choices or ())
                        )
                    )
                cleaned = [allowed_items[item.lower()] for item in cleaned]
            return list(dict.fromkeys(cleaned)) or None

        return to_list
    raise ValueError(_("unknown field type {kind!r}").format(kind=kind))  # Field.__post_init__ makes this unreachable


# Whole numbers a JSON reader keeps exactly (2**53): larger ones are a mistake in the source
# (talk_seconds = 1e23) and would not survive the store's JSON.
LARGEST_WHOLE = 2**53


def _parse_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(_("{raw!r} is not a whole number").format(raw=raw))
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, float) and raw.is_integer():
        number = int(raw)
    else:
        text = str(raw).strip()
        try:
            number = int(text.replace(",", ""))
        except ValueError:
            written = chinese_amount(text)  # 150万, ¥1,200, 1200元
            if written is None or "." in written:
                raise ValueError(_("{raw!r} is not a whole number").format(raw=raw)) from None
            number = int(written)
    if abs(number) > LARGEST_WHOLE:
        raise ValueError(_("{raw!r} is too large a number").format(raw=raw))
    return number


def _parse_decimal(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(_("{raw!r} is not a number").format(raw=raw))
    from decimal import Decimal, InvalidOperation  # here: most commands parse no decimal

    text = str(raw).strip()
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        written = chinese_amount(text)  # 150万, 1.5万, ¥1,200, 1200元
        if written is None:
            raise ValueError(_("{raw!r} is not a number").format(raw=raw)) from None
        number = Decimal(written)
    if not number.is_finite():
        raise ValueError(_("{raw!r} is not a finite number").format(raw=raw))
    return float(number)


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("{raw!r} is not yes or no").format(raw=raw))
