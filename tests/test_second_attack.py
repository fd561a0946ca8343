"""The faults a second attack found (issue 30), each proved fixed with real processes.

Ownership matters for the first two: the attacker is uid 65534 (nobody), a real process
run through setpriv in a 1777 folder under /tmp, as on a shared machine.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest
from conftest import PG_SERVER, complaint_args, data_snapshot, invoke, record_file, run_process

ATTACKER = 65534


def as_attacker(script: str) -> None:
    """Run ``script`` (sh) as another user, a real process."""
    if os.geteuid() != 0:
        pytest.skip("only root can run a process as another user")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to run a process as another user")
    done = subprocess.run(
        ["setpriv", f"--reuid={ATTACKER}", f"--regid={ATTACKER}", "--clear-groups", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def shared_folder():
    """A folder every user may write in, like /tmp or a department's drop folder."""
    path = Path(tempfile.mkdtemp(prefix="cstool-shared-", dir="/tmp"))
    os.chmod(path, 0o1777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---- 1. a journal planted above the working folder ---------------------------------------


def test_a_journal_planted_in_a_shared_folder_above_is_never_acted_on(shared_folder, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("root's own")
    work = shared_folder / "mine"
    work.mkdir()
    plan = json.dumps({"staging": str(victim), "kept": str(tmp_path / "kept"), "parts": ["policy.toml"]})
    as_attacker(f"printf '%s' '{plan}' > {shared_folder}/.restore-journal.json")
    listed = run_process("list", "complaint", cwd=work, env={"CSTOOL_LOAD_ENTRYPOINTS": "0"})
    assert listed.returncode == 1 and "no workspace" in listed.stderr, listed.stderr
    assert (victim / "precious.txt").read_text() == "root's own"


def test_a_journal_naming_paths_outside_its_workspace_is_refused(workspace, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("kept")
    plan = {"staging": str(victim), "kept": str(tmp_path / "elsewhere"), "parts": ["data"], "removed": []}
    (workspace / ".restore-journal.json").write_text(json.dumps(plan))
    os.chmod(workspace / ".restore-journal.json", 0o600)
    before = data_snapshot(workspace)
    listed = run_process("--workspace", workspace, "list", "complaint")
    assert listed.returncode == 1
    assert "journal cannot be used" in listed.stderr and "nothing was moved" in listed.stderr
    assert (victim / "precious.txt").read_text() == "kept" and data_snapshot(workspace) == before


# ---- 2. writes through planted links -------------------------------------------------------


def test_a_backup_into_a_shared_folder_never_writes_through_planted_links(workspace, shared_folder, ws_cli):
    ws_cli("record", "complaint", *complaint_args())
    target = shared_folder / "ws.tar.gz"
    # Links for every name an old cstool would have used (.NAME.PID.tmp) and the target itself.
    as_attacker(f"cd {shared_folder} && : > loot && for pid in $(seq 1 5000); do ln -s loot .ws.tar.gz.$pid.tmp; done")
    made = run_process("--workspace", workspace, "backup", target)
    assert made.returncode == 0, made.stderr
    assert (shared_folder / "loot").stat().st_size == 0, "the backup went into the attacker's file"
    found = os.lstat(target)
    assert stat.S_ISREG(found.st_mode) and found.st_uid == os.geteuid() and found.st_mode & 0o777 == 0o600
    again = run_process("--workspace", workspace, "backup", target)
    assert again.returncode == 1 and "pass --force" in again.stderr
    assert run_process("--workspace", workspace, "backup", target, "--force").returncode == 0


def test_output_force_never_replaces_a_planted_symbolic_link(workspace, ws_cli, shared_folder, tmp_path):
    made = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    owned = tmp_path / "root-only.txt"
    owned.write_text("root's file")
    as_attacker(f"ln -s {owned} {shared_folder}/form.md")
    written = run_process(
        "--workspace", workspace, "complaints", "form", made, "notice", "--output", shared_folder / "form.md", "--force"
    )
    assert written.returncode == 1 and "symbolic link" in written.stderr, written.stderr
    assert owned.read_text() == "root's file"


# ---- 3 and 4. multi-month writes: the lock, and all or nothing ----------------------------


def _months_csv(path: Path, months: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "created_at", "customer_name", "channel", "content"])
        for i in range(months):
            year, month = 2025 + (i // 12), 1 + i % 12
            writer.writerow([f"M-{i}", f"{year}-{month:02d}-10T09:00:00+08:00", f"客户{i}", "phone", f"第{i}月"])
    return path


def test_a_lock_removed_while_months_are_written_refuses_the_whole_write(workspace, ws_cli, tmp_path, monkeypatch):
    from cstool.core.context import Context
    from cstool.core.errors import StoreError
    from cstool.core.host import build_host
    from cstool.stores import folder as store_module

    app = Context(build_host(workspace, entry_points=False), workspace, user="tester", lang="en")
    kind = app.kinds.get("complaint")
    real_stage, staged = store_module.FileTransaction.stage, []

    def stage_then_lose_the_lock(self):
        staged.append(real_stage(self))
        if len(staged) == 1:
            app.store.lock_path("complaint").unlink()  # a cleaner, or a person, removes it mid-write
        return staged[-1]

    monkeypatch.setattr(store_module.FileTransaction, "stage", stage_then_lose_the_lock)
    before = data_snapshot(workspace)
    with pytest.raises(StoreError, match="removed or replaced"):
        with app.store.transaction("complaint") as tx:
            records = []
            for month in ("2026-01", "2026-02", "2026-03"):
                record = {"id": tx.new_id(kind.prefix, month.replace("-", "") + "05"), "status": "new"}
                records.append({**record, "created_at": f"{month}-05T09:00:00+08:00"})
            tx.insert(records)
    assert len(staged) == 3 and data_snapshot(workspace) == before
    assert not [p for p in (workspace / "data").rglob("*.tmp")]


@pytest.mark.slow
def test_an_import_over_many_months_killed_at_any_moment_keeps_all_or_nothing(workspace, tmp_path):
    source = _months_csv(tmp_path / "months.csv", 23)
    outcomes = []
    for delay in (0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 1.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "import", "complaint", str(source)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        listed = run_process("--workspace", workspace, "list", "complaint", "--format", "json")
        assert listed.returncode == 0, listed.stderr
        count = len(json.loads(listed.stdout)["records"])
        assert count in (0, 23), f"killed after {delay} s: {count} of 23 rows kept"
        outcomes.append(count)
        if count:
            break
    assert not (workspace / "data" / "complaint" / ".commit-journal.json").exists()


def test_a_commit_cut_short_after_its_journal_is_finished_by_the_next_reader(workspace, tmp_path, monkeypatch):
    from cstool.stores import folder as store_module

    source = _months_csv(tmp_path / "months.csv", 5)
    real_replace, moved = os.replace, []

    def killed_after_two(src, dst):
        if str(src).endswith(".tmp") and Path(dst).parent.name == "complaint":
            if len(moved) == 2:
                raise KeyboardInterrupt  # the process ends here, as a kill would
            moved.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", killed_after_two)
    # In this process, so that its os.replace can be cut short.
    invoke("--workspace", str(workspace), "import", "complaint", str(source))
    monkeypatch.setattr(store_module.os, "replace", real_replace)
    assert len(moved) == 2 and (workspace / "data" / "complaint" / ".commit-journal.json").exists()
    listed = run_process("--workspace", workspace, "list", "complaint", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)["records"]) == 5
    assert not (workspace / "data" / "complaint" / ".commit-journal.json").exists()


def test_a_planted_commit_journal_moves_nothing(workspace, ws_cli):
    made = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    month_file = record_file(workspace, made)  # found from the id, whatever month the suite runs in
    plan = [["../../policy.toml", month_file.name]]
    (month_file.parent / ".commit-journal.json").write_text(json.dumps(plan))
    before = data_snapshot(workspace)
    listed = run_process("--workspace", workspace, "list", "complaint")
    assert listed.returncode == 1 and "not a commit journal cstool wrote" in listed.stderr
    assert data_snapshot(workspace) == before and (workspace / "policy.toml").exists()


# ---- 5 and 8. restore keeps the records where they live; on PostgreSQL, files after COMMIT --


def _archive_with_store_setting(workspace, ws_cli, tmp_path, setting: str) -> Path:
    archive = tmp_path / "with-store.tar.gz"
    assert ws_cli("backup", archive).exit_code == 0
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as opened:
        opened.extractall(unpacked, filter="data")
    policy = unpacked / "policy.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("[workspace]", f'[workspace]\nstore = "{setting}"', 1))
    crafted = tmp_path / "crafted.tar.gz"
    with tarfile.open(crafted, "w:gz") as out:
        for part in unpacked.iterdir():
            out.add(part, arcname=part.name)
    return crafted


def test_a_restored_archive_never_moves_the_records_to_the_store_it_names(workspace, ws_cli, tmp_path, pg_url):
    first = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    crafted = _archive_with_store_setting(workspace, ws_cli, tmp_path, pg_url.replace("%", "%%"))
    done = run_process("--workspace", workspace, "restore", crafted)
    assert done.returncode == 0, done.stderr
    assert "store" not in (workspace / "policy.toml").read_text(encoding="utf-8").split("[workspace]")[1].split("[")[0]
    ws_cli("record", "complaint", *complaint_args(customer_name="之后"))
    listed = run_process("--workspace", workspace, "list", "complaint", "--format", "json")
    assert [r["id"] for r in json.loads(listed.stdout)["records"]][0] == first
    assert len(json.loads(listed.stdout)["records"]) == 2  # both in the folder


def test_restore_with_store_takes_the_archive_store_and_fills_it(workspace, ws_cli, tmp_path, pg_url):
    first = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    crafted = _archive_with_store_setting(workspace, ws_cli, tmp_path, pg_url)
    done = run_process("--workspace", workspace, "restore", crafted, "--with-store")
    assert done.returncode == 0, done.stderr
    info = run_process("--workspace", workspace, "store", "info")
    assert "postgresql" in info.stdout, info.stdout
    listed = run_process("--workspace", workspace, "list", "complaint", "--format", "json")
    assert [r["id"] for r in json.loads(listed.stdout)["records"]] == [first]


def test_a_restore_whose_commit_fails_changes_neither_records_nor_files(workspace, tmp_path, pg_url, monkeypatch):
    import psycopg

    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    env = {"CSTOOL_STORE_URL": pg_url}
    first = run_process("--workspace", workspace, "record", "complaint", *complaint_args(), "--format", "json", env=env)
    assert first.returncode == 0, first.stderr
    archive = tmp_path / "b.tar.gz"
    assert run_process("--workspace", workspace, "backup", archive, env=env).returncode == 0
    run_process("--workspace", workspace, "record", "complaint", *complaint_args(customer_name="后来"), env=env)
    run_process("--workspace", workspace, "policy", "set", "workspace.language", "en", env=env)
    schema = pg_url.split("search_path%3D")[1]
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f"SET search_path = {schema}")
        admin.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
        )
        admin.execute(
            "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON cstool_records "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    policy_before = (workspace / "policy.toml").read_bytes()
    done = run_process("--workspace", workspace, "restore", archive, env=env)
    assert done.returncode == 1 and "refused at commit" in done.stderr, done.stderr
    assert (workspace / "policy.toml").read_bytes() == policy_before
    listed = run_process("--workspace", workspace, "list", "complaint", "--format", "json", env=env)
    assert len(json.loads(listed.stdout)["records"]) == 2
    assert not [p for p in workspace.iterdir() if p.name.startswith((".staging-", "before-restore-"))]


# ---- 6. policy values the clocks cannot count ----------------------------------------------


def _edit_policy(workspace: Path, key: str, value) -> None:
    """Set ``key`` in policy.toml by hand, as a person editing the file would (no check)."""
    import tomlkit

    path = workspace / "policy.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    *tables, name = key.split(".")
    node = document
    for table in tables:
        node = node.setdefault(table, tomlkit.table())
    node[name] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("sla.complaint.urgent.first_response", "99999999wd", "longer than ten years"),
        ("complaints.approval.above_compensation", float("nan"), "finite number"),
    ],
)
def test_policy_check_refuses_values_no_clock_can_count(ws_cli, workspace, key, value, named):
    _edit_policy(workspace, key, value)
    checked = run_process("--workspace", workspace, "policy", "check")
    said = checked.stderr + checked.stdout
    assert checked.returncode == 1 and named in said and key.rpartition(".")[2] in said, said


