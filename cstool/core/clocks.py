"""SLA clocks (SPEC section 6), computed from a record's events and the current policy.

Pure: nothing here reads files or writes events. ``SlaPolicy`` is the policy's
calendars, targets and escalation ladder, parsed once per command; ``record_clocks``
gives a record's clocks as of an instant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cstool.core.calendar import Calendar, calendar_from_policy, check_calendar
from cstool.core.i18n import _, language
from cstool.core.names import Names

CLOCKS = ("dispatch", "first_response", "resolution")
ROLES = ("owner", "supervisor", "manager")
TERMINAL = ("resolved", "closed", "void")  # a void record's clocks stop where it was voided
_TARGET = re.compile(r"^\s*(\d+)\s*(m|h|wd)\s*$")


@dataclass(frozen=True)
class Target:
    text: str
    amount: int
    unit: str  # m, h or wd
    # Set where a channel's or a customer grade's standard (docs/procedures.md) gave this
    # target: the calendar it counts on, when not the plan's, and where it came from.
    calendar: Calendar | None = field(default=None, compare=False)
    source: str | None = None

    def minutes(self, calendar: Calendar, created: datetime) -> float:
        if self.unit == "m":
            return float(self.amount)
        if self.unit == "h":
            return self.amount * 60.0
        close = calendar.close_of_working_day(created.astimezone(calendar.tz).date(), self.amount)
        return calendar.business_minutes(created, close)


# The longest target a clock counts: ten years, in each unit (250 working days a year). A
# standard beyond it is a typo, and a due time past the calendar's years cannot be reckoned.
LONGEST_TARGET = {"m": 10 * 365 * 24 * 60, "h": 10 * 365 * 24, "wd": 10 * 250}


def parse_target(text: Any) -> Target:
    match = _TARGET.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) < 1:
        raise ValueError(
            _("{text!r} is not a target: use Nm (minutes), Nh (hours) or Nwd (working days), N >= 1").format(text=text)
        )
    amount, unit = int(match.group(1)), match.group(2)
    if amount > LONGEST_TARGET[unit]:
        raise ValueError(
            _("{text!r} is longer than ten years ({longest}{unit} at most)").format(
                text=text, longest=LONGEST_TARGET[unit], unit=unit
            )
        )
    return Target(text.strip(), amount, unit)


@dataclass(frozen=True)
class Level:
    name: str
    at: float
    notify: tuple[str, ...]


_UNPLANNED = object()


class SlaPolicy:
    """Calendars, per-kind targets and the escalation ladder from a checked policy."""

    def __init__(self, policy, names: Names | None = None):
        """``names``: how ids are named in explanations (a command's, with statuses and
        kinds); by default, policy's [names]."""
        tz = policy.timezone
        from cstool.core.timeutil import zone

        self.calendars = {
            name: calendar_from_policy(name, table, zone(table["timezone"]) if table.get("timezone") else tz)
            for name, table in (policy.get("calendars") or {}).items()
        }
        self.sla = policy.get("sla") or {}
        self.default_priority = policy.default_priority
        self.levels = sorted(
            (
                Level(level["name"], float(level["at"]), tuple(level.get("notify", ())))
                for level in policy.get("escalation.levels") or []
            ),
            key=lambda level: level.at,
        )
        self.departments = policy.get("departments") or {}
        self._policy = policy
        self._names = names if names is not None else Names(policy.get("names"))
        self._plans: dict[tuple[str, ...], Any] = {}
        self._by_priority: dict[tuple[str, str | None], Any] = {}  # kinds without targets_at

    def shown(self, value: str) -> str:
        """An id (a calendar, a status, a level) named in the language of the moment."""
        return self._names.show(value, language())

    def promise_levels(self, kind: str) -> Sequence[Level]:
        """The ladder for the ``promised`` clock of ``kind``: only where ``[sla.KIND]`` says
        ``escalate_promised = true`` (an imported system's own due times are reported,
        not escalated)."""
        section = self.sla.get(kind)
        return self.levels if isinstance(section, dict) and section.get("escalate_promised") else ()

    def holiday_gaps(self, first: date, last: date, today: date | None = None) -> list[str]:
        """A warning for each calendar that keeps overrides but has none for a year from
        ``first`` to ``last``; and, when ``today`` is in the last ``LOOK_AHEAD_DAYS`` of its
        year, for next year too, before due times start to count it as plain weeks."""
        if today is not None and (today + timedelta(days=LOOK_AHEAD_DAYS)).year > today.year:
            last = max(last, date(today.year + 1, 1, 1))
        return [
            holiday_gap_text(self.shown(name), year)
            for name, calendar in sorted(self.calendars.items())
            for year in calendar.years_without_overrides(first, last)
        ]

    def plan_for(self, record: Mapping[str, Any]) -> tuple[Calendar, dict[str, Target], str] | None:
        """The calendar and targets of a record: by its priority, or, when the kind's section
        has ``targets_at``, from that policy path filled with the record's fields
        (``internal.agreements.{agreement}.items.{item}``); then, clock by clock, its
        channel's and its customer grade's standards where one of them comes due first
        (docs/procedures.md, "Which target a clock keeps")."""
        base = self._base_plan(record)
        standards = self._standards(record)
        return self._strictest(record, base, standards) if standards else base

    def _standards(self, record: Mapping[str, Any]) -> list[tuple[str, dict[str, Target]]]:
        """The targets ``[sla.KIND.channels.CHANNEL]`` and ``[sla.KIND.grades.GRADE]`` set for
        this record's channel and customer grade, each with the words naming where it is."""
        found = []
        for table, field_name in (("channels", "channel"), ("grades", "customer_grade")):
            value = record.get(field_name)
            if not isinstance(value, str) or not value:
                continue
            key = (record["kind"], table, value)
            if key not in self._plans:
                section = self.sla.get(record["kind"])
                entry = ((section.get(table) or {}).get(value) if isinstance(section, dict) else None) or {}
                calendar = self.calendars.get(entry.get("calendar")) if isinstance(entry, dict) else None
                self._plans[key] = {
                    name: Target(target.text, target.amount, target.unit, calendar, f"{table}.{value}")
                    for name in CLOCKS
                    if isinstance(entry, dict) and name in entry and (target := parse_target(entry[name]))
                }
            if self._plans[key]:
                found.append((f"{table}.{value}", self._plans[key]))
        return found

    def _strictest(self, record, base, standards):
        """Each clock keeps, of the priority's target and the standards', the one whose due
        time (counted on its own calendar, pauses aside) comes first; a tie keeps the
        earlier in that order."""
        section = self.sla.get(record["kind"])
        calendar = (
            base[0] if base else self.calendars.get(section.get("calendar") if isinstance(section, dict) else None)
        )
        targets = dict(base[1]) if base else {}
        created = _instant(record["created_at"])

        def due(target: Target) -> datetime:
            on = target.calendar or calendar
            assert on is not None  # a target with neither is passed over below
            return on.add_minutes(created, target.minutes(on, created))

        for _where, entry in standards:
            for name, target in entry.items():
                if target.calendar is None and calendar is None:
                    continue  # nothing to count it on: policy check names it
                kept = targets.get(name)
                if kept is None or due(target) < due(kept):
                    targets[name] = target
        if calendar is None:  # no priority target nor the kind's calendar: the standards' own
            calendar = next((t.calendar for t in targets.values() if t.calendar is not None), None)
        if not targets or calendar is None:
            return base
        return calendar, {name: targets[name] for name in CLOCKS if name in targets}, base[2] if base else ""

    def _base_plan(self, record: Mapping[str, Any]) -> tuple[Calendar, dict[str, Target], str] | None:
        by_priority = (record["kind"], record.get("priority"))
        found = self._by_priority.get(by_priority, _UNPLANNED)  # asked once per record by every clock-reading command
        if found is not _UNPLANNED:
            return found
        section = self.sla.get(record["kind"])
        section = section if isinstance(section, dict) else {}
        template = section.get("targets_at")
        if template is None:
            found = self._by_priority[by_priority] = self.plan(*by_priority)
            return found
        try:
            path = template.format(**{k: v for k, v in record.items() if isinstance(v, str)})
        except (KeyError, IndexError, ValueError):
            return None
        key = (record["kind"], "@" + path)
        if key not in self._plans:
            entry = self._policy.get(path)
            if not isinstance(entry, dict):
                self._plans[key] = None
            else:
                calendar = self.calendars.get(entry.get("calendar") or section.get("calendar"))
                targets = {name: parse_target(entry[name]) for name in CLOCKS if name in entry}
                self._plans[key] = (calendar, targets, path) if targets and calendar else None
        return self._plans[key]

    def plan(self, kind: str, priority: str | None) -> tuple[Calendar, dict[str, Target], str] | None:
        """The calendar and targets for a kind and priority, and the priority used."""
        priority = priority or self.default_priority
        key = (kind, priority)
        if key not in self._plans:
            section = self.sla.get(kind)
            section = section if isinstance(section, dict) else {}
            entry = section.get(priority)
            if not isinstance(entry, dict):
                self._plans[key] = None
            else:
                calendar = self.calendars[entry.get("calendar") or section.get("calendar")]
                targets = {name: parse_target(entry[name]) for name in CLOCKS if name in entry}
                self._plans[key] = (calendar, targets, priority) if targets else None
        return self._plans[key]

    def recipients(self, roles: Sequence[str], record: Mapping[str, Any]) -> list[str]:
        department = self.departments.get(record.get("department") or "", {})
        names = []
        for role in roles:
            name = record.get("owner") if role == "owner" else department.get(role)
            if name and name not in names:
                names.append(name)
        return names


