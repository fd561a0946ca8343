"""Writers that meet, with real processes: nothing a command reported as done is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, complaint_args, kind_file, run_process

ENV = {**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"}
MONTHS = ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")


def cstool_process(workspace, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), *map(str, args)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def export(path, rows):
    lines = ["external_id,created_at,customer_name,channel,content,remedy"]
    lines += [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_responses_during_an_updating_import_are_all_kept(workspace, tmp_path):
    first = [(f"E{i}", f"{MONTHS[i % 6]}-1{i % 9} 10:00", f"客户{i}", "phone", "设备故障", "") for i in range(300)]
    loaded = run_process(
        "--workspace",
        workspace,
        "import",
        "complaint",
        export(tmp_path / "a.csv", first),
        "--format",
        "json",
        env={"CSTOOL_LOAD_ENTRYPOINTS": "0"},
    )
    assert json.loads(loaded.stdout)["imported"] == 300, loaded.stderr
    listed = json.loads(run_process("--workspace", workspace, "list", "complaint", "--format", "json").stdout)
    ids = {r["external_id"]: r["id"] for r in listed["records"]}

    updates = [(e, at, name, ch, text, "更换配件") for e, at, name, ch, text, _ in first]
    new = [(f"N{i}", f"{MONTHS[i % 6]}-2{i % 8} 11:00", f"新客户{i}", "web", "批量导入", "") for i in range(20000)]
    big = export(tmp_path / "b.csv", updates + new)
    importer = cstool_process(workspace, "import", "complaint", big, "--on-duplicate", "update", "--format", "json")
    responded = []

    def respond(record_id):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "cstool",
                "--workspace",
                str(workspace),
                "respond",
                record_id,
                "--note",
                f"回复 {record_id}",
            ],
            env=ENV,
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            responded.append(record_id)

    threads = []
    for n in range(24):  # responses spread over the whole of the import's run
        thread = threading.Thread(target=respond, args=(ids[f"E{n * 12}"],))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=300)
    out, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, err
    assert json.loads(out)["updated"] == 300
    assert len(responded) >= 20
    stored = json.loads(run_process("--workspace", workspace, "list", "complaint", "--format", "json").stdout)[
        "records"
    ]
    by_id = {r["id"]: r for r in stored}
    lost = [rid for rid in responded if not any(e["type"] == "response" for e in by_id[rid]["events"])]
    assert not lost, f"{len(lost)} of {len(responded)} responses that exited 0 are gone"
    assert all(by_id[ids[e]]["remedy"] == "更换配件" for e, *_ in first)


def test_a_lock_file_removed_under_a_writer_refuses_its_write_instead_of_losing_a_record(ws_cli, workspace):
    from cstool.core.context import Context
    from cstool.core.host import build_host

    app = Context(build_host(workspace, entry_points=False), workspace, user="a", lang="en")
    kind = app.kinds.get("customer")
    lock = app.store.lock_path("customer")
    with pytest.raises(Exception, match="removed or replaced while this command held it"):
        with app.store.transaction("customer") as tx:
            lock.unlink()  # as a cleaner or a person might, while this writer holds it
            other = run_process(
                "--workspace",
                workspace,
                "record",
                "customer",
                "--set",
                "customer_type=individual",
                "--set",
                "name=李四",
                "--format",
                "json",
            )
            assert other.returncode == 0, other.stderr  # the second writer gets in: the lock it found is free
            record = app.book._new_record(kind, {"customer_type": "individual", "name": "王五"}, app.now())
            record["id"] = tx.new_id(kind.prefix, "20261201")
            tx.insert([record])
    stored = json.loads(kind_file(workspace, "customer").read_text(encoding="utf-8"))["customer"].values()
    assert [r["name"] for r in stored] == ["李四"]  # the refused write left the other's record whole


@pytest.mark.parametrize("content", [b"", b"  \n"])
def test_an_empty_data_file_is_refused_not_read_as_no_records(ws_cli, workspace, content):
    made = ws_cli("record", "customer", "--set", "customer_type=individual", "--set", "name=李四", "--format", "json")
    assert made.exit_code == 0, made.stderr
    path = kind_file(workspace, "customer")
    path.write_bytes(content)
    again = ws_cli("record", "customer", "--set", "customer_type=individual", "--set", "name=王五")
    assert again.exit_code == 1 and "is empty" in again.stderr and "left as it is" in again.stderr
    assert path.read_bytes() == content
    assert ws_cli("list", "customer").exit_code == 1
    assert ws_cli("record", "complaint", *complaint_args()).exit_code == 0  # other kinds still work
