"""Records in PostgreSQL: one database (or schema) shared by every desk of a department.

    cstool init --store postgresql://db.example/cs     # or CSTOOL_STORE_URL=postgresql://…
    pip install 'cstool[postgresql]'                    # psycopg 3

The tables live in the connection's current schema (``?options=-csearch_path%3Dcs`` picks
one), created and migrated by cstool; ``cstool_schema`` holds their version, and a newer
one than this program knows is refused. Writers of a kind take a transaction-level
advisory lock on it (kinds in the order of their names), read inside it and commit once:
the guarantees of the folder (no lost update, ids never reused, an escalation level fired
once) hold across machines. Ids come from a counter row per (kind, day) written in the
same transaction as the insert, so a rolled-back insert gives its number back and none is
ever handed out twice. Documents are kept as ``json`` (not ``jsonb``), so a record reads
back with its keys in the order it was written: lists and reports are the same bytes as
from the folder.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cstool import api
from cstool.api import _, hookimpl
from cstool.stores.postgresql_access import GROUPS, GUARDS, group_grants

SCHEMA_VERSION = 7
LOCK_CLASS = 0x637374  # "cst": the first key of the advisory locks of kinds and of the schema
STATE_LOCK_CLASS = LOCK_CLASS + 1  # a shared value's lock
LOG_LOCK_CLASS = LOCK_CLASS + 2  # a log's lock: one writer's entries together
LEAD_LOCK_CLASS = LOCK_CLASS + 3  # a leadership (cstool worker): held by one session
SCHEMA_LOCK = 0
ADMINISTRATOR_ROLE = "cstool_administrator"  # its members administer a store without a staff directory
RETRIED_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock
CHANGES_CHANNEL = "cstool_changes"
ANALYZE_AFTER = 10_000  # records added at once, after which the table's statistics are taken again
# A write of up to this many records indexes them for search itself (36 µs a short Chinese
# complaint, 0.27 ms a 1,500-character narrative); a bulk write leaves them to `store index`
# (a 100,000-row copy took 11.4 s without the index and 44 s with it inline).
INDEX_INLINE = 500
INDEX_BATCH = 2000

SCHEMA: tuple[str, ...] = (
    """CREATE TABLE cstool_records (
        kind text NOT NULL,
        id text NOT NULL,
        part text NOT NULL,          -- api.part_of_id for a busy kind (a day's part), else ''
        pos bigserial,               -- the order records were stored in
        created_at timestamptz NOT NULL,
        status text,
        facets jsonb NOT NULL,       -- the short values lists and reports filter and group by
        doc json NOT NULL,           -- json keeps the keys in the order they were written
        clocks text,                 -- the record's remembered clocks (cstool.core.clockcache), or NULL
        clock_key text,              -- the policy and code they were computed under
        clock_figures jsonb,         -- what the SLA report counts of them (clockcache.judged)
        clock_latest double precision,  -- their record's latest event (epoch): judged only for a later now
        version integer NOT NULL DEFAULT 0,  -- one more at every change: clocks of an older one are not kept
        PRIMARY KEY (kind, id)
    ) WITH (toast_tuple_target = 256)""",  # documents move out of line: scans read the facets
    # facets stay in the row (compressed if need be), where a scan reads them without a
    # lookup in the TOAST table; the documents go there
    "ALTER TABLE cstool_records ALTER COLUMN facets SET STORAGE MAIN",
    "ALTER TABLE cstool_records ALTER COLUMN clock_figures SET STORAGE MAIN",  # what the SLA report counts
    "CREATE INDEX cstool_records_order ON cstool_records (kind, part, pos)",
    "CREATE INDEX cstool_records_created ON cstool_records (kind, created_at)",
    "CREATE INDEX cstool_records_status ON cstool_records (kind, status)",
    """CREATE TABLE cstool_sequences (
        kind text NOT NULL,
        day text NOT NULL,
        last integer NOT NULL,
        PRIMARY KEY (kind, day)
    )""",
)
# Keys and the values scans filter on stay in the row, never in the TOAST table: with
# toast_tuple_target at 256 the toaster also moves a 33-byte clock_key out of line, and
# comparing it then costs an index lookup per row (report sla at 1,000,000: 6.5 s -> 3.5 s).
IN_ROW = tuple(
    f"ALTER TABLE cstool_records ALTER COLUMN {column} SET STORAGE PLAIN"
    for column in ("kind", "id", "part", "status", "clock_key")
)
SHARED_STATE = (
    """CREATE TABLE cstool_state (
        name text PRIMARY KEY,       -- e.g. notices-pending: the notices not yet taken by every notifier
        value json NOT NULL
    )""",
    """CREATE TABLE cstool_log (
        name text NOT NULL,          -- e.g. outbox
        pos bigserial,
        entry json NOT NULL,
        PRIMARY KEY (name, pos)
    )""",
)
# The change feed: a notification per kind changed, which PostgreSQL folds into one per
# transaction (an import of 100,000 rows tells listeners once). Remembered clocks are not
# a change (UPDATE OF doc).
FEED: tuple[str, ...] = (
    f"""CREATE OR REPLACE FUNCTION cstool_notify_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
        PERFORM pg_notify('{CHANGES_CHANNEL}', coalesce(NEW.kind, OLD.kind));
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS cstool_notify_change ON cstool_records",
    """CREATE TRIGGER cstool_notify_change AFTER INSERT OR UPDATE OF doc OR DELETE ON cstool_records
        FOR EACH ROW EXECUTE FUNCTION cstool_notify_change()""",
)
# What `search` finds, as an index narrows it: each record's grams (cstool.core.search),
# written with the record. Rows written before the column have none and are read whole.
SEARCH: tuple[str, ...] = (
    "ALTER TABLE cstool_records ADD COLUMN IF NOT EXISTS grams text[]",
    "CREATE INDEX IF NOT EXISTS cstool_records_grams ON cstool_records USING gin (grams)",
    "CREATE INDEX IF NOT EXISTS cstool_records_ungrammed ON cstool_records (kind) WHERE grams IS NULL",
)
INDEXED_FACETS = ("owner", "department")  # facets `--where` and the desk's queue find by an index (SCALE)
# An import finds the stored records its rows name by their external id, a batch at a time.
# Pages are left a fifth empty, so that remembering a record's clocks (no indexed column
# changes) can write the new row version beside the old one without touching any index
# (a HOT update; half of a first `report sla`'s updates were, against none before).
SCALE: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS cstool_records_external ON cstool_records (kind, (facets->>'external_id')) "
    "WHERE facets ? 'external_id'",
    "ALTER TABLE cstool_records SET (fillfactor = 80)",
    # a desk's queue: one person's or one department's open work, out of a million records
    *(
        f"CREATE INDEX IF NOT EXISTS cstool_records_{name} ON cstool_records (kind, lower(facets->>'{name}'))"
        for name in INDEXED_FACETS
    ),
)
# Attachments, by the SHA-256 of their content: one row however many records hold it.
FILES: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS cstool_files (
        digest text PRIMARY KEY,     -- SHA-256 of data, hex
        size bigint NOT NULL,
        data bytea NOT NULL
    )""",
    # photos and PDFs are compressed already: kept out of line as they are
    "ALTER TABLE cstool_files ALTER COLUMN data SET STORAGE EXTERNAL",
)
# A busy kind's records are ordered by the part of the day their number puts them in (the
# folder's files, ``api.part_of_id``), not by month: both stores list them alike.
_DAY = "split_part(id, '-', 2)"
_NUMBER = "split_part(id, '-', 3)"
DAY_PARTS: tuple[str, ...] = (
    f"""UPDATE cstool_records SET part = substr({_DAY}, 1, 4) || '-' || substr({_DAY}, 5, 2) || '-'
        || substr({_DAY}, 7, 2) || CASE WHEN {_NUMBER} !~ '^[0-9]{{4,9}}$' THEN ''
            WHEN {_NUMBER}::int < 1000 THEN '' ELSE '.' || lpad(({_NUMBER}::int / 1000)::text, 4, '0') END
    WHERE part <> ''""",
)
SCHEMA += IN_ROW + SHARED_STATE + GUARDS + FEED + SEARCH + SCALE + FILES


def _phones(store: PostgresStore) -> list[tuple[str, list]]:
    """Schema 7, for the rows written before, of the kinds this cstool knows: a personal
    phone's value among the facets (who complained is counted without reading documents)
    and its last four digits in the grams (``api.phone_tail``: the desk finds a caller by
    them through the index; the last four of ``phone_digits`` are the raw digits' unless a
    0086 prefix leaves fewer than four). Each row is rewritten once."""
    digits = "regexp_replace(coalesce(doc->>%s, ''), '\\D', '', 'g')"
    tail = (
        f"(SELECT CASE WHEN length(d) >= 4 AND NOT (d LIKE '0086%%' AND length(d) < 8) THEN 't:' || right(d, 4) END "
        f"FROM (SELECT {digits} AS d) AS digits)"
    )
    statements = []
    for kind, phones in sorted(_personal_phones(store.searched).items()):
        values = f"jsonb_strip_nulls(jsonb_build_object({', '.join(['%s::text, doc->%s'] * len(phones))}))"
        tails = f"array_remove(ARRAY[{', '.join([tail] * len(phones))}], NULL)"
        statements.append(
            (
                f"""UPDATE cstool_records AS r SET facets = r.facets || t.phones,
                    grams = CASE WHEN r.grams IS NULL THEN NULL ELSE r.grams || t.tails END
                FROM (SELECT id, {values} AS phones, {tails} AS tails FROM cstool_records WHERE kind = %s) AS t
                WHERE r.kind = %s AND r.id = t.id AND t.phones <> '{{}}'::jsonb""",
                [*(name for phone in phones for name in (phone, phone)), *phones, kind, kind],
            )
        )
    return statements


def _personal_phones(searched: Mapping[str, tuple[tuple[str, ...], Mapping[str, str]]]) -> dict[str, list[str]]:
    """Kind -> its personal phone fields: kept among the facets, so that complaints are
    counted per complainant (a customer, else a phone) without reading each document."""
    found = {}
    for kind, (_text, personal) in searched.items():
        phones = sorted(name for name, field_type in personal.items() if field_type == "phone")
        if phones:
            found[kind] = phones
    return found


# Steps from one version to the next: MIGRATIONS[n] takes version n to n + 1. (Storage
# changes apply to rows written afterwards; remembering clocks rewrites clock_key.)
MIGRATIONS: dict[int, tuple[str | Callable[[PostgresStore], list[tuple[str, list]]], ...]] = {
    1: IN_ROW + SHARED_STATE,
    2: GUARDS + FEED + SEARCH,
    3: SCALE,
    4: FILES,
    5: DAY_PARTS,
    6: (_phones,),
}


# Values kept beside each document as jsonb, so that filtering and grouping by them reads
# a few short values, not the whole record: every envelope key but the trail, the kind's
# fields of these types and its personal phones (who complained: a customer, else a phone);
# never free text or e-mail addresses.
FACET_TYPES = ("int", "decimal", "date", "datetime", "choice", "bool", "list")
ENVELOPE_FACETS = (
    "id", "kind", "status", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
    "promised_at", "department", "owner", "customer_id", "category", "priority", "tags", "external_id",
)  # fmt: skip


@hookimpl
def cstool_store(url, app):
    if not url.startswith(("postgresql://", "postgres://")):
        return None
    partitioned = {kind.name for kind in app.kinds if kind.high_volume}
    searched = {
        kind.name: (
            tuple(f.name for f in kind.fields if f.type == "text" and not f.personal),
            {f.name: f.type for f in kind.fields if f.personal},
        )
        for kind in app.kinds
    }
    phones = _personal_phones(searched)
    facets = {
        kind.name: (
            *ENVELOPE_FACETS,
            *(f.name for f in kind.fields if f.type in FACET_TYPES),
            *phones.get(kind.name, ()),
        )
        for kind in app.kinds
    }
    return PostgresStore(url, partitioned, facets, searched)


def _driver():
    try:
        import psycopg
    except ImportError:
        raise api.StoreError(
            _("the store is PostgreSQL, and psycopg is not installed: pip install 'cstool[postgresql]'")
        ) from None
    return psycopg


def _quiet_driver_log() -> None:
    """psycopg logs "error ignored in rollback" when the server went away mid-transaction,
    before the error itself: the person is told once, by that error, that nothing was
    written (Python would print the log line through its last-resort handler)."""
    import logging

    log = logging.getLogger("psycopg")
    if log.propagate:
        log.addHandler(logging.NullHandler())
        log.propagate = False


class PostgresStore:
    """The ``RecordStore`` of a PostgreSQL database. One connection per command."""

    def __init__(
        self,
        url: str,
        partitioned: set[str] | frozenset[str] = frozenset(),
        facets: Mapping[str, tuple[str, ...]] | None = None,
        searched: Mapping[str, tuple[tuple[str, ...], Mapping[str, str]]] | None = None,
    ):
        self.url = url
        self.searched = dict(searched or {})  # kind -> (its text fields, its personal fields and types)
        self.description = api.redact_url(url)
        self.partitioned = frozenset(partitioned)
        self.facets = {kind: tuple(names) for kind, names in (facets or {}).items()}
        self._conn: Any = None  # a psycopg connection, opened at first use
        self._depth = 0  # transactions open, outermost first
        self._held: set[str] = set()  # kinds locked by the open transaction
        self._loaded: dict[str, list[dict]] = {}
        self._remembering: dict[str, RememberedClocks] = {}  # kind -> its clocks, sent with its records
        self._side: Any = None  # a second connection, to keep clocks while the first streams records
        self._added = 0  # records added or indexed since the table's statistics were last taken

    # ---- connecting ----------------------------------------------------------------

    @property
    def conn(self):
        if self._conn is None:
            psycopg = _driver()
            try:
                # no server-side prepared statements: they belong to a session, which a pooler
                # in transaction mode (PgBouncer) does not keep for one client
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, prepare_threshold=None)
            except psycopg.Error as exc:
                raise api.StoreError(
                    _("cannot open the store at {url}: {reason}").format(
                        url=self.description, reason=_reason(exc, self.url)
                    )
                ) from None
            import orjson
            from psycopg.types.json import set_json_loads

            # the json values a tally groups by (a group per complainant: 100,000 a month at a
            # million) decoded by orjson: the standard library's took 1.4 s of the monthly page
            set_json_loads(orjson.loads, self._conn)
            with self._errors():
                self._check_schema()
        return self._conn

    def _version(self) -> int | None:
        if self._conn.execute("SELECT to_regclass('cstool_schema')").fetchone()[0] is None:
            return None
        return self._conn.execute("SELECT max(version) FROM cstool_schema").fetchone()[0]

    def _check_schema(self) -> None:
        """Refuse a newer schema; make or migrate an older one (a user who may only read and
        write records never needs the right to create tables once the schema is current)."""
        if self._version() == SCHEMA_VERSION:
            return
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, SCHEMA_LOCK))
            self._conn.execute("CREATE TABLE IF NOT EXISTS cstool_schema (version integer NOT NULL)")
            version = self._version()
            if version is None:
                for statement in SCHEMA:
                    self._conn.execute(statement)
                self._conn.execute("INSERT INTO cstool_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
                return
            if version > SCHEMA_VERSION:
                raise api.StoreError(
                    _(
                        "the store at {url} has schema version {version}; this cstool knows up to {known}: "
                        "upgrade cstool"
                    ).format(url=self.description, version=version, known=SCHEMA_VERSION)
                )
            if version < SCHEMA_VERSION:  # a step may rewrite every row: say why the command waits
                print(
                    _(
                        "bringing the store at {url} from schema version {version} to {known}: every record "
                        "may be rewritten once (minutes for a million); other desks wait meanwhile"
                    ).format(url=self.description, version=version, known=SCHEMA_VERSION),
                    file=sys.stderr,
                    flush=True,
                )
            for step in range(version, SCHEMA_VERSION):
                for done in MIGRATIONS[step]:
                    if callable(done):  # a step that depends on the kinds (their fields)
                        for sql, params in done(self):
                            self._conn.execute(sql, params)
                    else:
                        self._conn.execute(done)
            if version < SCHEMA_VERSION:
                self._conn.execute("UPDATE cstool_schema SET version = %s", (SCHEMA_VERSION,))

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """A database error as one line naming the store; conflicts marked for a retry."""
        psycopg = _driver()
        try:
            yield
        except psycopg.Error as exc:
            reason = _("{reason} (store {url})").format(reason=_reason(exc, self.url), url=self.description)
            if getattr(exc, "sqlstate", None) in RETRIED_SQLSTATES:
                raise api.StoreConflict(reason) from None
            raise api.StoreError(reason) from None

    def close(self) -> None:
        for connection in (self._conn, self._side):
            if connection is not None:
                connection.close()
        self._conn = self._side = None

    # ---- remembered clocks -----------------------------------------------------------

    def remembered_clocks(self, kind: str, fingerprint: str) -> RememberedClocks:
        """The clocks remembered beside each record of ``kind`` (computed under
        ``fingerprint``): every desk shares them, and a pass over the records gets each
        record's with it, so memory holds one at a time."""
        found = self._remembering.get(kind)
        if found is None or found.fingerprint != fingerprint:
            found = self._remembering[kind] = RememberedClocks(self, kind, fingerprint)
        return found

    def side_connection(self):
        if self._side is None:
            with self._errors():
                self._side = _driver().connect(self.url, autocommit=True, connect_timeout=10, prepare_threshold=None)
        return self._side

    # ---- what the desks share besides records ---------------------------------------

    @contextmanager
    def shared_state(self, name: str) -> Iterator[PostgresState]:
        """The row ``name`` of ``cstool_state`` under a transaction's advisory lock: the
        saves commit together at the end (inside an open transaction, with it). Never a
        session's lock, which a pooler in transaction mode (PgBouncer) would hand to
        another client's session."""
        api.check_state_name(name)
        with self._transaction():
            with self._errors():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (STATE_LOCK_CLASS, name))
            yield PostgresState(self, name)

    def read_state(self, name: str):
        """The row ``name`` of ``cstool_state`` as committed, without its lock: every command
        reads the policy, and a lock there would make each one wait behind a policy change."""
        api.check_state_name(name)
        return PostgresState(self, name).load()

    def append_log(self, name: str, entries: list[dict]) -> None:
        if not entries:
            return
        import orjson

        api.check_state_name(name)
        with self._errors(), self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOG_LOCK_CLASS, name))
            with self.conn.cursor().copy("COPY cstool_log (name, entry) FROM STDIN") as copy:
                for entry in entries:
                    copy.write_row((name, orjson.dumps(entry).decode()))

    def read_log(self, name: str) -> Iterator[dict]:
        import orjson

        with self._errors():
            for (entry,) in self.conn.cursor().stream(
                "SELECT entry::text FROM cstool_log WHERE name = %s ORDER BY pos", (name,)
            ):
                yield orjson.loads(entry)

    def log_names(self) -> list[str]:
        with self._errors():
            return [name for (name,) in self.conn.execute("SELECT DISTINCT name FROM cstool_log ORDER BY 1")]

    def replace_log(self, name: str, entries: list[dict]) -> None:
        api.check_state_name(name)
        with self._transaction():
            with self._errors():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOG_LOCK_CLASS, name))
                self.conn.execute("DELETE FROM cstool_log WHERE name = %s", (name,))
            self.append_log(name, entries)

    def workspace_parts(self) -> list[str]:
        return []  # everything is in the database

    # ---- who is writing --------------------------------------------------------------

    def login(self) -> tuple[str, bool]:
        with self._errors():
            user, owner = self.conn.execute(
                "SELECT current_user::text, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR EXISTS "
                "(SELECT 1 FROM pg_roles r WHERE r.rolname = %s AND pg_has_role(current_user, r.oid, 'member'))",
                (ADMINISTRATOR_ROLE,),
            ).fetchone()
        return user, bool(owner)

    def grant(self, role: str, as_role: str, department: str | None, sees_all: bool) -> None:
        """Make the database role ``role`` a member of the group role of ``as_role`` (made
        with its grants if need be), working on ``department``'s records."""
        from psycopg import sql

        group = GROUPS[as_role]
        with self._transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, SCHEMA_LOCK))
            for name in GROUPS.values():
                exists = self.conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
                if not exists:
                    self.conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
            schema = self.conn.execute("SELECT current_schema()").fetchone()[0]
            for statement in group_grants(sql.Identifier(schema).as_string(self.conn)):
                self.conn.execute(statement)
            if not self.conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                raise api.StoreError(_("there is no database role {role}: create it first").format(role=role))
            for other in GROUPS.values():
                if other != group:
                    self.conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), sql.Identifier(role)))
            self.conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(role)))
            self.conn.execute(
                "INSERT INTO cstool_staff (login, department, sees_all) VALUES (%s, %s, %s) ON CONFLICT (login) "
                "DO UPDATE SET department = excluded.department, sees_all = excluded.sees_all",
                (role, department, sees_all),
            )

    def own_department_only(self, on: bool) -> None:
        """Turn row-level security on the records on or off (policy ``[privacy] own_department_only``)."""
        with self._transaction():
            state = "ENABLE" if on else "DISABLE"
            self.conn.execute(f"ALTER TABLE cstool_records {state} ROW LEVEL SECURITY")

    def forget(self) -> None:
        """Drop what was read; a connection the server or the network lost is opened again
        at the next use (a desk that runs all day outlives a database restart)."""
        self._loaded.clear()
        for name in ("_conn", "_side"):
            connection = getattr(self, name)
            if connection is not None and (connection.closed or connection.broken):
                setattr(self, name, None)

    def watch(self) -> PostgresFeed:
        """Listen for changes on a connection of the feed's own (the store's may be busy)."""
        with self._errors():
            self.conn  # noqa: B018 -- the schema (and its trigger) made before anyone listens
            listener = _driver().connect(self.url, autocommit=True, connect_timeout=10, prepare_threshold=None)
            listener.execute(f"LISTEN {CHANGES_CHANNEL}")
        return PostgresFeed(self, listener)

    def lead(self, name: str) -> PostgresLease | None:
        """A session's advisory lock on a connection of the lease's own: the server frees it the
        moment that session ends (a worker killed, the network gone), so another takes over.
        A session lock needs a session: point a worker at the server, not at PgBouncer in
        transaction mode."""
        with self._errors():
            self.conn  # noqa: B018 -- the schema checked before anyone leads
            connection = _driver().connect(self.url, autocommit=True, connect_timeout=10, prepare_threshold=None)
            taken = connection.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LEAD_LOCK_CLASS, name)
            ).fetchone()[0]
        if not taken:
            connection.close()
            return None
        return PostgresLease(connection)

    # ---- attachments ---------------------------------------------------------------------

    def put_file(self, data: bytes) -> str:
        import hashlib  # here: `cstool --help` loads this plugin and nothing it does not need

        digest = hashlib.sha256(data).hexdigest()
        with self._errors():
            self.conn.execute(
                "INSERT INTO cstool_files (digest, size, data) VALUES (%s, %s, %s) ON CONFLICT (digest) DO NOTHING",
                (digest, len(data), data),
            )
        return digest

    def get_file(self, digest: str) -> bytes | None:
        with self._errors():
            row = self.conn.execute("SELECT data FROM cstool_files WHERE digest = %s", (digest,)).fetchone()
        return bytes(row[0]) if row else None

    def file_digests(self) -> list[str]:
        with self._errors():
            return [row[0] for row in self.conn.execute("SELECT digest FROM cstool_files ORDER BY digest")]

    def remove_files(self, digests: Iterable[str]) -> None:
        wanted = list(digests)
        if wanted:
            with self._errors():
                self.conn.execute("DELETE FROM cstool_files WHERE digest = ANY(%s)", (wanted,))

    def server_now(self):
        """The server's clock: every desk's events are stamped by one clock."""
        with self._errors():
            return self.conn.execute("SELECT clock_timestamp()").fetchone()[0]

    # ---- reading ---------------------------------------------------------------------

    def _fetch(self, sql: str, params: tuple) -> list[dict]:
        import orjson

        with self._errors():
            rows = self.conn.execute(sql, params).fetchall()
        return [orjson.loads(doc) for (doc,) in rows]

    def records(self, kind: str, fresh: bool = False) -> list[dict]:
        """Every record of ``kind``; ``fresh`` inside a transaction that holds kinds
        (``kinds_locked``: a change of many records of several kinds) also locks their rows
        against single-record writers, who take no kind lock."""
        if fresh or kind not in self._loaded:
            locking = " FOR UPDATE" if fresh and kind in self._held else ""
            self._loaded[kind] = self._fetch(
                f"SELECT doc::text FROM cstool_records WHERE kind = %s ORDER BY part, pos{locking}", (kind,)
            )
        return self._loaded[kind]

    def _where(self, kind: str, selection) -> tuple[list[str], list]:
        """SQL conditions for ``selection``: statuses and the created range exactly, fields
        equal to a value as a first cut that ``selection.filter`` finishes (lists, blanks)."""
        sql: list[str] = ["kind = %s"]
        params: list[Any] = [kind]
        if selection.statuses is not None:
            sql.append("status = ANY(%s)")
            params.append(sorted(selection.statuses))
        if selection.excluded:
            sql.append("NOT (status = ANY(%s))")
            params.append(sorted(selection.excluded))
        if selection.created_from is not None:
            sql.append("created_at >= %s")
            params.append(selection.created_from)
        if selection.created_before is not None:
            sql.append("created_at < %s")
            params.append(selection.created_before)
        if selection.departments is not None:
            sql.append("(coalesce(facets->>'department', '') = '' OR facets->>'department' = ANY(%s))")
            params.append(sorted(selection.departments))
        facets = self.facets.get(kind, ())
        for stamp, start, before in selection.between:
            instant = f"nullif({'facets' if stamp in facets else 'doc'}->>%s, '')::timestamptz"
            sql.append(f"{instant} IS NOT NULL")
            params.append(stamp)
            for bound, operator in ((start, ">="), (before, "<")):
                if bound is not None:
                    sql.append(f"{instant} {operator} %s")
                    params += [stamp, bound]
        for name, values in selection.among:
            column, typeof = ("facets", "jsonb_typeof") if name in facets else ("doc", "json_typeof")
            sql.append(f"({typeof}({column}->%s) = 'string' AND {column}->>%s = ANY(%s))")
            params += [name, name, sorted(values)]
        for name, wanted in selection.equals:
            if wanted:
                column = "facets" if name in facets else "doc"
                typeof = "jsonb_typeof" if name in facets else "json_typeof"
                if name in INDEXED_FACETS:  # written out, so the planner matches the expression index
                    sql.append(f"(lower(facets->>'{name}') = lower(%s) OR jsonb_typeof(facets->'{name}') = 'array')")
                    params.append(wanted)
                    continue
                sql.append(f"(lower({column}->>%s) = lower(%s) OR {typeof}({column}->%s) = 'array')")
                params += [name, wanted, name]
        return sql, params

    def select(self, kind: str, selection) -> list[dict]:
        if kind in self._loaded:
            return list(selection.filter(self._loaded[kind]))
        return list(self.stream(kind, selection))

    def stream(self, kind: str, selection, extra: tuple[str, list] | None = None) -> Iterator[dict]:
        """Rows as the server sends them (single-row mode): memory stays flat however many.
        ``extra``: one more SQL condition and its parameters."""
        import orjson

        if kind in self._loaded and extra is None:
            yield from selection.filter(self._loaded[kind])
            return
        where, params = self._where(kind, selection)
        if extra is not None:
            where.append(extra[0])
            params += extra[1]
        remembered = self._remembering.get(kind)
        if remembered is None:
            sql = f"SELECT doc::text, NULL, 0 FROM cstool_records WHERE {' AND '.join(where)} ORDER BY part, pos"
        else:
            sql = (
                "SELECT doc::text, CASE WHEN clock_key = %s THEN clocks END, version FROM cstool_records "
                f"WHERE {' AND '.join(where)} ORDER BY part, pos"
            )
            params = [remembered.fingerprint, *params]
        with self._errors():
            for doc, clocks, version in self.conn.cursor().stream(sql, params):
                record = orjson.loads(doc)
                if not selection.keeps(record):
                    continue
                if remembered is not None:
                    remembered.arrived(record["id"], clocks, version)
                yield record

    def tally(self, kind: str, selection, fields: tuple[str, ...], tz) -> dict[tuple, int]:
        zone_name = getattr(tz, "key", None)
        dates = {api.MONTH: "YYYY-MM", api.DAY: "YYYY-MM-DD"}
        if selection.equals or (zone_name is None and any(name in dates for name in fields)):
            return api.count_values(self.stream(kind, selection), fields, tz)
        where, params = self._where(kind, selection)
        # each column one jsonb value per group, which psycopg hands back decoded
        columns, column_params, from_doc = [], [], []
        for index, name in enumerate(fields):
            from_doc.append(name not in dates and name != "status" and name not in self.facets.get(kind, ()))
            if name in dates:
                columns.append(f"to_jsonb(to_char(created_at AT TIME ZONE %s, '{dates[name]}')) AS v{index}")
                column_params.append(zone_name)
            elif name == "status":
                columns.append(f"to_jsonb(status) AS v{index}")
            else:  # a value of the document is taken out once (json is parsed again by each ->)
                columns.append(f"{'doc' if from_doc[-1] else 'facets'}->%s AS v{index}")
                column_params.append(name)
        # json has no equality: a value of the document is grouped by its text and its type
        grouped = [
            f"jsonb_build_array(v{i} #>> '{{}}', json_typeof(v{i}))" if doc else f"v{i}"
            for i, doc in enumerate(from_doc)
        ]
        groups = ", ".join(str(i + 1) for i in range(len(columns)))
        sql = (
            f"SELECT {', '.join(grouped)}, count(*) FROM (SELECT {', '.join(columns)} FROM cstool_records "
            f"WHERE {' AND '.join(where)}) AS taken GROUP BY {groups}"
        )
        with self._errors():
            rows = self.conn.execute(sql, [*column_params, *params]).fetchall()
        counts: dict[tuple, int] = {}
        for *values, count in rows:
            key = tuple(_json_value(*value) if doc else value for value, doc in zip(values, from_doc))
            counts[key] = counts.get(key, 0) + count
        return counts

    def clock_tally(self, kind: str, selection, fingerprint: str, now, by: str | tuple[str, ...], default: str):
        """The SLA report's counts of the clocks the store can judge itself as of ``now``
        (remembered under ``fingerprint`` with figures, no event after ``now``), per
        (group, clock) — a tuple of values when ``by`` is a tuple of fields — and the records
        it cannot, to be judged one by one (read afresh each time they are iterated)."""
        # plain columns: the records left over are found without reading their figures
        judged = "(clock_key = %s AND clock_latest <= %s)"
        judged_params = [fingerprint, now.timestamp()]
        expressions, group_params = [], []
        for name in (by,) if isinstance(by, str) else by:
            if name == "kind":
                expressions.append("%s::text")
                group_params.append(kind)
            elif name == "priority":
                expressions.append("coalesce(nullif(facets->>'priority', ''), %s)")
                group_params.append(default)
            else:
                expressions.append("coalesce(nullif(facets->>%s, ''), '—')")
                group_params.append(name)
        group = expressions[0] if isinstance(by, str) else f"ARRAY[{', '.join(expressions)}]"
        where, params = self._where(kind, selection)
        instant = now.timestamp()
        sql = f"""
            SELECT {group} AS grp, c.key,
                count(*) FILTER (WHERE c.value->>0 = 'met'),
                count(*) FILTER (WHERE c.value->>0 = 'breached'),
                count(*) FILTER (WHERE c.value->>0 = 'running' AND (c.value->>2)::float8 < %s),
                count(*) FILTER (WHERE c.value->>0 = 'running' AND NOT (c.value->>2)::float8 < %s),
                count(*) FILTER (WHERE c.value->>0 = 'unknown'),
                count(*) FILTER (WHERE c.key = 'first_response' AND (clock_figures->>'cwr')::boolean),
                array_agg((c.value->>1)::float8) FILTER (WHERE c.value->>1 IS NOT NULL)
            FROM cstool_records, jsonb_each(clock_figures->'clocks') AS c
            WHERE {" AND ".join(where)} AND {judged}
            GROUP BY 1, 2"""
        with self._errors():
            rows = self.conn.execute(sql, [*group_params, instant, instant, *params, *judged_params]).fetchall()
        counted = {}
        for group_value, clock, met, stopped_breached, breached_open, running, unknown, cwr, minutes in rows:
            counted[(group_value if isinstance(by, str) else tuple(group_value), clock)] = {
                "met": met,
                "breached": stopped_breached + breached_open,
                "breached_open": breached_open,
                "running": running,
                "unknown": unknown,
                "closed_without_reply": cwr,
                "minutes": minutes or [],
            }
        left = (f"NOT coalesce({judged}, false)", judged_params)
        return counted, api.Reread(lambda: self.stream(kind, selection, left))

    def search(self, kind: str, query: str, selection) -> Iterator[dict] | None:
        """The records of ``kind`` that may match ``query`` (``search.hits`` decides), found
        through the grams index; None when the index cannot narrow the query."""
        narrowed = api.query_grams(query)
        if narrowed is None:
            return None
        text, personal = narrowed
        return self.stream(kind, selection, ("(grams @> %s OR grams && %s OR grams IS NULL)", [text, personal]))

    def find_personal(self, kind: str, selection, *, tail: str | None = None, whole: str | None = None):
        tokens = [token for token in (tail and api.phone_tail(tail), whole and api.personal_token(whole)) if token]
        return self.stream(kind, selection, ("(grams && %s OR grams IS NULL)", [tokens]))

    def grams_of(self, kind: str, record: dict) -> list[str]:
        text_fields, personal = self.searched.get(kind, ((), {}))
        return api.search_grams(record, text_fields, personal)

    def unindexed(self) -> int:
        """How many records wait for the search index (written in bulk)."""
        with self._errors():
            return self.conn.execute("SELECT count(*) FROM cstool_records WHERE grams IS NULL").fetchone()[0]

    def index_pending(self) -> int:
        """Index the records written in bulk, a batch a transaction (memory stays flat; rows
        another desk holds are left for the next run). How many were indexed."""
        import orjson

        done = 0
        while True:
            with self._transaction(), self._errors():
                rows = self.conn.execute(
                    "SELECT kind, id, doc::text FROM cstool_records WHERE grams IS NULL "
                    "LIMIT %s FOR UPDATE SKIP LOCKED",
                    (INDEX_BATCH,),
                ).fetchall()
                self._added += len(rows)
                self.conn.cursor().executemany(
                    "UPDATE cstool_records SET grams = %s WHERE kind = %s AND id = %s",
                    [(self.grams_of(kind, orjson.loads(doc)), kind, record_id) for kind, record_id, doc in rows],
                )
            done += len(rows)
            if len(rows) < INDEX_BATCH:
                return done

    def get(self, kind: str, record_id: str) -> dict | None:
        found = self._fetch("SELECT doc::text FROM cstool_records WHERE kind = %s AND id = %s", (kind, record_id))
        return found[0] if found else None

    def get_many(self, kind: str, record_ids: list[str]) -> list[dict]:
        found = {
            record["id"]: record
            for record in self._fetch(
                "SELECT doc::text FROM cstool_records WHERE kind = %s AND id = ANY(%s)", (kind, list(record_ids))
            )
        }
        return [found[record_id] for record_id in record_ids if record_id in found]

    def sequences(self, kind: str) -> dict[str, int]:
        with self._errors():
            rows = self.conn.execute("SELECT day, last FROM cstool_sequences WHERE kind = %s", (kind,)).fetchall()
        return dict(rows)

    # ---- writing ---------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        conn = self.conn
        _quiet_driver_log()
        try:
            with self._errors(), conn.transaction():
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    self._held.clear()
            self._analyze_after_bulk()
        except api.StoreConflict:
            raise  # run again by the record book
        except api.StoreError as exc:
            if _("nothing was written") in str(exc):
                raise
            raise api.StoreError(_("{reason}; nothing was written").format(reason=exc)) from None

    def _analyze_after_bulk(self) -> None:
        """Take the planner's figures again after many records were added or indexed, before
        autovacuum gets round to it: with an empty table's figures a search reads every row
        instead of the grams index (2.2 s against 1.8 ms at 100,000)."""
        if self._added >= ANALYZE_AFTER:
            self._added = 0
            with self._errors():
                self.conn.execute("ANALYZE cstool_records")

    def _lock(self, kind: str) -> None:
        if kind not in self._held:
            self.conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, kind))
            self._held.add(kind)

    @contextmanager
    def kinds_locked(self, kinds: Iterable[str]) -> Iterator[None]:
        with self._transaction():
            for kind in sorted(set(kinds)):
                self._lock(kind)
            yield

    @contextmanager
    def transaction(self, kind: str) -> Iterator[PostgresTransaction]:
        """Writes of ``kind`` in one transaction. The kind's lock is taken only by what
        needs every record still (``all``: an import, a reclassification); one record is
        locked by its row (``get``), new ids by their day's counter row, so that an agent
        saving a case never waits for an import of 100,000 rows."""
        with self._transaction():
            transaction = PostgresTransaction(self, kind)
            yield transaction
            transaction.flush()
        self._loaded.pop(kind, None)

    def part_of(self, kind: str, record_id: str) -> str:
        return api.part_of_id(record_id) if kind in self.partitioned else ""


