"""Records on disk: one TinyDB JSON file per kind, written atomically under a lock.

Layout: ``data/<kind>.json`` holds the TinyDB table ``<kind>`` (the records) and the
table ``_meta`` (schema version and id sequences). One file per kind keeps a busy call
log from making every complaint save rewrite it. A high-volume kind is kept in parts of at
most a thousand records of one day: ``data/<kind>/<YYYY-MM-DD>[.NNNN].json``, named from the
id (``CALL-20261116-0007`` lives in ``2026-11-16``, ``CALL-20261116-1234`` in
``2026-11-16.0001``: ``part_of_id``), so showing, logging or updating one record reads and
rewrites at most a thousand records whatever the month's size, and the parts, sorted by
name, hold the records in the order they were numbered. Reads span every part. A workspace
of the older layout (one file a month) is split into parts the first time a writer of the
kind takes its lock.

Guarantees:
- a write goes to a temp file, is fsynced, renamed over the old file and the folder is
  fsynced, so a crash leaves either the old file or the new one, whole;
- writers hold ``data/<kind>.json.lock`` and read the file afresh inside it, so two
  processes adding records at once both keep theirs and ids are never reused;
- a file that is not valid JSON is never overwritten: every write reads it first;
- readers take no lock (rename is atomic) and load each file at most once per command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import ExitStack, contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from cstool.core.errors import StoreError
from cstool.core.files import (
    DIR_MODE,
    FILE_MODE,
    HeldLock,
    append_durably,
    atomic_write,
    file_identity,
    load_json_file,
    locked,
    network_share_warning,
    staged_write,
    write_new_file,
)
from cstool.core.i18n import _
from cstool.stores import folder_layout
from cstool.stores.base import (
    Selection,
    SharedState,
    Transaction,
    check_state_name,
    count_values,
    login_name,
    part_of_id,
    part_of_number,
)

SCHEMA_VERSION = 2  # 2: a busy kind in parts of a day (1: a file a month), so an older cstool refuses them
FILES_FOLDER = "files"  # attachments, under data/
META_TABLE = "_meta"
COMMIT_JOURNAL = ".commit-journal.json"  # in a kind's folder while a commit of several parts moves them in
# a part staged beside its place (a month: staged by a cstool of the older layout)
_STAGED_PART = re.compile(r"\.(\d{4}-\d{2}(?:-\d{2}(?:\.\d{4})?)?\.json)\.[0-9a-f]{12}\.tmp")
_OLD_MONTH = re.compile(r"\d{4}-\d{2}\.json")  # the older layout's file of a month
_LATER_PART = re.compile(r"\.\d{4}")  # what follows a day's name in the name of its later parts


class BufferedAtomicStorage(Storage):
    """TinyDB storage that reads the file once and writes it once, atomically, on flush().

    TinyDB calls read() and write() around every table operation; buffering them turns
    a transaction of many operations into one read and one write.
    """

    def __init__(self, path: str | Path, source: Path | None = None, **_ignored: Any):
        """The file at ``path``, read from ``source`` instead when given (a part that a
        transaction set aside, written but not yet in place)."""
        self.path = Path(path)
        self._source = source or self.path
        self._data: dict | None = None
        self._loaded = False
        self._dirty = False

    def read(self) -> dict | None:
        if not self._loaded:
            self._data = _load_object(self._source)
            self._loaded = True
        return self._data

    def write(self, data: dict) -> None:
        self._data = data
        self._loaded = True
        self._dirty = True

    @property
    def dirty(self) -> bool:
        return self._dirty

    def flush(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(mode=DIR_MODE, exist_ok=True)  # a kind's first part: its folder
            atomic_write(self.path, orjson.dumps(self._data))
            self._dirty = False


def _check_schema(path: Path, data: dict | None) -> None:
    if not data:
        return
    meta = data.get(META_TABLE, {}).get("1", {})
    version = meta.get("schema", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise StoreError(
            _("{path} has schema version {version!r}; this cstool reads up to {SCHEMA_VERSION}: upgrade cstool").format(
                path=path, version=version, SCHEMA_VERSION=SCHEMA_VERSION
            )
        )


def load_data_file(path: Path) -> dict:
    """A kind's data file, checked: an object with a schema this cstool reads ({} if absent)."""
    data = _load_object(path)
    _check_contents(path, data)
    return data or {}


def _load_object(path: Path) -> dict | None:
    """The JSON object in ``path``, or None when there is no file."""
    data = load_json_file(path)
    if data is None and path.exists():  # `null`: cstool never writes it, and must not write over it
        raise StoreError(
            _("{path} holds null, not records (changed by something other than cstool); it was left as it is").format(
                path=path
            )
        )
    if data is not None and not isinstance(data, dict):
        raise StoreError(
            _("{path} is not a cstool data file (its top level is not an object); it was left as it is").format(
                path=path
            )
        )
    return data


def _check_contents(path: Path, data: dict | None) -> None:
    _check_schema(path, data)
    for table, records in (data or {}).items():
        _check_table(path, table, records)


