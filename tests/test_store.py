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


def test_invalid_json_is_left_exactly_as_it_is(ws_cli, workspace):
    path = data_file(workspace)
    path.write_bytes(b'{"complaint": {"1": {"id": "CMP-1"')
    before = path.read_bytes()
    for args in (["record", "complaint", *complaint_args()], ["list", "complaint"], ["import", "complaint", "x.csv"]):
        result = ws_cli(*args)
        assert result.exit_code == 1
    result = ws_cli("record", "complaint", *complaint_args())
    assert "complaint.json is not valid JSON" in result.stderr and "left exactly as it is" in result.stderr
    assert path.read_bytes() == before


def test_newer_schema_is_refused(ws_cli, workspace):
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
    assert [p.name for p in (workspace / "data").iterdir() if p.name.endswith(".tmp")] == []


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
    for path in (workspace, workspace / "data", workspace / "plugins"):
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
    store = Store(workspace / "data")
    with pytest.raises(RuntimeError):
        with store.transaction("complaint") as tx:
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