class PostgresTransaction:
    """Writes of one kind inside the store's open transaction (the kind's lock held)."""

    def __init__(self, store: PostgresStore, kind: str):
        self.kind = kind
        self._store = store
        self._counters: dict[str, int] = {}  # day -> last number, for the days this transaction holds
        self._counted: set[str] = set()  # days whose counter this transaction moved
        self._versions: dict[str, int] = {}  # id -> the version read, checked when it is replaced

    def all(self) -> list[dict]:
        """Every record, the kind held against other whole-kind writers (a second import);
        rows are not locked: each is replaced only if no one changed it meanwhile."""
        import orjson

        store = self._store
        store._lock(self.kind)
        with store._errors():
            rows = store.conn.execute(
                "SELECT doc::text, version FROM cstool_records WHERE kind = %s ORDER BY part, pos", (self.kind,)
            ).fetchall()
        records = []
        for doc, version in rows:
            record = orjson.loads(doc)
            self._versions[record["id"]] = version
            records.append(record)
        return records

    def by_external_id(self, values: list[str]) -> dict[str, tuple[dict, bool]]:
        """The records named, found through the external-id index; rows this transaction
        wrote are those whose current version it made (``xmin``)."""
        import orjson

        store = self._store
        store._lock(self.kind)
        if not values:
            return {}
        with store._errors():
            rows = store.conn.execute(
                "SELECT doc::text, version, xmin = pg_current_xact_id()::xid "
                "FROM cstool_records WHERE kind = %s AND facets ? 'external_id' "
                "AND facets->>'external_id' = ANY(%s)",
                (self.kind, list(values)),
            ).fetchall()
        found = {}
        for doc, version, mine in rows:
            record = orjson.loads(doc)
            self._versions[record["id"]] = version
            found[record["external_id"]] = (record, mine)
        return found

    def get(self, record_id: str) -> dict | None:
        """One record, its row locked until the transaction ends."""
        import orjson

        store = self._store
        with store._errors():
            row = store.conn.execute(
                "SELECT doc::text, version FROM cstool_records WHERE kind = %s AND id = %s FOR UPDATE",
                (self.kind, record_id),
            ).fetchone()
        if row is None:
            return None
        self._versions[record_id] = row[1]
        return orjson.loads(row[0])

    def _hold_day(self, day: str) -> int:
        """The day's last number, its counter row locked until the transaction ends."""
        if day not in self._counters:
            store = self._store
            with store._errors():
                self._counters[day] = store.conn.execute(
                    "INSERT INTO cstool_sequences (kind, day, last) VALUES (%s, %s, 0) "
                    "ON CONFLICT (kind, day) DO UPDATE SET last = cstool_sequences.last RETURNING last",
                    (self.kind, day),
                ).fetchone()[0]
        return self._counters[day]

    def new_id(self, prefix: str, day: str) -> str:
        number = self._hold_day(day) + 1
        self._counters[day] = number
        self._counted.add(day)
        return f"{prefix}-{day}-{number:04d}"

    def keep_sequences(self, sequences: Mapping[str, int]) -> None:
        for day, number in sequences.items():
            if number > self._hold_day(day):
                self._counters[day] = number
                self._counted.add(day)

    def insert(self, records: list[dict]) -> None:
        if not records:
            return
        import orjson

        store = self._store
        store._added += len(records)
        with store._errors():
            cursor = store.conn.cursor()
            columns = "kind, id, part, created_at, status, facets, doc, grams"
            with cursor.copy(f"COPY cstool_records ({columns}) FROM STDIN") as copy:
                for record in records:
                    copy.write_row(
                        (
                            self.kind,
                            record["id"],
                            store.part_of(self.kind, record["id"]),
                            record["created_at"],
                            record.get("status"),
                            self._facets(record),
                            orjson.dumps(record).decode(),
                            store.grams_of(self.kind, record) if len(records) <= INDEX_INLINE else None,
                        )
                    )

    def replace(self, records: list[dict]) -> None:
        if not records:
            return
        import orjson

        store = self._store
        with store._errors():
            cursor = store.conn.cursor()
            # a record read by this transaction is replaced only at the version it read:
            # one an agent changed meanwhile makes the whole transaction run again
            cursor.executemany(
                "UPDATE cstool_records SET doc = %s, facets = %s, status = %s, created_at = %s, clocks = NULL, "
                "clock_figures = NULL, clock_latest = NULL, version = version + 1, grams = %s "
                "WHERE kind = %s AND id = %s AND (%s::int IS NULL OR version = %s::int)",
                [
                    (
                        orjson.dumps(r).decode(),
                        self._facets(r),
                        r.get("status"),
                        r["created_at"],
                        store.grams_of(self.kind, r) if len(records) <= INDEX_INLINE else None,
                        self.kind,
                        r["id"],
                        self._versions.get(r["id"]),
                        self._versions.get(r["id"]),
                    )
                    for r in records
                ],
                returning=False,
            )
            changed = cursor.rowcount
        if changed != len(records) and any(r["id"] in self._versions for r in records):
            missing = [r["id"] for r in records if store.get(self.kind, r["id"]) is None]
            if not missing:
                raise api.StoreConflict(
                    _("a record of {kind} changed while this was written; run it again").format(kind=self.kind)
                )
        if changed != len(records):
            raise api.StoreError(
                _("{count} of the records to replace are not in the store ({kind})").format(
                    count=len(records) - changed, kind=self.kind
                )
            )

    def remove_all(self) -> None:
        store = self._store
        store._lock(self.kind)
        with store._errors():
            store.conn.execute("DELETE FROM cstool_records WHERE kind = %s", (self.kind,))
            store.conn.execute("DELETE FROM cstool_sequences WHERE kind = %s", (self.kind,))
        self._counters, self._counted = {}, set()

    def _facets(self, record: dict) -> str:
        import orjson

        names = self._store.facets.get(self.kind, ())
        return orjson.dumps({name: record[name] for name in names if name in record}).decode()

    def flush(self) -> None:
        """Write the counters this transaction moved, in its own transaction's commit."""
        if not self._counted:
            return
        store = self._store
        with store._errors():
            store.conn.cursor().executemany(
                "INSERT INTO cstool_sequences (kind, day, last) VALUES (%s, %s, %s) "
                "ON CONFLICT (kind, day) DO UPDATE SET last = greatest(cstool_sequences.last, excluded.last)",
                [(self.kind, day, self._counters[day]) for day in sorted(self._counted)],
            )