def _check_table(path: Path, table: str, records: Any) -> None:
    """A table is an object of documents, and a kind's documents are records with an id."""
    if not isinstance(records, dict) or not all(isinstance(doc, dict) for doc in records.values()):
        raise StoreError(
            _("{path}: table {table!r} is not an object of records; it was left as it is").format(
                path=path, table=table
            )
        )
    if table != META_TABLE:
        seen: set[str] = set()
        for doc_id, record in records.items():
            record_id = record.get("id")
            if not isinstance(record_id, str) or not isinstance(record.get("created_at"), str):
                raise StoreError(
                    _("{path}: record {doc_id} of {table!r} has no id or no created_at; it was left as it is").format(
                        path=path, doc_id=doc_id, table=table
                    )
                )
            if record_id in seen:
                raise StoreError(
                    _("{path}: two records of {table!r} have the id {id}; it was left as it is").format(
                        path=path, table=table, id=record_id
                    )
                )
            seen.add(record_id)


class FileTransaction:
    """Changes to one file of a kind, made under the kind's lock and written once at the end."""

    def __init__(self, kind: str, db: TinyDB, storage: BufferedAtomicStorage):
        self.kind = kind
        self._db = db
        self._storage = storage
        self._table = db.table(kind)
        data = storage.read() or {}
        _check_contents(storage.path, data)
        self._raw: dict[str, dict] = data.get(kind, {})
        self._doc_ids: dict[str, int] | None = None
        meta = data.get(META_TABLE, {}).get("1")
        self._meta: dict[str, Any] = dict(meta) if meta else {"schema": SCHEMA_VERSION, "kind": kind, "sequences": {}}
        self._meta["sequences"] = dict(self._meta.get("sequences", {}))
        self._meta_dirty = False

    # reading, inside the lock
    def all(self) -> list[dict]:
        return list(self._raw.values())

    def _index(self) -> dict[str, int]:
        if self._doc_ids is None:
            self._doc_ids = {doc["id"]: int(doc_id) for doc_id, doc in self._raw.items() if "id" in doc}
        return self._doc_ids

    def get(self, record_id: str) -> dict | None:
        doc_id = self._index().get(record_id)
        return None if doc_id is None else self._raw[str(doc_id)]

    # writing
    def last_number(self, day: str) -> int:
        """The last number this file handed out for ``day`` (YYYYMMDD)."""
        return self._meta["sequences"].get(day, 0)

    def keep_sequences(self, sequences: Mapping[str, int]) -> None:
        """Never hand out again a number ``sequences`` (day -> last number) already gave."""
        mine = self._meta["sequences"]
        for day, number in sequences.items():
            if number > mine.get(day, 0):
                mine[day] = number
                self._meta_dirty = True

    def insert(self, records: list[dict]) -> None:
        if not records:
            return
        doc_ids = self._table.insert_multiple(records)
        self._raw = (self._storage.read() or {})[self.kind]
        index = self._index()
        for record, doc_id in zip(records, doc_ids):
            index[record["id"]] = doc_id

    def replace(self, records: list[dict]) -> None:
        """Put each record in place of the stored one with the same id."""
        if not records:
            return
        index = self._index()
        by_id = {}
        for record in records:
            if record["id"] not in index:
                raise StoreError(_("{id} is not in {path}").format(id=record["id"], path=self._storage.path))
            by_id[record["id"]] = record

        def swap(document: MutableMapping) -> None:  # TinyDB passes the stored dict itself
            replacement = by_id[document["id"]]
            document.clear()
            document.update(replacement)

        self._table.update(swap, doc_ids=[index[record_id] for record_id in by_id])
        self._raw = (self._storage.read() or {})[self.kind]

    def remove_all(self) -> None:
        self._table.truncate()
        self._raw = (self._storage.read() or {}).get(self.kind, {})
        self._doc_ids = None
        self._meta["sequences"] = {}
        self._meta_dirty = True

    @property
    def changed(self) -> bool:
        return self._meta_dirty or self._storage.dirty

    @property
    def size(self) -> int:
        """How many records the file holds (what it costs in memory)."""
        return len(self._raw)

    def final_data(self) -> dict:
        """The file's content as the transaction leaves it."""
        data = self._storage.read() or {}
        if self.changed:
            data[META_TABLE] = {"1": self._meta}
            data.setdefault(self.kind, {})
        return data

    def commit(self) -> dict:
        """Write the file once if anything changed; the data as it now stands."""
        if self.changed:
            self._storage.write(self.final_data())
            self._storage.flush()
        return self._storage.read() or {}

    def stage(self) -> Path:
        """The changed file written beside its place (not yet in it), for a commit of several."""
        self._storage.path.parent.mkdir(mode=DIR_MODE, exist_ok=True)  # a kind's first parts: its folder
        return staged_write(self._storage.path, orjson.dumps(self.final_data()))


