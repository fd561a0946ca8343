"""Batch import of other systems' exports: read → map → build (validate) → write once.

Every row is validated before anything is written. A refused import writes nothing;
with ``skip_invalid`` the valid rows are written and the refused ones listed. Rows
are matched to stored records by ``external_id``, so importing a file twice changes
nothing.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cstool.core.errors import CstoolError, FieldError
from cstool.core.eventlog import check_events_table
from cstool.core.fields import is_blank
from cstool.core.i18n import _
from cstool.core.kinds import Kind
from cstool.core.timeutil import zone
from cstool.core.trail import seal
from cstool.stores.base import retrying

MAP_SECTIONS = ("columns", "values", "formats", "constants", "joins", "options", "events")
MAP_OPTIONS = ("timezone", "encoding", "format", "null", "ignore", "ignore_unmapped", "delimiter")
FORMATS = ("csv", "json", "jsonl")
csv.field_size_limit(1 << 24)  # narratives run long; the default 128 KiB limit is too small


@dataclass
class ImportMap:
    """How a file's columns and values become a kind's fields (a TOML map file)."""

    columns: dict[str, str | list[str]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    joins: dict[str, str] = field(default_factory=dict)  # field → separator when several columns feed it
    timezone: str | None = None
    encoding: str | None = None
    format: str | None = None
    null: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    ignore_unmapped: bool = False
    delimiter: str | None = None
    events: dict[str, str] | None = None  # rows are one record's history: see core/eventlog.py

    def ignores(self, column: str) -> bool:
        return column in self.ignore or (self.ignore_unmapped and column not in self.columns)

    def targets(self, column: str) -> tuple[str, ...]:
        """The fields a column feeds: itself when unmapped, none when mapped to ""."""
        target = self.columns.get(column, column)
        if isinstance(target, list):
            return tuple(t for t in target if t)
        return (target,) if target else ()


def load_map(path: Path) -> ImportMap:
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CstoolError(
            _("{path}: cannot read the map file ({strerror})").format(path=path, strerror=exc.strerror)
        ) from None
    try:
        data = tomlkit.parse(text).unwrap()
    except ParseError as exc:
        raise CstoolError(
            _("{path}:{line}: {problem}").format(
                path=path, line=exc.line, problem=re.sub(r" at line .*$", "", str(exc))
            )
        ) from None
    except TOMLKitError as exc:
        raise CstoolError(_("{path}: {exc}").format(path=path, exc=exc)) from None
    for key in data:
        if key not in MAP_SECTIONS:
            raise CstoolError(
                _("{path}: unknown section [{key}]; a map has {MAP_SECTIONS}").format(
                    path=path, key=key, MAP_SECTIONS=", ".join(MAP_SECTIONS)
                )
            )
    options = data.get("options", {})

    def table_of(name: str, value_type: type | tuple = str) -> dict:
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise CstoolError(_("{path}: [{name}] must be a table").format(path=path, name=name))
        for key, value in table.items():
            if not isinstance(value, value_type):
                raise CstoolError(
                    _("{path}: [{name}] {key!r} has a value of the wrong type").format(path=path, name=name, key=key)
                )
        return dict(table)

    for key in options:
        if key not in MAP_OPTIONS:
            raise CstoolError(
                _("{path}: unknown option {key!r}; options are {MAP_OPTIONS}").format(
                    path=path, key=key, MAP_OPTIONS=", ".join(MAP_OPTIONS)
                )
            )
    mapping = ImportMap(
        columns=table_of("columns", (str, list)),
        values={k: {str(a): b for a, b in v.items()} for k, v in table_of("values", dict).items()},
        formats=table_of("formats"),
        constants=table_of("constants", (str, int, float, bool, list)),
        joins=table_of("joins"),
        timezone=options.get("timezone"),
        encoding=options.get("encoding"),
        format=options.get("format"),
        null=tuple(str(v) for v in options.get("null", [])),
        ignore=tuple(str(v) for v in options.get("ignore", [])),
        ignore_unmapped=bool(options.get("ignore_unmapped", False)),
        delimiter=options.get("delimiter"),
        events=check_events_table(path, data["events"]) if "events" in data else None,
    )
    if mapping.format is not None and mapping.format not in FORMATS:
        raise CstoolError(
            _("{path}: options.format must be one of {FORMATS}").format(path=path, FORMATS=", ".join(FORMATS))
        )
    if mapping.timezone is not None:
        try:
            zone(mapping.timezone)
        except ValueError as exc:
            raise CstoolError(_("{path}: options.timezone: {exc}").format(path=path, exc=exc)) from None
    return mapping


@dataclass
class SourceRow:
    row: int  # data rows counted from 1
    line: int  # the file line where the row starts
    values: dict[str, Any]


@dataclass
class RowError:
    row: int | None
    line: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "line": self.line, "field": self.field, "message": self.message}


class SourceError(CstoolError):
    """The file itself cannot be read as rows (not one row's fault)."""


@dataclass(frozen=True)
class RecordSource:
    """Where ``cstool import`` reads rows from: a file, or whatever a plugin adds (a mailbox,
    an API). ``accepts(location)`` says whether it reads that location; ``read(location,
    mapping, encoding)`` returns the header (None when the rows are not columns of a table)
    and the rows, each a ``SourceRow`` numbered from 1. Rows of every source go through the
    same map, validation, idempotency (external_id) and all-or-nothing write."""

    name: str
    accepts: Callable[[str], bool]
    read: Callable[[str, ImportMap, str], tuple[list[str] | None, Iterator[SourceRow]]]


def _is_file_location(location: str) -> bool:
    return "://" not in location or location.startswith("file://")


def _read_file(location: str, mapping: ImportMap, encoding: str) -> tuple[list[str] | None, Iterator[SourceRow]]:
    path = Path(location.removeprefix("file://"))
    return read_source(path, detect_format(path, mapping.format), encoding, mapping.delimiter)


FILES = RecordSource("file", _is_file_location, _read_file)


def _guarded(reader: RecordSource, rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
    """A source's rows; its failure while they are read is said as its own, nothing written."""
    try:
        yield from rows
    except CstoolError:
        raise
    except Exception as exc:
        raise SourceError(_("record source {name}: {error}").format(name=reader.name, error=exc)) from None


def find_source(app, location: str) -> RecordSource:
    """The first source that reads ``location``: the plugins', then the core's files."""
    for declared in app.hook.cstool_record_sources():
        for source in declared or []:
            if source.accepts(location):
                return source
    if FILES.accepts(location):
        return FILES
    scheme = location.partition("://")[0]
    raise SourceError(_("no record source reads {scheme}:// locations (is its plugin loaded?)").format(scheme=scheme))


def detect_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    return "csv"


def read_source(
    path: Path, fmt: str, encoding: str, delimiter: str | None = None
) -> tuple[list[str] | None, Iterator[SourceRow]]:
    """The header (CSV) and the rows of a file. Decoding problems raise SourceError."""
    try:
        text = path.read_bytes().decode(encoding)
    except FileNotFoundError:
        raise SourceError(_("{path}: no such file").format(path=path)) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        hint = (
            _(" (a spreadsheet saved in mainland China? try --encoding gb18030)") if encoding.startswith("utf") else ""
        )
        raise SourceError(
            _("{path}:{line}: not valid {encoding} text{hint}").format(
                path=path, line=line, encoding=encoding, hint=hint
            )
        ) from None
    except LookupError:
        raise SourceError(_("unknown encoding {encoding!r}").format(encoding=encoding)) from None
    except OSError as exc:
        raise SourceError(_("{path}: cannot read ({strerror})").format(path=path, strerror=exc.strerror)) from None
    if fmt == "csv":
        return _read_csv(path, text, delimiter)
    if fmt == "jsonl":
        return None, _read_jsonl(path, text)
    return None, _read_json(path, text)


def _sample(text: str, size: int = 16384) -> str:
    """The whole lines of the first ``size`` characters, for guessing the delimiter: about a
    hundred rows are plenty, and csv.Sniffer's time grows faster than its sample (64 ms
    for 64 KB, 5 ms for 16 KB)."""
    head = text[:size]
    end = head.rfind("\n")
    return head[: end + 1] if end > 0 and len(text) > size else head


def _read_csv(path: Path, text: str, delimiter: str | None) -> tuple[list[str], Iterator[SourceRow]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(_sample(text), delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(
        text.splitlines(keepends=True), delimiter=delimiter, quotechar='"', doublequote=True, strict=True
    )
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SourceError(_("{path}: the file is empty").format(path=path)) from None
    except csv.Error as exc:
        raise SourceError(_("{path}:1: {exc}").format(path=path, exc=exc)) from None
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        raise SourceError(
            _("{path}:1: the header names {twice} more than once").format(path=path, twice=", ".join(twice))
        )

    def rows() -> Iterator[SourceRow]:
        number = 0
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise SourceError(
                    _("{path}:{start}: row {row}: {exc}").format(path=path, start=start, row=number + 1, exc=exc)
                ) from None
            if not cells or cells == [""]:
                start = reader.line_num + 1
                continue
            number += 1
            values: dict[str, Any]
            if len(cells) != len(header):
                values = {"__width__": (len(cells), len(header))}
            else:
                values = dict(zip(header, cells))
            yield SourceRow(number, start, values)
            start = reader.line_num + 1

    return header, rows()


def _read_jsonl(path: Path, text: str) -> Iterator[SourceRow]:
    import orjson

    number = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        number += 1
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            value = {"__json_error__": str(exc)}
        yield SourceRow(number, line_no, value)


def _read_json(path: Path, text: str) -> Iterator[SourceRow]:
    import orjson

    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        try:
            json.loads(text)
        except json.JSONDecodeError as detail:
            raise SourceError(
                _("{path}:{lineno}: not valid JSON: {msg}").format(path=path, lineno=detail.lineno, msg=detail.msg)
            ) from None
        raise SourceError(_("{path}: not valid JSON: {exc}").format(path=path, exc=exc)) from None
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise SourceError(
            _("{path}: a JSON import must be an array of objects (or use JSON Lines, .jsonl)").format(path=path)
        )
    position += 1
    line, counted_to = 1, 0
    number = 0
    while True:
        position = _skip_space(text, position)
        if text[position] == "]":
            return
        value, end = decoder.raw_decode(text, position)
        line += text.count("\n", counted_to, position)
        counted_to = position
        number += 1
        yield SourceRow(number, line, value)
        position = _skip_space(text, end)
        if text[position] == ",":
            position += 1


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def check_columns(kind: Kind, header: list[str], mapping: ImportMap) -> list[RowError]:
    """Header problems: columns that are no field, required fields no column provides."""
    problems = []
    targets = set()
    for column in header:
        if mapping.ignores(column):
            continue
        for target in mapping.targets(column):
            targets.add(target)
            if target != "status" and (kind.field(target) is None or target in ("id", "kind", "events", "updated_at")):
                via = f" (mapped to {target!r})" if target != column else ""
                problems.append(
                    RowError(
                        None,
                        1,
                        column,
                        _(
                            "column {column!r}{via} is not a field of {name}; map it in [columns] or list it in options.ignore"
                        ).format(column=column, via=via, name=kind.name),
                    )
                )
    for f in kind.fields:
        if f.required and f.name not in targets and f.name not in mapping.constants:
            problems.append(
                RowError(None, 1, f.name, _("missing required column for field {name!r}").format(name=f.name))
            )
    return problems


class ColumnPlan:
    """What each column of a row becomes, worked out once per distinct set of columns."""

    def __init__(self, mapping: ImportMap):
        self.mapping = mapping
        self.nulls = frozenset(mapping.null)
        self._plans: dict[tuple[str, ...], list] = {}

    def _plan(self, columns: tuple[str, ...]) -> list:
        plan = self._plans.get(columns)
        if plan is None:
            mapping = self.mapping
            plan = [
                (column, tuple((t, mapping.values.get(t)) for t in mapping.targets(column)))
                for column in columns
                if not mapping.ignores(column)
            ]
            self._plans[columns] = plan
        return plan

    def apply(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
        """A source row as field name → raw value, after renaming, value maps and constants.

        Several columns mapped to one field are joined with a new line, in file order.
        """
        out: dict[str, Any] = {}
        problems: list[FieldError] = []
        nulls = self.nulls
        for column, targets in self._plan(tuple(values)):
            value = values[column]
            if isinstance(value, dict):
                problems.append(FieldError(column, _("nested objects cannot be imported; flatten them first")))
                continue
            if nulls and isinstance(value, str) and (value in nulls or value.strip() in nulls):
                value = None
            for target, table in targets:
                mapped = value
                if table is not None and mapped is not None and not isinstance(mapped, list):
                    mapped = table.get(str(mapped), table.get("*", mapped))
                if target in out and not is_blank(out[target]):
                    if not is_blank(mapped):
                        out[target] = f"{out[target]}{self.mapping.joins.get(target, chr(10))}{mapped}"
                else:
                    out[target] = mapped
        for name, value in self.mapping.constants.items():
            if is_blank(out.get(name)):
                out[name] = value
        return out, problems


@dataclass
class ImportOutcome:
    kind: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "errors": [e.as_dict() for e in self.errors],
        }


CHUNK_ROWS = 5000  # rows validated per batch of hook calls; progress advances per chunk


def run_import(
    app,
    kind: Kind,
    location: str | Path,
    mapping: ImportMap,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    on_duplicate: str = "skip",
    encoding: str | None = None,
    progress: Callable[[int], Any] | None = None,
) -> ImportOutcome:
    """Import the rows at ``location`` (a file's path, or what a record source reads).
    ``progress(total)``, when given, returns a context manager with ``update(n)``
    (click.progressbar fits), advanced as rows are checked."""
    from cstool.core.files import collector_paused

    with collector_paused():
        return _run_import(
            app,
            kind,
            str(location),
            mapping,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            on_duplicate=on_duplicate,
            encoding=encoding,
            progress=progress,
        )


def _run_import(
    app,
    kind: Kind,
    location: str,
    mapping: ImportMap,
    *,
    dry_run: bool,
    skip_invalid: bool,
    on_duplicate: str,
    encoding: str | None,
    progress: Callable[[int], Any] | None,
) -> ImportOutcome:
    reader = find_source(app, location)
    try:
        header, rows = reader.read(location, mapping, encoding or mapping.encoding or "utf-8-sig")
    except CstoolError:
        raise
    except Exception as exc:  # a plugin's source that failed: said as its failure, nothing written
        raise SourceError(_("record source {name}: {error}").format(name=reader.name, error=exc)) from None
    rows = _guarded(reader, rows)
    outcome = ImportOutcome(kind.name)
    if header is not None:
        outcome.errors.extend(check_columns(kind, header, mapping))
        if outcome.errors:
            return outcome
    tz = zone(mapping.timezone) if mapping.timezone else app.tz
    plan = ColumnPlan(mapping)
    sources: list[SourceRow] = []
    raw_rows: list[dict[str, Any]] = []
    early: dict[int, list[FieldError]] = {}
    for source in rows:
        outcome.read += 1
        sources.append(source)
        values = source.values
        problem = None
        if not isinstance(values, dict):
            problem = f"is not a JSON object (it is {type(values).__name__})"
        elif "__width__" in values:
            problem = "the row has {} values but the header has {}".format(*values["__width__"])
        elif "__json_error__" in values:
            problem = f"not valid JSON: {values['__json_error__']}"
        if problem:
            early[len(raw_rows)] = [FieldError(None, problem)]
            raw_rows.append({})
            continue
        mapped, problems = plan.apply(values)
        if problems:
            early[len(raw_rows)] = problems
        raw_rows.append(mapped)
    histories = None
    if mapping.events is not None:
        histories = _fold_histories(app, kind, mapping, sources, raw_rows, early, tz)
    return apply_import(
        app,
        kind,
        sources,
        raw_rows,
        early,
        outcome,
        tz=tz,
        formats=mapping.formats,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        on_duplicate=on_duplicate,
        progress=progress,
        histories=histories,
    )


FOLDED: list[FieldError] = []  # a later row of an event log: folded into its record's first row


def _fold_histories(app, kind, mapping, sources, raw_rows, early, tz) -> dict[int, list]:
    """An event log's rows of one record, folded into its first row: that row becomes the
    record as the last row left it, and the steps in between are kept to become events."""
    from cstool.core.eventlog import group_rows

    groups, bad = group_rows(mapping.events, sources, tz)
    early.update(bad)
    histories = {}
    for first, rows in groups.items():
        steps = []
        for when, index in rows:
            if index in early:
                continue
            values, problems = app.book.parse_row(kind, raw_rows[index], tz=tz, formats=mapping.formats)
            if problems:
                early[index] = problems
                continue
            steps.append((when, values))
        last = rows[-1][1]
        for _when, index in rows:
            if index != first:
                early.setdefault(index, FOLDED)
        if first in early and early[first] is not FOLDED:
            continue
        # The record starts as the first row says, and becomes what the last row says. A
        # first row already resolved or closed was so at its own time (unless the source's
        # own resolved_at / closed_at columns, mapped, say when).
        raw_rows[first] = {
            **raw_rows[last],
            "created_at": raw_rows[first].get("created_at"),
            "status": raw_rows[first].get("status"),
            **_first_stamps(kind, steps, raw_rows[last], mapping.formats),
        }
        early.pop(first, None)
        histories[first] = steps
    return histories


def _first_stamps(kind, steps: list, last_row: dict, formats: Mapping[str, str]) -> dict:
    """The resolved and closed times of an event log's record as its first row leaves it
    (as the row would write them: the map's format for the field, else ISO 8601)."""
    from cstool.core.timeutil import format_datetime

    if not steps:
        return {"resolved_at": None, "closed_at": None}
    when, values = steps[0]
    status = kind.status(str(values.get("status") or ""))
    phase = status.phase if status is not None else None

    def written(name: str) -> str:
        return last_row.get(name) or (when.strftime(formats[name]) if name in formats else format_datetime(when))

    return {
        "resolved_at": written("resolved_at") if phase in ("resolved", "closed") else None,
        "closed_at": written("closed_at") if phase == "closed" else None,
    }


def _replay(kind, record: dict, steps: list, by: str) -> None:
    """The later rows of an event log as events of ``record``, which ends as the last row left it.
    The source's own ``resolved_at`` / ``closed_at`` (when the map names those columns) win over
    the times the rows imply, and the status events move with them, so the clocks stop there."""
    from cstool.core.eventlog import history_events
    from cstool.core.records import move_status_event

    initial = {name: record.get(name) for name in ("resolved_at", "closed_at")}
    events, stamps = history_events(kind, steps, by, initial)
    record["events"] += events
    final = steps[-1][1]
    record["status"] = final.get("status") or record["status"]
    for name, phase in (("resolved_at", "resolved"), ("closed_at", "closed")):
        given = final.get(name)
        if given and stamps[name] and given != stamps[name]:
            move_status_event(kind, record["events"], phase, stamps[name], given)
            stamps[name] = given
    record.update(stamps)
    if events:
        record["updated_at"] = events[-1]["at"]


def apply_import(
    app,
    kind: Kind,
    sources: list[SourceRow],
    raw_rows: list[dict],
    early: dict[int, list[FieldError]],
    outcome: ImportOutcome,
    *,
    tz,
    formats: Mapping[str, str],
    dry_run: bool,
    skip_invalid: bool,
    on_duplicate: str,
    progress: Callable[[int], Any] | None = None,
    histories: dict[int, list] | None = None,
) -> ImportOutcome:
    book = app.book
    candidates = [i for i in range(len(raw_rows)) if i not in early]
    problems: dict[int, list[FieldError]] = {i: list(e) for i, e in early.items() if e is not FOLDED}
    records: dict[int, dict] = {}
    with progress(len(candidates)) if progress else contextlib.nullcontext() as bar:
        for first in range(0, len(candidates), CHUNK_ROWS):
            chunk = candidates[first : first + CHUNK_ROWS]
            built = book.build(kind, [raw_rows[i] for i in chunk], tz=tz, formats=formats, history=True)
            for position, error in built.errors:
                problems.setdefault(chunk[position], []).append(error)
            records.update((chunk[p], r) for p, r in enumerate(built.records) if r is not None)
            if bar is not None:
                bar.update(len(chunk))
    for index, steps in (histories or {}).items():
        if index in records and len(steps) > 1:
            _replay(kind, records[index], steps, app.user)

    def sort_out(existing: list[dict]) -> tuple[list[dict], list[dict]]:
        """Split valid rows into new records and updates; count or refuse duplicates."""
        stored = {r["external_id"]: r for r in existing if r.get("external_id") is not None}
        seen: dict[str, int] = {}
        new, updates = [], []
        outcome.duplicates = 0
        for index in sorted(records):
            record = records[index]
            external = record.get("external_id")
            if external is None or (external not in stored and external not in seen):
                if external is not None:
                    seen[external] = sources[index].row
                new.append(record)
                continue
            if on_duplicate == "error":
                duplicate = (
                    _("{external!r} is already imported as {id}")
                    if external in stored
                    else _("{external!r} repeats row {row}")
                )
                message = duplicate.format(
                    external=external, id=stored.get(external, {}).get("id"), row=seen.get(external)
                )
                problems.setdefault(index, []).append(FieldError("external_id", message))
            elif on_duplicate == "update" and external in stored:
                changed = book.merge_import(kind, stored[external], record, raw_rows[index].keys())
                if changed is None:
                    outcome.duplicates += 1
                else:
                    seal(changed, stored[external])
                    updates.append(changed)
            else:
                outcome.duplicates += 1
        return new, updates

    def tally(new: list[dict], updates: list[dict]) -> bool:
        """Count the outcome; False when errors refuse the whole import."""
        outcome.errors = [
            RowError(sources[i].row, sources[i].line, e.field, e.message) for i in sorted(problems) for e in problems[i]
        ]
        outcome.skipped = len(problems) if skip_invalid else 0
        if problems and not skip_invalid:
            outcome.duplicates = 0
            return False
        outcome.imported, outcome.updated = len(new), len(updates)
        return True

    if dry_run:
        tally(*sort_out(app.store.records(kind.name)))
        return outcome

    # Duplicates are checked across every record of the kind inside one transaction, then
    # each file (each month of a kind stored by month) is written once. A crash between
    # months leaves whole months written; re-running the import completes it (rows match by
    # external_id).
    # A store whose writers of one record take no lock of the kind (PostgreSQL) reports a
    # record changed meanwhile: the whole write runs again from a fresh read.
    def write() -> list[dict]:
        with app.store.transaction(kind.name) as tx:
            new, updates = sort_out(tx.all())
            if tally(new, updates) and (new or updates):
                for record in new:
                    record["id"] = tx.new_id(kind.prefix, book.day_of(record["created_at"]))
                    seal(record)
                tx.insert(new)
                tx.replace(updates)
                outcome.written = True
        return new

    new = retrying(write)
    if outcome.written and new:
        app.hook.cstool_records_stored(kind=kind, records=new, app=app)
    return outcome
