"""The life of a record: built from input, checked, enriched, classified, stored, changed.

Data flows one way: raw values → a parser per field → required check → plugins'
validation → enrichment → classification → store. Every change appends an event.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any

from cstool.core.classify import changes_for, merge_answers, routing_for
from cstool.core.errors import CstoolError, FieldError, NotFound, RecordInvalid, StoreError
from cstool.core.fields import is_blank, make_parser
from cstool.core.i18n import _, language
from cstool.core.kinds import ENVELOPE_NAMES, UPDATABLE_ENVELOPE, Kind, Status
from cstool.core.timeutil import format_datetime, stored_instant
from cstool.core.trail import seal
from cstool.core.undo import remember, undone
from cstool.stores.base import EVERYTHING, Selection, retrying

STAMPS = ("first_response_at", "resolved_at", "closed_at")
STAMP_PHASES = {"closed_at": ("closed",), "resolved_at": ("resolved", "closed")}  # a stamp needs one of these phases
# Envelope keys the tool owns; input may not set them.
TOOL_OWNED = ("id", "kind", "updated_at", "events", "classified")
FUTURE_TOLERANCE_SECONDS = 300


@dataclass
class Built:
    """The outcome of building records from raw rows: records (None where refused) and errors."""

    records: list[dict | None]
    errors: list[tuple[int, FieldError]]


def _answered(kind: Kind, record: Mapping[str, Any]) -> bool:
    """A response was recorded, or the case reached a resolved status (a resolution answers it)."""
    resolved = {s.name for s in kind.statuses if s.phase == "resolved"}
    return bool(record.get("first_response_at")) or any(
        e.get("type") == "response" or (e.get("type") == "status" and e.get("to") in resolved)
        for e in record.get("events", [])
    )


def _in_the_future(record: Mapping[str, Any], now: datetime) -> list[FieldError]:
    """created_at and the clock stamps may not lie ahead of now (SPEC 11): a case from the
    future would start its clocks there, and escalate would never see it."""
    late = [
        name
        for name in ("created_at", *STAMPS)
        if record.get(name) and (stored_instant(record[name]) - now).total_seconds() > FUTURE_TOLERANCE_SECONDS
    ]
    return [FieldError(name, _("{at} is in the future").format(at=record[name])) for name in late]


def closed_without_reply(record: Mapping[str, Any]) -> bool:
    """Closed with no reply (SPEC 11), as its latest status change says. The trail is read
    from the end, to that change only: most records are never read at all (they have a
    first response), and reading every trail whole cost 0.1 s of a 100,000-record report."""
    if record.get("first_response_at"):
        return False
    last = next((e for e in reversed(record.get("events", ())) if e.get("type") == "status"), None)
    return bool(last and last.get("closed_without_reply"))


def imported_status_events(
    kind: Kind, previous: str, status: Status, stamps: Mapping[str, Any], by: str, unknown_at: str
) -> list[dict]:
    """The status events an imported status and its row's stamps stand for (SPEC 11).

    A row resolved and later closed moves through the kind's first resolved status at
    ``resolved_at``, then to its status at ``closed_at``, so resolution stops where the
    source said. A final status without its time is at ``unknown_at`` and marked so: its
    clocks are ``unknown``, never stopped at the moment of the import.
    """
    events = []
    resolved_at, closed_at = stamps.get("resolved_at"), stamps.get("closed_at")
    if (
        status.phase == "closed"
        and resolved_at
        and (not closed_at or stored_instant(resolved_at) <= stored_instant(closed_at))
    ):
        resolved = next((s for s in kind.statuses if s.phase == "resolved"), None)
        if resolved is not None:
            events.append(event("status", resolved_at, by, to=resolved.name, **{"from": previous}))
            previous = resolved.name
    stamp = closed_at if status.phase == "closed" else resolved_at if status.phase == "resolved" else None
    unknown = status.phase in ("resolved", "closed") and not stamp
    events.append(
        event(
            "status",
            stamp or unknown_at,
            by,
            to=status.name,
            at_unknown=True if unknown else None,
            **{"from": previous},
        )
    )
    return events


def _readable(instant: str) -> str:
    """2026-11-24T10:00:00+08:00 as people read it: 2026-11-24 10:00."""
    return instant[:16].replace("T", " ")


def _status_title(kind: Kind, name: str) -> str:
    status = kind.status(name)
    return status.title(language()) if status is not None else name


def move_status_event(kind: Kind, events: list[dict], phase: str, old: str | None, new: str) -> None:
    """A source moved a resolved or closed time without changing the status: the status event
    that stood for the old time (or for an unknown one) moves with it, so the clocks that
    stop there stop at the new time, as a fresh import of the row would have them."""
    for entry in reversed(events):
        status = kind.status(entry.get("to", "")) if entry.get("type") == "status" else None
        if status is not None and status.phase == phase and (entry["at"] == old or entry.get("at_unknown")):
            entry["at"] = new
            entry.pop("at_unknown", None)
            return


def event(type_: str, at: str, by: str, **details: Any) -> dict:
    """An audit-trail entry; details that are None are left out."""
    entry = {"at": at, "by": by, "type": type_}
    for key, value in details.items():
        if value is not None:
            entry[key] = value
    return entry


def last_status_at(record: Mapping[str, Any]) -> str | None:
    for item in reversed(record.get("events", [])):
        if item.get("type") in ("status", "created"):
            return item.get("at")
    return None


class Lookup:
    """Stored records for hooks, read-only. ``lookup(kind_name)``: every record of a kind
    (loaded once); ``lookup.get(kind_name, id)``: one record, or None; ``lookup.count(
    kind_name, field)``: how many records have each value of ``field``; ``lookup.where(
    kind_name, field, value)``: the records whose ``field`` equals ``value`` (case aside).
    ``get``, ``count`` and ``where`` ask the store for only that, so a check of one link
    stays quick however many records a shared store holds."""

    def __init__(self, app):
        self.app = app

    def __call__(self, kind_name: str) -> list[dict]:
        if kind_name not in self.app.kinds.names():
            return []
        return self.app.store.records(kind_name)

    def get(self, kind_name: str, record_id: str) -> dict | None:
        if kind_name not in self.app.kinds.names():
            return None
        try:
            return self.app.store.get(kind_name, str(record_id).upper())
        except StoreError:  # not an id at all: no such record
            return None

    def where(self, kind_name: str, field_name: str, value: str) -> list[dict]:
        if kind_name not in self.app.kinds.names():
            return []
        return self.app.store.select(kind_name, Selection(equals=((field_name, value),)))

    def count(self, kind_name: str, field_name: str) -> dict[Any, int]:
        if kind_name not in self.app.kinds.names():
            return {}
        counted = self.app.store.tally(kind_name, EVERYTHING, (field_name,), self.app.tz)
        return {key[0]: number for key, number in counted.items()}


class RecordBook:
    """Record operations for one command, bound to its Context."""

    def __init__(self, app):
        self.app = app
        self._parser_cache: dict[tuple, dict[str, Callable[[Any], Any]]] = {}
        self._shapes: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}

    @cached_property
    def lookup(self) -> Lookup:
        """Stored records, read-only, for hooks that check links."""
        return Lookup(self.app)

    # ---- parsing ---------------------------------------------------------------

    def parse_row(
        self,
        kind: Kind,
        raw: Mapping[str, Any],
        *,
        tz: tzinfo | None = None,
        formats: Mapping[str, str] | None = None,
        updating: bool = False,
        parsers: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> tuple[dict, list[FieldError]]:
        """Typed values of ``raw`` (field name → text or JSON value) and every error found."""
        parsers = parsers or self._parsers(kind, tz or self.app.tz, formats)
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name, raw_value in raw.items():
            parse = parsers.get(name)
            if updating:
                field = kind.field(name)
                if field is not None and field.update_via:
                    errors.append(
                        FieldError(
                            name, _("cannot be changed by update; use {update_via}").format(update_via=field.update_via)
                        )
                    )
                    continue
            locked = updating and name in ENVELOPE_NAMES and name not in UPDATABLE_ENVELOPE
            if parse is not None and not locked:
                try:
                    values[name] = parse(raw_value)
                except ValueError as exc:
                    errors.append(FieldError(name, str(exc)))
            elif name == "status" and not updating:
                if is_blank(raw_value):
                    continue
                status = kind.status(str(raw_value).strip())
                if status is None:
                    names = ", ".join(s.name for s in kind.statuses)
                    errors.append(
                        FieldError(
                            "status",
                            _("{raw_value!r} is not a status of {name}; statuses: {names}").format(
                                raw_value=raw_value, name=kind.name, names=names
                            ),
                        )
                    )
                else:
                    values["status"] = status.name
            elif locked:
                hint = {"owner": "cstool assign", "status": "cstool status"}.get(name, "cstool respond / cstool status")
                errors.append(FieldError(name, _("cannot be changed by update; use {hint}").format(hint=hint)))
            else:
                errors.append(FieldError(name, self._unknown_field_message(kind, name)))
        return values, errors

    def _parsers(self, kind: Kind, tz: tzinfo, formats: Mapping[str, str] | None) -> dict[str, Callable[[Any], Any]]:
        """A parser per settable field of ``kind``, built once per command and reused for every row."""
        key = (kind.name, id(tz), tuple(sorted((formats or {}).items())))
        parsers = self._parser_cache.get(key)
        if parsers is None:
            formats = formats or {}
            parsers = {
                f.name: make_parser(
                    f, tz=tz, choices=self.app.choices(f), fmt=formats.get(f.name), aliases=self.app.aliases(f)
                )
                for f in kind.all_fields()
                if f.name not in TOOL_OWNED
            }
            self._parser_cache[key] = parsers
        return parsers

    def _unknown_field_message(self, kind: Kind, name: str) -> str:
        known = ", ".join(f.name for f in kind.fields)
        return _("unknown field for kind {kind} (its fields: {known}; run `cstool kinds {kind}`)").format(
            kind=kind.name, known=known
        )

    def answer_problems(self, kind: Kind, answers: Mapping[str, Any], name: str) -> list[str]:
        """What is wrong with the answer to ``name``, given the answers so far: its own
        value, and the plugins' checks that concern it (a link to a record that does not
        exist, an item the chosen agreement does not have). For a prompt, which checks
        each answer as it is typed; the whole record is checked again when it is saved."""
        values, problems = self.parse_row(kind, answers)
        mine = [p.message for p in problems if p.field == name]
        if mine or name not in values:
            return mine
        record = self._new_record(kind, dict(values), self.app.now())
        try:
            answers_found = self.app.hook.cstool_validate_records(
                kind=kind, records=[record], policy=self.app.policy, lookup=self.lookup
            )
        except Exception:  # a check written for whole records may stumble on a partial one: judged at saving
            return []
        return [message for answer in answers_found for _, field, message in answer or [] if field == name]

    def missing_required(self, kind: Kind, values: Mapping[str, Any]) -> list[str]:
        return [name for name in self._shape(kind)[1] if is_blank(values.get(name))]

    def _shape(self, kind: Kind) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The kind's own fields with their defaults, in order, and its required field names:
        worked out once per command, not once per row."""
        shape = self._shapes.get(kind.name)
        if shape is None:
            shape = self._shapes[kind.name] = (
                {f.name: f.default for f in kind.fields},
                (*(f.name for f in kind.fields if f.required), *kind.requires),
            )
        return shape

    # ---- building new records ----------------------------------------------------

    def build(
        self,
        kind: Kind,
        rows: Sequence[Mapping[str, Any]],
        *,
        now: datetime | None = None,
        tz: tzinfo | None = None,
        formats: Mapping[str, str] | None = None,
        history: bool = False,
    ) -> Built:
        """Records for ``rows`` through the whole pipeline; refused rows are None with errors.

        ``history``: rows of another system's past (an import) may name departments the
        policy does not have (they are that system's); a new record may not."""
        now = now or self.app.now()
        records: list[dict | None] = []
        errors: list[tuple[int, FieldError]] = []
        parsers = self._parsers(kind, tz or self.app.tz, formats)
        for index, raw in enumerate(rows):
            values, problems = self.parse_row(kind, raw, parsers=parsers)
            for name in self.missing_required(kind, values):
                if not any(p.field == name for p in problems):
                    problems.append(FieldError(name, _("is required")))
            record = None
            if not problems:
                record = self._new_record(kind, values, now)
                problems = self._check_stamps(kind, record) + _in_the_future(record, now)
                if not history:
                    problems += self._unknown_department(record)
            errors.extend((index, p) for p in problems)
            records.append(None if problems else record)
        self._run_record_hooks(kind, records, errors)
        return Built(records, errors)

    def _new_record(self, kind: Kind, values: dict[str, Any], now: datetime) -> dict:
        user = self.app.user
        created = values.get("created_at") or format_datetime(now)
        status = kind.stored_status(values["status"]) if "status" in values else self._implied_status(kind, values)
        record: dict[str, Any] = {
            "id": None,
            "kind": kind.name,
            "status": status.name,
            "created_at": created,
            "updated_at": created,
            "first_response_at": values.get("first_response_at"),
            "resolved_at": values.get("resolved_at"),
            "closed_at": values.get("closed_at"),
            "promised_at": values.get("promised_at"),
            "department": values.get("department") or kind.department,
            "owner": values.get("owner") or user,
            "customer_id": values.get("customer_id"),
            "category": values.get("category"),
            "priority": values.get("priority"),
            "tags": values.get("tags") or [],
            "external_id": values.get("external_id"),
        }
        defaults = self._shape(kind)[0]
        record.update(defaults)
        for name, value in values.items():
            if value is not None and name in defaults:
                record[name] = value
        events = [{"at": created, "by": user, "type": "created"}]
        if record["first_response_at"]:
            events.append(event("response", record["first_response_at"], user))
        if status.name != kind.initial_status.name:
            events += imported_status_events(kind, kind.initial_status.name, status, record, user, created)
        record["events"] = events
        return record

    @staticmethod
    def _implied_status(kind: Kind, values: Mapping[str, Any]) -> Status:
        """Without a status, a closing or resolving stamp implies the kind's first such status."""
        for stamp, phase in (("closed_at", "closed"), ("resolved_at", "resolved")):
            if values.get(stamp):
                match = next((s for s in kind.statuses if s.phase == phase), None)
                if match is not None:
                    return match
        return kind.initial_status

    def _unknown_department(self, record: Mapping[str, Any]) -> list[FieldError]:
        """A record's department must be one of the policy's: escalations of a department
        that does not exist would go to nobody."""
        departments = self.app.policy.get("departments") or {}
        name = record.get("department")
        if not departments or name in (None, "") or name in departments:
            return []
        return [
            FieldError(
                "department",
                _("{name!r} is not a department; departments: {known}").format(name=name, known=", ".join(departments)),
            )
        ]

    def _check_stamps(self, kind: Kind, record: Mapping[str, Any]) -> list[FieldError]:
        """Stamps must not precede creation, nor contradict the status (dirty exports do both)."""
        stamped = [name for name in STAMPS if record.get(name)]
        if not stamped:
            return []
        created = stored_instant(record["created_at"])
        problems = []
        for name in stamped:
            if stored_instant(record[name]) < created:
                at, created_at = (_readable(record[key]) for key in (name, "created_at"))
                problems.append(
                    FieldError(
                        name,
                        _("{at} is before the record was created ({created_at})").format(at=at, created_at=created_at),
                    )
                )
        phase = kind.stored_status(record["status"]).phase
        for name, phases in STAMP_PHASES.items():
            if record.get(name) and phase not in phases:
                problems.append(
                    FieldError(
                        name,
                        _("is set, but status {status} is not {phases}").format(
                            status=record["status"], phases=_(" or ").join(phases)
                        ),
                    )
                )
        return problems

    def _run_record_hooks(self, kind: Kind, records: list[dict | None], errors: list[tuple[int, FieldError]]) -> None:
        """Plugins' validation, enrichment and classification over the records not yet refused."""
        live = [(i, r) for i, r in enumerate(records) if r is not None]
        if not live:
            return
        batch = [r for _, r in live]
        policy = self.app.policy
        refused: set[int] = set()
        for answer in self.app.hook.cstool_validate_records(
            kind=kind, records=batch, policy=policy, lookup=self.lookup
        ):
            for position, field, message in answer or []:
                index = live[position][0]
                errors.append((index, FieldError(field, message)))
                refused.add(position)
        if refused:
            for position in refused:
                records[live[position][0]] = None
            batch = [r for p, (_, r) in enumerate(live) if p not in refused]
        if not batch:
            return
        self.app.hook.cstool_enrich_records(kind=kind, records=batch, policy=policy, lookup=self.lookup)
        self.classify(kind, batch, at=None)

    # ---- classification ------------------------------------------------------------

    def classify(self, kind: Kind, records: list[dict], *, at: str | None, in_place: bool = True) -> list[dict]:
        """Apply merged suggestions to ``records``; returns the changed ones.

        Each change appends a ``classified`` event at ``at`` (default: the record's
        creation, for records being created). Records being built are changed in place;
        with ``in_place`` False (stored records, shared), a changed record is returned as
        a copy and the given one is left alone, so that only the changed are copied.
        """
        priorities = self.app.policy.priorities
        offers = merge_answers(
            self.app.hook.cstool_classify(kind=kind, records=records, policy=self.app.policy), priorities
        )
        if offers is None:
            return []
        changed = []
        for record, offered in zip(records, offers):
            if not offered:
                continue
            changes = changes_for(record, offered, priorities)
            if at is None and not record.get("id"):  # being made: rules may route it (classify.py)
                changes.update(routing_for(record, offered, kind.department))
            if not changes:
                continue
            if not in_place:
                record = {**record, "events": list(record["events"])}
            record.update(changes)
            rules = list(dict.fromkeys(offered.get("rules") or []))  # as merged answers give them: each once
            by_rule = dict(record.get("classified") or {})
            for name in changes:
                by_rule[name] = ", ".join(rules)
            record["classified"] = by_rule
            when = at or record["created_at"]
            record["events"].append(event("classified", when, self.app.user, rules=rules, set=changes))
            if at:
                record["updated_at"] = at
            changed.append(record)
        return changed

    # ---- storing -----------------------------------------------------------------------

    def day_of(self, instant: str) -> str:
        # date().isoformat(), not strftime: a third of the time, once per imported row
        return stored_instant(instant).astimezone(self.app.tz).date().isoformat().replace("-", "")

    def insert(self, kind: Kind, records: list[dict]) -> list[dict]:
        """Give ``records`` their ids and store them, in one transaction."""

        def store() -> None:
            with self.app.store.transaction(kind.name) as tx:
                for record in records:
                    record["id"] = tx.new_id(kind.prefix, self.day_of(record["created_at"]))
                    seal(record)
                tx.insert(records)

        retrying(store)
        if records:
            self.app.hook.cstool_records_stored(kind=kind, records=records, app=self.app)
        return records

    def create(self, kind: Kind, raw: Mapping[str, Any]) -> dict:
        built = self.build(kind, [raw])
        if built.errors:
            raise RecordInvalid([e for _, e in built.errors], kind=kind)
        return self.insert(kind, [record for record in built.records if record is not None])[0]

    # ---- reading -----------------------------------------------------------------------

    def get(self, record_id: str) -> tuple[Kind, dict]:
        kind = self.app.kinds.kind_of_id(record_id)
        record = self.app.store.get(kind.name, record_id.upper())
        if record is None:
            raise NotFound(_("no record {record_id}").format(record_id=record_id))
        return kind, record

    # ---- changing ----------------------------------------------------------------------

    def change(
        self,
        record_id: str,
        at: datetime | None,
        apply: Callable[[Kind, dict, str], None],
        *,
        not_before_status: bool = True,
    ) -> dict:
        """Change one record under its kind's lock: ``apply(kind, record, at_text)`` edits it.

        ``at`` (--at) must not be earlier than created_at nor the last status event,
        nor in the future.
        """
        return self.change_many([record_id], at, apply, not_before_status=not_before_status)[0]

    def change_many(
        self,
        record_ids: Sequence[str],
        at: datetime | None,
        apply: Callable[[Kind, dict, str], None],
        *,
        not_before_status: bool = True,
    ) -> list[dict]:
        """``change`` for several records of one kind in one transaction (one write of the
        store, all or none): what a command changing many at once (mail replies) needs; the
        same checks for each, ``apply`` once per id in order (an id twice: applied twice)."""
        kind = self.app.kinds.kind_of_id(record_ids[0])
        if any(self.app.kinds.kind_of_id(rid).name != kind.name for rid in record_ids):
            raise CstoolError(_("records of several kinds cannot change in one transaction"))
        now = self.app.now()
        personal = [f.name for f in kind.fields if f.personal]

        def store() -> list[dict]:
            changed: dict[str, dict] = {}
            stored_of: dict[str, dict] = {}
            with self.app.store.transaction(kind.name) as tx:
                for record_id in record_ids:
                    key = record_id.upper()
                    if key in changed:  # a second change of it: undo takes back this one alone
                        before = copy.deepcopy(changed[key])
                    else:
                        before = tx.get(key)
                        if before is None:
                            raise NotFound(_("no record {record_id}").format(record_id=record_id))
                        self.app.require_for_record(before)
                        stored_of[key], changed[key] = before, copy.deepcopy(before)
                    record = changed[key]
                    if at is None:  # now, or the latest event when the clock reads earlier: in order, never refused
                        when = self._not_before_the_trail(record, now)
                    else:
                        when = at
                        self._check_at(record, when, now, not_before_status)
                    first_new = len(record["events"])
                    apply(kind, record, format_datetime(when))
                    remember(before, record, first_new, personal)
                for key, record in changed.items():
                    seal(record, stored_of[key])
                tx.replace(list(changed.values()))
            return list(changed.values())

        records = retrying(store)
        self.app.hook.cstool_records_stored(kind=kind, records=records, app=self.app)
        by_id = {record["id"]: record for record in records}
        return [by_id[record_id.upper()] for record_id in record_ids]

    def rewrite(
        self,
        kind_names: Sequence[str],
        rewrite: Callable[[dict[str, list[dict]], str], dict[str, list[dict]]],
    ) -> dict[str, list[dict]]:
        """Change records of several kinds together (a customer's erasure, regrading): holding
        every kind of ``kind_names``, ``rewrite(records_by_kind, at_text)`` is given each kind's
        stored records (do not mutate them) and returns the changed copies per kind, which
        are written kind by kind in the order of ``kind_names`` (the last written last, so a
        change cut short is finished by running it again). Run again from the start when a
        store reports a conflict; ``cstool_records_stored`` is called for each kind changed.
        The changed records per kind."""
        when = format_datetime(self.app.now())
        store = self.app.store

        def write() -> dict[str, list[dict]]:
            with store.kinds_locked(kind_names):
                current = {name: store.records(name, fresh=True) for name in kind_names}
                changed = rewrite(current, when)
                for name in kind_names:
                    if changed.get(name):
                        before = {record["id"]: record for record in current[name]}
                        for record in changed[name]:
                            seal(record, before.get(record["id"]))
                        with store.transaction(name) as tx:
                            tx.replace(changed[name])
                return changed

        changed = retrying(write)
        for name in kind_names:
            if changed.get(name):
                self.app.hook.cstool_records_stored(kind=self.app.kinds.get(name), records=changed[name], app=self.app)
        return changed

    def _not_before_the_trail(self, record: dict, now: datetime) -> datetime:
        """Now, or the record's latest event when the clock reads earlier (a clock set back,
        a desk whose clock runs slow): a change without --at is never refused for it, and
        the trail stays in order. Says so on stderr."""
        latest = max((stored_instant(e["at"]) for e in record.get("events", []) if e.get("at")), default=None)
        if latest is None or latest <= now:
            return now
        self.app.warn(
            _("the clock reads {now}, before {id}'s latest event at {latest}; recorded at {latest}").format(
                now=format_datetime(now), id=record["id"], latest=format_datetime(latest.astimezone(self.app.tz))
            )
        )
        return latest.astimezone(self.app.tz)

    def _check_at(self, record: dict, when: datetime, now: datetime, not_before_status: bool) -> None:
        if (when - now).total_seconds() > FUTURE_TOLERANCE_SECONDS:
            raise CstoolError(_("--at {at} is in the future").format(at=format_datetime(when)))
        created = stored_instant(record["created_at"])
        if when < created:
            raise CstoolError(
                _("--at {at} is earlier than {id}'s created_at {created_at}").format(
                    at=format_datetime(when), id=record["id"], created_at=record["created_at"]
                )
            )
        last = last_status_at(record)
        if not_before_status and last and when < stored_instant(last):
            raise CstoolError(
                _("--at {at} is earlier than {id}'s last status change at {last}").format(
                    at=format_datetime(when), id=record["id"], last=last
                )
            )

    def update(self, record_id: str, raw: Mapping[str, Any], at: datetime | None) -> dict:
        def apply(kind: Kind, record: dict, when: str) -> None:
            values, errors = self.parse_row(kind, raw, updating=True)
            if errors:
                raise RecordInvalid(errors, kind=kind)
            changes = {name: [record.get(name), value] for name, value in values.items() if record.get(name) != value}
            if not changes:
                return
            for name, (_old, value) in changes.items():
                record[name] = value
            missing = self.missing_required(kind, record)
            if missing:
                raise RecordInvalid(
                    [FieldError(name, _("is required and cannot be emptied")) for name in missing], kind=kind
                )
            unknown = self._unknown_department(record)
            if unknown:
                raise RecordInvalid(unknown, kind=kind)
            by_rule = {k: v for k, v in (record.get("classified") or {}).items() if k not in changes}
            if by_rule:
                record["classified"] = by_rule
            else:
                record.pop("classified", None)
            self._validate_existing(kind, record)
            record["events"].append(event("updated", when, self.app.user, changes=changes))
            record["updated_at"] = when
            self.app.hook.cstool_enrich_records(kind=kind, records=[record], policy=self.app.policy, lookup=self.lookup)
            self.classify(kind, [record], at=when)

        return self.change(record_id, at, apply, not_before_status=False)

    def _validate_existing(self, kind: Kind, record: dict) -> None:
        errors: list[FieldError] = []
        for answer in self.app.hook.cstool_validate_records(
            kind=kind, records=[record], policy=self.app.policy, lookup=self.lookup
        ):
            errors.extend(FieldError(field, message) for _, field, message in answer or [])
        if errors:
            raise RecordInvalid(errors, kind=kind)

    def apply_response(self, record: dict, when: str, note: str | None = None) -> None:
        """A reply or contact: the first one stops the first-response clock."""
        if not record.get("first_response_at"):
            record["first_response_at"] = when
        record["events"].append(event("response", when, self.app.user, note=note))
        record["updated_at"] = when

    def apply_status(self, kind: Kind, record: dict, name: str, when: str, note: str | None = None) -> None:
        """Move a record to status ``name``, keeping the clock stamps as the spec says.

        Entering a resolved-phase status sets resolved_at, a closed-phase one closed_at;
        going back to an open or pending status (a reopen) clears both.
        """
        target = kind.status(name)
        if target is None:
            names = ", ".join(s.name for s in kind.statuses)
            raise FieldError(
                "status",
                _("{name!r} is not a status of {kind}; statuses: {names}").format(
                    name=name, kind=kind.name, names=names
                ),
            )
        if target.name == record["status"]:
            raise CstoolError(
                _("{id} is already {status}").format(
                    id=record["id"] or _("the record"), status=target.title(language())
                )
            )
        allowed = kind.next_statuses(record["status"])
        if target.name not in allowed:
            choices = [
                _status_title(kind, name) + " (" + name + ")" for name in allowed
            ]  # the name, and the id to type
            raise CstoolError(
                _("{id} cannot go from {status} to {target}; next: {allowed}").format(
                    id=record["id"] or _("the record"),
                    status=_status_title(kind, record["status"]),
                    target=target.title(language()),
                    allowed=", ".join(choices) or _("none"),
                )
            )
        before = kind.status(record["status"])
        unanswered = target.phase == "closed" and not _answered(kind, record)
        if unanswered and not note:  # a lazy close must not pass for a reply (SPEC 11)
            raise CstoolError(
                _("{id} had no reply: closing it without one needs --note with the reason").format(
                    id=record["id"] or _("the record")
                )
            )
        if target.phase in ("open", "pending"):
            record["resolved_at"] = None
            record["closed_at"] = None
        elif target.phase == "resolved":
            record["closed_at"] = None
            if not (before and before.phase == "resolved" and record.get("resolved_at")):
                record["resolved_at"] = when
        elif target.phase == "closed":
            record["closed_at"] = when
        record["events"].append(
            event(
                "status",
                when,
                self.app.user,
                note=note,
                closed_without_reply=True if unanswered else None,
                **{"from": record["status"], "to": target.name},
            )
        )
        record["status"] = target.name
        record["updated_at"] = when

    def void(self, record_id: str, reason: str) -> dict:
        """Take a record entered in error out of every figure and queue (SPEC 11): it moves
        to its kind's void status, its clocks stop, and it stays findable."""
        if not reason.strip():
            raise CstoolError(_("voiding a record needs --reason"))

        def apply(kind: Kind, record: dict, when: str) -> None:
            void = next(s for s in kind.statuses if s.phase == "void")
            if record.get("owner") not in (None, self.app.user):
                self.app.require(
                    "void_others", _("void {id}, which {owner} owns").format(id=record["id"], owner=record["owner"])
                )
            if record["status"] == void.name:
                raise CstoolError(_("{id} is void already").format(id=record["id"]))
            record["events"].append(
                event(
                    "status",
                    when,
                    self.app.user,
                    note=reason,
                    voided=True,
                    **{"from": record["status"], "to": void.name},
                )
            )
            record["status"] = void.name
            record["updated_at"] = when

        return self.change(record_id, None, apply)

    def undo(self, record_id: str) -> tuple[dict, list[dict]]:
        """Take back the current user's last change to a record, if nothing happened since:
        the record as before it, with an ``undone`` event; and the events taken out."""
        taken: list[dict] = []

        def apply(kind: Kind, record: dict, when: str) -> None:
            personal = [f.name for f in kind.fields if f.personal]
            restored, removed = undone(record, self.app.user, personal, self.app.may("undo_others"))
            record.clear()
            record.update(restored)
            record["events"].append(
                event("undone", when, self.app.user, undone=[{"type": e["type"], "at": e["at"]} for e in removed])
            )
            record["updated_at"] = when
            taken[:] = removed

        return self.change(record_id, None, apply), taken

    def respond(self, record_id: str, at: datetime | None, note: str | None) -> dict:
        def apply(kind: Kind, record: dict, when: str) -> None:
            self.check_reply(kind, record, note)
            self.apply_response(record, when, note)

        return self.change(record_id, at, apply, not_before_status=False)

    def set_status(self, record_id: str, name: str, at: datetime | None, note: str | None) -> dict:
        def apply(kind: Kind, record: dict, when: str) -> None:
            target = kind.status(name)
            if target is not None and target.phase == "resolved":  # a resolution is a reply too
                self.check_reply(kind, record, note)
            self.apply_status(kind, record, name, when, note)

        return self.change(record_id, at, apply)

    def check_reply(self, kind: Kind, record: dict, reply: str | None) -> None:
        """A plugin may hold the reply (``cstool_check_reply``): a supervisor's approval first."""
        for held in self.app.hook.cstool_check_reply(kind=kind, record=record, policy=self.app.policy, reply=reply):
            if held:
                raise CstoolError(held)

    def assign(self, record_id: str, owner: str, department: str | None, at: datetime | None) -> dict:
        """Hand a record over (首问负责制: the owner changes only through this event)."""

        def apply(kind: Kind, record: dict, when: str) -> None:
            if owner == record.get("owner") and (department is None or department == record.get("department")):
                raise CstoolError(_("{id} is already owned by {owner}").format(id=record["id"], owner=owner))
            record["events"].append(
                event(
                    "assigned",
                    when,
                    self.app.user,
                    **{"from": record.get("owner"), "to": owner, "department": department},
                )
            )
            record["owner"] = owner
            if department:
                record["department"] = department
            record["updated_at"] = when

        return self.change(record_id, at, apply, not_before_status=False)

    def report_up(self, record_id: str, role: str, reason: str, at: datetime | None) -> tuple[dict, dict]:
        """上报: put a case before the department's ``role`` (supervisor or manager) at once.
        The owner stays (首问负责到底: whoever took it first sees it through); the event names
        who was told. Returns the record and the notice for the notifiers."""
        if not reason.strip():
            raise CstoolError(_("say why it goes up (--reason)"))
        notice: dict[str, Any] = {}

        def apply(kind: Kind, record: dict, when: str) -> None:
            recipients = self.app.sla.recipients([role], record)
            if not recipients:
                department = record["department"]
                raise CstoolError(
                    _("department {department} names no {role} in policy ([departments.{department}])").format(
                        department=department, role=role
                    )
                )
            record["events"].append(
                event("reported_up", when, self.app.user, to=role, recipients=recipients, note=reason)
            )
            record["updated_at"] = when
            notice.update(
                id=record["id"],
                clock="reported_up",
                level=role,
                notify=[role],
                recipients=recipients,
                at=when,
                by=self.app.user,
                note=reason,
            )

        record = self.change(record_id, at, apply, not_before_status=False)
        return record, notice

    def reclassify(self, kind: Kind, ids: Iterable[str] | None) -> list[dict]:
        """Run classification again over some records of ``kind`` (all when ids is None)."""
        when = format_datetime(self.app.now())
        wanted = None if ids is None else list(ids)

        def write() -> list[dict]:
            with self.app.store.transaction(kind.name) as tx:
                if wanted is None:
                    chosen = tx.all()
                else:
                    chosen = []
                    for record_id in wanted:
                        stored = tx.get(record_id.upper())
                        if stored is None:
                            raise NotFound(_("no record {record_id}").format(record_id=record_id))
                        chosen.append(stored)
                changed = self.classify(kind, chosen, at=when, in_place=False)
                before = {record["id"]: record for record in chosen}
                for record in changed:
                    seal(record, before[record["id"]])
                tx.replace(changed)
            return changed

        return retrying(write)

    def merge_import(self, kind: Kind, stored: dict, incoming: dict, provided: Iterable[str]) -> dict | None:
        """``stored`` with the values a re-imported row gives (``--on-duplicate update``), or None if equal."""
        names = set(provided) & ({f.name for f in kind.fields} | set(UPDATABLE_ENVELOPE) | set(STAMPS) | {"status"})
        changes = {n: [stored.get(n), incoming.get(n)] for n in sorted(names) if stored.get(n) != incoming.get(n)}
        if not changes:
            return None
        record = copy.deepcopy(stored)
        when = format_datetime(self.app.now())
        for name, (_old, value) in changes.items():
            record[name] = value
        record["events"].append(event("updated", when, self.app.user, changes=changes, via="import"))
        first_response = changes.get("first_response_at", [None, None])[1]
        if first_response and not any(e.get("type") == "response" for e in record["events"]):
            record["events"].append(event("response", first_response, self.app.user))  # as a fresh import does
        if "status" in changes:
            before, after = str(stored["status"]), str(record["status"])
            # read as a fresh import reads the row: its own stamps, never the moment of this import
            record["events"] += imported_status_events(
                kind, before, kind.stored_status(after), record, self.app.user, record["created_at"]
            )
        else:
            for stamp, phase in (("resolved_at", "resolved"), ("closed_at", "closed")):
                old, new = changes.get(stamp, (None, None))
                if new:
                    move_status_event(kind, record["events"], phase, old, new)
        # The trail reads in time order: status events at the source's stamps come before
        # the `updated` event of this import (a stable sort keeps the order of equal times).
        record["events"].sort(key=lambda entry: stored_instant(entry["at"]))
        record["updated_at"] = when
        return record

    def record_reveal(self, kind: Kind, ids: list[str], fields: list[str], via: str | None = None) -> None:
        """Write who saw personal data unmasked, and when, into each record's trail. ``via``
        names a lookup that confirmed a value without showing it (``--where phone=…``); a
        reveal itself needs the permission ``reveal``."""
        if via is None:
            self.app.require("reveal")
        when = format_datetime(self.app.now())
        with self.app.store.transaction(kind.name) as tx:
            revealed = []
            for record_id in ids:
                stored = tx.get(record_id.upper())
                if stored is None:
                    continue
                record = dict(stored)
                record["events"] = [
                    *stored["events"],
                    event("revealed", when, self.app.user, fields=fields, via=via, command=self.app.command),
                ]
                seal(record, stored)
                revealed.append(record)
            tx.replace(revealed)