class FolderStore:
    """The records of a workspace in its ``data/`` folder. Each file is loaded at most once per command.

    ``partitioned`` names the kinds stored in parts (``part_of_id``).
    """

    description = "folder"

    def __init__(
        self,
        root: Path,
        partitioned: frozenset[str] | set[str] = frozenset(),
        warn: Callable[[str], None] | None = None,
    ):
        """The folder store of the workspace (or staging folder) ``root``."""
        self.data_dir = folder_layout.data_dir(root)
        self._warn = warn  # told once, at the first write, when the folder is on a network share
        self.partitioned = frozenset(partitioned)
        self._loaded: dict[tuple[str, str | None], dict] = {}
        self._index: dict[tuple[str, str | None], dict[str, dict]] = {}
        self._held: dict[str, HeldLock] = {}  # kind -> the lock this store holds for it
        self._settled: set[str] = set()  # kinds whose parts' commit journal was looked for

    def path(self, kind: str, partition: str | None = None) -> Path:
        """The file of ``kind`` (of its part ``partition``), refused when the data folder, the
        kind's folder or the file is a symbolic link: records never leave the workspace."""
        if kind in self.partitioned:
            if partition is None:
                raise StoreError(_("kind {kind} is stored in parts: a part is needed").format(kind=kind))
            path = self.data_dir / kind / f"{partition}.json"
        else:
            path = self.data_dir / f"{kind}.json"
        _refuse_links(self.data_dir, path.parent, path)
        return path

    def partition_of_id(self, kind: str, record_id: str) -> str | None:
        return part_of_id(record_id) if kind in self.partitioned else None

    def parts_of_day(self, kind: str, day: str) -> list[str]:
        """The parts of ``kind`` on disk that hold records of ``day`` (YYYYMMDD), in order."""
        first = part_of_number(day, 0)
        folder = self.data_dir / kind
        found = [p.stem for p in folder.glob(f"{first}*.json")] if folder.is_dir() else []
        return sorted(name for name in found if name == first or _LATER_PART.fullmatch(name[len(first) :]))

    def partitions(self, kind: str) -> list[str | None]:
        """The partitions of ``kind`` on disk (``[None]`` for a kind kept in one file)."""
        if kind not in self.partitioned:
            return [None]
        self._settle(kind)
        folder = self.data_dir / kind
        parts: list[str | None] = []
        if folder.is_dir():
            parts.extend(sorted(p.stem for p in folder.glob("*.json") if not p.name.startswith(".")))
        return parts

    def _data(self, kind: str, partition: str | None = None, fresh: bool = False) -> dict:
        key = (kind, partition)
        if fresh or key not in self._loaded:
            self._loaded[key] = load_data_file(self.path(kind, partition))
            self._index.pop(key, None)
        return self._loaded[key]

    def records(self, kind: str, fresh: bool = False) -> list[dict]:
        """Every record of ``kind``, oldest partition first. Shared: do not mutate them.

        ``fresh`` reads the files again (for a writer holding the kind's lock)."""
        found: list[dict] = []
        for partition in self.partitions(kind):
            found.extend(self._data(kind, partition, fresh).get(kind, {}).values())
        return found

    def get(self, kind: str, record_id: str) -> dict | None:
        partition = self.partition_of_id(kind, record_id)
        self._settle(kind)
        key = (kind, partition)
        index = self._index.get(key)
        if index is None:
            if partition is not None and not self.path(kind, partition).exists():
                return None
            index = self._index[key] = {r.get("id"): r for r in self._data(kind, partition).get(kind, {}).values()}
        return index.get(record_id)

    def select(self, kind: str, selection: Selection) -> list[dict]:
        return list(selection.filter(self.records(kind)))

    def stream(self, kind: str, selection: Selection) -> Iterator[dict]:
        return selection.filter(self.records(kind))  # the files are whole JSON: read once, kept

    def tally(self, kind: str, selection: Selection, fields: tuple[str, ...], tz: tzinfo) -> dict[tuple, int]:
        return count_values(selection.filter(self.records(kind)), fields, tz)

    def sequences(self, kind: str) -> dict[str, int]:
        """Day (YYYYMMDD) -> the last number handed out that day, over every file of ``kind``."""
        found: dict[str, int] = {}
        for partition in self.partitions(kind):
            meta = self._data(kind, partition).get(META_TABLE, {}).get("1") or {}
            for day, number in meta.get("sequences", {}).items():
                found[day] = max(number, found.get(day, 0))
        return found

    def lock_path(self, kind: str) -> Path:
        """The one lock of ``kind``: every write of the kind takes it. It stays when released:
        removing a lock file another process waits on would let two writers in at once."""
        if kind in self.partitioned:
            return self.data_dir / f"{kind}.lock"  # beside the parts' folder
        return self.data_dir / f"{kind}.json.lock"

    def journal_path(self, kind: str) -> Path:
        """Where a commit of several parts of ``kind`` lists its files while it moves them in."""
        return self.data_dir / kind / COMMIT_JOURNAL

    def _settle(self, kind: str) -> None:
        """Before ``kind`` is read: a commit of several parts cut short is finished, and the
        older layout's months split, first (it takes the kind's lock, so it never meets a
        commit still under way)."""
        if kind in self.partitioned and kind not in self._settled:
            if kind not in self._held and (self.journal_path(kind).exists() or self._old_months(kind)):
                with self.kind_lock(kind):
                    pass
            self._settled.add(kind)

    def _old_months(self, kind: str) -> list[Path]:
        folder = self.data_dir / kind
        return sorted(p for p in folder.glob("*.json") if _OLD_MONTH.fullmatch(p.name)) if folder.is_dir() else []

    def _split_old_months(self, kind: str, held: HeldLock) -> None:
        """Each file of a month (the older layout, or one an older cstool wrote since) split
        into the parts its records belong in, merged with any part already there: the parts
        and the month's removal are one commit, so a kill leaves the month or its parts."""
        for month in self._old_months(kind):
            data = load_data_file(month)
            parts: dict[str | None, FileTransaction] = {}
            by_part: dict[str, list[dict]] = {}
            for record in data.get(kind, {}).values():
                by_part.setdefault(part_of_id(record["id"]), []).append(record)
            meta = data.get(META_TABLE, {}).get("1") or {}
            for day, number in meta.get("sequences", {}).items():
                by_part.setdefault(part_of_number(day, number), [])
            for name, records in by_part.items():
                part = parts[name] = self.open_file(kind, name)
                twice = [r["id"] for r in records if part.get(r["id"]) is not None]
                if twice:
                    raise StoreError(
                        _(
                            "{month} (written by an older cstool) and {part} both hold {ids}: nothing was "
                            "changed; keep the right one of each, remove the other by hand, and upgrade every desk"
                        ).format(month=month, part=self.path(kind, name), ids=", ".join(twice[:5]))
                    )
                part.insert(records)
            for day, number in meta.get("sequences", {}).items():
                parts[part_of_number(day, number)].keep_sequences({day: number})
            self._commit_parts(kind, parts, held, remove=month.name)
            self._loaded.pop((kind, month.stem), None)

    @contextmanager
    def kind_lock(self, kind: str) -> Iterator[HeldLock]:
        """Hold the kind's lock: one writer of the kind at a time, for as long as it holds
        data it read (an import that updates reads every month, then writes them). Taken
        again inside (a transaction of the same kind), it is the same hold."""
        if kind in self._held:
            yield self._held[kind]
            return
        if not self.data_dir.is_dir():
            raise StoreError(_("{data_dir} is missing: is this a workspace?").format(data_dir=self.data_dir))
        path = self.lock_path(kind)
        _refuse_links(self.data_dir, path)
        if self._warn is not None:
            warn, self._warn = self._warn, None  # at most once a command
            found = network_share_warning(self.data_dir)
            if found:
                warn(found)
        with locked(path) as held:
            self._held[kind] = held
            try:
                if kind in self.partitioned:
                    finish_commit(self.data_dir / kind)
                    # What a writer killed mid-way left (pending rows, parts staged or set aside,
                    # a journal half written): the journal is finished, and no one else holds the lock.
                    for pattern in (f".*.json{PENDING}", ".*.json.*.tmp"):
                        for stale in (self.data_dir / kind).glob(pattern):
                            stale.unlink(missing_ok=True)
                    self._split_old_months(kind, held)
                    self._settled.add(kind)
                yield held
            finally:
                del self._held[kind]

    @contextmanager
    def kinds_locked(self, kinds: Iterable[str]) -> Iterator[None]:
        """Hold the locks of several kinds, always taken in the order of their names, so that
        two commands that each need several never wait on each other."""
        with ExitStack() as stack:
            for kind in sorted(set(kinds)):
                stack.enter_context(self.kind_lock(kind))
            yield

    @contextmanager
    def transaction(self, kind: str) -> Iterator[Transaction]:
        """Lock ``kind``, yield a transaction that reads its files afresh as it touches them,
        then write each changed file once. Nothing is written when the body raises.

        A change of one file replaces it atomically. A change of several parts is all or
        nothing: each part is first written beside its place, then (the lock checked once
        more, so a lock file removed meanwhile refuses the change) a journal naming them is
        written, and only then are they moved in. A kill before the journal leaves the old
        parts; after it, whoever reads the kind next finishes the move (``finish_commit``)."""
        with self.kind_lock(kind) as held:
            transaction = FolderTransaction(self, kind)
            try:
                yield transaction
                transaction.settle()
                changed = {partition: done for partition, done in transaction.files.items() if done.changed}
                if len(changed) + len(transaction.set_aside) > 1:
                    self._commit_parts(kind, changed, held, set_aside=transaction.set_aside)
                else:
                    held.check()
                    for done in changed.values():
                        done.commit()
            finally:
                transaction.discard()
            for partition in transaction.set_aside:
                self._loaded.pop((kind, partition), None)
                self._index.pop((kind, partition), None)
            for partition, done in transaction.files.items():
                self._loaded[(kind, partition)] = done.final_data()
                self._index.pop((kind, partition), None)

    def _commit_parts(
        self,
        kind: str,
        changed: dict[str | None, FileTransaction],
        held: HeldLock,
        remove: str | None = None,
        set_aside: Mapping[str | None, Path] | None = None,
    ) -> None:
        """Several parts in at once (those ``changed`` and those already written beside their
        place), and the older layout's month ``remove`` gone with them."""
        folder = self.data_dir / kind
        folder.mkdir(mode=DIR_MODE, exist_ok=True)  # the kind's first parts
        staged: list[tuple[Path, Path]] = []
        try:
            for partition, done in changed.items():
                staged.append((done.stage(), self.path(kind, partition)))
            for partition, path in (set_aside or {}).items():
                if partition not in changed:
                    staged.append((path, self.path(kind, partition)))
            held.check()
            plan: list[list[str | None]] = [[tmp.name, final.name] for tmp, final in staged]
            if remove is not None:
                plan.append([None, remove])
            atomic_write(folder / COMMIT_JOURNAL, orjson.dumps(plan))
        except BaseException:
            for tmp, _final in staged:
                tmp.unlink(missing_ok=True)
            raise
        finish_commit(folder)

    def open_file(self, kind: str, partition: str | None, set_aside: Path | None = None) -> FileTransaction:
        """A file of ``kind`` to change under its lock (as the transaction left it beside its
        place, when it set it aside)."""
        path = self.path(kind, partition)
        if set_aside is None:
            _remove_stale_temps(path)
        storage_holder: list[BufferedAtomicStorage] = []

        def make_storage(*args: Any, **kwargs: Any) -> BufferedAtomicStorage:
            storage_holder.append(BufferedAtomicStorage(path, set_aside))
            return storage_holder[0]

        db = TinyDB(storage=make_storage)
        return FileTransaction(kind, db, storage_holder[0])

    def forget(self) -> None:
        self._loaded.clear()
        self._index.clear()
        self._settled.clear()

    def watch(self) -> FolderFeed:
        """The data files, looked at again and again: a write replaces a file whole."""
        return FolderFeed(self.root)

    # ---- attachments: data/files/<2 hex>/<SHA-256>, written once, checked when read ----------

    def _file_path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise StoreError(_("{digest!r} is not the SHA-256 of an attachment").format(digest=digest))
        return folder_layout.data_dir(self.root) / FILES_FOLDER / digest[:2] / digest

    def put_file(self, data: bytes) -> str:
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        path = self._file_path(digest)
        if not path.exists():
            path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            try:
                write_new_file(path, data)
            except StoreError:
                if not path.exists():
                    raise
        self.get_file(digest)  # there already, or another desk's meanwhile: the same bytes, or refused
        return digest

    def get_file(self, digest: str) -> bytes | None:
        import hashlib

        path = self._file_path(digest)
        try:
            handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(_("{path}: cannot read ({strerror})").format(path=path, strerror=exc.strerror)) from None
        with os.fdopen(handle, "rb") as opened:
            data = opened.read()
        if hashlib.sha256(data).hexdigest() != digest:  # changed on disk: never handed out as the attachment
            raise StoreError(_("{path} is not the attachment it is named for (changed on disk)").format(path=path))
        return data

    def file_digests(self) -> list[str]:
        folder = folder_layout.data_dir(self.root) / FILES_FOLDER
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.glob("??/*") if len(p.name) == 64 and p.is_file())

    def remove_files(self, digests: Iterable[str]) -> None:
        for digest in digests:
            self._file_path(digest).unlink(missing_ok=True)

    def lead(self, name: str) -> FolderLease | None:
        """A lock file of its own, ``.lead-NAME.lock``, held without waiting."""
        from filelock import FileLock, Timeout

        path = self.root / f".lead-{check_state_name(name)}.lock"
        lock = FileLock(str(path), timeout=0, mode=FILE_MODE)
        try:
            lock.acquire()
        except Timeout:
            return None
        except OSError as exc:
            raise StoreError(_("{path}: cannot lock ({strerror})").format(path=path, strerror=exc.strerror)) from None
        return FolderLease(lock, path)

    def login(self) -> tuple[str, bool]:
        """The OS login, and whether it owns the workspace folder."""
        try:
            owner = self.root.stat().st_uid == os.geteuid()
        except OSError:
            owner = False
        return login_name(), owner

    # ---- what the desks share besides records: files in the workspace folder ---------

    @property
    def root(self) -> Path:
        return self.data_dir.parent

    @contextmanager
    def shared_state(self, name: str) -> Iterator[SharedState]:
        """``<workspace>/<name>.json``, under its own lock."""
        path = self.root / f"{check_state_name(name)}.json"
        with locked(path.with_name(path.name + ".lock")):
            yield FileState(path)

    def read_state(self, name: str) -> Any:
        """The shared value ``name`` as last saved (each save replaces its file whole)."""
        return FileState(self.root / f"{check_state_name(name)}.json").load()

    def append_log(self, name: str, entries: list[dict]) -> None:
        """``<workspace>/<name>.jsonl``: one JSON line per entry, appended under its lock."""
        if not entries:
            return
        path = self.root / f"{check_state_name(name)}.jsonl"
        lines = b"".join(orjson.dumps(entry) + b"\n" for entry in entries)
        with locked(path.with_name(path.name + ".lock")):
            append_durably(path, lines)

    def read_log(self, name: str) -> Iterator[dict]:
        path = self.root / f"{check_state_name(name)}.jsonl"
        try:
            with path.open("rb") as lines:
                for line in lines:
                    if line.endswith(b"\n"):  # a last line torn by a crash was never written
                        yield orjson.loads(line)
        except FileNotFoundError:
            return
        except (OSError, orjson.JSONDecodeError) as exc:
            raise StoreError(_("{path}: cannot read ({reason})").format(path=path, reason=exc)) from None

    def log_names(self) -> list[str]:
        return sorted(path.stem for path in self.root.glob("*.jsonl") if path.stat().st_size)

    def replace_log(self, name: str, entries: list[dict]) -> None:
        path = self.root / f"{check_state_name(name)}.jsonl"
        with locked(path.with_name(path.name + ".lock")):
            atomic_write(path, b"".join(orjson.dumps(entry) + b"\n" for entry in entries))

    def workspace_parts(self) -> list[str]:
        """``data`` and the shared values and logs beside it (``<name>.json``, ``<name>.jsonl``)."""
        shared = [
            path.name
            for path in sorted([*self.root.glob("*.json"), *self.root.glob("*.jsonl")])
            if folder_layout.is_part(path.name) and path.is_file() and not path.is_symlink()
        ]
        return [folder_layout.DATA, *shared]

    def close(self) -> None:
        """Nothing is held between commands."""


