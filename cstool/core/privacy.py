"""Masking personal data on output (客户信息保密): 13812341234 → 138****1234."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def mask(value: Any, field_type: str = "text") -> Any:
    """A masked copy of a personal value; at least one meaningful character is always hidden."""
    if value is None or value == "":
        return value
    text = str(value)
    local, _, domain = text.partition("@")
    if field_type == "email" and local and domain:
        return f"{local[:1] if len(local) > 1 else ''}***@{domain}"
    if field_type == "phone" or (len(text) >= 8 and sum(c.isdigit() for c in text) >= len(text) - 1):
        return _mask_middle(text)
    if len(text) <= 4:  # a name: 张三 → 张*
        return text[0] + "*" * (len(text) - 1) if len(text) > 1 else "*"
    # longer text (an address, an id number): a character or two at each end, never a half
    keep = 1 if len(text) <= 12 else 2
    return text[:keep] + "****" + text[-keep:]


def _mask_middle(text: str) -> str:
    """13812341234 → 138****1234; shorter numbers keep less, so something is always hidden."""
    n = len(text)
    head, tail = (3, 4) if n >= 11 else (min(3, n // 4), min(4, n // 3))
    return text[:head] + "****" + (text[-tail:] if tail else "")


def masked_record(record: dict, personal: Iterable[tuple[str, str]]) -> dict:
    """A copy of ``record`` with each (field, type) in ``personal`` masked, in its fields and
    in the changes its trail records (``updated`` events keep the old and the new value)."""
    types = dict(personal)
    out = None
    for name, field_type in types.items():
        value = record.get(name)
        if value not in (None, ""):
            if out is None:
                out = dict(record)
            out[name] = mask(value, field_type)
    events = record.get("events") or []
    if any(types.keys() & (e.get("changes") or {}).keys() for e in events):
        out = out if out is not None else dict(record)
        out["events"] = [_masked_changes(e, types) for e in events]
    return out if out is not None else record


def _masked_changes(entry: dict, types: dict[str, str]) -> dict:
    changes = entry.get("changes")
    if not changes or not types.keys() & changes.keys():
        return entry
    masked = {
        name: [mask(v, types[name]) for v in values] if name in types and isinstance(values, list) else values
        for name, values in changes.items()
    }
    return {**entry, "changes": masked}
