"""One contract for every store: each test runs on the folder and on a real PostgreSQL
server (skipped with a reason where none is reachable)."""

from __future__ import annotations

import json

import pytest
from conftest import complaint_args, run_process

from cstool.core.context import Context
from cstool.core.errors import StoreError
from cstool.core.host import build_host

pytestmark = pytest.mark.usefixtures("backend")


def app_for(workspace, user=None) -> Context:
    return Context(build_host(workspace, entry_points=False), workspace, user=user)


def record(ws_cli, **values) -> dict:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_create_get_and_list(ws_cli, backend):
    first, second = record(ws_cli), record(ws_cli, channel="email", content="遥控器失灵")
    assert first["id"].endswith("-0001") and second["id"].endswith("-0002")
    shown = json.loads(ws_cli("show", second["id"], "--format", "json").stdout)
    assert shown["content"] == "遥控器失灵" and shown["events"][0]["type"] == "created"
    listed = json.loads(ws_cli("list", "complaint", "--where", "channel=EMAIL", "--format", "json").stdout)
    assert [r["id"] for r in listed["records"]] == [second["id"]]
    assert ws_cli("show", "CMP-20991231-0001").exit_code == 1


def test_changes_keep_every_event(ws_cli):
    made = record(ws_cli)
    for args in (
        ("respond", made["id"], "--note", "已致电"),
        ("assign", made["id"], "小李"),
        ("update", made["id"], "--set", "severity=major"),
        ("status", made["id"], "responded", "--note", "已更换"),
    ):
        result = ws_cli(*args)
        assert result.exit_code == 0, result.stderr
    shown = json.loads(ws_cli("show", made["id"], "--format", "json").stdout)
    kept = [e["type"] for e in shown["events"] if e["type"] in ("response", "assigned", "updated", "status")]
    assert kept == ["response", "assigned", "updated", "status"]
    assert shown["status"] == "responded" and shown["owner"] == "小李"
    listed = json.loads(ws_cli("list", "complaint", "--status", "resolved", "--format", "json").stdout)
    assert listed["count"] == 1


def test_import_numbers_new_rows_and_recognises_old_ones(ws_cli, tmp_path):
    rows = ["external_id,customer_name,channel,content,created_at"]
    rows += [f"EXT-{i},客户{i},phone,第{i}件,2026-11-{10 + i % 5}T09:00:00+08:00" for i in range(30)]
    source = tmp_path / "rows.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    first = ws_cli("import", "complaint", str(source), "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["imported"] == 30
    again = json.loads(ws_cli("import", "complaint", str(source), "--format", "json").stdout)
    assert again["imported"] == 0 and again["duplicates"] == 30
    listed = json.loads(ws_cli("list", "complaint", "--format", "json").stdout)["records"]
    ids = [r["id"] for r in listed]
    assert len(set(ids)) == 30
    per_day = {}
    for record_id in ids:
        _prefix, day, number = record_id.split("-")
        per_day.setdefault(day, []).append(int(number))
    assert all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in per_day.values())
    since = json.loads(
        ws_cli("list", "complaint", "--since", "2026-11-13", "--until", "2026-11-13", "--format", "json").stdout
    )
    assert since["count"] == 6


def test_a_failed_transaction_keeps_nothing_and_gives_its_number_back(workspace, ws_cli):
    made = record(ws_cli)
    app = app_for(workspace)
    with pytest.raises(RuntimeError), app.store.transaction("complaint") as tx:
        lost = tx.new_id("CMP", "20261201")
        tx.insert([{**made, "id": lost}])
        raise RuntimeError("the body failed")
    app.finish()
    again = app_for(workspace)
    assert again.store.get("complaint", lost) is None
    assert [r["id"] for r in again.store.records("complaint")] == [made["id"]]
    with again.store.transaction("complaint") as tx:
        assert tx.new_id("CMP", "20261201") == lost  # nothing was kept, so neither was the number
    again.finish()


