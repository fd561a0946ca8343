"""The open work of a workspace and finding who a caller is: what ``cstool queue``, the
prompts and ``cstool desk`` all show, reckoned once here.

``open_work`` gives every open record of the timed kinds with its nearest running clock,
most urgent first (breached, most overdue first; then by due time; work without a clock
last). ``find_customers`` finds registered customers by whole name or the tail of a phone
number (four or more digits), and writes the lookup into each found customer's trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cstool.core.kinds import Kind
from cstool.core.search import TAIL_DIGITS, phone_digits
from cstool.stores.base import EVERYTHING, SearchesText, Selection

OPEN_PHASES = ("open", "pending")
CUSTOMER_KIND = "customer"


@dataclass(frozen=True)
class WorkItem:
    kind: Kind
    record: dict
    clock: Any  # the nearest running clock with a due time (clocks.Clock), or None

    def urgency(self) -> tuple:
        if self.clock is None:
            return (2, datetime.max.isoformat())
        return (0 if self.clock.state == "breached" else 1, self.clock.due_at.isoformat())

    def as_row(self) -> dict:
        """The queue's JSON row (``cstool queue --format json``)."""
        record, clock = self.record, self.clock
        return {
            "id": record["id"],
            "kind": self.kind.name,
            "status": record.get("status"),
            "owner": record.get("owner"),
            "department": record.get("department"),
            "clock": clock.name if clock else None,
            "due_at": clock.due_at.isoformat(timespec="seconds") if clock else None,
            "state": clock.state if clock else None,
        }


def open_work(
    app,
    now: datetime,
    *,
    owner: str | None = None,
    department: str | None = None,
    kind_names: Iterable[str] = (),
) -> list[WorkItem]:
    """The open work the person may see, most urgent first (see the module's words)."""
    timed = set(app.policy.get("sla") or {})  # kinds whose open records are work with a due time
    chosen = list(kind_names)
    kinds = [app.kinds.get(name) for name in chosen] if chosen else [k for k in app.kinds if k.name in timed]
    app.prepare_clocks()
    items = []
    for kind in kinds:
        waiting = frozenset(s.name for s in kind.statuses if s.phase in OPEN_PHASES)
        # the owner and the department are facets: a database keeps the rest of the work back
        equals = tuple((name, value) for name, value in (("owner", owner), ("department", department)) if value)
        for record in app.store.stream(kind.name, app.visible(Selection(statuses=waiting, equals=equals))):
            if (owner and record.get("owner") != owner) or (department and record.get("department") != department):
                continue
            _calendar, clocks = app.clocks(record, now, detail="due")
            running = [c for c in clocks if c.stopped_at is None and c.due_at is not None]
            items.append(WorkItem(kind, record, min(running, key=lambda c: c.due_at, default=None)))
    items.sort(key=WorkItem.urgency)
    return items


def tail_wanted(query: str) -> str | None:
    """The digits of ``query`` when it is a phone's tail a person may look up (four or more
    digits and nothing else but spaces and dashes), else None."""
    digits = phone_digits(query)
    bare = query.strip().replace(" ", "").replace("-", "")
    return digits if len(digits) >= TAIL_DIGITS and digits == bare else None


def find_customers(app, query: str, *, limit: int = 20) -> list[dict]:
    """Registered customers (not deregistered) whose whole name is ``query`` or whose phone
    ends with it (a tail of four or more digits). Every customer found has the lookup
    written into its trail (who looked, and that it was a lookup), as a reveal would."""
    wanted = query.strip().casefold()
    if not wanted or CUSTOMER_KIND not in app.kinds.names():
        return []
    tail = tail_wanted(query)
    found = [
        record
        for record in _may_have(app, CUSTOMER_KIND, tail, query)
        if record.get("status") != "deregistered"
        and (
            str(record.get("name") or "").strip().casefold() == wanted
            or (tail is not None and phone_digits(str(record.get("phone") or "")).endswith(tail))
        )
    ][:limit]
    if found:
        app.book.record_reveal(app.kinds.get(CUSTOMER_KIND), [c["id"] for c in found], ["name", "phone"], via="lookup")
    return found


def _may_have(app, kind: str, tail: str | None, whole: str | None = None) -> Iterable[dict]:
    """The records of ``kind`` the person may see that may have a personal phone ending in
    ``tail`` or a personal value ``whole``: those a store's index names (a million records
    are not read for one caller), else every one; the caller checks each."""
    wanted = app.visible(EVERYTHING)
    if isinstance(app.store, SearchesText):
        return app.store.find_personal(kind, wanted, tail=tail, whole=whole)
    return app.store.stream(kind, wanted)


def contact_values(kind: Kind, customer: dict, given: dict) -> dict[str, Any]:
    """The contact fields of ``kind`` a person would type from the customer's profile (its
    name and phone), for those not ``given`` yet."""
    filled = {}
    for contact in kind.fields:
        source = {"text": "name", "phone": "phone"}.get(contact.type) if contact.personal else None
        if not source or contact.name in given or not customer.get(source) or not contact.ask:
            continue
        if contact.type == "text" and "name" not in contact.name:
            continue
        filled[contact.name] = customer[source]
    return filled


def find_by_phone_tail(app, tail: str, kinds: Iterable[Kind], *, limit: int = 200) -> list[tuple[Kind, dict]]:
    """Records of ``kinds`` with a personal phone ending in ``tail`` (already checked by
    ``tail_wanted``), newest first; each lookup written into the trail of what it found."""
    found: list[tuple[Kind, dict]] = []
    for kind in kinds:
        phones = [f.name for f in kind.fields if f.type == "phone" and f.personal]
        if not phones:
            continue
        matched = [
            record
            for record in _may_have(app, kind.name, tail)
            if any(phone_digits(str(record.get(name) or "")).endswith(tail) for name in phones)
        ]
        if matched:
            app.book.record_reveal(kind, [r["id"] for r in matched[:limit]], phones, via="phone tail")
        found.extend((kind, record) for record in matched)
    found.sort(key=lambda pair: pair[1].get("created_at") or "", reverse=True)
    return found[:limit]
