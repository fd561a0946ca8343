"""Taking back a mistake: `void ID --reason` (out of every figure and queue, still
findable) and `undo ID` (one's own last change, if nothing happened since)."""

from __future__ import annotations

import pytest
from conftest import add_directory, complaint_args


def made(ws_cli, at: str = "2026-11-16 09:00", **values) -> str:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def test_a_void_record_leaves_every_figure_and_queue_and_stays_findable(ws_cli, backend):
    kept, mistake = made(ws_cli, content="电水壶漏水"), made(ws_cli, content="录错了 冒烟")
    before = ws_cli("report", "complaints", "--by", "channel", "--format", "json").json()["totals"]
    assert before["received"] == 2
    refused = ws_cli("void", mistake, "--reason", "")
    assert refused.exit_code != 0
    voided = ws_cli("void", mistake, "--reason", "重复录入", "--format", "json").json()
    assert voided["status"] == "void" and voided["events"][-1]["note"] == "重复录入"
    for report in ("complaints", "sla", "dashboard", "complaint-causes", "complaint-resolution"):
        payload = ws_cli("report", report, "--format", "json").json()
        assert mistake not in str(payload), report
    assert ws_cli("report", "complaints", "--by", "channel", "--format", "json").json()["totals"]["received"] == 1
    assert ws_cli("report", "sla", "--format", "json").json()["totals"]["first_response"]["count"] == 1
    assert [r["id"] for r in ws_cli("queue", "--format", "json").json()["queue"]] == [kept]
    actions = ws_cli("escalate", "--dry-run", "--format", "json").json()["actions"]
    assert actions and all(a["id"] == kept for a in actions)  # the mistake's clocks stopped when it was voided
    assert [r["id"] for r in ws_cli("list", "complaint", "--status", "void", "--format", "json").json()["records"]] == [
        mistake
    ]
    assert ws_cli("search", "冒烟", "--format", "json").json()["results"][0]["id"] == mistake
    assert "已作废" in ws_cli("--lang", "zh", "show", mistake).stdout
    again = ws_cli("void", mistake, "--reason", "再来")
    assert again.exit_code == 1 and "void already" in again.stderr
    moved = ws_cli("status", mistake, "registered")
    assert moved.exit_code == 1  # out of void only by undo


def test_undo_takes_back_the_last_change_and_the_clock_with_it(ws_cli):
    rid = made(ws_cli)
    assert ws_cli("respond", rid, "--at", "2026-11-16 09:30").exit_code == 0
    clocks = ws_cli("sla", rid, "--now", "2026-11-16 12:00", "--format", "json").json()["clocks"]
    assert clocks[0]["state"] == "met"
    undone = ws_cli("undo", rid, "--format", "json")
    assert undone.exit_code == 0, undone.stderr
    record = undone.json()
    assert record["first_response_at"] is None
    assert [e["type"] for e in record["events"]][-1] == "undone" and "response" not in [
        e["type"] for e in record["events"]
    ]
    clocks = ws_cli("sla", rid, "--now", "2026-11-16 12:00", "--format", "json").json()["clocks"]
    assert clocks[0]["state"] != "met"  # as if the reply had never been logged


@pytest.mark.parametrize(
    "change, field, before",
    [
        (("update", "--set", "severity=critical"), "severity", None),
        (("assign", "小李"), "owner", "tester"),
        (("status", "investigating"), "status", "registered"),
        (("update", "--set", "contact_phone=13900001111"), "contact_phone", "13812341234"),
    ],
)
def test_undo_restores_each_kind_of_change(ws_cli, change, field, before):
    rid = made(ws_cli)
    original = ws_cli("show", rid, "--format", "json", "--reveal").json()
    assert ws_cli(change[0], rid, *change[1:]).exit_code == 0
    assert ws_cli("undo", rid).exit_code == 0
    after = ws_cli("show", rid, "--format", "json", "--reveal").json()
    assert after[field] == original[field] == (before if before is not None else original[field])
    changed_keys = {k for k in original if k not in ("events", "updated_at", "trail") and original[k] != after.get(k)}
    assert not changed_keys, changed_keys


def test_undo_refuses_a_colleague_s_change_and_a_change_after_which_something_happened(ws_cli, workspace):
    add_directory(workspace)
    rid = made(ws_cli)
    assert ws_cli("--as", "小李", "update", rid, "--set", "severity=major").exit_code == 0
    refused = ws_cli("--as", "小王", "undo", rid)
    assert refused.exit_code == 1 and "made by 小李" in refused.stderr
    assert ws_cli("--as", "小李", "undo", rid).exit_code == 0
    assert ws_cli("update", rid, "--set", "severity=critical").exit_code == 0
    assert ws_cli("escalate", "--now", "2026-11-19 10:00").exit_code == 0  # something happens to it
    late = ws_cli("undo", rid)
    assert late.exit_code == 1 and "something happened since" in late.stderr
    assert ws_cli("--as", "小李", "update", rid, "--set", "severity=minor").exit_code == 0
    assert ws_cli("--as", "李主管", "undo", rid).exit_code == 0  # a supervisor undoes an agent's change
    nothing = made(ws_cli)
    empty = ws_cli("undo", nothing)
    assert empty.exit_code == 1 and "no change that can be undone" in empty.stderr


def test_a_reveal_does_not_stop_an_undo_and_a_void_can_be_undone(ws_cli):
    rid = made(ws_cli)
    assert ws_cli("void", rid, "--reason", "录错").exit_code == 0
    assert ws_cli("show", rid, "--reveal").exit_code == 0  # changes nothing
    back = ws_cli("undo", rid, "--format", "json").json()
    assert back["status"] == "registered"
    assert ws_cli("report", "complaints", "--format", "json").json()["totals"]["received"] == 1