def test_replacing_a_record_that_is_not_there_is_refused(workspace, ws_cli):
    made = record(ws_cli)
    app = app_for(workspace)
    with pytest.raises(StoreError), app.store.transaction("complaint") as tx:
        tx.replace([{**made, "content": "改过"}, {**made, "id": "CMP-20261201-0099"}])
    app.finish()
    assert app_for(workspace).store.get("complaint", made["id"])["content"] == made["content"]


def test_sequences_survive_as_the_last_number_given(workspace, ws_cli):
    made = [record(ws_cli)["id"] for _ in range(3)]
    day = made[0].split("-")[1]
    assert app_for(workspace).store.sequences("complaint") == {day: 3}


def test_commands_write_who_acted(ws_cli):
    made = record(ws_cli)
    assert made["events"][0]["by"] == "tester"  # CSTOOL_USER; the test server's user may act for others


def test_a_copy_into_the_other_store_lists_and_reports_the_same_bytes(workspace, ws_cli, backend, tmp_path, request):
    for i in range(5):
        made = record(ws_cli, content=f"第{i}件 冒烟", channel=["phone", "email"][i % 2])
        if i % 2:
            assert ws_cli("respond", made["id"]).exit_code == 0
    if backend == "folder":
        target = request.getfixturevalue("pg_url")
        env = {"CSTOOL_STORE_URL": target}
    else:
        target = str(tmp_path / "copy")
        env = {"CSTOOL_STORE_URL": ""}
    copied = run_process("--workspace", workspace, "store", "copy", "--to", target)
    assert copied.returncode == 0, copied.stderr
    assert "copied 5 records" in copied.stdout
    refused = run_process("--workspace", workspace, "store", "copy", "--to", target)
    assert refused.returncode == 1 and "already holds records" in refused.stderr
    other_workspace = workspace if backend == "folder" else tmp_path / "copy"
    for args in (
        ("list", "complaint", "--format", "json"),
        ("report", "complaints", "--by", "channel", "--format", "json"),
        ("report", "complaints", "--by", "month", "--since", "2026-11-01", "--format", "json"),
        ("report", "complaints", "--by", "severity", "--format", "json"),
        ("list", "complaint", "--where", "tags=safety", "--where", "channel=PHONE", "--format", "json"),
        ("report", "sla", "--format", "json"),
        ("report", "complaint-tracking", "--format", "json"),
    ):
        here = run_process("--workspace", workspace, *args)
        there = run_process("--workspace", other_workspace, *args, env=env)
        assert here.returncode == 0 and there.returncode == 0, here.stderr + there.stderr
        assert here.stdout == there.stdout, args


