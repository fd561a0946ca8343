"""Personal data (客户信息保密): masked on output (13812341234 → 138****1234), erased on
request or at the end of retention, and the records that hold one person's."""

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


# ---- erasing -----------------------------------------------------------------------


def _holds_any(value, secrets: list[str]) -> bool:
    if isinstance(value, list):
        return any(_holds_any(item, secrets) for item in value)
    return isinstance(value, str) and any(secret in value for secret in secrets)


def _cleared(value, secrets: list[str]):
    """``value`` (free text, or a list of it) with each secret replaced by [erased]."""
    if isinstance(value, list):
        return [_cleared(item, secrets) for item in value]
    for secret in secrets:
        value = value.replace(secret, "[erased]")
    return value


def erase_personal(kind, record: dict, secrets: list[str], marker: str = "[erased]") -> list[str]:
    """Blank the record's personal fields and their values in its trail, and every one of the
    customer's ``secrets`` (name, phone, …) in its free text: the names of what was erased.
    A required text field keeps ``marker``, so the record stays valid and says why."""
    erased = []
    for field in kind.fields:
        value = record.get(field.name)
        if field.personal:
            blank = marker if field.required and field.type == "text" else None
            if value not in (None, "", blank):
                erased.append(field.name)
                record[field.name] = blank  # a required text keeps a marker, so the record stays valid and says why
        elif _holds_any(value, secrets):
            record[field.name] = _cleared(value, secrets)
            erased.append(field.name)
    from cstool.core.attachments import erase as erase_attachments

    if erase_attachments(record):
        erased.append("attachments")
    personal = {f.name for f in kind.fields if f.personal}
    for entry in record["events"]:
        for name, values in (entry.get("changes") or {}).items():
            if (name in personal or _holds_any(values, secrets)) and values != ["[erased]", "[erased]"]:
                entry["changes"][name] = ["[erased]", "[erased]"]
                erased.append(name)
        for key in ("note", "reason"):
            if _holds_any(entry.get(key), secrets):
                entry[key] = _cleared(entry[key], secrets)
                erased.append(f"events.{key}")
    return sorted(set(erased))


def linked_to(customer_id: str, records_by_kind: dict[str, list[dict]]) -> set[str]:
    """The customer and every record linked to it, directly (``customer_id``) or through
    another linked record (a call about a complaint, a survey of it, a follow-up of the survey)."""
    linked = {customer_id}
    while True:
        more = {
            record["id"]
            for records in records_by_kind.values()
            for record in records
            if record.get("id") not in linked
            and any(isinstance(value, str) and value in linked for key, value in record.items() if key != "id")
        }
        if not more:
            return linked
        linked |= more


def personal_values(kinds, records_by_kind, linked: set[str], marker: str = "[erased]") -> list[str]:
    """Every personal value the linked records hold or held (in their trails' changes), longest
    first, so that free text copying one of them can be cleared of it too."""
    found = set()
    for name, records in records_by_kind.items():
        personal = {f.name for f in kinds[name].fields if f.personal}
        for record in records:
            if record["id"] not in linked:
                continue
            found |= {str(record[n]) for n in personal if record.get(n) not in (None, "")}
            for entry in record.get("events", []):
                for field, values in (entry.get("changes") or {}).items():
                    if field in personal:
                        found |= {str(v) for v in values if v not in (None, "")}
    return sorted((v for v in found - {marker, "[erased]"} if len(v) >= 2), key=len, reverse=True)
