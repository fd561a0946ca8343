"""What must hold under pressure, proved with real processes: many writers, killed writers."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import ROOT, record_file, start_writer

from cstool.core.files import load_json_file
from cstool.stores.folder import FolderStore as Store

WRITTEN = "CMP-20261116-0001"  # the writers' records are created on 2026-11-16


@pytest.mark.slow
def test_eight_writers_two_hundred_records_each(workspace):
    procs = [start_writer(workspace, f"w{n}", 200) for n in range(8)]
    for proc in procs:
        assert proc.wait(timeout=600) == 0, proc.stderr.read().decode()
    store = Store(workspace, {"complaint"})
    records = store.records("complaint")  # one day's 1,600: two parts (numbers 1-999, 1000-1600)
    assert len(records) == 1600
    assert [r["id"] for r in records] == [f"CMP-20261116-{n:04d}" for n in range(1, 1601)]
    assert {r["customer_name"] for r in records} == {f"w{n}-{i}" for n in range(8) for i in range(200)}
    assert store.sequences("complaint") == {"20261116": 1600}


def test_concurrent_updates_of_one_record_keep_every_change(ws_cli, workspace):
    from conftest import complaint_args

    rid = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-16 09:00", "--format", "json").json()["id"]
    env = {**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cstool",
                "--workspace",
                str(workspace),
                "update",
                rid,
                "--set",
                f"remedy=第{n}次修改",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for n in range(6)
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    events = ws_cli("show", rid, "--format", "json").json()["events"]
    changed_to = {e["changes"]["remedy"][1] for e in events if e["type"] == "updated"}
    assert changed_to == {f"第{n}次修改" for n in range(6)}


BIG_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from cstool.core.context import Context
    from cstool.core.host import build_host
    workspace = Path(sys.argv[1])
    ctx = Context(build_host(workspace, entry_points=False), workspace, user="bulk")
    kind = ctx.kinds.get("complaint")
    rows = [{"customer_name": f"客户{i}", "channel": "web", "content": "大批量写入 " * 20,
             "created_at": "2026-11-16T10:00:00+08:00"} for i in range(3000)]
    while True:
        built = ctx.book.build(kind, rows)
        ctx.book.insert(kind, built.records)
        print("wrote", flush=True)
""")


@pytest.mark.slow
def test_a_writer_killed_at_random_points_never_leaves_a_broken_file(workspace, tmp_path):
    script = tmp_path / "big.py"
    script.write_text(BIG_WRITER, encoding="utf-8")
    folder = record_file(workspace, WRITTEN).parent
    rng = random.Random(7)
    counts = []
    for _ in range(50):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(workspace)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        proc.stdout.readline() if rng.random() < 0.5 else None  # sometimes after a whole write
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if folder.exists():
            for part in folder.glob("*.json"):
                load_json_file(part)  # raises if a file is not whole JSON
            records = Store(workspace, {"complaint"}).records("complaint")  # a write cut short is finished
            counts.append(len(records))
            assert len(records) % 3000 == 0  # whole writes only (each spans four parts): the old or the new
            assert len({r["id"] for r in records}) == len(records)
    assert counts and counts == sorted(counts)  # nothing ever lost

    with Store(workspace, {"complaint"}).transaction("complaint"):
        pass  # the next writer clears killed writers' temp files
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