@dataclass(slots=True)
class Clock:
    name: str
    calendar: str
    target: Target
    target_minutes: float
    started_at: datetime | None  # only at detail "explain"
    stopped_at: datetime | None
    stop_unknown: bool
    elapsed: float | None
    paused: float | None
    due_at: datetime | None  # None at detail "figures"
    state: str
    level: str | None
    breached_at: datetime | None
    passed: list[tuple[Level, datetime]] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)
    # Each escalation level's instant (None for a level a stopped clock never reached), at
    # detail "instants" and above: a running clock's later levels, for remembering it.
    level_instants: list[datetime | None] | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        def instant(value):
            return value.isoformat(timespec="seconds") if value else None

        def number(value):
            return None if value is None else round(value, 2)

        return {
            "name": self.name,
            "target": self.target.text,
            "target_minutes": number(self.target_minutes),
            "started_at": instant(self.started_at),
            "stopped_at": instant(self.stopped_at),
            "elapsed_minutes": number(self.elapsed),
            "paused_minutes": number(self.paused),
            "due_at": instant(self.due_at),
            "state": self.state,
            "level": self.level,
            "breached_at": instant(self.breached_at),
        }


@dataclass
class Timeline:
    """What a record's events say about its clocks, as of an instant."""

    created: datetime
    dispatch: tuple[datetime, bool, str] | None  # (when, unknown?, what stopped it)
    first_response: tuple[datetime, bool, str] | None
    resolution_stop: tuple[datetime, bool, str] | None
    pauses: list[tuple[datetime, datetime | None, str]]  # (from, to or None while open, status)
    latest: datetime  # the last instant anything moves a clock, later than ``now`` or not