def test_an_escalation_level_past_a_hundred_times_the_target_is_refused(ws_cli, workspace):
    import tomlkit

    path = workspace / "policy.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    document["escalation"]["levels"][0]["at"] = 1e308
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    checked = run_process("--workspace", workspace, "policy", "check")
    assert checked.returncode == 1 and "at most 100" in checked.stderr + checked.stdout


# ---- 7. a password never printed ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://clerk:S3cr%zzPW@127.0.0.1/test",
        "postgresql://clerk:S3crPW@[::1/x",
        "postgresql://clerk:S3crPW@127.0.0.1:99999/test",
        "postgresql://clerk@127.0.0.1/test?password=S3cr%PW",
    ],
)
def test_a_malformed_store_url_never_prints_its_password(workspace, url):
    for extra in ([], ["--debug"]):
        done = run_process("--workspace", workspace, *extra, "list", "complaint", env={"CSTOOL_STORE_URL": url})
        assert done.returncode == 1
        assert "S3cr" not in done.stderr + done.stdout, done.stderr


# ---- 9. backups carry everything the store shares -----------------------------------------


def test_a_backup_carries_the_outbox_and_pending_notices(workspace, backend, tmp_path):
    from cstool.core.context import Context
    from cstool.core.escalation import PENDING
    from cstool.core.host import build_host

    app = Context(build_host(workspace, entry_points=False), workspace, user="tester", lang="en")
    app.store.append_log("outbox", [{"to": "经理", "subject": "提醒", "at": "2026-12-01T10:00:00+08:00"}])
    with app.store.shared_state(PENDING) as pending:
        pending.save({"CMP-20261201-0001": ["remind"]})
    app.finish()
    archive = tmp_path / "all.tar.gz"
    assert run_process("--workspace", workspace, "backup", archive).returncode == 0
    app = Context(build_host(workspace, entry_points=False), workspace, user="tester", lang="en")
    app.store.replace_log("outbox", [])
    with app.store.shared_state(PENDING) as pending:
        pending.save({})
    app.finish()
    restored = run_process("--workspace", workspace, "restore", archive)
    assert restored.returncode == 0, restored.stderr
    app = Context(build_host(workspace, entry_points=False), workspace, user="tester", lang="en")
    assert [entry["subject"] for entry in app.store.read_log("outbox")] == ["提醒"]
    with app.store.shared_state(PENDING) as pending:
        assert pending.load() == {"CMP-20261201-0001": ["remind"]}
    app.finish()


