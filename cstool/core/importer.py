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
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from cstool.stores.base import get_records, retrying

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
    problem: str | None = None  # why the source could not read this row (said as the row's error)


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
    """The header (CSV) and the rows of a file, read as they are asked for (CSV and JSON
    Lines: a file of any size in flat memory; a JSON array is read whole). Text that is
    not in ``encoding`` raises SourceError naming the line, when it is met."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SourceError(_("unknown encoding {encoding!r}").format(encoding=encoding)) from None
    try:
        if fmt == "json":
            return None, _read_json(path, path.read_bytes().decode(encoding))
        handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the rows' reader
    except FileNotFoundError:
        raise SourceError(_("{path}: no such file").format(path=path)) from None
    except UnicodeDecodeError:
        raise _not_text(path, encoding) from None
    except OSError as exc:
        raise SourceError(_("{path}: cannot read ({strerror})").format(path=path, strerror=exc.strerror)) from None
    try:
        if fmt == "jsonl":
            return None, _decoded(path, encoding, handle, _read_jsonl(handle))
        header, rows = _read_csv(path, handle, delimiter)
    except UnicodeDecodeError:
        handle.close()
        raise _not_text(path, encoding) from None
    except BaseException:
        handle.close()
        raise
    return header, _decoded(path, encoding, handle, rows)


def _decoded(path: Path, encoding: str, handle, rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
    """``rows``, the file closed when they end; text not in ``encoding`` said with its line."""
    with handle:
        try:
            yield from rows
        except UnicodeDecodeError:
            raise _not_text(path, encoding) from None


def _not_text(path: Path, encoding: str) -> SourceError:
    """The error for a file that is not ``encoding`` text, naming the line of the first bad byte."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as raw:
        while True:
            chunk = raw.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line += chunk[: exc.start].count(b"\n")
                break
            if not chunk:
                break
            line += chunk.count(b"\n")
    hint = _(" (a spreadsheet saved in mainland China? try --encoding gb18030)") if encoding.startswith("utf") else ""
    return SourceError(
        _("{path}:{line}: not valid {encoding} text{hint}").format(path=path, line=line, encoding=encoding, hint=hint)
    )


def _sample(text: str, size: int = 16384) -> str:
    """The whole lines of the first ``size`` characters, for guessing the delimiter: about a
    hundred rows are plenty, and csv.Sniffer's time grows faster than its sample (64 ms
    for 64 KB, 5 ms for 16 KB)."""
    head = text[:size]
    end = head.rfind("\n")
    return head[: end + 1] if end > 0 and len(text) >= size else head


def _read_csv(path: Path, handle, delimiter: str | None) -> tuple[list[str], Iterator[SourceRow]]:
    if delimiter is None:
        sample_size = 16384
        try:
            delimiter = (
                csv.Sniffer().sniff(_sample(handle.read(sample_size), sample_size), delimiters=",;\t|").delimiter
            )
        except csv.Error:
            delimiter = ","
        handle.seek(0)
    reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SourceError(_("{path}: the file is empty").format(path=path)) from None
    except csv.Error as exc:
        raise SourceError(_("{path}:1: {exc}").format(path=path, exc=exc)) from None
    if header:
        header[0] = header[0].removeprefix("\ufeff")
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


def _read_jsonl(lines: Iterable[str]) -> Iterator[SourceRow]:
    import orjson

    number = 0
    for line_no, line in enumerate(lines, start=1):
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
    added: list[str] = field(default_factory=list)  # the new records' ids, in row order (not in the JSON)

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


CHUNK_ROWS = 5000  # rows checked and written per batch: an import holds one batch, whatever its size


@dataclass
class PreparedRow:
    """A source row on its way in: its raw values by field, what is wrong with it so far,
    and, for an event log, the steps its later rows took (to become its events)."""

    source: SourceRow
    raw: dict[str, Any]
    problems: list[FieldError]
    steps: list | None = None