_instant = datetime.fromisoformat  # stored instants are ISO 8601 with their offset


def timeline(record: Mapping[str, Any], phases: Mapping[str, str], initial: str, now: datetime) -> Timeline:
    created = _instant(record["created_at"])
    # Only responses, status changes and hand-overs move clocks; each instant is parsed once.
    timed = [(_instant(e["at"]), e) for e in record.get("events", []) if e.get("type") in MOVES_CLOCKS]
    latest = max(created, max((at for at, _event in timed), default=created))
    timed = [pair for pair in timed if pair[0] <= now]
    timed.sort(key=lambda pair: pair[0])
    segments: list[list] = []  # [phase, status, start, end, start_unknown]
    current = [phases.get(initial, "open"), initial, created, None, False]
    first_response = None
    dispatch = _dispatched_at_intake(record, created)
    for at, item in timed:
        kind = item["type"]
        if dispatch is None and kind in HANDED_ON:
            dispatch = (at, False, "@" + kind)
        if kind == "response" and first_response is None:
            first_response = (at, False, RESPONDED)
        elif kind == "status" and item.get("to") is not None:
            current[3] = at
            segments.append(current)
            current = [phases.get(item["to"], "open"), item["to"], at, None, bool(item.get("at_unknown"))]
            if first_response is None and current[0] in TERMINAL:
                first_response = (at, bool(current[4]), f"{BEFORE_RESPONSE}{item['to']}")
            if dispatch is None and current[0] in TERMINAL:
                dispatch = (at, bool(current[4]), item["to"])
    segments.append(current)
    trailing = len(segments)
    while trailing > 0 and segments[trailing - 1][0] in TERMINAL:
        trailing -= 1
    stop = None
    if trailing < len(segments):
        first_terminal = segments[trailing]
        stop = (first_terminal[2], first_terminal[4], first_terminal[1])
    pauses = [(s[2], s[3], s[1]) for s in segments[:trailing] if s[0] == "pending" or s[0] in TERMINAL]
    return Timeline(created, dispatch, first_response, stop, pauses, latest)