def test_a_backup_restores_into_the_same_store_and_into_the_other(workspace, ws_cli, backend, tmp_path, request):
    for i in range(3):
        record(ws_cli, content=f"第{i}件")
    archive = tmp_path / "backup.tar.gz"
    made = ws_cli("backup", str(archive))
    assert made.exit_code == 0, made.stderr
    before = ws_cli("list", "complaint", "--format", "json").stdout
    later = record(ws_cli)  # after the backup: the restore takes it away, and keeps it aside
    restored = ws_cli("restore", str(archive))
    assert restored.exit_code == 0, restored.stderr
    assert ws_cli("list", "complaint", "--format", "json").stdout == before
    assert ws_cli("show", later["id"]).exit_code == 1
    other_env = {"CSTOOL_STORE_URL": request.getfixturevalue("pg_url") if backend == "folder" else ""}
    other = tmp_path / "other"
    assert run_process("init", other, env=other_env).returncode == 0
    into_other = run_process("--workspace", other, "restore", archive, env=other_env)
    assert into_other.returncode == 0, into_other.stderr
    listed = run_process("--workspace", other, "list", "complaint", "--format", "json", env=other_env)
    assert listed.stdout == before
    again = run_process(
        "--workspace", other, "--no-input", "record", "complaint", *complaint_args(), "--format", "json", env=other_env
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["id"] == later["id"]  # numbering goes on from the archive's sequences


PAGER_DOWN = (
    "from cstool.api import hookimpl\n\n@hookimpl\ndef cstool_notify(actions):\n    raise ConnectionError('down')\n"
)


def test_the_notices_held_and_the_outbox_are_the_store_s(workspace, ws_cli, backend):
    made = ws_cli("--no-input", "record", "complaint", *complaint_args(severity="critical"), "--at", "2026-11-16 09:00")
    assert made.exit_code == 0, made.stderr
    pager = workspace / "plugins" / "pager.py"
    pager.write_text(PAGER_DOWN, encoding="utf-8")
    first = ws_cli("escalate", "--now", "2026-11-17 10:00", "--format", "json")
    assert "pager" in first.stderr
    fired = {(a["id"], a["clock"], a["level"]) for a in first.json()["actions"]}
    assert fired and first.json()["held"] == len(fired)
    with app_for(workspace).store.shared_state("notices-pending") as state:
        held = state.load()  # the pager has not taken them: they wait in the store
    assert {(n["id"], n["clock"], n["level"]) for n in held} == fired
    assert all("outbox" in n["delivered_to"] and "pager" not in n["delivered_to"] for n in held)
    outbox = ws_cli("outbox", "--format", "json").json()
    assert {(n["id"], n["clock"], n["level"]) for n in outbox["notices"]} == fired
    assert "passed escalation level" in outbox["notices"][0]["message"]
    pager.unlink()
    again = ws_cli("escalate", "--now", "2026-11-17 10:00", "--format", "json").json()
    assert again["actions"] == [] and again["held"] == 0  # every notifier has them now; the outbox not twice
    assert ws_cli("outbox", "--format", "json").json()["count"] == len(fired)
    assert (workspace / "outbox.jsonl").exists() == (backend == "folder")
    table = ws_cli("--lang", "zh", "outbox", "--id", sorted(fired)[0][0])
    assert table.exit_code == 0 and "级别" in table.stdout


def test_a_copy_carries_the_held_notices_and_the_outbox(workspace, ws_cli, backend, tmp_path, request):
    ws_cli("--no-input", "record", "complaint", *complaint_args(severity="critical"), "--at", "2026-11-16 09:00")
    (workspace / "plugins" / "pager.py").write_text(PAGER_DOWN, encoding="utf-8")
    ws_cli("escalate", "--now", "2026-11-17 10:00")
    (workspace / "plugins" / "pager.py").unlink()
    with app_for(workspace).store.shared_state("notices-pending") as state:
        held = state.load()
    outbox = ws_cli("outbox", "--format", "json").stdout
    if backend == "folder":
        target, env, other = (
            request.getfixturevalue("pg_url"),
            {"CSTOOL_STORE_URL": request.getfixturevalue("pg_url")},
            workspace,
        )
    else:
        target, env, other = str(tmp_path / "copy"), {"CSTOOL_STORE_URL": ""}, tmp_path / "copy"
    copied = run_process("--workspace", workspace, "store", "copy", "--to", target)
    assert copied.returncode == 0, copied.stderr
    there = run_process("--workspace", other, "outbox", "--format", "json", env=env)
    assert there.returncode == 0 and there.stdout == outbox
    held_there = run_process(
        "--workspace", other, "escalate", "--now", "2026-11-17 10:00", "--dry-run", "--format", "json", env=env
    )
    assert json.loads(held_there.stdout)["actions"] == []
    if backend == "postgresql":
        assert json.loads((tmp_path / "copy" / "notices-pending.json").read_text()) == held


def test_what_a_clock_tally_leaves_to_judge_is_read_again_each_time(ws_cli, workspace, backend):
    """Several sections of the monthly page ask for the same kind's SLA figures; the records
    the store leaves to judge (every one on the folder, the unjudged on PostgreSQL) are
    read afresh (``api.Reread``) for each, not handed out once and then found empty."""
    from datetime import timedelta

    from cstool import api

    made = [record(ws_cli)["id"] for _ in range(3)]
    app = app_for(workspace)
    now = app.now() + timedelta(hours=1)
    selection = api.Selection()
    grouped, rest = app.clock_tally("complaint", selection, now, ("department", "priority", "owner"), "normal")
    assert isinstance(rest, api.Reread)
    first, again = [r["id"] for r in rest], [r["id"] for r in rest]
    assert first == again == made  # nothing remembered yet: every record is left, each time
    assert grouped == {}
    app.finish()
