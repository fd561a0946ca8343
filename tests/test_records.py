"""Recording, listing, showing and changing records through the CLI."""

from __future__ import annotations

import csv
import io

from conftest import complaint_args, data_snapshot


def record(ws_cli, *extra, **fields):
    result = ws_cli("record", "complaint", *complaint_args(**fields), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_record_gets_id_envelope_events_and_classification(ws_cli):
    rec = record(ws_cli, "--at", "2026-11-20 10:00", content="充电器冒烟，非常危险")
    assert rec["id"] == "CMP-20261120-0001"
    assert rec["kind"] == "complaint" and rec["status"] == "registered"
    assert rec["created_at"] == "2026-11-20T10:00:00+08:00"
    assert rec["owner"] == "tester" and rec["received_by"] == "tester"
    assert rec["department"] == "customer_service"
    assert (rec["category"], rec["priority"], rec["tags"]) == ("safety", "urgent", ["safety"])
    assert [e["type"] for e in rec["events"]] == ["created", "classified"]
    assert rec["contact_phone"] == "138****1234" and rec["customer_name"] == "张*"
    assert record(ws_cli, "--at", "2026-11-20 11:00")["id"] == "CMP-20261120-0002"


def test_missing_required_fields_are_all_named(ws_cli, workspace):
    result = ws_cli("--no-input", "record", "complaint", "--set", "channel=phone")
    assert result.exit_code == 1
    assert "customer_name: is required" in result.stderr and "content: is required" in result.stderr
    assert not data_snapshot(workspace)


def test_unknown_field_and_unknown_kind_are_refused(ws_cli, workspace):
    result = ws_cli("record", "complaint", *complaint_args(), "--set", "colour=red")
    assert result.exit_code == 1 and "colour: unknown field for kind complaint" in result.stderr
    result = ws_cli("record", "parcel", "--set", "a=b")
    assert result.exit_code == 1 and "unknown kind 'parcel'" in result.stderr
    assert not data_snapshot(workspace)


def test_bad_values_name_their_field(ws_cli):
    result = ws_cli("record", "complaint", *complaint_args(channel="pigeon", contact_phone="call me"))
    assert result.exit_code == 1
    assert "channel: 'pigeon' is not one of" in result.stderr
    assert "contact_phone: 'c****me' is not a phone number" in result.stderr  # a refused personal value stays masked
    assert "Traceback" not in result.stderr


def test_list_filters_and_json_shape(ws_cli):
    record(ws_cli, "--at", "2026-11-01 10:00", channel="web")
    second = record(ws_cli, "--at", "2026-11-10 10:00", content="I was charged twice")
    ws_cli("status", second["id"], "closed", "--at", "2026-11-11 10:00", "--note", "客户撤诉")
    everything = ws_cli("list", "complaint", "--format", "json").json()
    assert everything["kind"] == "complaint" and everything["count"] == 2
    assert {r["id"] for r in everything["records"]} == {"CMP-20261101-0001", "CMP-20261110-0001"}
    assert ws_cli("list", "complaint", "--where", "channel=web", "--format", "json").json()["count"] == 1
    assert ws_cli("list", "complaint", "--where", "tags=money", "--format", "json").json()["count"] == 1
    assert ws_cli("list", "complaint", "--status", "closed", "--format", "json").json()["count"] == 1
    assert ws_cli("list", "complaint", "--status", "open", "--format", "json").json()["count"] == 1
    assert ws_cli("list", "complaint", "--since", "2026-11-05", "--format", "json").json()["count"] == 1
    assert ws_cli("list", "complaint", "--until", "2026-11-01", "--format", "json").json()["count"] == 1
    bad = ws_cli("list", "complaint", "--where", "colour=red")
    assert bad.exit_code == 2 and "colour" in bad.stderr
    bad = ws_cli("list", "complaint", "--since", "2026-13-01")
    assert bad.exit_code == 2 and "not a date" in bad.stderr


def test_list_table_and_csv(ws_cli):
    record(ws_cli, "--at", "2026-11-01 10:00", content='=HYPERLINK("http://x")')
    table = ws_cli("--lang", "zh", "list", "complaint")
    assert "CMP-20261101-0001" in table.stdout and "已登记" in table.stdout
    rows = list(csv.reader(io.StringIO(ws_cli("--lang", "zh", "list", "complaint", "--format", "csv").stdout)))
    assert rows[0][0] == "编号" and rows[1][0] == "CMP-20261101-0001"
    assert rows[1][-1].startswith("'=")  # a spreadsheet shows it as text, never runs it


def test_status_phases_set_and_clear_clock_stamps(ws_cli):
    rec = record(ws_cli, "--at", "2026-11-02 09:00")
    rid = rec["id"]
    assert (
        ws_cli("respond", rid, "--at", "2026-11-02 09:30", "--format", "json").json()["first_response_at"]
        == "2026-11-02T09:30:00+08:00"
    )
    assert (
        ws_cli("respond", rid, "--at", "2026-11-02 10:00", "--format", "json").json()["first_response_at"]
        == "2026-11-02T09:30:00+08:00"
    )
    pending = ws_cli("status", rid, "awaiting_customer", "--at", "2026-11-02 11:00", "--format", "json").json()
    assert pending["status"] == "awaiting_customer" and pending["resolved_at"] is None
    resolved = ws_cli("status", rid, "responded", "--at", "2026-11-03 11:00", "--format", "json").json()
    assert resolved["resolved_at"] == "2026-11-03T11:00:00+08:00"
    closed = ws_cli("status", rid, "closed", "--at", "2026-11-04 11:00", "--format", "json").json()
    assert closed["closed_at"] == "2026-11-04T11:00:00+08:00" and closed["resolved_at"] == "2026-11-03T11:00:00+08:00"
    reopened = ws_cli("status", rid, "reopened", "--at", "2026-11-05 11:00", "--format", "json").json()
    assert reopened["resolved_at"] is None and reopened["closed_at"] is None
    status_events = [(e["from"], e["to"]) for e in reopened["events"] if e["type"] == "status"]
    assert status_events == [
        ("registered", "awaiting_customer"),
        ("awaiting_customer", "responded"),
        ("responded", "closed"),
        ("closed", "reopened"),
    ]


def test_at_may_not_precede_creation_or_last_status_nor_be_in_future(ws_cli, workspace):
    rid = record(ws_cli, "--at", "2026-11-02 09:00")["id"]
    ws_cli("status", rid, "investigating", "--at", "2026-11-02 12:00")
    before = data_snapshot(workspace)
    early = ws_cli("respond", rid, "--at", "2026-11-02 08:00")
    assert early.exit_code == 1 and "earlier than" in early.stderr and "created_at" in early.stderr
    behind = ws_cli("status", rid, "closed", "--at", "2026-11-02 11:00", "--note", "客户撤诉")
    assert behind.exit_code == 1 and "last status change" in behind.stderr
    future = ws_cli("status", rid, "closed", "--at", "now+1d", "--note", "客户撤诉")
    assert future.exit_code == 1 and "future" in future.stderr
    garbage = ws_cli("status", rid, "closed", "--at", "next tuesday")
    assert garbage.exit_code == 2 and "--at" in garbage.stderr
    unknown = ws_cli("status", rid, "teleported")
    assert unknown.exit_code == 1 and "not a status of complaint" in unknown.stderr
    assert data_snapshot(workspace) == before


def test_update_records_changes_and_keeps_hand_values_from_classification(ws_cli):
    rid = record(ws_cli, "--at", "2026-11-02 09:00", content="charged a fee twice")["id"]
    updated = ws_cli(
        "update", rid, "--set", "category=pricing", "--set", "severity=critical", "--format", "json"
    ).json()
    assert updated["category"] == "pricing" and updated["priority"] == "urgent"
    change = [e for e in updated["events"] if e["type"] == "updated"][-1]
    assert change["changes"]["category"] == ["billing", "pricing"]
    again = ws_cli("classify", rid, "--format", "json").json()
    assert again["classified"] == 0
    assert ws_cli("show", rid, "--format", "json").json()["category"] == "pricing"
    refused = ws_cli("update", rid, "--set", "owner=someone")
    assert refused.exit_code == 1 and "cstool assign" in refused.stderr
    emptied = ws_cli("update", rid, "--set", "content=")
    assert emptied.exit_code == 1 and "content" in emptied.stderr


def test_assign_is_the_only_handover(ws_cli):
    rid = record(ws_cli)["id"]
    moved = ws_cli("--as", "小王", "assign", rid, "小李", "--department", "after_sales", "--format", "json").json()
    assert moved["owner"] == "小李" and moved["department"] == "after_sales"
    handover = moved["events"][-1]
    assert handover == {**handover, "type": "assigned", "by": "小王", "from": "tester", "to": "小李"}
    bad = ws_cli("assign", rid, "小张", "--department", "nowhere")
    assert bad.exit_code == 1 and "unknown department" in bad.stderr


def test_show_masks_and_reveal_is_audited(ws_cli):
    rid = record(ws_cli)["id"]
    masked = ws_cli("show", rid, "--format", "json").json()
    assert masked["contact_phone"] == "138****1234"
    assert not any(e["type"] == "revealed" for e in masked["events"])
    shown = ws_cli("--as", "王经理", "show", rid, "--reveal", "--format", "json").json()
    assert shown["contact_phone"] == "13812341234"
    reveal = shown["events"][-1]
    assert reveal["type"] == "revealed" and reveal["by"] == "王经理" and "contact_phone" in reveal["fields"]
    table = ws_cli("show", rid)
    assert "138****1234" in table.stdout and "13812341234" not in table.stdout
    assert ws_cli("show", "CMP-20200101-0099").exit_code == 1
    assert "not a record id" in ws_cli("show", "hello").stderr


def test_kinds_json_shape(ws_cli):
    kinds = ws_cli("kinds", "--format", "json").json()["kinds"]
    complaint = next(k for k in kinds if k["name"] == "complaint")
    assert complaint["prefix"] == "CMP" and complaint["plugin"] == "complaints"
    assert {"name": "awaiting_customer", "phase": "pending"} in [
        {k: s[k] for k in ("name", "phase")} for s in complaint["statuses"]
    ]
    channel = next(f for f in complaint["fields"] if f["name"] == "channel")
    assert channel["type"] == "choice" and channel["required"] is True and "phone" in channel["choices"]
    assert channel["label"] == {"en": "Channel", "zh": "投诉渠道"}
    phone = next(f for f in complaint["fields"] if f["name"] == "contact_phone")
    assert phone["personal"] is True
    types = next(f for f in complaint["fields"] if f["name"] == "complainant_type")["choices"]
    assert types == ["通情达理型", "权利要挟型", "据理力争型", "胡搅蛮缠型", "撒泼耍赖型"]


def test_classify_all_after_a_policy_rule_is_added(ws_cli, workspace):
    rid = record(ws_cli, content="My box went missing")["id"]
    assert ws_cli("show", rid, "--format", "json").json()["category"] is None
    policy = workspace / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8")
        + '\n[[classify.complaint]]\nname = "lost"\nkeywords = ["went missing"]\nset = { category = "lost_goods", tags = ["lost"] }\n',
        encoding="utf-8",
    )
    result = ws_cli("classify", "--all", "--format", "json").json()
    assert result["classified"] == 1 and result["changes"][0]["set"] == {"category": "lost_goods", "tags": ["lost"]}
    assert ws_cli("classify", "--all", "--format", "json").json()["classified"] == 0
    assert ws_cli("classify").exit_code == 2


