"""The storage interface: what every backend of records provides, and the selection a
command asks of it.

Two backends ship: the folder (``cstool.stores.folder.FolderStore``, TinyDB JSON under
``data/``) and PostgreSQL (the bundled ``postgresql`` plugin). A plugin adds another by
implementing the ``cstool_store`` hook. Everything outside a backend reads and writes
records through this interface only.

Order: ``records`` and ``select`` give a kind's records in the store's order, the same
on every backend for the same history (oldest month of the id first, then as stored), so
that lists and reports are identical byte for byte after ``cstool store copy``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from cstool.core.errors import StoreConflict, StoreError
from cstool.core.i18n import _

STORE_URL_VARIABLE = "CSTOOL_STORE_URL"
MONTH = "@month"  # for tally: the month of created_at
DAY = "@day"  # for tally: the day of created_at
DATE_PARTS = {MONTH: "%Y-%m", DAY: "%Y-%m-%d"}


@runtime_checkable
class Transaction(Protocol):
    """One kind's changes, made while no other writer of the kind can change it, and kept
    all together when the ``with`` body ends without an exception (none of them otherwise)."""

    kind: str

    def all(self) -> list[dict]:
        """Every record of the kind, as it stands now (read afresh inside the transaction)."""

    def get(self, record_id: str) -> dict | None:
        """The record as it stands now, or None. Do not mutate it: pass a copy to ``replace``."""

    def new_id(self, prefix: str, day: str) -> str:
        """The next ``PREFIX-YYYYMMDD-NNNN`` for ``day``; never one handed out before, even
        when the record that had it is gone."""

    def keep_sequences(self, sequences: Mapping[str, int]) -> None:
        """Never hand out again a number that ``sequences`` (day -> last number) already gave."""

    def by_external_id(self, values: list[str]) -> dict[str, tuple[dict, bool]]:
        """The records whose ``external_id`` is one of ``values``, as they stand now (this
        transaction's own writes included), each with whether this transaction wrote it;
        the kind held against other whole-kind writers (a second import), not against
        writers of one record. An import looks up each batch of rows with one call."""

    def insert(self, records: list[dict]) -> None:
        """Add new records (their ids from ``new_id``)."""

    def replace(self, records: list[dict]) -> None:
        """Put each record in place of the stored one with the same id (refused if absent)."""

    def remove_all(self) -> None:
        """Remove every record of the kind and its id sequences (a restore replacing them)."""


class SharedState(Protocol):
    """A small JSON value every desk shares, held against the others while it is open."""

    def load(self) -> Any:
        """The value last saved, or None."""

    def save(self, value: Any) -> None:
        """Keep ``value``: durable when ``save`` returns, or, inside a transaction of the
        store, with that transaction."""


@runtime_checkable
class RecordStore(Protocol):
    """Where a workspace's records and their id sequences live."""

    description: str  # for people: "folder" or the URL without its password

    def records(self, kind: str, fresh: bool = False) -> list[dict]:
        """Every record of ``kind`` in store order; shared, do not mutate. ``fresh`` reads
        them again (for a writer holding the kind's lock)."""

    def select(self, kind: str, selection: Selection) -> list[dict]:
        """The records of ``kind`` that ``selection`` keeps, in store order. A backend may do
        the work where the records are; the result is the same as filtering ``records``."""

    def stream(self, kind: str, selection: Selection) -> Iterator[dict]:
        """The records ``selection`` keeps, one at a time, in store order, none kept by the
        store: for a pass over many records in flat memory (reports)."""

    def tally(self, kind: str, selection: Selection, fields: tuple[str, ...], tz: tzinfo) -> dict[tuple, int]:
        """How many of the records ``selection`` keeps have each combination of values of
        ``fields`` (a field's stored value, None when absent; ``MONTH``: the month of
        ``created_at`` in ``tz``, as ``YYYY-MM``; ``DAY``: its day,
        ``YYYY-MM-DD``). A backend counts where the records are."""

    def get(self, kind: str, record_id: str) -> dict | None:
        """One record by id, or None."""

    def sequences(self, kind: str) -> dict[str, int]:
        """Day (YYYYMMDD) -> the last number handed out that day (for a copy or a backup)."""

    def transaction(self, kind: str) -> AbstractContextManager[Transaction]:
        """Change ``kind``: see ``Transaction``. Taken again inside, the same hold."""

    def kinds_locked(self, kinds: Iterable[str]) -> AbstractContextManager[None]:
        """Hold several kinds against other writers (taken in the order of their names),
        for a change that reads one kind and writes others; transactions inside join it."""

    def login(self) -> tuple[str, bool]:
        """Who is at this command as the store knows them, and whether they own the store
        (its administrator while the staff directory names nobody): the folder's OS login
        and whether it owns the folder; a database's role and whether it is a superuser
        or a member of ``cstool_administrator``."""

    def shared_state(self, name: str) -> AbstractContextManager[SharedState]:
        """Hold the shared value ``name`` (the notices ``escalate`` keeps until every
        notifier has them) against every other desk while the body runs."""

    def append_log(self, name: str, entries: list[dict]) -> None:
        """Append ``entries`` to the log ``name`` (the outbox): all or none, never
        interleaved with another writer's, durable when it returns."""

    def read_log(self, name: str) -> Iterator[dict]:
        """The entries of the log ``name``, oldest first (none when it does not exist)."""

    def log_names(self) -> list[str]:
        """The logs that hold entries (for a copy)."""

    def replace_log(self, name: str, entries: list[dict]) -> None:
        """Make ``entries`` the whole log ``name`` (a restore): all or none."""

    def workspace_parts(self) -> list[str]:
        """The names under the workspace folder in which this store keeps what it holds (the
        folder store: ``data`` and its shared files; a database: none). A backup archives
        what the store dumps into a folder of its own kind; a restore swaps these parts in
        with the policy, or, for a store that keeps nothing there, replaces its contents."""

    def close(self) -> None:
        """Give back what the store holds (connections) at the end of a command."""


# ---- what a store may do beyond the interface, declared ---------------------------


class RememberedEntries(MutableMapping[str, list]):
    """A kind's remembered clocks kept by the store (record id -> entry), which also takes an
    entry with the figures the store counts by (``keep``) and writes what changed (``save``).
    A store's own class states it by subclassing this."""

    @abstractmethod
    def keep(self, record_id: str, entry: list, figures: dict | None) -> None: ...

    @abstractmethod
    def save(self) -> None: ...


@runtime_checkable
class RemembersClocks(Protocol):
    """A store that keeps every desk's remembered SLA clocks itself, beside the records
    (PostgreSQL): a pass over the records brings each record's with it."""

    def remembered_clocks(self, kind: str, fingerprint: str) -> RememberedEntries: ...


class Reread:
    """Records read afresh each time they are iterated (a query or a pass run again): what
    a clock tally leaves to judge, which several sections of one report may ask for, is
    never held."""

    def __init__(self, read: Callable[[], Iterator[dict]]):
        self._read = read

    def __iter__(self) -> Iterator[dict]:
        return self._read()


@runtime_checkable
class CountsClocks(Protocol):
    """A store that counts the SLA report's figures itself (in the database) for the records
    whose remembered clocks allow it, and hands back the rest to be judged one by one."""

    def clock_tally(
        self,
        kind: str,
        selection: Selection,
        fingerprint: str,
        now: datetime,
        by: str | tuple[str, ...],
        default: str,
    ) -> tuple[dict, Iterable[dict]]:
        """Per (value of ``by``, clock) — a tuple of values for a tuple of fields — the counts
        of the clocks it can judge; and the records left, read afresh each time they are
        iterated (``Reread``)."""


class ChangeFeed(Protocol):
    """What changed in a store since the feed was opened or last asked (``watch``)."""

    def wait(self, timeout: float) -> set[str]:
        """The kinds whose records were added, changed or removed since the last call
        (the first: since the feed opened), waiting up to ``timeout`` seconds for one;
        empty when none changed in that time."""

    def close(self) -> None: ...


@runtime_checkable
class FeedsChanges(Protocol):
    """A store that tells listeners what changed (the desk, the worker, ``cstool watch``):
    PostgreSQL through LISTEN/NOTIFY (one notification per kind per transaction), the
    folder by its data files changing."""

    def watch(self) -> ChangeFeed: ...


@runtime_checkable
class ReadsAfresh(Protocol):
    """A store that keeps what it read for the rest of a command, and can drop it: a process
    that runs all day (``cstool desk``) reads afresh after the change feed says so."""

    def forget(self) -> None: ...


@runtime_checkable
class KeepsFiles(Protocol):
    """A store that keeps attachments by the SHA-256 of their content (one copy however many
    records hold it). Both shipped stores do; records name their attachments by digest."""

    def put_file(self, data: bytes) -> str:
        """Keep ``data`` (with the open transaction, if any); its digest (SHA-256, hex)."""
        ...

    def get_file(self, digest: str) -> bytes | None:
        """The content kept under ``digest`` (checked against it), or None."""
        ...

    def file_digests(self) -> list[str]:
        """Every digest kept (for a copy, a backup, a clean-up)."""
        ...

    def remove_files(self, digests: Iterable[str]) -> None:
        """Forget these contents (an erasure, a purge): the caller knows no record holds them."""
        ...


class Lease(Protocol):
    """Leadership held (``Leads.lead``): ``held()`` is False once it is lost (the connection
    that held it gone, the lock file taken away), and the holder must stop leading."""

    def held(self) -> bool: ...
    def release(self) -> None: ...


@runtime_checkable
class Leads(Protocol):
    """A store on which one process at a time leads (``cstool worker``: of several workers on
    one store, the leader runs the jobs and the others wait to take over)."""

    def lead(self, name: str) -> Lease | None:
        """Leadership ``name`` if nobody holds it, at once (never waits), else None."""
        ...


@runtime_checkable
class ReadsMany(Protocol):
    """A store that reads many records by id in one go (a database: one query, not one per id)."""

    def get_many(self, kind: str, record_ids: list[str]) -> list[dict]: ...


def get_records(store: RecordStore, kind: str, record_ids: list[str]) -> list[dict]:
    """The records of ``kind`` with these ids, in their order (ids not stored left out)."""
    if isinstance(store, ReadsMany):
        return store.get_many(kind, record_ids)
    return [record for record in (store.get(kind, record_id) for record_id in record_ids) if record is not None]


@runtime_checkable
class ReadsState(Protocol):
    """A store that reads a shared value without holding it (a value replaced whole is
    read whole): for readers that change nothing, such as the policy every command reads."""

    def read_state(self, name: str) -> Any: ...


@runtime_checkable
class SearchesText(Protocol):
    """A store that keeps an index of what ``cstool search`` matches (PostgreSQL: each
    record's grams, ``cstool.core.search.search_grams``) and narrows a search with it."""

    def search(self, kind: str, query: str, selection: Selection) -> Iterator[dict] | None:
        """The records ``selection`` keeps that may match ``query`` (every one that does,
        perhaps more: the caller checks each); None when the index cannot narrow it."""

    def find_personal(
        self, kind: str, selection: Selection, *, tail: str | None = None, whole: str | None = None
    ) -> Iterator[dict]:
        """The records ``selection`` keeps that may have a personal phone ending in ``tail``
        (four digits or more) or a personal value equal to ``whole`` (a desk finding a caller):
        every one that does, perhaps more (the caller checks each)."""

    def unindexed(self) -> int:
        """How many records a bulk write left for ``index_pending`` (a search reads them whole)."""

    def index_pending(self) -> int:
        """Index what bulk writes left, in batches; how many records it indexed."""


@runtime_checkable
class GrantsRoles(Protocol):
    """A store whose users are the database's roles, which it gives a cstool role's grants
    (``cstool store grant``) and, when policy says so, shows only their department's rows."""

    def grant(self, role: str, as_role: str, department: str | None, sees_all: bool) -> None: ...

    def own_department_only(self, on: bool) -> None: ...


@runtime_checkable
class KeepsTime(Protocol):
    """A store shared by desks whose clock is the one every event is stamped by (the
    database server's): a desk whose own clock is wrong still writes the right time."""

    def server_now(self) -> datetime: ...


@dataclass(frozen=True)
class Selection:
    """Which records a command wants: statuses, a range of ``created_at``, fields that must
    equal a value (case-insensitively; a list field contains it; ``""`` is blank), stamps in
    a range and fields whose string is one of a set."""

    statuses: frozenset[str] | None = None
    created_from: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    equals: tuple[tuple[str, str], ...] = field(default=())
    excluded: frozenset[str] = frozenset()  # statuses left out whatever else matches (void)
    departments: frozenset[str] | None = None  # only these departments' records and those of none
    # (stamp, from, before): the instant field ``stamp`` (closed_at, promised_at…) is set and
    # lies from ``from`` (inclusive, None: any) to ``before`` (exclusive, None: any)
    between: tuple[tuple[str, datetime | None, datetime | None], ...] = field(default=())
    # (field, values): the field's stored value is a string, exactly one of the values (a
    # report reading the few records of the people it counted, out of a month of them)
    among: tuple[tuple[str, frozenset[str]], ...] = field(default=())

    def keeps(self, record: Mapping[str, Any]) -> bool:
        if self.departments is not None and record.get("department") and record["department"] not in self.departments:
            return False
        if self.statuses is not None and record.get("status") not in self.statuses:
            return False
        if record.get("status") in self.excluded:
            return False
        if self.created_from or self.created_before:
            created = datetime.fromisoformat(record["created_at"])
            if (self.created_from and created < self.created_from) or (
                self.created_before and created >= self.created_before
            ):
                return False
        for stamp, start, before in self.between:
            value = record.get(stamp)
            if not value:
                return False
            instant = datetime.fromisoformat(value)
            if (start and instant < start) or (before and instant >= before):
                return False
        for name, values in self.among:
            value = record.get(name)
            if not isinstance(value, str) or value not in values:
                return False
        return all(value_equals(record.get(name), wanted) for name, wanted in self.equals)

    def filter(self, records: Iterable[dict]) -> Iterator[dict]:
        if self == EVERYTHING:
            return iter(records)
        return (record for record in records if self.keeps(record))


def count_values(records: Iterable[Mapping[str, Any]], fields: tuple[str, ...], tz: tzinfo) -> dict[tuple, int]:
    """``RecordStore.tally`` over records in hand."""
    counts: dict[tuple, int] = {}
    for record in records:
        key = tuple(
            datetime.fromisoformat(record["created_at"]).astimezone(tz).strftime(DATE_PARTS[name])
            if name in DATE_PARTS
            else record.get(name)
            for name in fields
        )
        counts[key] = counts.get(key, 0) + 1
    return counts


EVERYTHING = Selection()


def value_equals(value: Any, wanted: str) -> bool:
    """``--where`` equality: case-insensitive text, a list containing it, ``""`` for blank."""
    if isinstance(value, list):
        return any(str(v).lower() == wanted.lower() for v in value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return wanted == ""
    return str(value).lower() == wanted.lower()


def day_of_id(record_id: str) -> str:
    """``CALL-20261116-0007`` → ``20261116``; refused when it is not a record id."""
    parts = record_id.split("-")
    if len(parts) < 3 or not parts[1].isdigit() or len(parts[1]) != 8:
        raise StoreError(
            _("{record_id!r} is not a record id (ids look like CALL-20261123-0007)").format(record_id=record_id)
        )
    return parts[1]


def check_state_name(name: str) -> str:
    """``name`` of a shared value or log: lower-case letters, digits and dashes (a file
    name in the folder, a key in a database)."""
    if not name or not all(c.islower() or c.isdigit() or c == "-" for c in name) or not name.isascii():
        raise ValueError(f"not a name for shared state: {name!r}")
    return name


def redact_url(url: str) -> str:
    """``url`` fit to print: a password in it (``user:secret@host``, ``password=``) is
    replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_secrets(url, url) if url_secrets(url) else "***"
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _at, host = netloc.rpartition("@")
        user = credentials.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
    query = "&".join(
        f"{key}=***" if key.lower() == "password" else f"{key}{sep}{value}"
        for key, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The passwords written in ``url``, as written and as decoded, read without trusting it
    to parse (a malformed URL is exactly the one an error message quotes)."""
    from urllib.parse import unquote

    found = []
    rest = url.partition("://")[2] if "://" in url else url
    authority = rest.partition("?")[0]
    if "@" in authority:
        credentials = authority.rpartition("@")[0]
        if ":" in credentials:
            found.append(credentials.split(":", 1)[1])
    for item in url.partition("?")[2].split("&"):
        key, _sep, value = item.partition("=")
        if key.lower() == "password":
            found.append(value)
    return sorted(
        {variant for secret in found if secret for variant in (secret, unquote(secret))}, key=len, reverse=True
    )


def redact_secrets(text: str, url: str) -> str:
    """``text`` (an error message about ``url``) with every password of ``url`` replaced by ``***``."""
    for secret in url_secrets(url):
        text = text.replace(secret, "***")
    return text


def has_password(url: str) -> bool:
    return redact_url(url) != url


def check_store_setting(url: str) -> str | None:
    """Why ``url`` may not be written into policy.toml (a password in it), or None."""
    if not isinstance(url, str) or "://" not in url:
        return _("must be a URL such as postgresql://db.example/cstool")
    if has_password(url):
        return _(
            "holds a password: policy.toml is shared and kept in backups. Leave it out of the URL and give it "
            "through ~/.pgpass, a service file (PGSERVICEFILE) or {variable}"
        ).format(variable=STORE_URL_VARIABLE)
    return None


def login_name() -> str:
    """The name of the account this process runs as. Read from the account database by
    the effective user id, never from LOGNAME or USER, which anyone can set to a
    colleague's name."""
    import os

    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # no account entry in some containers; Windows
        import getpass

        try:
            return getpass.getuser()
        except Exception:
            return "staff"


Result = TypeVar("Result")


def retrying(operation: Callable[[], Result], attempts: int = 8) -> Result:
    """Run ``operation`` (one whole transaction) again when the backend says it lost to a
    concurrent one, after a short random wait; the last conflict is reported."""
    import random
    import time

    for attempt in range(attempts):
        try:
            return operation()
        except StoreConflict:
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
    raise AssertionError("unreachable")


PART_SIZE = 1000  # records of one day in one part: a busy day's record costs a part, not the day


def part_of_number(day: str, number: int) -> str:
    """The part of a busy kind that holds the ``number``-th record of ``day`` (YYYYMMDD):
    ``2026-11-16`` for its first 999, then ``2026-11-16.0001``, ``2026-11-16.0002``… Parts sort
    as text in the order their records were numbered (a day, then its later parts)."""
    name = f"{day[:4]}-{day[4:6]}-{day[6:8]}"
    bucket = number // PART_SIZE
    return f"{name}.{bucket:04d}" if bucket else name


def part_of_id(record_id: str) -> str:
    """``CALL-20261116-0007`` → ``2026-11-16``; ``CALL-20261116-1234`` → ``2026-11-16.0001``.
    Both stores keep (the folder) or order (PostgreSQL) a busy kind's records by it."""
    day = day_of_id(record_id)
    number = record_id.split("-")[2]
    return part_of_number(day, int(number) if number.isdigit() else 0)