class FileState:
    """A shared value as a JSON file, replaced atomically at every save."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> Any:
        return load_json_file(self.path)

    def save(self, value: Any) -> None:
        if value or self.path.exists():
            atomic_write(self.path, orjson.dumps(value))


HELD_RECORDS = 10_000  # records a transaction keeps in memory before it sets changed parts aside
PENDING = ".pending"  # after a part's file name: the records a transaction added to it, not yet merged


class FolderTransaction:
    """One kind's changes in the folder: each file is opened (read afresh) when first touched.

    Memory stays flat however much a transaction changes (an import of a million rows). The
    records it adds to a part of a busy kind that it has not opened are appended to a file
    beside the part (``.<part>.json.pending``) and merged into it when the part is next
    opened, at the latest by the commit; and once the files it holds open hold more than
    ``HELD_RECORDS`` records, the least recently used are let go, a changed one first written
    beside its place (set aside, as a commit of several parts stages them) and read from
    there if touched again. The commit moves the set-aside parts in with the others; a
    transaction undone removes them and the pending records."""

    def __init__(self, store: FolderStore, kind: str):
        self.kind = kind
        self._store = store
        self.files: dict[str | None, FileTransaction] = {}  # open, least recently used first
        self.set_aside: dict[str | None, Path] = {}
        self._pending: dict[str | None, Path] = {}  # part -> its file of added records
        self._reserved: dict[str | None, dict[str, int]] = {}  # part -> day -> a number handed out
        self._externals: dict[str, str] | None = None  # external_id -> id, once asked for
        self._written: set[str] = set()  # ids this transaction inserted or replaced
        self._numbers: dict[str, int] = {}  # day -> the last number handed out, for the days asked

    def _file(self, partition: str | None) -> FileTransaction:
        found = self.files.pop(partition, None)
        if found is None:
            found = self._store.open_file(self.kind, partition, self.set_aside.get(partition))
            pending = self._pending.pop(partition, None)
            if pending is not None:
                with pending.open("rb") as lines:
                    found.insert([orjson.loads(line) for line in lines])
                pending.unlink()
            found.keep_sequences(self._reserved.pop(partition, {}))
        self.files[partition] = found  # the most recently used, last
        return found

    def _let_go(self) -> None:
        """Keep at most ``HELD_RECORDS`` records open (and always the last file touched)."""
        held = sum(done.size for done in self.files.values())
        while held > HELD_RECORDS and len(self.files) > 1:
            partition = next(iter(self.files))
            done = self.files.pop(partition)
            held -= done.size
            if done.changed:
                earlier = self.set_aside.get(partition)
                self.set_aside[partition] = done.stage()
                if earlier is not None:
                    earlier.unlink(missing_ok=True)

    def _add_pending(self, partition: str, records: list[dict]) -> None:
        path = self._store.path(self.kind, partition)
        path = path.with_name(f".{path.name}{PENDING}")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
        if partition not in self._pending:
            path.parent.mkdir(mode=DIR_MODE, exist_ok=True)  # a kind's first parts: its folder
            flags |= os.O_TRUNC
        fd = os.open(path, flags, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(b"".join(orjson.dumps(record) + b"\n" for record in records))
        self._pending[partition] = path

    def settle(self) -> None:
        """Before the commit: every pending record merged into its part (a part at a time)."""
        for partition in {*self._pending, *self._reserved}:
            self._file(partition)  # merges what is pending for it, and keeps its numbers
            self._let_go()

    def discard(self) -> None:
        """Remove what the commit did not move in: parts set aside, records pending (all of
        them, when the transaction is undone)."""
        for path in [*self.set_aside.values(), *self._pending.values()]:
            path.unlink(missing_ok=True)

    def _parts(self) -> list[str | None]:
        on_disk = self._store.partitions(self.kind)
        if self.kind not in self._store.partitioned:
            return on_disk
        return sorted({*on_disk, *self.files, *self.set_aside, *self._pending, *self._reserved})  # type: ignore[type-var]

    def _touched(self, partition: str | None) -> bool:
        return partition in self.files or partition in self._pending or partition in self._reserved

    def _each_part(self) -> Iterator[list[dict]]:
        """Every part's records, as this transaction has them, without keeping them all open."""
        for partition in self._parts():
            if self._touched(partition):
                records = self._file(partition).all()
                self._let_go()
                yield records
            else:
                yield list(self._peek(partition).get(self.kind, {}).values())

    def _peek(self, partition: str | None) -> dict:
        """A part as this transaction last left it (beside its place, or in it), not kept."""
        return load_data_file(self.set_aside.get(partition) or self._store.path(self.kind, partition))

    def all(self) -> list[dict]:
        return [record for records in self._each_part() for record in records]

    def _exists(self, partition: str | None) -> bool:
        return (
            partition is None
            or self._touched(partition)
            or partition in self.set_aside
            or self._store.path(self.kind, partition).exists()
        )

    def get(self, record_id: str) -> dict | None:
        found = list(self._get_many([record_id]))
        return found[0] if found else None

    def by_external_id(self, values: list[str]) -> dict[str, tuple[dict, bool]]:
        if self._externals is None:
            self._externals = {
                r["external_id"]: r["id"]
                for records in self._each_part()
                for r in records
                if r.get("external_id") is not None
            }
        ids = {value: self._externals[value] for value in values if value in self._externals}
        stored = {record["id"]: record for record in self._get_many(ids.values())}
        return {
            value: (stored[record_id], record_id in self._written)
            for value, record_id in ids.items()
            if record_id in stored
        }

    def _get_many(self, record_ids: Iterable[str]) -> Iterator[dict]:
        """The records with these ids, each part opened once (rows of an import may name a
        record of another day on every row: one at a time, every part held would be let go)."""
        by_partition: dict[str | None, list[str]] = {}
        for record_id in record_ids:
            by_partition.setdefault(self._store.partition_of_id(self.kind, record_id), []).append(record_id)
        for partition, wanted in by_partition.items():
            if not self._exists(partition):
                continue
            part = self._file(partition)
            found = [record for record in map(part.get, wanted) if record is not None]
            self._let_go()
            yield from found

    def _part_of_number(self, day: str, number: int) -> str | None:
        return part_of_number(day, number) if self.kind in self._store.partitioned else None

    def _last_number(self, day: str) -> int:
        """A number is kept in the part it names, so a day's last part knows its last number."""
        if day not in self._numbers:
            if self.kind not in self._store.partitioned:
                self._numbers[day] = self._file(None).last_number(day)
                return self._numbers[day]
            first = part_of_number(day, 0)
            names = set(self._store.parts_of_day(self.kind, day))
            names.update(n for n in self._parts_touched() if n and n.startswith(first))
            last = self._file(max(names, default=first))  # where the day's next record most likely goes
            self._numbers[day] = last.last_number(day)
            self._let_go()
        return self._numbers[day]

    def _parts_touched(self) -> set[str | None]:
        return {*self.files, *self.set_aside, *self._pending, *self._reserved}

    def _reserve(self, partition: str | None, day: str, number: int) -> None:
        """``number`` of ``day`` handed out: kept in its part's sequences when the part is written."""
        if partition in self.files:
            self.files[partition].keep_sequences({day: number})
        else:
            numbers = self._reserved.setdefault(partition, {})
            numbers[day] = max(number, numbers.get(day, 0))
        self._numbers[day] = max(number, self._numbers.get(day, 0))

    def new_id(self, prefix: str, day: str) -> str:
        """The next id of ``day`` (YYYYMMDD), never one handed out before (a part this
        transaction holds open is also asked, in case its sequence fell behind its records)."""
        number = self._last_number(day)
        while True:
            number += 1
            candidate = f"{prefix}-{day}-{number:04d}"
            partition = self._part_of_number(day, number)
            if partition is None:
                self._file(None)
            if partition not in self.files or self.files[partition].get(candidate) is None:
                break
        self._reserve(partition, day, number)
        return candidate

    def keep_sequences(self, sequences: Mapping[str, int]) -> None:
        for day, number in sequences.items():
            self._reserve(self._part_of_number(day, number), day, number)

    def remove_all(self) -> None:
        for partition in self._parts():
            self._file(partition).remove_all()
            self._let_go()
        self._externals = None
        self._numbers.clear()

    def _by_partition(self, records: list[dict]) -> dict[str | None, list[dict]]:
        groups: dict[str | None, list[dict]] = {}
        for record in records:
            groups.setdefault(self._store.partition_of_id(self.kind, record["id"]), []).append(record)
        return groups

    def _note_written(self, records: list[dict]) -> None:
        for record in records:
            self._written.add(record["id"])
            if self._externals is not None and record.get("external_id") is not None:
                self._externals[record["external_id"]] = record["id"]

    def insert(self, records: list[dict]) -> None:
        for partition, group in self._by_partition(records).items():
            if partition is None or partition in self.files:
                self._file(partition).insert(group)
                self._let_go()
            else:
                self._add_pending(partition, group)
        self._note_written(records)

    def replace(self, records: list[dict]) -> None:
        for partition, group in self._by_partition(records).items():
            self._file(partition).replace(group)
            self._let_go()
        self._note_written(records)


