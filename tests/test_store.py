"""The store: atomic writes, untouched bad files, ids never reused, real concurrent writers."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import orjson
import pytest
from conftest import TEST_MONTH, complaint_args, invoke, permissions_bind_root, record_file, run_process, start_writer
from hypothesis import given, strategies as st

from cstool.api import day_of_id, part_of_id
from cstool.core.errors import StoreError
from cstool.stores.folder import SCHEMA_VERSION, FolderStore as Store


def invoke_in(workspace):
    return lambda *args: invoke("--workspace", str(workspace), *args)


def recorded(ws_cli, *args: str) -> str:
    """The id of a new complaint."""
    return ws_cli("record", "complaint", *complaint_args(), *args, "--format", "json").json()["id"]


def test_file_layout_is_tinydb_with_meta(ws_cli, workspace):
    rid = recorded(ws_cli, "--at", "2026-11-20 10:00")
    data = json.loads(record_file(workspace, rid).read_text(encoding="utf-8"))
    assert set(data) == {"complaint", "_meta"}
    assert data["_meta"]["1"]["schema"] == SCHEMA_VERSION
    assert data["_meta"]["1"]["sequences"] == {"20261120": 1}
    assert data["complaint"]["1"]["id"] == "CMP-20261120-0001"
    from tinydb import TinyDB

    with TinyDB(record_file(workspace, rid)) as db:  # the plain TinyDB library reads it as it is
        assert db.table("complaint").all()[0]["customer_name"] == "张伟"


def test_invalid_json_is_left_exactly_as_it_is(ws_cli, workspace):
    path = workspace / "data" / "complaint" / f"{TEST_MONTH}.json"  # the month a new complaint goes to
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_bytes(b'{"complaint": {"1": {"id": "CMP-1"')
    before = path.read_bytes()
    for args in (["record", "complaint", *complaint_args()], ["list", "complaint"], ["import", "complaint", "x.csv"]):
        result = ws_cli(*args)
        assert result.exit_code == 1
    result = ws_cli("record", "complaint", *complaint_args())
    assert f"{path.name} is not valid JSON" in result.stderr and "left exactly as it is" in result.stderr
    assert path.read_bytes() == before


def test_newer_schema_is_refused(ws_cli, workspace):
    path = record_file(workspace, "CMP-20261116-0001")
    path.parent.mkdir(mode=0o700)
    path.write_bytes(orjson.dumps({"_meta": {"1": {"schema": SCHEMA_VERSION + 1}}, "complaint": {}}))
    result = ws_cli("list", "complaint")
    assert result.exit_code == 1 and "schema version" in result.stderr


def test_failed_write_keeps_the_old_file(ws_cli, workspace, monkeypatch):
    path = record_file(workspace, recorded(ws_cli))
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = ws_cli("record", "complaint", *complaint_args())
    assert (
        result.exit_code == 1
        and "No space left on device" in result.stderr
        and "previous file is intact" in result.stderr
    )
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_read_only_data_folder(workspace):
    """A real process that the folder's permissions bind (root is run without its override)."""
    env = {"CSTOOL_LOAD_ENTRYPOINTS": "0"}
    first = run_process("--workspace", workspace, "record", "complaint", *complaint_args(), "--format", "json", env=env)
    path = record_file(workspace, json.loads(first.stdout)["id"])
    before = path.read_bytes()
    os.chmod(workspace / "data", 0o500)
    os.chmod(path.parent, 0o500)
    try:
        result = run_process(
            "--workspace", workspace, "record", "complaint", *complaint_args(), env=env, prefix=permissions_bind_root()
        )
    finally:
        os.chmod(workspace / "data", 0o700)
        os.chmod(path.parent, 0o700)
    assert result.returncode == 1 and "Permission denied" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_read_only_mounted_workspace(workspace):
    """The workspace on a file system mounted read-only, in a mount namespace of the test's own."""
    rid = recorded(invoke_in(workspace))
    path = record_file(workspace, rid)
    before = path.read_bytes()
    command = (
        f"mount --bind {workspace} {workspace} && mount -o remount,bind,ro {workspace} && "
        f"{sys.executable} -m cstool --workspace {workspace} update {rid} --set remedy=退款"
    )
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"},
    )
    if "mount" in done.stderr and "Read-only file system" not in done.stderr:
        pytest.skip(f"no private read-only mount here: {done.stderr.strip()}")
    assert done.returncode == 1 and "Read-only file system" in done.stderr and "Traceback" not in done.stderr, (
        done.stderr
    )
    assert path.read_bytes() == before


