"""A record's trail, sealed: its events chained by hash, the chain's head kept on the record.

Each event's link is ``sha256(link before + the event as canonical JSON)``, starting from
a link of the record's kind and id, so that an event edited, removed, added or moved, or
a trail moved to another record, no longer ends at the sealed head. cstool seals every
record it writes (``seal``): a change that only appends events carries the chain on from
the head it was sealed with, never from the stored events, so a trail changed outside
cstool stays unsealed by the next change too. ``cstool audit verify`` re-walks every chain
(``broken``), and finds ids handed out whose records are gone.

The head lives in the record as ``trail = {events, head}``; where a store keeps records
out of reach of the people who use it (PostgreSQL with ``cstool store grant``), the
database also refuses any change to a trail but an appended event.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

import orjson

from cstool.core.i18n import _

TRAIL = "trail"


def _start(kind: str, record_id: str) -> bytes:
    return hashlib.sha256(f"cstool trail {kind} {record_id}".encode()).digest()


def _walk(link: bytes, events: list[dict]) -> bytes:
    for entry in events:
        link = hashlib.sha256(link + orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)).digest()
    return link


def seal(record: dict, previous: Mapping[str, Any] | None = None) -> None:
    """Seal ``record``'s trail. ``previous`` is the record as stored before this change.
    A change that appended events carries the chain on from ``previous``'s seal; one that
    rewrote the trail (an undo, an erasure) seals it anew, unless ``previous`` already
    failed its seal: then the old seal stays, and so does the failure."""
    events = record.get("events") or []
    sealed = previous.get(TRAIL) if previous is not None else None
    if previous is None or not _well_formed(sealed):
        record[TRAIL] = {"events": len(events), "head": _walk(_start(record["kind"], record["id"]), events).hex()}
        return
    before = previous.get("events") or []
    if events[: len(before)] == before:
        link = _walk(bytes.fromhex(sealed["head"]), events[len(before) :])
        record[TRAIL] = {"events": sealed["events"] + len(events) - len(before), "head": link.hex()}
    elif broken(previous) is None:
        record[TRAIL] = {"events": len(events), "head": _walk(_start(record["kind"], record["id"]), events).hex()}
    else:
        record[TRAIL] = dict(sealed)


def _well_formed(sealed: Any) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(sealed, dict)
        and isinstance(sealed.get("events"), int)
        and isinstance(sealed.get("head"), str)
        and bool(re.fullmatch(r"[0-9a-f]{64}", sealed["head"]))
    )


def broken(record: Mapping[str, Any], kind: str | None = None) -> tuple[str, str] | None:
    """What is wrong with ``record``'s trail (found under ``kind``), as (code, message), or
    None when it ends at its sealed head. Codes: ``unsealed`` (written before trails were
    sealed, or the seal removed), ``count`` (events removed or added), ``changed``."""
    sealed = record.get(TRAIL)
    if not _well_formed(sealed):
        return "unsealed", _("not sealed (written before cstool 0.3, or its seal was removed)")
    events = record.get("events") or []
    if sealed.get("events") != len(events):
        message = _("sealed with {sealed} events, holds {count}: events were removed or added outside cstool")
        return "count", message.format(sealed=sealed.get("events"), count=len(events))
    if _walk(_start(kind or record["kind"], record["id"]), events).hex() != sealed["head"]:
        return "changed", _(
            "an event was changed, moved or replaced outside cstool, or the record moved to another kind"
        )
    return None
