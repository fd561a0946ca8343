"""What the trails prove: every record's sealed trail re-walked (``cstool audit verify``),
and who saw one person's data (``cstool audit who-saw``)."""

from __future__ import annotations

import re
from typing import Any

from cstool.core.i18n import _
from cstool.core.privacy import linked_to
from cstool.core.trail import broken
from cstool.stores.base import EVERYTHING

ID_NUMBER = re.compile(r"^(?P<prefix>.+)-(?P<day>\d{8})-(?P<number>\d+)$")


def verify(app, kind_names: list[str]) -> dict[str, Any]:
    """Each record of ``kind_names`` whose trail does not end at its seal, each id handed
    out whose record is gone, and how many records were checked and sealed."""
    problems: list[dict[str, Any]] = []
    checked = unsealed = 0
    for name in kind_names:
        kind = app.kinds.get(name)
        seen: dict[str, set[int]] = {}
        for record in app.store.stream(name, EVERYTHING):
            checked += 1
            match = ID_NUMBER.match(str(record.get("id")))
            if match and match["prefix"] == kind.prefix:
                seen.setdefault(match["day"], set()).add(int(match["number"]))
            flaw = broken(record, name)
            if flaw is None:
                continue
            code, message = flaw
            if code == "unsealed":
                unsealed += 1
            problems.append({"kind": name, "id": record.get("id"), "problem": code, "detail": message})
        for day, last in sorted(app.store.sequences(name).items()):
            for number in range(1, last + 1):
                if number not in seen.get(day, ()):
                    problems.append(
                        {
                            "kind": name,
                            "id": f"{kind.prefix}-{day}-{number:04d}",
                            "problem": "missing",
                            "detail": _("its id was handed out and the record is gone"),
                        }
                    )
    return {"checked": checked, "sealed": checked - unsealed, "problems": problems}


def who_saw(app, record_id: str) -> list[dict[str, Any]]:
    """Every time someone saw or looked up the personal data of ``record_id`` (a customer)
    or of a record linked to it: reveals, exports unmasked, lookups by phone or name,
    searches and data requests, oldest first."""
    records_by_kind = {kind.name: app.store.records(kind.name) for kind in app.kinds}
    linked = linked_to(record_id.upper(), records_by_kind)
    seen = []
    for records in records_by_kind.values():
        for record in records:
            if record["id"] not in linked:
                continue
            for entry in record.get("events") or ():
                if entry.get("type") == "revealed":
                    seen.append(
                        {
                            "at": entry["at"],
                            "by": entry.get("by"),
                            "record": record["id"],
                            "fields": entry.get("fields") or [],
                            "how": entry.get("via") or "reveal",
                            "command": entry.get("command"),
                        }
                    )
    return sorted(seen, key=lambda row: (row["at"], row["record"]))
