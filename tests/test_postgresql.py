"""The PostgreSQL store against a real server: many desks at once, refusals, who acted."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from conftest import PG_SERVER, ROOT, WRITER, complaint_args, run_process


@pytest.fixture
def pg(pg_url, monkeypatch):
    """Commands of the test use the test schema; the admin connection reads it directly."""
    import psycopg

    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


def stored(pg, kind="complaint") -> list[dict]:
    return [row[0] for row in pg.execute("SELECT doc FROM cstool_records WHERE kind = %s ORDER BY pos", (kind,))]


def test_eight_desks_adding_at_once_keep_every_record_and_never_share_an_id(workspace, pg, pg_url):
    env = {**os.environ, "CSTOOL_STORE_URL": pg_url}  # over TCP: PG_SERVER names 127.0.0.1
    assert "127.0.0.1" in pg_url
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(workspace), f"desk{n}", "200"], cwd=ROOT, env=env, stderr=subprocess.PIPE
        )
        for n in range(8)
    ]
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read().decode()
    records = stored(pg)
    assert len(records) == 1600
    assert len({r["id"] for r in records}) == 1600
    numbers = sorted(int(r["id"].rsplit("-", 1)[1]) for r in records)
    assert numbers == list(range(1, 1601))  # no gap, none twice
    names = {r["customer_name"] for r in records}
    assert names == {f"desk{n}-{i}" for n in range(8) for i in range(200)}
    assert dict(pg.execute("SELECT day, last FROM cstool_sequences").fetchall()) == {"20261116": 1600}


RESPONDER = """
import sys
from pathlib import Path
from cstool.core.context import Context
from cstool.core.host import build_host
workspace, record_id, name, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(count):
    app = Context(build_host(workspace, entry_points=False), workspace, user=name)
    app.book.respond(record_id, None, f"{name}-{i}")
    app.finish()