# ---- 10. leftovers holding personal data -----------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_restore_leaves_nothing_the_next_command_does_not_clear(workspace, ws_cli, tmp_path):
    ws_cli("record", "complaint", *complaint_args())
    archive = tmp_path / "b.tar.gz"
    assert ws_cli("backup", archive).exit_code == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "restore", str(archive)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.4)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = workspace / f".staging-restore-{_dead_pid()}-0123456789ab"  # and one certainly left
    (left / "data").mkdir(parents=True)
    (left / "data" / "customer.json").write_text('{"customer": {"1": {"name": "张伟"}}}')
    doctor = run_process("--workspace", workspace, "doctor")
    assert doctor.returncode == 0, doctor.stderr
    assert str(left) in doctor.stdout and "killed" in doctor.stdout
    assert not [p for p in workspace.iterdir() if p.name.startswith(".staging-")]
    assert not (workspace / ".restore-journal.json").exists()


def test_a_killed_copy_to_a_folder_leaves_nothing_behind(workspace, ws_cli, tmp_path):
    ws_cli("record", "complaint", *complaint_args())
    target = tmp_path / "copy"
    target.mkdir()
    left = target / f".staging-copy-{_dead_pid()}-0123456789ab"
    (left / "data").mkdir(parents=True)
    copied = run_process("--workspace", workspace, "store", "copy", "--to", target)
    assert copied.returncode == 0, copied.stderr
    assert not left.exists() and not [p for p in target.iterdir() if p.name.startswith(".staging-")]
    assert not [p for p in tmp_path.iterdir() if "copying" in p.name]