MOVES_CLOCKS = frozenset(("response", "status", "assigned", "reported_up"))
HANDED_ON = frozenset(("response", "assigned", "reported_up"))  # what stops the dispatch clock


def first_taker(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Who registered ``record`` and whose it was first (首问负责人): the owner before the first
    hand-over, or the owner now when it was never handed over."""
    events = record.get("events") or []
    registrant = events[0].get("by") if events and events[0].get("type") == "created" else None
    handed = next((e for e in events if e.get("type") == "assigned"), None)
    return registrant, handed.get("from") if handed else record.get("owner")


def _dispatched_at_intake(record: Mapping[str, Any], created: datetime) -> tuple[datetime, bool, str] | None:
    """A record registered straight to someone other than whoever registered it (a routing
    rule, ``--owner``) was passed on as it was made: its dispatch clock stops at once."""
    registrant, first_owner = first_taker(record)
    if registrant and first_owner and first_owner != registrant:
        return (created, False, "@routed")
    return None


# What stopped a clock, as a timeline keeps it: the first response, a status (its id), or a
# status reached before any response (BEFORE_RESPONSE + its id). Words only in explanations.
RESPONDED = "@response"
BEFORE_RESPONSE = "@before-response:"


def _stopped_by(reason: str, shown: Callable[[str], str]) -> str:
    if reason == RESPONDED:
        return _("the first response")
    if reason == "@assigned":
        return _("the hand-over to whoever deals with it")
    if reason == "@reported_up":
        return _("the report to the supervisor")
    if reason == "@routed":
        return _("registration straight to whoever deals with it")
    if reason.startswith(BEFORE_RESPONSE):
        return _("status {status} before any response").format(status=shown(reason[len(BEFORE_RESPONSE) :]))
    return _("status {status}").format(status=shown(reason))


def _minutes(value: float) -> float:
    """Minutes as a person reads them: two decimals, and no 4.84945e-13 left by float sums."""
    return round(value, 2) + 0.0  # + 0.0: never -0


def _fmt(value: datetime | None, calendar: Calendar) -> str:
    return value.astimezone(calendar.tz).strftime("%Y-%m-%d %H:%M") if value is not None else "—"


def evaluate(
    name: str,
    target: Target,
    calendar: Calendar,
    created: datetime,
    stop: tuple[datetime, bool, str] | None,
    pauses: list[tuple[datetime, datetime | None, str]],
    levels: Sequence[Level],
    now: datetime,
    detail: str = "explain",
    shown: Callable[[str], str] = str,
) -> Clock:
    """One clock. ``shown`` names ids (a calendar, a status, a level) in the explanation. ``detail``: ``figures`` (elapsed, state, level: what most reports need),
    ``due`` (also the due and breach instants: case tracking), ``instants`` (also each
    passed level's instant: what escalation needs) or ``explain`` (also the start and the
    explanation in words). Each finding costs calendar arithmetic: ask for what is used."""
    due_wanted, instants, words = detail != "figures", detail in ("instants", "explain"), detail == "explain"
    target_minutes = target.minutes(calendar, created)
    started = calendar.next_open(created).astimezone(calendar.tz) if words else None
    explain: list[str] = []
    if words:
        started_text = (
            _("Started {started} on calendar {calendar} (created {created}, outside open hours)")
            if started != created
            else _("Started {started} on calendar {calendar}")
        )
        explain.append(
            started_text.format(
                started=_fmt(started, calendar), calendar=shown(calendar.name), created=_fmt(created, calendar)
            )
        )
        explain.append(
            _("Target {text} = {target_minutes:g} business minutes").format(
                text=target.text, target_minutes=_minutes(target_minutes)
            )
        )
        if target.source:
            explain.append(
                _("This target is the standard for {source}: it comes due before the priority's").format(
                    source=target.source
                )
            )
    if stop is not None and stop[1]:
        due = calendar.add_minutes(created, target_minutes).astimezone(calendar.tz) if due_wanted else None
        explain.append(
            _("Stopped by {status} at an unknown time (imported without it): not judged").format(
                status=_stopped_by(stop[2], shown)
            )
        )
        return Clock(
            name,
            calendar.name,
            target,
            target_minutes,
            started,
            None,
            True,
            None,
            None,
            due,
            "unknown",
            None,
            None,
            [],
            explain if words else [],
        )
    end = stop[0] if stop else now
    windows = [(max(a, created), min(b or now, end), status) for a, b, status in pauses if a < end]
    windows = [(a, b, status) for a, b, status in windows if a < b]
    paused = 0.0
    for a, b, status in windows:
        minutes = calendar.business_minutes(a, b)
        paused += minutes
        if words:
            explain.append(
                _("Paused {start} – {end} in {status}: {minutes:g} business minutes").format(
                    start=_fmt(a, calendar), end=_fmt(b, calendar), status=shown(status), minutes=_minutes(minutes)
                )
            )
    open_minutes = calendar.business_minutes(created, end)
    elapsed = open_minutes - paused
    wall = (end - created).total_seconds() / 60 if end > created else 0.0
    if words and wall - open_minutes > 0:
        explain.append(
            _("Closed time skipped (nights, weekends, holidays, breaks): {minutes:g} minutes").format(
                minutes=_minutes(wall - open_minutes)
            )
        )

    def instant_at(goal: float) -> datetime:
        """When counted (unpaused, open) minutes reach ``goal``, if nothing more is paused."""
        cursor, remaining = created, goal
        for a, b, _status in windows:
            window = calendar.business_minutes(cursor, a)
            if window >= remaining:
                return calendar.add_minutes(cursor, remaining).astimezone(calendar.tz)
            remaining -= window
            cursor = max(cursor, b)
        return calendar.add_minutes(cursor, remaining).astimezone(calendar.tz)

    due = instant_at(target_minutes) if due_wanted else None
    # A running clock's every level: remembered, it is then judged at any later instant.
    level_instants = (
        [
            instant_at(level.at * target_minutes) if stop is None or elapsed > level.at * target_minutes else None
            for level in levels
        ]
        if instants
        else None
    )
    clock = judge(
        name, target, calendar, target_minutes, stop[0] if stop else None, elapsed, paused, due, level_instants, levels
    )
    clock.started_at = started
    if words:
        if stop is not None:
            explain.append(
                _("Stopped {at} by {status}: {elapsed:g} business minutes counted").format(
                    at=_fmt(stop[0], calendar), status=_stopped_by(stop[2], shown), elapsed=_minutes(elapsed)
                )
            )
        else:
            explain.append(
                _("Running: {elapsed:g} business minutes counted by {now}").format(
                    elapsed=_minutes(elapsed), now=_fmt(now, calendar)
                )
            )
        explain.append(
            (_("Was due {at}") if clock.breached_at or stop else _("Due {at}")).format(at=_fmt(due, calendar))
        )
        for level, when in clock.passed:
            explain.append(
                _("Passed escalation level {name} ({at:g} x target) at {when}").format(
                    name=shown(level.name), at=level.at, when=_fmt(when, calendar)
                )
            )
        last = max(end, due) if due is not None else end
        for year in calendar.years_without_overrides(
            created.astimezone(calendar.tz).date(), last.astimezone(calendar.tz).date()
        ):
            explain.append(holiday_gap_text(shown(calendar.name), year))
        clock.explain = explain
    return clock


LOOK_AHEAD_DAYS = 31  # December: next year's holidays are published in November (国务院办公厅通知)


def holiday_gap_text(calendar: str, year: int) -> str:
    return _(
        "Calendar {calendar} has no holidays or make-up workdays (overrides) for {year}: "
        "that year is counted as plain weeks; add them to policy.toml"
    ).format(calendar=calendar, year=year)


def judge(
    name: str,
    target: Target,
    calendar: Calendar,
    target_minutes: float,
    stopped_at: datetime | None,
    elapsed: float,
    paused: float,
    due: datetime | None,
    level_instants: Sequence[datetime | None] | None,
    levels: Sequence[Level],
) -> Clock:
    """A clock's state and level from the minutes it has counted (SPEC 6: strictly more than
    the target breaches). ``levels`` ascend, so the levels reached are the first ``k``."""
    reached = 0
    while reached < len(levels) and elapsed > levels[reached].at * target_minutes:
        reached += 1
    breached = elapsed > target_minutes
    if breached:
        state = "breached"
    elif stopped_at is not None:
        state = "met"
    elif reached and levels[0].at < 1.0:
        state = "warning"
    else:
        state = "running"
    return Clock(
        name,
        calendar.name,
        target,
        target_minutes,
        None,
        stopped_at,
        False,
        elapsed,
        paused,
        due,
        state,
        levels[reached - 1].name if reached else None,
        due if breached else None,
        [(level, when) for level, when in zip(levels[:reached], level_instants or ()) if when is not None],
        [],
        list(level_instants) if level_instants is not None else None,
    )


PROMISED = Target("promised", 0, "promise")  # the source system's own due instant: SPEC 11


def with_promised(
    record: Mapping[str, Any],
    phases: Mapping[str, str],
    initial: str,
    now: datetime,
    found: tuple,
    levels: Sequence[Level] = (),
) -> tuple[str | None, list[Clock]]:
    """``found`` (calendar name, clocks) and, when the record carries ``promised_at``, the
    third clock ``promised``: from creation to the time the source system promised, in real
    minutes, stopped where resolution stops; met when it stopped by then, else breached.
    ``levels``: the escalation ladder, for a kind whose promise is its own deadline (a
    callback at the time the customer asked): each level passed at ``at`` x the promise."""
    promised_at = record.get("promised_at")
    if not promised_at:
        return found
    line = timeline(record, phases, initial, now)
    due = _instant(promised_at)
    stop = line.resolution_stop
    end = stop[0] if stop else now
    elapsed = max(0.0, (end - line.created).total_seconds() / 60)
    target_minutes = max(0.0, (due - line.created).total_seconds() / 60)
    unknown = bool(stop and stop[1])
    breached = not unknown and end > due
    state = "unknown" if unknown else "breached" if breached else "met" if stop else "running"
    clock = Clock(
        "promised",
        _("source system"),
        PROMISED,
        target_minutes,
        line.created,
        stop[0] if stop else None,
        unknown,
        None if unknown else elapsed,
        0.0,
        due,
        state,
        None,
        due if breached else None,
    )
    clock.explain = [
        _("Due {at}, as the system it came from promised (real time, not business hours)").format(
            at=due.isoformat(timespec="minutes")
        )
    ]
    if levels and target_minutes > 0 and not unknown:
        clock.passed = [
            (level, instant)
            for level in levels
            if (instant := line.created + timedelta(minutes=level.at * target_minutes)) <= end
        ]
        clock.level = clock.passed[-1][0].name if clock.passed else None
    return found[0], [*found[1], clock]


def record_clocks(
    record: Mapping[str, Any],
    phases: Mapping[str, str],
    initial: str,
    sla: SlaPolicy,
    now: datetime,
    detail: str = "instants",
) -> tuple[str | None, list[Clock]]:
    """The calendar name and the clocks of ``record`` as of ``now`` (none without targets)."""
    calendar_name, clocks, _settled = settle(record, phases, initial, sla, now, detail, keep=False)
    return with_promised(record, phases, initial, now, (calendar_name, clocks), sla.promise_levels(record["kind"]))


def settle(
    record: Mapping[str, Any],
    phases: Mapping[str, str],
    initial: str,
    sla: SlaPolicy,
    now: datetime,
    detail: str = "instants",
    keep: bool = True,
) -> tuple[str | None, list[Clock], list | None]:
    """``record_clocks``, and what of them holds at every instant from ``now`` on, as JSON
    for ``resume``: ``[latest event as epoch seconds, [one entry per clock], where the
    creation stands in the calendar's count (running clocks only)]``. None when
    that changes with time beyond the elapsed minutes: an event after ``now``, or a
    pause still open (its length grows, and so does the due instant), or ``keep`` false."""
    plan = sla.plan_for(record)
    if plan is None or _instant(record["created_at"]) > now:
        return (plan[0].name if plan else None), [], None
    calendar, targets, _ = plan
    line = timeline(record, phases, initial, now)
    clocks = []
    for name in CLOCKS:
        target = targets.get(name)
        if target is None:
            continue
        stop, pauses = {
            "dispatch": (line.dispatch, []),
            "first_response": (line.first_response, []),
        }.get(name, (line.resolution_stop, line.pauses))
        on = target.calendar or calendar
        clocks.append(evaluate(name, target, on, line.created, stop, pauses, sla.levels, now, detail, sla.shown))
    if not keep or line.latest > now or any(b is None for _a, b, _status in line.pauses) or detail == "explain":
        return calendar.name, clocks, None
    running = any(
        clock.stopped_at is None and not clock.stop_unknown and clock.target.calendar is None for clock in clocks
    )
    return (
        calendar.name,
        clocks,
        [
            line.latest.timestamp(),
            [_settled(clock) for clock in clocks],
            calendar.point(line.created) if running else None,
        ],
    )


def _settled(clock: Clock) -> list:
    def text(value):
        return value.isoformat() if value is not None else None

    running = clock.stopped_at is None and not clock.stop_unknown
    return [
        clock.target_minutes,
        None if running else clock.elapsed,
        clock.paused,
        text(clock.stopped_at),
        clock.state,
        clock.level,
        text(clock.due_at),
        None if clock.level_instants is None else [text(when) for when in clock.level_instants],
    ]


def resume(
    record: Mapping[str, Any], sla: SlaPolicy, settled: list, now: datetime, detail: str
) -> tuple[str | None, list[Clock]]:
    """The clocks ``settle`` gave for ``record``, as of a ``now`` at or after the latest
    event: the same clocks ``record_clocks`` would compute, at the cost of counting the
    running ones' minutes. ``detail`` must not be more than ``settle`` was asked for."""
    plan = sla.plan_for(record)
    if plan is None:  # the policy gives the record no targets (any more): it has no clocks
        return None, []
    calendar, targets, _ = plan
    due_wanted, instants = detail != "figures", detail == "instants"
    counted = None  # business minutes from creation to now: the same for every running clock
    clocks = []
    # ``targets`` are in CLOCKS order, as settle evaluated them
    for (name, target), (target_minutes, elapsed, paused, stopped, state, level, due, level_instants) in zip(
        targets.items(), settled[1]
    ):
        due = _instant(due) if due_wanted and due else None
        level_instants = (
            [_instant(when) if when else None for when in level_instants]
            if instants and level_instants is not None
            else None
        )
        if elapsed is None and state != "unknown" and target.calendar is not None:  # a standard's own calendar
            on = target.calendar
            elapsed = on.business_minutes(_instant(record["created_at"]), now) - paused
            clocks.append(
                judge(name, target, on, target_minutes, None, elapsed, paused, due, level_instants, sla.levels)
            )
            continue
        if elapsed is None and state != "unknown":  # running: counted up to now, less the pauses (all closed)
            if counted is None:
                counted = (
                    calendar.minutes_since(settled[2], now)
                    if settled[2]
                    else calendar.business_minutes(_instant(record["created_at"]), now)
                )
            elapsed = counted - paused
            clocks.append(
                judge(name, target, calendar, target_minutes, None, elapsed, paused, due, level_instants, sla.levels)
            )
            continue
        passed = (
            [(lv, when) for lv, when in zip(sla.levels, level_instants) if when is not None] if level_instants else []
        )
        clocks.append(
            Clock(
                name,
                (target.calendar or calendar).name,
                target,
                target_minutes,
                None,
                stopped and _instant(stopped),
                state == "unknown",
                elapsed,
                paused,
                due,
                state,
                level,
                due if state == "breached" else None,
                passed,
                [],
                level_instants,
            )
        )
    return calendar.name, clocks


def _names(value: Any, table: Mapping) -> bool:
    """``value`` is the name of an entry of ``table`` (a list or a table is not a name)."""
    return isinstance(value, str) and value in table


def grade_names(policy) -> list[str]:
    """The names of ``[[customers.grades]]``."""
    grades = policy.get("customers.grades") or []
    return [g["name"] for g in grades if isinstance(g, dict) and isinstance(g.get("name"), str)]


def check_sla_policy(policy, kind_names: Sequence[str]) -> list[tuple[tuple, str]]:
    """Problems in [calendars.*], [sla.*], [[escalation.levels]] and [notify], as (path, message)."""
    problems: list[tuple[tuple, str]] = []
    calendars = policy.get("calendars") or {}
    if not isinstance(calendars, dict):
        return [(("calendars",), _("must be a table of calendars"))]
    for name, table in calendars.items():
        problems.extend(check_calendar(name, table))
    priorities = policy.priorities
    sla = policy.get("sla") or {}
    if not isinstance(sla, dict):
        problems.append((("sla",), _("must be a table of [sla.KIND] sections")))
        sla = {}
    for kind, section in sla.items():
        base = ("sla", kind)
        if not isinstance(section, dict):
            problems.append((base, _("must be a table: calendar and one entry per priority")))
            continue
        if kind not in kind_names:
            problems.append(
                (
                    base,
                    _("no kind {kind!r} is loaded; kinds: {kind_names}").format(
                        kind=kind, kind_names=", ".join(kind_names)
                    ),
                )
            )
        default_calendar = section.get("calendar")
        if default_calendar is not None and not _names(default_calendar, calendars):
            problems.append(
                (
                    (*base, "calendar"),
                    _("names a missing calendar {default_calendar!r}; calendars: {calendars}").format(
                        default_calendar=default_calendar, calendars=", ".join(calendars)
                    ),
                )
            )
        targets_at = section.get("targets_at")
        if targets_at is not None and not (isinstance(targets_at, str) and "{" in targets_at):
            problems.append(
                (
                    (*base, "targets_at"),
                    _('must be a policy path with {field} parts, e.g. "internal.agreements.{agreement}.items.{item}"'),
                )
            )
        if not isinstance(section.get("escalate_promised", False), bool):
            problems.append(((*base, "escalate_promised"), _("must be true or false")))
        entries: list[tuple[str, Any, tuple]] = [
            (priority, entry, (*base, priority)) for priority, entry in section.items()
        ]
        for table, known in (("channels", policy.choices("complaints.channels")), ("grades", grade_names(policy))):
            standards = section.get(table, {})
            if not isinstance(standards, dict):
                problems.append(((*base, table), _("must be a table: one entry of targets per name")))
                continue
            for name, entry in standards.items():
                if name not in known:
                    problems.append(
                        (
                            (*base, table, name),
                            _("{name!r} is not one of {names}").format(name=name, names=", ".join(known) or "—"),
                        )
                    )
                else:
                    entries.append((table, entry, (*base, table, name)))
        for priority, entry, here in entries:
            if len(here) == 3 and priority in ("calendar", "targets_at", "escalate_promised", "channels", "grades"):
                continue
            if len(here) == 3 and priority not in priorities:
                problems.append(
                    (
                        here,
                        _("{priority!r} is not a priority; priorities are {priorities}").format(
                            priority=priority, priorities=", ".join(priorities)
                        ),
                    )
                )
                continue
            if not isinstance(entry, dict):
                problems.append((here, _('must be a table like { first_response = "30m", resolution = "4h" }')))
                continue
            calendar = entry.get("calendar", default_calendar)
            if calendar is None:
                problems.append((here, "no calendar: set sla." + kind + ".calendar or a calendar for this priority"))
            elif not _names(calendar, calendars):
                problems.append(
                    (
                        (*here, "calendar") if "calendar" in entry else here,
                        _("names a missing calendar {calendar!r}; calendars: {calendars}").format(
                            calendar=calendar, calendars=", ".join(calendars)
                        ),
                    )
                )
            for key, value in entry.items():
                if key == "calendar":
                    continue
                if key not in CLOCKS:
                    problems.append(
                        ((*here, key), _("unknown clock; clocks are {CLOCKS}").format(CLOCKS=", ".join(CLOCKS)))
                    )
                    continue
                try:
                    parse_target(value)
                except ValueError as exc:
                    problems.append(((*here, key), str(exc)))
    levels = policy.get("escalation.levels") or []
    if not isinstance(levels, list):
        problems.append((("escalation", "levels"), _("must be an array of tables: [[escalation.levels]]")))
        levels = []
    names = set()
    for index, level in enumerate(levels):
        here = ("escalation", "levels", index)
        if not isinstance(level, dict):
            problems.append((here, _("must be a table with name, at and notify")))
            continue
        if not isinstance(level.get("name"), str) or not level["name"]:
            problems.append(((*here, "name"), _("must be a name in quotes")))
        elif level["name"] in names:
            problems.append(((*here, "name"), _("{name!r} names two levels").format(name=level["name"])))
        else:
            names.add(level["name"])
        at = level.get("at")
        if isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at) or not 0 < at <= 100:
            problems.append(((*here, "at"), _("must be a number above 0 and at most 100 (1.0 is the target itself)")))
        notify = level.get("notify", [])
        if not (isinstance(notify, list) and all(role in ROLES for role in notify)):
            problems.append(
                ((*here, "notify"), _("must be a list of roles from {ROLES}").format(ROLES=", ".join(ROLES)))
            )
    notify_calendar = policy.get("notify.calendar")
    if notify_calendar is not None and not _names(notify_calendar, calendars):
        problems.append(
            (
                ("notify", "calendar"),
                _("names a missing calendar {notify_calendar!r}").format(notify_calendar=notify_calendar),
            )
        )
    return problems