"""


def test_desks_changing_one_record_at_once_all_keep_their_change(workspace, ws_cli, pg, pg_url):
    made = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()
    env = {**os.environ, "CSTOOL_STORE_URL": pg_url}
    desks = [
        subprocess.Popen(
            [sys.executable, "-c", RESPONDER, str(workspace), made["id"], f"desk{n}", "25"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
        )
        for n in range(4)
    ]
    for desk in desks:
        assert desk.wait(timeout=300) == 0, desk.stderr.read().decode()
    (record,) = stored(pg)
    notes = [e["note"] for e in record["events"] if e["type"] == "response"]
    assert sorted(notes) == sorted(f"desk{n}-{i}" for n in range(4) for i in range(25))


def test_a_schema_from_a_newer_cstool_is_refused(workspace, ws_cli, pg):
    assert ws_cli("list", "complaint").exit_code == 0  # makes the schema
    pg.execute("UPDATE cstool_schema SET version = 99")
    refused = ws_cli("list", "complaint")
    assert refused.exit_code == 1
    assert "schema version 99" in refused.stderr and "upgrade cstool" in refused.stderr


def test_a_server_that_is_down_is_one_clear_line_and_shows_no_password(workspace, monkeypatch):
    monkeypatch.setenv("CSTOOL_STORE_URL", "postgresql://clerk:s3cret-pw@127.0.0.1:1/cs")
    before = (workspace / "policy.toml").read_bytes()
    for args in (
        ("list", "complaint"),
        ("--debug", "list", "complaint"),
        ("--no-input", "record", "complaint", *complaint_args()),
    ):
        result = run_process("--workspace", workspace, *args)
        assert result.returncode == 1
        assert "s3cret-pw" not in result.stdout + result.stderr
        assert "cannot open the store at postgresql://clerk:***@127.0.0.1:1/cs" in result.stderr
        assert "Traceback" not in result.stderr
    assert (workspace / "policy.toml").read_bytes() == before


def test_init_with_a_store_refuses_a_password_and_an_unreachable_server_before_writing(tmp_path, pg_url):
    with_password = run_process("init", tmp_path / "a", "--store", "postgresql://clerk:s3cret-pw@127.0.0.1/test")
    assert with_password.returncode == 1 and "s3cret-pw" not in with_password.stderr
    assert "password" in with_password.stderr
    down = run_process("init", tmp_path / "b", "--store", "postgresql://postgres@127.0.0.1:1/test")
    assert down.returncode == 1 and "cannot open the store" in down.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    made = run_process("init", tmp_path / "c", "--store", pg_url)
    assert made.returncode == 0, made.stderr
    assert f'store = "{pg_url}"' in (tmp_path / "c" / "policy.toml").read_text(encoding="utf-8")
    record = run_process("--workspace", tmp_path / "c", "--no-input", "record", "complaint", *complaint_args())
    assert record.returncode == 0, record.stderr
    assert not list((tmp_path / "c" / "data").iterdir())  # the records went to the database
    info = run_process("--workspace", tmp_path / "c", "store", "info")
    assert pg_url in info.stdout and "complaint" in info.stdout


def test_a_clerk_writes_as_itself_and_may_not_act_for_a_colleague(workspace, ws_cli, pg, pg_url):
    import psycopg

    assert ws_cli("list", "complaint").exit_code == 0  # the schema, made by its owner
    name = f"clerk_{uuid.uuid4().hex[:8]}"
    schema = pg.execute("SELECT current_schema()").fetchone()[0]
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN")
        try:
            admin.execute(f"GRANT USAGE ON SCHEMA {schema} TO {name}")
            admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} TO {name}")
            admin.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {name}")
            env = {"CSTOOL_STORE_URL": pg_url.replace("postgres@", f"{name}@"), "CSTOOL_USER": ""}

            def as_colleague():
                args = ("--workspace", workspace, "--as", "小李", "--no-input", "record", "complaint")
                return run_process(*args, *complaint_args(), env=env)

            mine = run_process(
                "--workspace", workspace, "--no-input", "record", "complaint", *complaint_args(), env=env
            )
            assert mine.returncode == 0, mine.stderr
            as_other = as_colleague()
            assert as_other.returncode == 1
            assert f"{name} (agent) may not act as 小李" in as_other.stderr and "act_for_others" in as_other.stderr
            assert "cstool_administrator" in as_other.stderr
            admin.execute("DO $$ BEGIN CREATE ROLE cstool_administrator; EXCEPTION WHEN duplicate_object THEN END $$")
            admin.execute(f"GRANT cstool_administrator TO {name}")
            allowed = as_colleague()
            assert allowed.returncode == 0, allowed.stderr
        finally:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")
    assert [r["events"][0]["by"] for r in stored(pg)] == [name, "小李"]


def test_a_copy_cut_short_leaves_the_database_empty(workspace, ws_cli, pg_url, monkeypatch):
    for _ in range(3):
        assert ws_cli("--no-input", "record", "complaint", *complaint_args()).exit_code == 0
    import psycopg

    from cstool.stores import postgresql

    real_insert, calls = postgresql.PostgresTransaction.insert, []

    def fails_on_the_second_kind(self, records):
        calls.append(self.kind)
        if len(calls) == 2:
            raise OSError("the network went away")
        return real_insert(self, records)

    monkeypatch.setattr(postgresql.PostgresTransaction, "insert", fails_on_the_second_kind)
    result = ws_cli("store", "copy", "--to", pg_url)
    assert result.exit_code != 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM cstool_records").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM cstool_sequences").fetchone()[0] == 0
    monkeypatch.setattr(postgresql.PostgresTransaction, "insert", real_insert)
    again = ws_cli("store", "copy", "--to", pg_url)
    assert again.exit_code == 0, again.stderr
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM cstool_records").fetchone()[0] == 3


def test_remembered_clocks_live_beside_the_records_and_a_change_forgets_them(workspace, ws_cli, pg):
    ids = [
        ws_cli(
            "--no-input", "record", "complaint", *complaint_args(), "--at", f"2026-11-16 {hour}:00", "--format", "json"
        ).json()["id"]
        for hour in ("09", "10", "11")
    ]

    def report():
        result = ws_cli("report", "sla", "--format", "json", "--now", "2026-11-20 10:00")
        assert result.exit_code == 0, result.stderr
        return result.json()

    def remembered():
        return dict(pg.execute("SELECT id, clocks FROM cstool_records WHERE clock_key IS NOT NULL").fetchall())

    first = report()
    kept = remembered()
    assert set(kept) == set(ids)  # shared by every desk, not in this desk's .cache
    assert not (workspace / ".cache" / "clocks-complaint.json").exists()
    assert report() == first  # from the remembered clocks
    assert ws_cli("respond", ids[0], "--at", "2026-11-16 12:00").exit_code == 0
    assert remembered().get(ids[0]) != kept[ids[0]]  # the change forgot them (or remembered the new ones)
    changed = report()
    assert remembered()[ids[0]] != kept[ids[0]]
    assert changed != first and report() == changed
    rows = {row["clock"]: row for row in changed["rows"]}
    assert rows["first_response"]["met"] == 1 and rows["first_response"]["breached_open"] == 2


def test_an_import_killed_midway_leaves_all_or_nothing(workspace, pg, pg_url, tmp_path):
    import signal
    import time

    rows = ["external_id,customer_name,channel,content,created_at"]
    rows += [f"K{i},客户{i},phone,第{i}件,2026-11-{1 + i % 28:02d}T09:00:00+08:00" for i in range(20000)]
    source = tmp_path / "rows.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {**os.environ, "CSTOOL_STORE_URL": pg_url}
    importer = subprocess.Popen(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "import", "complaint", str(source)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and importer.poll() is None:
        busy = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY cstool_records%'").fetchone()
        if busy[0]:
            break  # the rows are going in: now
        time.sleep(0.01)
    importer.send_signal(signal.SIGKILL)
    importer.wait(timeout=60)
    time.sleep(0.5)  # the server notices the connection is gone and rolls back
    count = pg.execute("SELECT count(*) FROM cstool_records").fetchone()[0]
    sequences = pg.execute("SELECT coalesce(sum(last), 0) FROM cstool_sequences").fetchone()[0]
    assert (count, sequences) in ((0, 0), (20000, 20000))


@pytest.mark.slow
def test_the_sla_report_counted_in_the_database_is_the_folder_s_to_the_byte(tmp_path, pg_url):
    """The demo's cases in every state (paused, answered, closed without reply, reopened),
    judged once record by record (which remembers them) and then in SQL."""
    demo = tmp_path / "demo"
    assert run_process("demo", demo).returncode == 0
    assert run_process("--workspace", demo, "store", "copy", "--to", pg_url).returncode == 0
    on_pg = {"CSTOOL_STORE_URL": pg_url, "CSTOOL_USER": ""}  # the database role, not in the demo's directory
    for by in ("kind", "priority", "department", "owner"):
        for now in ("now", "now-24h", "now-720h"):  # the demo is built around the test's now
            args = ("--workspace", demo, "report", "sla", "--by", by, "--now", now, "--format", "json")
            folder = run_process(*args).stdout
            assert folder and run_process(*args, env=on_pg).stdout == folder, (by, now)
            assert run_process(*args, env=on_pg).stdout == folder, (by, now)  # from the counts in SQL
    import psycopg

    with psycopg.connect(pg_url) as conn:
        judged = conn.execute("SELECT count(*) FROM cstool_records WHERE clock_figures IS NOT NULL").fetchone()[0]
    assert judged > 100


def test_a_clock_due_at_closing_time_breaches_at_the_next_open_minute_in_sql_too(ws_cli, pg):
    made = ws_cli(
        "--no-input", "record", "complaint", *complaint_args(), "--at", "2026-11-16 09:00", "--format", "json"
    )
    due = {c["name"]: c["due_at"] for c in ws_cli("sla", made.json()["id"], "--format", "json").json()["clocks"]}
    assert due["resolution"].startswith("2026-11-19T18:00")  # 3 working days, due as the office closes

    def breached_open(now):
        result = ws_cli("report", "sla", "--now", now, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return {row["clock"]: row["breached_open"] for row in result.json()["rows"]}["resolution"]

    assert breached_open("2026-11-17 10:00") == 0  # judged record by record, and remembered
    assert pg.execute("SELECT count(*) FROM cstool_records WHERE clock_figures IS NOT NULL").fetchone()[0] == 1
    assert breached_open("2026-11-19 17:59") == 0  # from here on, counted in SQL
    assert breached_open("2026-11-19 23:00") == 0  # no more than the target has counted: closed hours
    assert breached_open("2026-11-20 09:00") == 0
    assert breached_open("2026-11-20 09:01") == 1


def test_clocks_computed_from_a_record_changed_meanwhile_are_not_kept(workspace, ws_cli, pg):
    from cstool.core.context import Context
    from cstool.core.host import build_host
    from cstool.stores.base import EVERYTHING

    made = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()
    reader = Context(build_host(workspace, entry_points=False), workspace)
    remembered = reader.store.remembered_clocks("complaint", "fingerprint")
    (seen,) = list(reader.store.stream("complaint", EVERYTHING))
    assert ws_cli("respond", made["id"]).exit_code == 0  # another desk changes it meanwhile
    remembered.keep(seen["id"], [0, 0, []], {"latest": 0, "cwr": False, "clocks": {}})
    remembered.save()
    reader.finish()
    assert pg.execute("SELECT clock_key, clock_figures FROM cstool_records").fetchone() == (None, None)


def test_a_store_of_schema_version_1_is_brought_up_to_date_by_the_next_command(workspace, ws_cli, pg):
    ws_cli("--no-input", "record", "complaint", *complaint_args(severity="critical"), "--at", "2026-11-16 09:00")
    from cstool.stores.postgresql import SCHEMA_VERSION

    pg.execute("DROP TABLE cstool_state, cstool_log")  # as a store made before the shared notices and outbox
    pg.execute("DROP INDEX cstool_records_external")  # and before imports looked rows up by external id
    pg.execute("UPDATE cstool_schema SET version = 1")
    assert ws_cli("list", "complaint", "--format", "json").json()["count"] == 1
    assert pg.execute("SELECT version FROM cstool_schema").fetchall() == [(SCHEMA_VERSION,)]
    assert pg.execute("SELECT to_regclass('cstool_records_external')").fetchone()[0] is not None
    escalated = ws_cli("escalate", "--now", "2026-11-17 10:00", "--format", "json").json()
    assert escalated["delivered"] == len(escalated["actions"]) > 0
    assert pg.execute("SELECT count(*) FROM cstool_log WHERE name = 'outbox'").fetchone()[0] == escalated["delivered"]


def test_many_desks_through_pgbouncer_in_transaction_mode_keep_every_record(workspace, ws_cli, pgbouncer_url):
    """Six writers share four server connections: statements of one client run on whichever
    connection is free, so nothing may rely on a session (locks, prepared statements)."""
    env = {**os.environ, "CSTOOL_STORE_URL": pgbouncer_url}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(workspace), f"desk{n}", "40"], cwd=ROOT, env=env, stderr=subprocess.PIPE
        )
        for n in range(6)
    ]
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read().decode()
    escalated = run_process("--workspace", workspace, "escalate", "--now", "2026-11-20 10:00", env=env)
    assert escalated.returncode == 0, escalated.stderr
    import psycopg

    with psycopg.connect(pgbouncer_url.replace(pgbouncer_url.split("@")[1].split("/")[0], "127.0.0.1:5432")) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM cstool_records WHERE kind = 'complaint'")]
        notices = conn.execute("SELECT count(*) FROM cstool_log WHERE name = 'outbox'").fetchone()[0]
    assert len(ids) == len(set(ids)) == 240
    assert notices > 0


def test_an_agent_saves_a_complaint_while_an_import_is_in_progress(workspace, ws_cli, pg, pg_url, tmp_path):
    """The import holds its kind (against a second import) for its whole transaction; an
    agent's `record` takes only its own day's id counter and goes through meanwhile. The
    import is held mid-transaction by a lock on its day's counter, so the overlap is sure."""
    import time

    import psycopg

    assert ws_cli("--no-input", "record", "complaint", *complaint_args()).exit_code == 0  # the schema
    source = tmp_path / "old.csv"
    rows = ["customer_name,channel,content,contact_phone,created_at"]
    rows += [f"客户{i},phone,历史投诉,1380000{i:04d},2026-11-16 09:{i % 60:02d}" for i in range(200)]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    pg.execute("INSERT INTO cstool_sequences (kind, day, last) VALUES ('complaint', '20261116', 0)")
    env = {**os.environ, "CSTOOL_STORE_URL": pg_url}
    with psycopg.connect(pg_url) as holder:  # a transaction holding the import's day
        holder.execute("SELECT * FROM cstool_sequences WHERE kind = 'complaint' AND day = '20261116' FOR UPDATE")
        importing = subprocess.Popen(
            [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "import", "complaint", str(source)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(600):  # until the import waits inside its transaction, its kind held
            waiting = pg.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO cstool_sequences%%'"
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.1)
        assert waiting, importing.communicate(timeout=5)
        started = time.monotonic()
        saved = run_process("--workspace", workspace, "--no-input", "record", "complaint", *complaint_args(), env=env)
        assert saved.returncode == 0, saved.stderr
        assert time.monotonic() - started < 30 and importing.poll() is None  # saved while the import waits
        holder.rollback()
    out, err = importing.communicate(timeout=120)
    assert importing.returncode == 0, err.decode()
    assert pg.execute("SELECT count(*) FROM cstool_records WHERE kind = 'complaint'").fetchone()[0] == 202


def test_a_store_of_schema_version_5_orders_a_busy_kind_by_the_folders_parts(workspace, ws_cli, pg):
    made = [
        ws_cli("--no-input", "record", "complaint", *complaint_args(), "--at", at, "--format", "json").json()["id"]
        for at in ("2026-11-16 09:00", "2026-11-03 09:00")
    ]
    pg.execute("UPDATE cstool_records SET part = '2026-11' WHERE kind = 'complaint'")  # by month, as before
    pg.execute("UPDATE cstool_schema SET version = 5")
    assert [r["id"] for r in ws_cli("list", "complaint", "--format", "json").json()["records"]] == made[::-1]
    parts = pg.execute("SELECT id, part FROM cstool_records WHERE kind = 'complaint' ORDER BY id").fetchall()
    assert parts == [(made[1], "2026-11-03"), (made[0], "2026-11-16")]
    pg.execute("UPDATE cstool_records SET id = 'CMP-20261103-1234' WHERE id = %s", (made[1],))
    pg.execute("UPDATE cstool_schema SET version = 5")
    assert ws_cli("list", "complaint").exit_code == 0
    assert pg.execute("SELECT part FROM cstool_records WHERE id = 'CMP-20261103-1234'").fetchone() == (
        "2026-11-03.0001",
    )


def test_a_caller_is_found_by_a_phone_s_last_digits_through_the_index_and_schema_6_gains_them(workspace, ws_cli, pg):
    from cstool.core.context import Context
    from cstool.core.host import build_host
    from cstool.core.work import find_by_phone_tail, find_customers

    def made(*args):
        return ws_cli("--no-input", "record", *args, "--format", "json").json()["id"]

    calling = made("complaint", *complaint_args(contact_phone="+86 139-5555-6789"))
    other = made("complaint", *complaint_args(contact_phone="13800001111"))
    customer = made(
        "customer", "--set", "name=王芳", "--set", "phone=021-8760 6789", "--set", "customer_type=individual"
    )
    grams = dict(pg.execute("SELECT id, grams FROM cstool_records").fetchall())
    assert "t:6789" in grams[calling] and "t:1111" in grams[other] and "t:6789" in grams[customer]

    phones = {
        record_id: (facets.get("contact_phone") or facets.get("phone"), doc.get("contact_phone") or doc.get("phone"))
        for record_id, facets, doc in pg.execute("SELECT id, facets, doc FROM cstool_records").fetchall()
    }
    assert all(facet == value is not None for facet, value in phones.values())  # as the document has it

    # a store of schema 6 had neither: the next command adds them to the rows it has (a row
    # written in bulk and not indexed yet keeps no grams: search still reads it whole)
    pg.execute(
        "UPDATE cstool_records SET facets = facets - 'contact_phone' - 'phone', "
        "grams = array(SELECT g FROM unnest(grams) g WHERE g NOT LIKE 't:%%')"
    )
    pg.execute("UPDATE cstool_records SET grams = NULL WHERE id = %s", (other,))
    pg.execute("UPDATE cstool_schema SET version = 6")
    migrated = ws_cli("list", "complaint")
    assert migrated.exit_code == 0 and "from schema version 6 to 7" in migrated.stderr  # why it waits
    grams = dict(pg.execute("SELECT id, grams FROM cstool_records").fetchall())
    assert grams[calling].count("t:6789") == 1 and "t:6789" in grams[customer] and grams[other] is None
    facets = dict(pg.execute("SELECT id, facets FROM cstool_records").fetchall())
    assert {
        record_id: facets[record_id].get("contact_phone") or facets[record_id].get("phone") for record_id in phones
    } == {record_id: value for record_id, (_facet, value) in phones.items()}

    def found(tail):
        app = Context(build_host(workspace, entry_points=False), workspace)
        try:
            return [record["id"] for _kind, record in find_by_phone_tail(app, tail, list(app.kinds))]
        finally:
            app.finish()

    assert found("56789") == [calling]
    assert sorted(found("6789")) == sorted([calling, customer])
    app = Context(build_host(workspace, entry_points=False), workspace)
    assert [c["id"] for c in find_customers(app, "6789")] == [customer]
    assert [c["id"] for c in find_customers(app, "王芳")] == [customer]
    app.finish()
    # the index decides what is read: a row whose grams lack the tail is not even looked at,
    # one written in bulk and not indexed yet (grams NULL) is read and checked
    pg.execute("UPDATE cstool_records SET grams = '{}' WHERE id = %s", (customer,))
    assert found("6789") == [calling] and found("1111") == [other]
