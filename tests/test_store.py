"""The store: atomic writes, untouched bad files, ids never reused, real concurrent writers."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import orjson
import pytest

from cstool.core.errors import StoreError
from cstool.core.store import SCHEMA_VERSION, Store

from conftest import complaint_args, data_file, run_process, start_writer


def test_file_layout_is_tinydb_with_meta(ws_cli, workspace):
    ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-20 10:00")
    data = json.loads(data_file(workspace).read_text(encoding="utf-8"))
    assert set(data) == {"complaint", "_meta"}
    assert data["_meta"]["1"]["schema"] == SCHEMA_VERSION
    assert data["_meta"]["1"]["sequences"] == {"20261120": 1}
    assert data["complaint"]["1"]["id"] == "CMP-20261120-0001"
    from tinydb import TinyDB
    with TinyDB(data_file(workspace)) as db:  # the plain TinyDB library reads it as it is
        assert db.table("complaint").all()[0]["customer_name"] == "张伟"


# A month's file, and the single file complaints were kept in before they were stored by month.
@pytest.mark.parametrize("name", ["complaint/2026-11.json", "complaint.json"])
def test_invalid_json_is_left_exactly_as_it_is(ws_cli, workspace, name):
    path = workspace / "data" / name
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
    data_file(workspace).parent.mkdir(mode=0o700)
    data_file(workspace).write_bytes(orjson.dumps({"_meta": {"1": {"schema": SCHEMA_VERSION + 1}}, "complaint": {}}))
    result = ws_cli("list", "complaint")
    assert result.exit_code == 1 and "schema version" in result.stderr


def test_failed_write_keeps_the_old_file(ws_cli, workspace, monkeypatch):
    ws_cli("record", "complaint", *complaint_args())
    before = data_file(workspace).read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = ws_cli("record", "complaint", *complaint_args())
    assert result.exit_code == 1 and "No space left on device" in result.stderr and "previous file is intact" in result.stderr
    assert data_file(workspace).read_bytes() == before
    assert [p.name for p in data_file(workspace).parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_data_folder(ws_cli, workspace):
    ws_cli("record", "complaint", *complaint_args())
    before = data_file(workspace).read_bytes()
    os.chmod(workspace / "data", 0o500)
    try:
        result = ws_cli("record", "complaint", *complaint_args())
        assert result.exit_code == 1 and "cannot" in result.stderr
    finally:
        os.chmod(workspace / "data", 0o700)
    assert data_file(workspace).read_bytes() == before


def test_workspace_files_are_owner_only(ws_cli, workspace):
    ws_cli("record", "complaint", *complaint_args())
    for path in (workspace, workspace / "data", workspace / "plugins", data_file(workspace).parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for path in (workspace / "policy.toml", data_file(workspace)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_ids_are_never_reused_after_a_record_leaves_the_file(ws_cli, workspace):
    for _ in range(3):
        ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-20 10:00")
    data = json.loads(data_file(workspace).read_text(encoding="utf-8"))
    del data["complaint"]["3"]  # e.g. removed by hand
    data_file(workspace).write_text(json.dumps(data), encoding="utf-8")
    result = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-20 10:00", "--format", "json")
    assert result.json()["id"] == "CMP-20261120-0004"


def test_transaction_writes_nothing_when_its_body_fails(workspace):
    store = Store(workspace / "data", {"complaint"})
    with pytest.raises(RuntimeError):
        with store.transaction("complaint", "2026-11") as tx:
            tx.new_id("CMP", "20261120")
            raise RuntimeError("boom")
    assert not data_file(workspace).exists()


def test_two_writer_processes_both_keep_every_record(workspace):
    count = 60
    procs = [start_writer(workspace, name, count) for name in ("alpha", "beta")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    records = list(json.loads(data_file(workspace).read_text(encoding="utf-8"))["complaint"].values())
    assert len(records) == 2 * count
    assert len({r["id"] for r in records}) == 2 * count
    names = {r["customer_name"] for r in records}
    assert names == {f"{who}-{i}" for who in ("alpha", "beta") for i in range(count)}


def test_two_cli_processes_at_once(workspace):
    env = {"CSTOOL_LOAD_ENTRYPOINTS": "0"}
    procs = [subprocess.Popen([sys.executable, "-m", "cstool", "--workspace", str(workspace), "--as", who,
                               "record", "complaint", *complaint_args(customer_name=f"{who}-{i}")],
                              env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for i in range(6) for who in ("a", "b")]
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
    ws_cli("record", "complaint", *complaint_args())
    before = data_file(workspace).read_bytes()
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR) and str(path).endswith(".tmp"):
            raise OSError(30, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    result = ws_cli("record", "complaint", *complaint_args())
    assert result.exit_code == 1 and "Read-only file system" in result.stderr and "previous file is intact" in result.stderr
    assert data_file(workspace).read_bytes() == before


def test_complaints_kept_in_one_file_move_into_their_months_once(ws_cli, workspace):
    """Workspaces made before complaints were stored by month: nothing lost, no id reused."""
    single_file = Store(workspace / "data")   # the old layout: one file for the kind
    with single_file.transaction("complaint") as tx:
        rows = [("CMP-20261030-0001", "2026-10-30T10:00:00+08:00"), ("CMP-20261116-0001", "2026-11-16T10:00:00+08:00"),
                ("CMP-20261116-0002", "2026-11-16T11:00:00+08:00")]
        tx.insert([{"id": rid, "kind": "complaint", "status": "registered", "created_at": at, "customer_name": "张伟",
                    "channel": "phone", "content": "旧数据", "events": []} for rid, at in rows])
        tx.keep_sequences({"20261030": 1, "20261116": 5})   # 0003-0005 were handed out, then removed by hand
    listed = ws_cli("list", "complaint", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert sorted(r["id"] for r in listed.json()["records"]) == [rid for rid, _ in rows]
    assert not (workspace / "data" / "complaint.json").exists()
    assert sorted(p.name for p in (workspace / "data" / "complaint").glob("*.json")) == ["2026-10.json", "2026-11.json"]
    new = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-16 12:00", "--format", "json").json()
    assert new["id"] == "CMP-20261116-0006"
    assert ws_cli("update", "CMP-20261030-0001", "--set", "remedy=退款").exit_code == 0


def test_a_split_cut_short_is_finished_without_doubling(workspace):
    rows = [{"id": f"CMP-2026111{d}-0001", "kind": "complaint", "created_at": f"2026-11-1{d}T10:00:00+08:00"} for d in (6, 7)]
    with Store(workspace / "data").transaction("complaint") as tx:
        tx.insert([dict(r) for r in rows])
    # A split killed after writing one of November's records, before removing the single file.
    month = data_file(workspace)
    month.parent.mkdir(mode=0o700)
    month.write_bytes(orjson.dumps({"complaint": {"1": rows[0]}, "_meta": {"1": {"schema": SCHEMA_VERSION, "sequences": {}}}}))
    (workspace / "data" / "complaint.json").write_bytes(orjson.dumps({"complaint": {"1": rows[0], "2": rows[1]}}))
    records = Store(workspace / "data", {"complaint"}).records("complaint")
    assert sorted(r["id"] for r in records) == [r["id"] for r in rows]