def _refuse_links(*steps: Path) -> None:
    for step in steps:
        if step.is_symlink():
            raise StoreError(
                _("{path} is a symbolic link; cstool keeps records only in the workspace's own files").format(path=step)
            )


def finish_commit(folder: Path) -> None:
    """Move in the parts a commit journal in ``folder`` names, remove the older layout's
    month it names, then remove the journal (see ``FolderStore.transaction``). Called holding
    the kind's lock. The journal may name only staged parts of this folder, each to its own
    place, and months of the older layout: anything else is refused untouched."""
    journal = folder / COMMIT_JOURNAL
    plan = load_json_file(journal)
    if plan is None:
        return
    if not isinstance(plan, list) or not all(_journal_step(step) for step in plan):
        raise StoreError(
            _("{path} is not a commit journal cstool wrote; nothing was moved (remove it to go on)").format(
                path=journal
            )
        )
    for staged, final in plan:
        try:
            if staged is None:
                os.unlink(folder / final)  # only once every part it held is in
            else:
                os.replace(folder / staged, folder / final)
        except FileNotFoundError:
            pass  # done before the kill
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    journal.unlink()


def _journal_step(step: object) -> bool:
    """A step cstool writes: [staged part, its part], or [None, a month of the older layout]."""
    if not isinstance(step, list) or len(step) != 2 or not isinstance(step[1], str):
        return False
    if step[0] is None:
        return _OLD_MONTH.fullmatch(step[1]) is not None
    return isinstance(step[0], str) and (match := _STAGED_PART.fullmatch(step[0])) is not None and match[1] == step[1]