def test_workspace_files_are_owner_only(ws_cli, workspace):
    month = record_file(workspace, recorded(ws_cli))
    for path in (workspace, workspace / "data", workspace / "plugins", month.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for path in (workspace / "policy.toml", month):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_ids_are_never_reused_after_a_record_leaves_the_file(ws_cli, workspace):
    path = record_file(workspace, [recorded(ws_cli, "--at", "2026-11-20 10:00") for _ in range(3)][0])
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["complaint"]["3"]  # e.g. removed by hand
    path.write_text(json.dumps(data), encoding="utf-8")
    result = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-20 10:00", "--format", "json")
    assert result.json()["id"] == "CMP-20261120-0004"


def test_transaction_writes_nothing_when_its_body_fails(workspace):
    store = Store(workspace, {"complaint"})
    with pytest.raises(RuntimeError):
        with store.transaction("complaint") as tx:
            tx.new_id("CMP", "20261120")
            raise RuntimeError("boom")
    assert not record_file(workspace, "CMP-20261120-0001").exists()


def test_two_writer_processes_both_keep_every_record(workspace):
    count = 60
    procs = [start_writer(workspace, name, count) for name in ("alpha", "beta")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    written = record_file(workspace, "CMP-20261116-0001")  # the writers' records are of 2026-11-16
    records = list(json.loads(written.read_text(encoding="utf-8"))["complaint"].values())
    assert len(records) == 2 * count
    assert len({r["id"] for r in records}) == 2 * count
    names = {r["customer_name"] for r in records}
    assert names == {f"{who}-{i}" for who in ("alpha", "beta") for i in range(count)}


def test_two_cli_processes_at_once(workspace):
    env = {"CSTOOL_LOAD_ENTRYPOINTS": "0"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cstool",
                "--workspace",
                str(workspace),
                "--as",
                who,
                "record",
                "complaint",
                *complaint_args(customer_name=f"{who}-{i}"),
            ],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(6)
        for who in ("a", "b")
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    listed = run_process("--workspace", workspace, "list", "complaint", "--format", "json", "--reveal", env=env)
    names = sorted(r["customer_name"] for r in json.loads(listed.stdout)["records"])
    assert names == sorted(f"{who}-{i}" for i in range(6) for who in ("a", "b"))


def test_store_error_for_missing_data_folder(workspace):
    store = Store(workspace / "nowhere")
    with pytest.raises(StoreError, match="missing"):
        with store.transaction("complaint"):
            pass


def test_read_only_file_system_keeps_the_old_file(ws_cli, workspace, monkeypatch):
    """Root ignores folder permissions, so the read-only file system is simulated at the syscall."""
    path = record_file(workspace, recorded(ws_cli))
    before = path.read_bytes()
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR) and str(path).endswith(".tmp"):
            raise OSError(30, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    result = ws_cli("record", "complaint", *complaint_args())
    assert (
        result.exit_code == 1
        and "Read-only file system" in result.stderr
        and "previous file is intact" in result.stderr
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize("held", ["policy.toml.lock", "data/customer.json.lock"])
def test_a_lock_held_too_long_reads_the_same_wherever_it_is(ws_cli, workspace, monkeypatch, held):
    from filelock import FileLock

    from cstool.core import files

    monkeypatch.setattr(files, "LOCK_TIMEOUT_SECONDS", 0.2)
    command = {
        "policy.toml.lock": ["policy", "set", "workspace.language", "en"],
        "data/customer.json.lock": ["record", "customer", "--set", "customer_type=individual", "--set", "name=李四"],
    }[held]
    with FileLock(str(workspace / held)):
        result = ws_cli(*command)
    assert result.exit_code == 1, result.stderr
    assert f"{workspace / held} is held by another cstool process (waited 0.2 s)" in result.stderr


def test_loading_in_process_leaves_the_callers_heap_unfrozen(ws_cli, workspace):
    import gc

    recorded(ws_cli)
    before = gc.get_freeze_count()
    assert len(Store(workspace, {"complaint"}).records("complaint")) == 1
    assert gc.get_freeze_count() == before


def test_symbolic_links_never_carry_records_or_notices_out_of_the_workspace(ws_cli, workspace, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "data" / "complaint").symlink_to(outside, target_is_directory=True)
    result = ws_cli("record", "complaint", *complaint_args())
    assert result.exit_code == 1 and "is a symbolic link" in result.stderr
    assert list(outside.iterdir()) == []
    (workspace / "data" / "complaint").unlink()

    ws_cli("record", "complaint", *complaint_args(severity="critical"), "--at", "2026-11-16 09:00")
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("", encoding="utf-8")
    (workspace / "outbox.jsonl").symlink_to(target)
    escalated = ws_cli("escalate", "--now", "2026-11-17 10:00")
    assert "outbox" in escalated.stderr and target.read_text(encoding="utf-8") == ""
    (workspace / "outbox.jsonl").unlink()
    again = ws_cli("escalate", "--now", "2026-11-17 10:00", "--format", "json").json()
    assert again["delivered"] >= 1 and (workspace / "outbox.jsonl").read_text(encoding="utf-8")


def test_a_workspace_on_a_network_share_is_warned_about(ws_cli, workspace, monkeypatch, tmp_path):
    from cstool.core import files

    assert files.network_filesystem(workspace) is None  # the test's own folder is local
    monkeypatch.setattr(files, "_mounts", lambda: [("/", "ext4"), (str(tmp_path), "nfs4")])
    assert files.network_filesystem(workspace) == "nfs4"
    made = ws_cli("record", "complaint", *complaint_args())
    assert made.exit_code == 0 and "network file system (nfs4)" in made.stderr and "local disk" in made.stderr
    assert "network file system" not in ws_cli("list", "complaint").stderr  # reading is not warned about
    fresh = invoke("init", tmp_path / "other")
    assert fresh.exit_code == 0 and "network file system (nfs4)" in fresh.stderr


def test_store_watch_tells_of_changes_made_by_another_desk(workspace, backend):
    """A real listener process sees records saved by another process, a line per change."""
    import time

    command = [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "store", "watch"]
    listener = subprocess.Popen(
        [*command, "--changes", "1", "--for", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while listener.poll() is None and time.monotonic() < deadline:  # until it has started listening and seen one
        made = run_process("--workspace", workspace, "--no-input", "record", "complaint", *complaint_args())
        assert made.returncode == 0, made.stderr
        time.sleep(0.5)
    out, err = listener.communicate(timeout=60)
    assert listener.returncode == 0, err
    assert [orjson.loads(line)["kinds"] for line in out.splitlines()] == [["complaint"]]


def _numbered(tx, day: str, count: int) -> list[dict]:
    at = f"{day[:4]}-{day[4:6]}-{day[6:]}T09:00:00+08:00"
    return [{"id": tx.new_id("CMP", day), "created_at": at, "status": "registered"} for _ in range(count)]


def test_a_busy_day_is_kept_in_parts_of_a_thousand_numbers(workspace):
    """A day of 1,205 complaints is two files, and a record costs its part, not its day."""
    folder = workspace / "data" / "complaint"
    store = Store(workspace, {"complaint"})
    with store.transaction("complaint") as tx:
        tx.insert(_numbered(tx, "20261116", 1205))
    first_part, later_part = (record_file(workspace, rid) for rid in ("CMP-20261116-0001", "CMP-20261116-1000"))
    assert sorted(folder.glob("*.json")) == sorted([first_part, later_part]) and first_part != later_part
    first, later = (orjson.loads(part.read_bytes())["complaint"] for part in (first_part, later_part))
    assert len(first) == 999 and len(later) == 206
    assert [r["id"] for r in later.values()][:2] == ["CMP-20261116-1000", "CMP-20261116-1001"]

    again = Store(workspace, {"complaint"})  # another command: the day's number is read from its last part
    assert again.get("complaint", "CMP-20261116-1100")["status"] == "registered"
    assert list(again._loaded) == [("complaint", later_part.stem)]  # the day's first part was not read
    with again.transaction("complaint") as tx:
        assert tx.new_id("CMP", "20261116") == "CMP-20261116-1206"
    ids = [r["id"] for r in Store(workspace, {"complaint"}).records("complaint")]
    assert ids == [f"CMP-20261116-{n:04d}" for n in range(1, 1206)]  # in the order they were numbered


def _older_layout(workspace, kind: str, record_id: str) -> tuple[Path, str]:
    """The parts of ``record_id``'s month put back into one file, as a cstool before schema 2
    kept them: that file, and the id a day of the month whose records were all purged would
    hand out next (its number, 41, kept in the month's sequences)."""
    day = day_of_id(record_id)
    month = f"{day[:4]}-{day[4:6]}"
    folder = workspace / "data" / kind
    records, sequences = {}, {}
    for part in sorted(folder.glob(f"{month}-*.json")):
        data = orjson.loads(part.read_bytes())
        for record in data[kind].values():
            records[str(len(records) + 1)] = record
        sequences.update(data["_meta"]["1"]["sequences"])
        part.unlink()
    purged = day[:6] + "20"
    sequences[purged] = 41
    meta = {"schema": 1, "kind": kind, "sequences": sequences}
    month_file = folder / f"{month}.json"
    month_file.write_bytes(orjson.dumps({kind: records, "_meta": {"1": meta}}))
    return month_file, f"{record_id.split('-')[0]}-{purged}-0042"


def test_a_workspace_of_the_older_layout_is_split_into_days_by_the_next_command(ws_cli, workspace):
    made = [recorded(ws_cli, "--at", at) for at in ("2026-11-03 09:00", "2026-11-03 10:00", "2026-11-16 09:00")]
    updated = ws_cli("update", made[0], "--set", "remedy=换货", "--format", "json").json()
    month_file, purged_next = _older_layout(workspace, "complaint", made[0])
    folder = workspace / "data" / "complaint"
    assert list(folder.glob("*.json")) == [month_file]

    listed = ws_cli("list", "complaint", "--format", "json").json()["records"]  # a reader: it splits, then reads
    assert [r["id"] for r in listed] == made
    parts = {record_file(workspace, rid) for rid in [*made, purged_next]}  # the last: the purged day's number
    assert sorted(folder.glob("*.json")) == sorted(parts)
    assert ws_cli("show", made[0], "--format", "json").json()["remedy"] == updated["remedy"] == "换货"
    assert recorded(ws_cli, "--at", "2026-11-20 09:00") == purged_next  # a purged day's numbers stay used
    assert recorded(ws_cli, "--at", "2026-11-03 11:00") == "CMP-20261103-0003"


def test_a_split_cut_short_is_finished_and_a_journal_may_remove_only_a_month(ws_cli, workspace, monkeypatch):
    from cstool.stores import folder as store_module

    made = [recorded(ws_cli, "--at", at) for at in ("2026-11-03 09:00", "2026-11-16 09:00")]
    month_file, purged_next = _older_layout(workspace, "complaint", made[0])
    folder = workspace / "data" / "complaint"
    real_unlink = os.unlink

    def killed_before_the_month_goes(path, *args, **kwargs):
        if Path(path) == month_file:
            raise KeyboardInterrupt  # the process ends here, as a kill would
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(store_module.os, "unlink", killed_before_the_month_goes)
    with pytest.raises(KeyboardInterrupt):
        Store(workspace, {"complaint"}).records("complaint")
    monkeypatch.setattr(store_module.os, "unlink", real_unlink)
    assert (folder / ".commit-journal.json").exists() and month_file.exists()
    assert [r["id"] for r in Store(workspace, {"complaint"}).records("complaint")] == made  # finished, not doubled
    assert sorted(folder.glob("*.json")) == sorted({record_file(workspace, rid) for rid in [*made, purged_next]})

    day_file = record_file(workspace, made[0])
    (folder / ".commit-journal.json").write_text(json.dumps([[None, day_file.name]]))  # a day is not a month
    with pytest.raises(StoreError, match="not a commit journal"):
        Store(workspace, {"complaint"}).records("complaint")
    assert day_file.exists()


def _rows_over_days(path, count: int, bad_last: bool = False):
    """Rows naming 28 days in turn (as an export sorted by something else than the date)."""
    lines = ["external_id,created_at,customer_name,channel,content"]
    lines += [f"R{i},2026-10-{1 + i % 28:02d} 09:00,客户{i},phone,问题{i}" for i in range(count)]
    if bad_last:
        lines.append(f"R{count},2026-10-40 09:00,客户,phone,问题")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_large_import_holds_a_bounded_number_of_records_and_is_still_all_or_nothing(workspace, tmp_path, monkeypatch):
    """With room for 40 records, an import of 600 over 28 days keeps its rows pending beside
    their parts and sets parts aside as it goes: refused, nothing of it stays; kept, every
    row is in its day's part, numbered in the order of the file."""
    from cstool.stores import folder as store_module

    monkeypatch.setattr(store_module, "HELD_RECORDS", 40)
    ws = invoke_in(workspace)
    first = recorded(ws, "--at", "2026-10-05 08:00")
    before = {p.name: p.read_bytes() for p in (workspace / "data" / "complaint").iterdir()}
    set_aside = []
    real_stage = store_module.FileTransaction.stage
    monkeypatch.setattr(store_module.FileTransaction, "stage", lambda self: set_aside.append(1) or real_stage(self))

    refused = ws("import", "complaint", _rows_over_days(tmp_path / "bad.csv", 600, bad_last=True))
    assert refused.exit_code == 1 and "2026-10-40" in refused.stderr
    assert {p.name: p.read_bytes() for p in (workspace / "data" / "complaint").iterdir()} == before

    kept = ws("import", "complaint", _rows_over_days(tmp_path / "good.csv", 600), "--format", "json").json()
    assert kept["imported"] == 600 and set_aside  # parts were written aside before the commit
    records = Store(workspace, {"complaint"}).records("complaint")
    assert len(records) == 601 and records[0]["id"] == "CMP-20261001-0001"
    assert [r["external_id"] for r in records if r["id"].startswith("CMP-20261005-")][:3] == [None, "R4", "R32"]
    assert [r["id"] for r in records if r.get("external_id") == "R32"] == ["CMP-20261005-0003"]
    assert first == "CMP-20261005-0001"
    on_disk = sorted((workspace / "data" / "complaint").iterdir())
    assert len({day_of_id(r["id"]) for r in records}) == 28  # nothing pending, nothing aside:
    assert on_disk == sorted({record_file(workspace, r["id"]) for r in records})

    again = ws("import", "complaint", tmp_path / "good.csv", "--on-duplicate", "update", "--format", "json").json()
    assert (again["imported"], again["duplicates"]) == (0, 600)


def test_records_left_pending_by_a_killed_import_are_never_merged(ws_cli, workspace):
    first = recorded(ws_cli, "--at", "2026-10-05 08:00")
    part = record_file(workspace, first)
    pending = part.with_name(f".{part.name}.pending")
    planted = {"id": "CMP-20261005-0009", "created_at": "2026-10-05T09:00:00+08:00", "status": "registered"}
    pending.write_bytes(orjson.dumps(planted) + b"\n")
    assert recorded(ws_cli, "--at", "2026-10-05 10:00") == "CMP-20261005-0002"
    assert [r["id"] for r in ws_cli("list", "complaint", "--format", "json").json()["records"]] == [
        "CMP-20261005-0001",
        "CMP-20261005-0002",
    ]
    assert not pending.exists()


@given(st.lists(st.tuples(st.dates(date(1000, 1, 1)), st.integers(1, 99_999)), min_size=2, max_size=20))
def test_parts_sort_as_the_days_and_numbers_of_their_records(numbered):
    """The folder lists parts by name and PostgreSQL orders by the same text: both then give
    records in the order of their day and number (a thousand numbers to a part)."""
    ids = [f"CMP-{day:%Y%m%d}-{number:04d}" for day, number in numbered]
    by_part = sorted(ids, key=lambda record_id: (part_of_id(record_id), int(record_id.rsplit("-", 1)[1])))
    assert by_part == sorted(ids, key=lambda record_id: (day_of_id(record_id), int(record_id.rsplit("-", 1)[1])))
    assert part_of_id("CMP-20261116-0999") == "2026-11-16" and part_of_id("CMP-20261116-1000") == "2026-11-16.0001"


def test_what_a_killed_writer_left_in_a_kinds_folder_is_removed_by_the_next_writer(ws_cli, workspace):
    """A journal half written, a part staged or set aside: the next writer holds the lock,
    finishes any whole journal, and removes the rest (the stored records untouched)."""
    made = recorded(ws_cli, "--at", "2026-11-16 09:00")
    part = record_file(workspace, made)
    left = [part.with_name("..commit-journal.json.0123456789ab.tmp"), part.with_name(f".{part.name}.0123456789ab.tmp")]
    for path in left:
        path.write_bytes(b"[")
    assert recorded(ws_cli, "--at", "2026-11-16 10:00") == "CMP-20261116-0002"
    assert not [path for path in left if path.exists()]
    assert [r["id"] for r in ws_cli("list", "complaint", "--format", "json").json()["records"]][0] == made
