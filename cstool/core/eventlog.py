"""Importing another system's event log: several rows per record, one per change.

Incident and ticket systems export their history as rows of one record each time it
changed (ServiceNow: ``number``, ``incident_state``, ``sys_updated_at``). A map's
``[events]`` table says so::

    [events]
    key = "number"             # the column whose value is the same on every row of a record
    at = "sys_updated_at"      # the column that says when each row's change happened
    at_format = "%d-%m-%Y %H:%M"

The rows of one key, in the order of ``at`` (file order among equals), become one record:
its values are those of the last row, its ``created_at`` that of the first, and each later
row that changed something becomes an event at its own time: a ``status`` event when the
status changed (a pending status pauses the clock, a move out of a resolved one reopens),
``assigned`` when the owner changed, ``updated`` for the other fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from cstool.core.errors import CstoolError, FieldError
from cstool.core.i18n import _
from cstool.core.kinds import Kind

EVENT_KEYS = ("key", "at", "at_format")


def check_events_table(path, table: Any) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise CstoolError(_("{path}: [events] must be a table of key, at and at_format").format(path=path))
    unknown = set(table) - set(EVENT_KEYS)
    if unknown or not {"key", "at"} <= set(table):
        raise CstoolError(
            _("{path}: [events] takes key and at (the columns), and at_format; not {keys}").format(
                path=path, keys=", ".join(sorted(unknown)) or _("without key and at")
            )
        )
    return dict(table)


def group_rows(
    events: Mapping[str, str], sources: list, tz: tzinfo
) -> tuple[dict[int, list[tuple[datetime, int]]], dict[int, list[FieldError]]]:
    """For each record (keyed by the first row of its group, in file order): its rows as
    (instant, index), in the order they happened; and the rows whose time does not parse."""
    key, at, fmt = events["key"], events["at"], events.get("at_format")
    groups: dict[str, list[tuple[datetime, int]]] = {}
    bad: dict[int, list[FieldError]] = {}
    for index, source in enumerate(sources):
        values = source.values if isinstance(source.values, dict) else {}
        text = values.get(at)
        try:
            when = datetime.strptime(str(text).strip(), fmt) if fmt else datetime.fromisoformat(str(text).strip())
        except (TypeError, ValueError):
            bad[index] = [FieldError(at, _("{text!r} is not a time of the event log").format(text=text))]
            continue
        groups.setdefault(str(values.get(key)), []).append((when.replace(tzinfo=when.tzinfo or tz), index))
    ordered = {}
    for rows in groups.values():
        rows.sort(key=lambda pair: (pair[0], pair[1]))
        ordered[min(index for _when, index in rows)] = rows
    return ordered, bad


def history_events(
    kind: Kind, steps: list[tuple[datetime, dict]], by: str, initial: Mapping[str, Any] | None = None
) -> tuple[list[dict], dict]:
    """The events the rows after the first stand for, and the stamps they leave the record
    with (``resolved_at``, ``closed_at``: the last moves into those phases, if it ends there;
    ``initial``, the first row's, until a row changes them).
    ``steps`` are (instant, parsed values) in the order they happened."""
    from cstool.core.records import event
    from cstool.core.timeutil import format_datetime

    phases = {s.name: s.phase for s in kind.statuses}
    events: list[dict] = []
    resolved_at, closed_at = (initial or {}).get("resolved_at"), (initial or {}).get("closed_at")
    previous = steps[0][1]
    for when, values in steps[1:]:
        at = format_datetime(when)
        if values.get("status") and values["status"] != previous.get("status"):
            events.append(event("status", at, by, **{"from": previous.get("status"), "to": values["status"]}))
            phase = phases.get(str(values["status"]))
            if phase == "resolved":
                if phases.get(str(previous.get("status"))) != "resolved":  # a move within the phase keeps its start
                    resolved_at = at
                closed_at = None
            elif phase == "closed":
                closed_at = at
            else:
                resolved_at = closed_at = None  # a reopen clears both
        if values.get("owner") and values["owner"] != previous.get("owner"):
            events.append(event("assigned", at, by, **{"from": previous.get("owner"), "to": values["owner"]}))
        changes = {
            name: [previous.get(name), value]
            for name, value in values.items()
            if name not in ("status", "owner", "created_at", "resolved_at", "closed_at", "first_response_at")
            and value != previous.get(name)
        }
        if changes:
            events.append(event("updated", at, by, changes=changes, via="event log"))
        previous = {**previous, **values}
    return events, {"resolved_at": resolved_at, "closed_at": closed_at}