def test_doctor_clears_what_an_earlier_cstool_left_beside_the_workspace(workspace):
    old = workspace.parent / f".{workspace.name}.restore-abc123"
    (old / "data").mkdir(parents=True)
    (old / "data" / "customer.json").write_text("{}")
    done = run_process("--workspace", workspace, "doctor")
    assert done.returncode == 0 and str(old) in done.stdout and not old.exists()


# ---- 11. the smaller ones ----------------------------------------------------------------------


def test_a_data_file_holding_null_is_refused_not_overwritten(workspace, ws_cli):
    path = workspace / "data" / "customer.json"
    path.write_text("null")
    added = run_process("--workspace", workspace, "record", "customer", "--set", "customer_type=individual",
                        "--set", "name=李四")  # fmt: skip
    assert added.returncode == 1 and "holds null" in added.stderr
    assert path.read_text() == "null"


def test_two_records_with_one_id_in_a_file_are_refused(workspace, ws_cli):
    made = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    path = record_file(workspace, made)
    data = json.loads(path.read_text())
    data["complaint"]["2"] = dict(data["complaint"]["1"])
    path.write_text(json.dumps(data))
    listed = run_process("--workspace", workspace, "list", "complaint")
    assert listed.returncode == 1 and f"have the id {made}" in listed.stderr