class _RolledBack(Exception):
    """A dry run or a refused import leaves the store's transaction undone."""


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
    progress: Callable[[], Any] | None = None,
    source: RecordSource | None = None,
) -> ImportOutcome:
    """Import the rows at ``location`` (a file's path, or what a record source reads; ``source``
    names the source instead of looking it up, as a command that has its rows at hand does).

    Rows are read, checked and written a batch at a time inside one transaction of the
    store, so memory holds a batch, not the file; nothing is visible to anyone until every
    row is checked, and a refused import or a dry run undoes the transaction (a dry run
    so sees exactly what the import would do, repeats within the file included).
    ``progress()``, when given, returns a context manager with ``update(n)``, advanced as
    rows are checked. A store that reports a record changed meanwhile (PostgreSQL, an
    agent updating a record the import also updates) makes the whole import run again."""
    from cstool.core.files import collector_paused

    importer = _Import(app, kind, mapping, dry_run=dry_run, skip_invalid=skip_invalid, on_duplicate=on_duplicate)
    with collector_paused():
        outcome, added = retrying(lambda: importer.run(str(location), encoding, progress, source))
    outcome.added = added
    in_store_order = sorted(added)  # a batch then reads a few of the folder's parts, not all
    for first in range(0, len(in_store_order), CHUNK_ROWS):
        # told a batch at a time, read back from the store and then let go: memory holds a batch
        chunk = get_records(app.store, kind.name, in_store_order[first : first + CHUNK_ROWS])
        app.hook.cstool_records_stored(kind=kind, records=chunk, app=app)
        if len(in_store_order) > CHUNK_ROWS:  # what one batch read is let go before the next
            app.store.forget()
    return outcome


class _Import:
    """One import's settings and the steps of a run: prepare each row, then write a batch."""

    def __init__(self, app, kind: Kind, mapping: ImportMap, *, dry_run: bool, skip_invalid: bool, on_duplicate: str):
        self.app, self.kind, self.mapping = app, kind, mapping
        self.dry_run, self.skip_invalid, self.on_duplicate = dry_run, skip_invalid, on_duplicate
        self.tz = zone(mapping.timezone) if mapping.timezone else app.tz

    def run(
        self, location: str, encoding: str | None, progress, source: RecordSource | None
    ) -> tuple[ImportOutcome, list[str]]:
        """One attempt: the outcome and the ids of the records it added (none unless kept)."""
        outcome = ImportOutcome(self.kind.name)
        reader = source or find_source(self.app, location)
        try:
            header, rows = reader.read(location, self.mapping, encoding or self.mapping.encoding or "utf-8-sig")
        except CstoolError:
            raise
        except Exception as exc:  # a plugin's source that failed: said as its failure, nothing written
            raise SourceError(_("record source {name}: {error}").format(name=reader.name, error=exc)) from None
        if header is not None:
            outcome.errors.extend(check_columns(self.kind, header, self.mapping))
            if outcome.errors:
                return outcome, []
        prepared = self._prepare(_guarded(reader, rows), outcome)
        added: list[str] = []
        try:
            with (
                self.app.store.transaction(self.kind.name) as tx,
                progress() if progress else contextlib.nullcontext() as bar,
            ):
                for batch in _batches(prepared, CHUNK_ROWS):
                    self._write(tx, batch, outcome, added)
                    if bar is not None:
                        bar.update(len(batch))
                refused = bool(outcome.errors) and not self.skip_invalid
                if refused:
                    outcome.imported = outcome.updated = outcome.duplicates = 0
                if refused or self.dry_run:
                    raise _RolledBack
                outcome.written = bool(outcome.imported or outcome.updated)
        except _RolledBack:
            return outcome, []
        return outcome, added

    def _prepare(self, rows: Iterator[SourceRow], outcome: ImportOutcome) -> Iterator[PreparedRow]:
        plan = ColumnPlan(self.mapping)
        prepared = (self._mapped(plan, source, outcome) for source in rows)
        if self.mapping.events is None:
            return prepared
        return _fold_histories(self.app, self.kind, self.mapping, list(prepared), self.tz)

    @staticmethod
    def _mapped(plan: ColumnPlan, source: SourceRow, outcome: ImportOutcome) -> PreparedRow:
        outcome.read += 1
        values = source.values
        problem = source.problem or _row_problem(values)
        if problem:
            return PreparedRow(source, {}, [FieldError(None, problem)])
        mapped, problems = plan.apply(values)
        return PreparedRow(source, mapped, problems)

    def _write(self, tx, batch: list[PreparedRow], outcome: ImportOutcome, added: list[str]) -> None:
        """Check a batch (build, then match each row to a stored record by external id) and
        write what it adds and changes into the open transaction."""
        app, kind, book = self.app, self.kind, self.app.book
        candidates = [row for row in batch if not row.problems]
        built = book.build(
            kind, [row.raw for row in candidates], tz=self.tz, formats=self.mapping.formats, history=True
        )
        for position, error in built.errors:
            candidates[position].problems.append(error)
        records = [(row, record) for row, record in zip(candidates, built.records) if record is not None]
        for row, record in records:
            if row.steps is not None and len(row.steps) > 1:
                _replay(kind, record, row.steps, app.user)
        found = tx.by_external_id([r["external_id"] for _row, r in records if r.get("external_id") is not None])
        this_batch: dict[str, dict] = {}
        new, updates = [], []
        for row, record in records:
            external = record.get("external_id")
            if external is None:
                new.append(record)
                continue
            stored, written_here = found.get(external, (None, False))
            earlier = this_batch.get(external) or (stored if written_here else None)
            if earlier is not None:  # the file names the record twice: its first row counts
                if self.on_duplicate == "error":
                    message = _("{external!r} repeats an earlier row of this import (imported as {id})")
                    row.problems.append(FieldError("external_id", message.format(external=external, id=earlier["id"])))
                else:
                    outcome.duplicates += 1
            elif stored is None:
                new.append(record)
                this_batch[external] = record
            elif self.on_duplicate == "error":
                message = _("{external!r} is already imported as {id}")
                row.problems.append(FieldError("external_id", message.format(external=external, id=stored["id"])))
            elif self.on_duplicate == "update":
                changed = book.merge_import(kind, stored, record, row.raw.keys())
                this_batch[external] = stored
                if changed is None:
                    outcome.duplicates += 1
                else:
                    seal(changed, stored)
                    updates.append(changed)
            else:
                outcome.duplicates += 1
        for record in new:
            record["id"] = tx.new_id(kind.prefix, book.day_of(record["created_at"]))
            seal(record)
        tx.insert(new)
        tx.replace(updates)
        outcome.imported += len(new)
        outcome.updated += len(updates)
        added.extend(record["id"] for record in new)
        refused = [row for row in batch if row.problems]
        outcome.skipped += len(refused) if self.skip_invalid else 0
        outcome.errors.extend(
            RowError(row.source.row, row.source.line, e.field, e.message) for row in refused for e in row.problems
        )