def test_python_dash_m_is_the_same_program(workspace):
    from conftest import run_process

    done = run_process("--workspace", workspace, "kinds", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "complaint" in done.stdout


def test_relative_dates_and_sorting_in_list_and_reports(ws_cli, monkeypatch):
    from datetime import date

    from cstool.core.timeutil import relative_day

    wednesday = date(2026, 12, 2)
    assert relative_day("this-week", wednesday) == date(2026, 11, 30)
    assert relative_day("this-week", wednesday, end=True) == date(2026, 12, 6)
    assert relative_day("上月", wednesday) == date(2026, 11, 1) and relative_day(
        "last-month", wednesday, end=True
    ) == date(2026, 11, 30)
    assert relative_day("yesterday", wednesday) == date(2026, 12, 1) and relative_day("2026-12-01", wednesday) is None
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2026-12-02T10:00:00+08:00")
    for at, name in (
        ("2026-11-16 09:00", "十一月"),
        ("2026-12-01 09:00", "十二月甲"),
        ("2026-12-02 09:00", "十二月乙"),
    ):
        ws_cli("record", "complaint", *complaint_args(customer_name=name), "--at", at)

    def listed(*args):
        return [r["created_at"][:10] for r in ws_cli("list", "complaint", *args, "--format", "json").json()["records"]]

    assert listed("--since", "this-month") == ["2026-12-01", "2026-12-02"]
    assert listed("--since", "last-month", "--until", "last-month") == ["2026-11-16"]
    assert listed("--since", "today") == ["2026-12-02"] and listed("--since", "昨天", "--until", "昨天") == [
        "2026-12-01"
    ]
    assert listed("--sort", "-created_at") == ["2026-12-02", "2026-12-01", "2026-11-16"]
    assert ws_cli("list", "complaint", "--sort", "nosuch").exit_code == 2
    report = ws_cli("report", "complaints", "--since", "this-month", "--format", "json").json()
    assert report["since"] == "2026-12-01"