class PostgresLease:
    def __init__(self, connection):
        self.connection = connection

    def held(self) -> bool:
        """Held while its session lives: asked of the server, which ends a lost session's locks."""
        try:
            self.connection.execute("SELECT 1")
        except Exception:  # any failure of the connection: the lock is gone with its session
            return False
        return True

    def release(self) -> None:
        try:
            self.connection.close()  # the session's locks end with it
        except Exception:
            pass


class PostgresFeed:
    """Notifications of ``cstool_changes`` on a connection that listens for nothing else."""

    def __init__(self, store: PostgresStore, connection):
        self._store, self._connection = store, connection

    def wait(self, timeout: float) -> set[str]:
        with self._store._errors():
            kinds = {note.payload for note in self._connection.notifies(timeout=timeout, stop_after=1)}
            # what else arrived meanwhile, without waiting
            kinds |= {note.payload for note in self._connection.notifies(timeout=0)}
        return kinds

    def close(self) -> None:
        self._connection.close()


class PostgresState:
    """One row of ``cstool_state``, read and written by the store that holds its lock."""

    def __init__(self, store: PostgresStore, name: str):
        self._store, self.name = store, name

    def load(self):
        import orjson

        with self._store._errors():
            row = self._store.conn.execute("SELECT value::text FROM cstool_state WHERE name = %s", (self.name,))
            found = row.fetchone()
        return None if found is None else orjson.loads(found[0])

    def save(self, value) -> None:
        import orjson

        with self._store._errors():
            self._store.conn.execute(
                "INSERT INTO cstool_state (name, value) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (self.name, orjson.dumps(value).decode()),
            )


