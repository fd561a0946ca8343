"""Taking back one's own last change to a record (``cstool undo ID``), pure: no store.

Every change a command makes (update, respond, status, assign, void) remembers, on the
first event it writes, how many events it wrote and the values it replaced (``undo``):
personal values are not copied there, since the ``updated`` event keeps them already, and
masked where it is shown. Undoing takes those events out of the trail, puts the values
back and writes one ``undone`` event naming what was taken back, so the trail still says
what happened and the clocks are as if the change had never been made. Only the person
who made the change may undo it, and only while nothing has happened to the record since
(a reveal, which changes nothing, does not count).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from cstool.core.errors import CstoolError
from cstool.core.i18n import _

UNDO = "undo"
NOT_VALUES = ("events", "updated_at", "trail")
CHANGES_NOTHING = ("revealed",)


def remember(before: Mapping[str, Any], record: dict, first_new: int, personal: Collection[str]) -> None:
    """Note on the first event written since ``first_new`` what the change replaced."""
    new = record["events"][first_new:]
    if not new:
        return
    keys = (set(before) | set(record)) - set(NOT_VALUES) - set(personal)
    values = {key: before.get(key) for key in sorted(keys) if before.get(key) != record.get(key)}
    added = sorted(key for key in record if key not in before and key not in NOT_VALUES)
    new[0][UNDO] = {"events": len(new), "values": values, **({"added": added} if added else {})}


def undone(record: dict, user: str, personal: Collection[str], others_allowed: bool = False) -> tuple[dict, list[dict]]:
    """``record`` with its last change taken back, and the events taken out; a clear
    refusal when there is none, it is someone else's (unless ``others_allowed``: the
    permission ``undo_others``), or something happened since."""
    events = record.get("events") or []
    last = next((i for i in range(len(events) - 1, -1, -1) if events[i].get("type") not in CHANGES_NOTHING), None)
    start = next((i for i in range(len(events) - 1, -1, -1) if UNDO in events[i]), None)
    if start is None or last is None:
        raise CstoolError(_("{id} has no change that can be undone").format(id=record["id"]))
    info = events[start][UNDO]
    taken = events[start : start + info["events"]]
    if last >= start + info["events"]:
        raise CstoolError(
            _("{id}: something happened since its last change ({type} at {at}); nothing was undone").format(
                id=record["id"], type=events[last]["type"], at=events[last]["at"]
            )
        )
    others = {item.get("by") for item in taken} - {user}
    if others and not others_allowed:
        raise CstoolError(
            _("{id}: its last change was made by {by}; only your own last change can be undone").format(
                id=record["id"], by=", ".join(sorted(map(str, others)))
            )
        )
    restored = {key: value for key, value in record.items() if key not in info.get("added", ())}
    restored.update(info["values"])
    for item in taken:  # personal values come back from the update that replaced them
        for name, (old, _new) in (item.get("changes") or {}).items():
            if name in personal:
                restored[name] = old
    restored["events"] = events[:start] + events[start + len(taken) :]
    return restored, taken
