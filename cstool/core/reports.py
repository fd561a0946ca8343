"""What a report is, and the figures every report shares (spec section 9)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

# The groupings of SLA figures a store counts all at once (``ReportRequest.clock_tally``).
CLOCK_GROUPS = ("department", "priority", "owner")


@dataclass(frozen=True)
class ReportRequest:
    """What ``cstool report`` passes to a report's ``run``.

    ``records(kind)`` gives the stored records of a kind (load once, shared: do not
    mutate). ``since`` / ``until`` are dates (inclusive) or None; ``in_period(record)``
    tells whether a record's created_at falls in them, in the workspace time zone.
    ``clocks(record, detail)`` gives a record's SLA clocks as of ``now``.

    A report over many records asks the store to do the work where the records are:
    ``each(kind)`` passes over the records of the period one at a time (flat memory on
    a database), ``tally(kind, fields)`` counts them by the values of fields (in the
    database). Both answer the same as reading ``records(kind)``.
    """

    stored: Callable[[str], list[dict]]  # every stored record of a kind (the store's records)
    policy: Any
    since: date | None
    until: date | None
    by: str | None
    now: datetime
    lang: str
    kinds: Any
    # (record, now, detail) -> (calendar name, clocks): the command's, which remembers
    # clocks between runs. Without one, clocks are computed from the policy every time.
    clock_source: Callable[[Mapping[str, Any], datetime, str], tuple] | None = None
    store: Any = None  # the command's RecordStore; without one, each and tally read records(kind)
    # (kind, selection, now, by, default priority) -> (counted, rest): the Context's clock_tally
    clock_tally_source: Callable[..., tuple[dict, Any]] | None = None
    reports: Mapping[str, Report] = field(default_factory=dict)  # every report, for one made of others
    # who is asking, where the store knows it (a shared store's database user); None on a
    # folder, which one desk uses: a report showing people's figures may show a person theirs
    viewer: str | None = None
    # kind -> its records less the void ones, shared by the copies run() and for_period() make
    kept: dict[str, list[dict]] = field(default_factory=dict, repr=False, compare=False)
    # (kind, fields, since, until) -> counts, shared alike: the monthly report's sections ask
    # the same count (complaints per complainant) several times, the store answers once; and
    # ("clocks", kind, since, until) -> the SLA figures by CLOCK_GROUPS, and the records left
    counted: dict[tuple, Any] = field(default_factory=dict, repr=False, compare=False)

    def records(self, kind: str) -> list[dict]:
        """The stored records of ``kind`` (loaded once, shared: do not mutate), less those
        entered in error: a void status is in no figure (``each`` and ``tally`` leave them
        out too)."""
        found = self.kept.get(kind)
        if found is None:
            void = self.void
            found = self.kept[kind] = [record for record in self.stored(kind) if record.get("status") not in void]
        return found

    @cached_property
    def void(self) -> frozenset[str]:
        """The statuses of records entered in error, of every kind."""
        return frozenset(s.name for kind in (self.kinds or ()) for s in kind.statuses if s.phase == "void")

    def run(self, name: str, by: str | None = None) -> ReportResult:
        """Report ``name`` (grouped ``by``) over the same period as of the same now: a report
        made of others (the monthly one) gets exactly what each gives alone."""
        return self.run_together([(name, by)])[0]

    def run_together(self, wanted: list[tuple[str, str | None]]) -> list[ReportResult]:
        """Reports ``(name, by)`` over the same period, their passes over the records shared:
        each round, every report waiting on a ``RecordPass`` is fed from one stream per kind,
        so a month of many sections is read once, not once a section."""
        results: list[Any] = [None] * len(wanted)
        started: dict[int, Generator[RecordPass, None, ReportResult]] = {}
        for index, (name, by) in enumerate(wanted):
            made = self.reports[name].run(replace(self, by=by))
            if isinstance(made, Generator):
                started[index] = made
            else:
                results[index] = made
        waiting: dict[int, RecordPass] = {}

        def advance(index: int) -> None:
            try:
                waiting[index] = next(started[index])
            except StopIteration as finished:
                results[index] = finished.value

        for index in started:
            advance(index)
        while waiting:
            passes = list(waiting.items())
            waiting.clear()
            kinds = dict.fromkeys(kind for _, each in passes for kind in each.kinds)
            for kind in kinds:
                takers = [each.take for _, each in passes if kind in each.kinds]
                if not takers or kind not in self.kinds.names():
                    continue
                for record in self.each(kind):
                    for take in takers:
                        take(record)
            for index, _ in passes:
                advance(index)
        return results

    def for_period(self, since: date | None, until: date | None) -> ReportRequest:
        """The same request over another period (a trend reaching back before it)."""
        return replace(self, since=since, until=until)

    @cached_property
    def period(self):
        """The Selection of records created from ``since`` to ``until``, in the workspace zone."""
        from cstool.stores.base import Selection

        tz = self.policy.timezone
        return Selection(
            created_from=datetime.combine(self.since, time.min, tz) if self.since else None,
            created_before=datetime.combine(self.until + timedelta(days=1), time.min, tz) if self.until else None,
            excluded=self.void,
        )

    def each(self, kind: str) -> Iterator[dict]:
        """The records of ``kind`` created in the period, one at a time, in store order."""
        if self.store is None:
            return (record for record in self.records(kind) if self.in_period(record))
        return self.store.stream(kind, self.period)

    def select(self, kind: str, selection) -> list[dict]:
        """The records of ``kind`` that ``selection`` keeps, whenever created (the store does
        the work where the records are), less the void ones."""
        selection = replace(selection, excluded=selection.excluded | self.void)
        if self.store is None:
            return list(selection.filter(self.records(kind)))
        return self.store.select(kind, selection)

    def clock_tally(self, kind: str, by: str) -> tuple[dict[tuple[Any, str], dict], Iterable[dict]]:
        """SLA figures a store counts where the records are: ``({(group, clock): {"met",
        "breached", "breached_open", "running", "unknown", "closed_without_reply": counts,
        "minutes": [stopped clocks' minutes]}}, the period's records left to judge one by one
        with ``clocks``)``. Without such a store, nothing is counted and every record is left.

        Grouped by the kind or by one of ``CLOCK_GROUPS``, the store counts once per command
        and period by all of them together, and each grouping is summed from that: the
        monthly page asks for four."""
        if self.clock_tally_source is None:
            return {}, self.each(kind)
        default = self.policy.default_priority
        if by != "kind" and by not in CLOCK_GROUPS:
            return self.clock_tally_source(kind, self.period, self.now, by, default)
        key = ("clocks", kind, self.since, self.until)
        if key not in self.counted:
            self.counted[key] = self.clock_tally_source(kind, self.period, self.now, CLOCK_GROUPS, default)
        finest, rest = self.counted[key]
        at = CLOCK_GROUPS.index(by) if by in CLOCK_GROUPS else None
        counted: dict[tuple[Any, str], dict] = {}
        for (values, clock), figures in finest.items():
            into = counted.setdefault((kind if at is None else values[at], clock), {"minutes": []})
            for name, value in figures.items():
                if name == "minutes":
                    into["minutes"].extend(value)
                else:
                    into[name] = into.get(name, 0) + value
        return counted, rest

    def tally(self, kind: str, fields: tuple[str, ...]) -> dict[tuple, int]:
        """How many records of ``kind`` created in the period have each combination of
        values of ``fields`` (``cstool.api.MONTH``: the month of created_at, ``YYYY-MM``).
        Counted once per command and period (shared: do not change it)."""
        from cstool.stores.base import count_values

        key = (kind, fields, self.since, self.until)
        if key not in self.counted:
            if self.store is None:
                self.counted[key] = count_values(self.each(kind), fields, self.policy.timezone)
            else:
                self.counted[key] = self.store.tally(kind, self.period, fields, self.policy.timezone)
        return self.counted[key]

    def clocks(self, record: Mapping[str, Any], detail: str = "figures") -> tuple[str | None, list]:
        """The calendar name and SLA clocks of ``record`` as of ``now``. ``detail``:
        ``figures`` (elapsed minutes, state, level), ``due`` (and the due instant),
        ``instants`` (and each passed escalation level's instant), ``explain`` (and words)."""
        if self.clock_source is not None:
            return self.clock_source(record, self.now, detail)
        from cstool.core.clocks import record_clocks

        kind = self.kinds.get(record["kind"])
        return record_clocks(
            record, {s.name: s.phase for s in kind.statuses}, kind.initial_status.name, self._sla, self.now, detail
        )

    @cached_property
    def _sla(self):
        """The policy's calendars and targets, parsed once per request (not once per record)."""
        from cstool.core.clocks import SlaPolicy

        return SlaPolicy(self.policy)

    def in_period(self, record: Mapping[str, Any]) -> bool:
        if self.since is None and self.until is None:
            return True
        created = record.get("created_at")
        if not created:
            return False
        day = datetime.fromisoformat(created).astimezone(self.policy.timezone).date()
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class RecordPass:
    """What a report yields to read the period's records one at a time: ``take(record)`` is
    called with each record of ``kinds`` created in the period (less the void ones), kind by
    kind, each kind in store order, the order of the kinds not promised.

    A report whose ``run`` is a generator yields passes (one, or one after another: cases,
    then the calls linked to them) and returns its ``ReportResult``. Alone, each pass is a
    stream of its own; in a report made of others (the monthly one) every section waiting
    on a pass is fed from the same stream, so the month is read once, not once a section.
    ``take`` must not keep the records (one at a time: flat memory) nor ask the store
    anything while it runs (the stream feeding it is open): count first, or after."""

    kinds: tuple[str, ...]
    take: Callable[[dict], None]


@dataclass(frozen=True)
class Chart:
    """How a report's rows are drawn where a person would rather look (``--format html``,
    ``.xlsx``): ``type`` ``line`` (a value over time), ``bar`` (compared side by side),
    ``stacked`` (parts of a whole: the backlog's phases) or ``gauge`` (one percentage per
    row); ``x`` the column along the axis, ``y`` the columns drawn. ``series``: a column
    whose values split ``y`` into one series each (an SLA row per clock). ``target``: a
    line drawn across at this value (a percentage target)."""

    type: str
    x: str
    y: tuple[str, ...]
    series: str | None = None
    target: float | None = None


@dataclass
class ReportResult:
    """Rows of a report. ``columns`` are keys of the rows; ``labels`` give their headings.

    ``chart`` says how the rows are drawn, when they suit a chart. ``sections``: a report
    made of others (the monthly one) holds each as a ``Section``, and no rows of its own.
    """

    columns: list[str]
    rows: list[dict]
    totals: dict = field(default_factory=dict)
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    title: Mapping[str, str] = field(default_factory=dict)
    chart: Chart | None = None
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """One part of a report made of others: report ``name`` grouped ``by``, its title and result."""

    name: str
    by: str | None
    title: Mapping[str, str]
    result: ReportResult


@dataclass(frozen=True)
class Report:
    """A report a plugin offers: ``run(request) -> ReportResult``, or a generator that
    yields ``RecordPass``es and returns the ``ReportResult`` (see ``RecordPass``).

    ``by`` lists the grouping fields it accepts for ``--by`` (empty: it takes none).
    ``monthly``: the groupings in which it joins the monthly report (``None``: ungrouped;
    ``("department", "priority")``: twice); empty, it stays out.
    """

    name: str
    title: Mapping[str, str]
    run: Callable[[ReportRequest], ReportResult | Generator[RecordPass, None, ReportResult]]
    by: tuple[str, ...] = ()
    plugin: str = ""
    monthly: tuple[str | None, ...] = ()


def pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def summary(values: list[float]) -> dict[str, float | None]:
    """mean, median and p90 (nearest-rank) of ``values``, rounded to 2 decimals."""
    import statistics

    if not values:
        return {"mean_minutes": None, "median_minutes": None, "p90_minutes": None}
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * 90 // 100))  # ceil(0.9 n), nearest-rank method
    return {
        "mean_minutes": round(statistics.fmean(ordered), 2),
        "median_minutes": round(statistics.median(ordered), 2),
        "p90_minutes": round(ordered[rank - 1], 2),
    }