class RememberedClocks(api.RememberedEntries):
    """One kind's remembered clocks as ``KindClocks`` reads them: the entry of the record
    the store's stream has just sent, and new entries written in batches through a
    second connection (the first is busy sending records)."""

    BATCH = 2000

    def __init__(self, store: PostgresStore, kind: str, fingerprint: str):
        self.store, self.kind, self.fingerprint = store, kind, fingerprint
        self._current: tuple[str | None, str | None, int] = (None, None, 0)
        self._pending: list[tuple[str, str, str | None, float | None, int]] = []

    def arrived(self, record_id: str, entry: str | None, version: int) -> None:
        self._current = (record_id, entry, version)

    def __getitem__(self, record_id: str) -> list:
        current_id, entry, _version = self._current
        if current_id != record_id or entry is None:
            raise KeyError(record_id)
        import orjson

        return orjson.loads(entry)

    def __setitem__(self, record_id: str, entry: list) -> None:
        self.keep(record_id, entry, None)

    def keep(self, record_id: str, entry: list, figures: dict | None) -> None:
        """Remember ``entry`` and what the SLA report counts of it (``judged``; None for a
        record the report must judge itself), for the record the stream has just sent, as
        of its version (a record read another way is not remembered: nothing says which
        version it was)."""
        import orjson

        current_id, _entry, version = self._current
        if current_id != record_id:
            return
        self._pending.append(
            (
                record_id,
                orjson.dumps(entry).decode(),
                None if figures is None else orjson.dumps(figures).decode(),
                None if figures is None else figures["latest"],
                version,
            )
        )
        if len(self._pending) >= self.BATCH:
            self.save()

    def __delitem__(self, record_id: str) -> None:
        raise KeyError(record_id)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def save(self) -> None:
        """Keep the new entries, each only on the version of the record it was computed
        from: a record changed meanwhile keeps its clocks forgotten."""
        if not self._pending:
            return
        import orjson

        batch, self._pending = self._pending, []
        rows = orjson.dumps(
            [
                {"id": record_id, "clocks": entry, "figures": figures, "latest": latest, "version": version}
                for record_id, entry, figures, latest, version in batch
            ]
        ).decode()
        connection = self.store.side_connection()
        with self.store._errors():
            # one statement a batch, its rows as one JSON text (20,000 single-row updates
            # were 40 % of a first `report sla`; psycopg's text arrays cost as much again)
            connection.execute(
                "UPDATE cstool_records AS r SET clocks = v.clocks, clock_figures = v.figures::jsonb, "
                "clock_latest = v.latest, clock_key = %s "
                "FROM json_to_recordset(%s::json) AS v(id text, clocks text, figures text, latest float8, version int) "
                "WHERE r.kind = %s AND r.id = v.id AND r.version = v.version",
                (self.fingerprint, rows, self.kind),
            )


def _json_value(text: str | None, json_type: str | None):
    """A value as ``doc->>key`` and ``json_typeof`` give it, as Python reads it from JSON."""
    if json_type == "string":
        return text
    if json_type in (None, "null") or text is None:
        return None
    import orjson

    return orjson.loads(text)


def _reason(exc: Exception, url: str) -> str:
    """The server's or libpq's own words, on one line, without the URL's password (libpq
    quotes the part of a URL it cannot parse, password and all)."""
    text = api.redact_secrets(" ".join(str(exc).split()), url)
    return text or type(exc).__name__