def _row_problem(values: Any) -> str | None:
    """What the reader found wrong with a row of a file, before any field is looked at."""
    if not isinstance(values, dict):
        return f"is not a JSON object (it is {type(values).__name__})"
    if "__width__" in values:
        return "the row has {} values but the header has {}".format(*values["__width__"])
    if "__json_error__" in values:
        return f"not valid JSON: {values['__json_error__']}"
    return None


def _batches(rows: Iterator[PreparedRow], size: int) -> Iterator[list[PreparedRow]]:
    batch: list[PreparedRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


FOLDED: list[FieldError] = []  # a later row of an event log: folded into its record's first row


def _fold_histories(app, kind, mapping, rows: list[PreparedRow], tz) -> Iterator[PreparedRow]:
    """An event log's rows of one record, folded into its first row: that row becomes the
    record as the last row left it, and the steps in between are kept to become events
    (the whole log is read first: a record's rows may lie anywhere in it)."""
    from cstool.core.eventlog import group_rows

    groups, bad = group_rows(mapping.events, [row.source for row in rows], tz)
    for index, problems in bad.items():
        rows[index].problems = problems
    for first, group in groups.items():
        steps = []
        for when, index in group:
            if rows[index].problems:
                continue
            values, problems = app.book.parse_row(kind, rows[index].raw, tz=tz, formats=mapping.formats)
            if problems:
                rows[index].problems = problems
                continue
            steps.append((when, values))
        last = group[-1][1]
        for _when, index in group:
            if index != first and not rows[index].problems:
                rows[index].problems = FOLDED
        if rows[first].problems:
            continue
        # The record starts as the first row says, and becomes what the last row says. A
        # first row already resolved or closed was so at its own time (unless the source's
        # own resolved_at / closed_at columns, mapped, say when).
        rows[first].raw = {
            **rows[last].raw,
            "created_at": rows[first].raw.get("created_at"),
            "status": rows[first].raw.get("status"),
            **_first_stamps(kind, steps, rows[last].raw, mapping.formats),
        }
        rows[first].steps = steps
    return (row for row in rows if row.problems is not FOLDED)


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