def _remove_stale_temps(path: Path) -> None:
    """Temp files of writers killed mid-write. Called under the file's lock, when no
    other writer can be using one."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            stale.unlink()
        except OSError:
            pass


class FolderFeed:
    """Changes to a folder store, found every ``POLL`` seconds by looking at the files of the
    kinds kept whole and at the folders of the kinds kept in parts: every write replaces a
    file whole (a rename into its folder), so the file's inode, size or time changes, and its
    folder's time with it. A folder, not its parts: years of a busy kind are a thousand
    parts, too many to look at five times a second."""

    POLL = 0.2

    def __init__(self, root: Path):
        self.root = root
        self._seen = self._look()

    def _look(self) -> dict[str, tuple[int, int, int]]:
        """kind -> what its file or folder looks like now"""
        found: dict[str, tuple[int, int, int]] = {}
        try:
            entries = list(os.scandir(folder_layout.data_dir(self.root)))
        except OSError:
            return found
        for entry in entries:
            is_part_folder = entry.is_dir(follow_symlinks=False) and entry.name != FILES_FOLDER
            if not (is_part_folder or entry.name.endswith(".json")) or entry.name.startswith("."):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:  # replaced or removed between listing and looking
                continue
            found[entry.name.removesuffix(".json")] = (info.st_ino, info.st_size, info.st_mtime_ns)
        return found

    def wait(self, timeout: float) -> set[str]:
        import time

        deadline = time.monotonic() + timeout
        while True:
            now = self._look()
            kinds = {kind for kind in set(now) | set(self._seen) if now.get(kind) != self._seen.get(kind)}
            self._seen = now
            if kinds or time.monotonic() >= deadline:
                return kinds
            time.sleep(min(self.POLL, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        pass


class FolderLease:
    def __init__(self, lock, path: Path):
        self.lock, self.path = lock, path
        self.identity = file_identity(path)

    def held(self) -> bool:
        """Held while the lock file is the one locked (not removed or replaced by hand)."""
        return self.lock.is_locked and self.identity is not None and file_identity(self.path) == self.identity

    def release(self) -> None:
        self.lock.release()