def test_bidirectional_controls_are_shown_escaped(workspace, ws_cli):
    made = ws_cli("record", "complaint", *complaint_args(content="退款\u202egnp.exe"), "--format", "json").json()["id"]
    shown = run_process("--workspace", workspace, "show", made)
    assert "\u202e" not in shown.stdout and "\\u202e" in shown.stdout


def test_a_csv_cell_starting_with_a_carriage_return_and_a_formula_is_neutralised(workspace, ws_cli):
    ws_cli("record", "complaint", *complaint_args(content='\r=HYPERLINK("http://x")'))
    out = run_process("--workspace", workspace, "list", "complaint", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(out.stdout.splitlines(keepends=True)))
    cell = next(value for value in rows[0].values() if "HYPERLINK" in value)
    assert cell.startswith("'"), cell


def test_a_failed_import_in_a_new_workspace_leaves_no_kind_folder(workspace, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("external_id,created_at,customer_name,channel,content\nX-1,2026-13-40,张三,phone,坏日期\n")
    done = run_process("--workspace", workspace, "import", "complaint", source)
    assert done.returncode == 1
    assert not (workspace / "data" / "complaint").exists()


def _pg_role(pg_url: str, name: str, limit: int):
    import psycopg

    schema = pg_url.split("search_path%3D")[1]
    admin = psycopg.connect(PG_SERVER, autocommit=True)
    admin.execute(f"DROP ROLE IF EXISTS {name}")
    admin.execute(f"CREATE ROLE {name} LOGIN CONNECTION LIMIT {limit}")
    admin.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {name}")
    admin.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {name}")
    admin.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {name}")
    return admin


def test_a_second_connection_refused_after_the_work_is_a_warning_not_a_traceback(workspace, ws_cli, pg_url):
    env = {"CSTOOL_STORE_URL": pg_url}
    for _i in range(3):
        made = run_process("--workspace", workspace, "record", "complaint", *complaint_args(), env=env)
        assert made.returncode == 0, made.stderr
    role = f"cstool_limited_{os.getpid()}"
    admin = _pg_role(pg_url, role, 1)
    try:
        limited = pg_url.replace("postgres@", f"{role}@", 1)
        run_process("--workspace", workspace, "policy", "set", "workspace.language", "en", env=env)
        done = run_process(
            "--workspace", workspace, "report", "sla", env={"CSTOOL_STORE_URL": limited, "CSTOOL_USER": ""}
        )
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stderr
        assert "were not kept for next time" in done.stderr and "connection" in done.stderr, done.stderr
    finally:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")
        admin.close()


@pytest.mark.slow
def test_a_connection_lost_mid_import_says_nothing_was_written(workspace, tmp_path, pg_url):
    import psycopg

    env = {"CSTOOL_STORE_URL": pg_url}
    source = tmp_path / "many.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "created_at", "customer_name", "channel", "content"])
        for i in range(20000):
            writer.writerow([f"E-{i}", "2026-11-10T09:00:00+08:00", f"客户{i}", "phone", f"内容 {i}"])
    assert run_process("--workspace", workspace, "store", "info", env=env).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "import", "complaint", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    schema = pg_url.split("search_path%3D")[1]
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            found = admin.execute(
                "SELECT pid FROM pg_locks JOIN pg_stat_activity USING (pid) "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND datname = 'test'"
            ).fetchall()
            if found:
                for (pid,) in found:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                break
            time.sleep(0.02)
        _out, err = proc.communicate(timeout=120)
        count = admin.execute(f"SELECT count(*) FROM {schema}.cstool_records").fetchone()[0]
    if proc.returncode == 0:
        pytest.skip("the import finished before its connection could be cut")
    assert "error ignored" not in err and "Traceback" not in err, err
    assert "nothing was written" in err, err
    assert count == 0
