"""Approval before reply (申请领导批准后答复客户): the reply waits for a supervisor's decision,
only the department's manager or supervisor decides, and the wait is counted or paused as
policy says."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import TEST_NOW, complaint_args


def made(ws_cli, at="2026-11-16 09:00", **values) -> str:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def test_a_proposal_above_the_amount_waits_for_a_supervisor(ws_cli):
    small = made(ws_cli)
    assert ws_cli("respond", small).exit_code == 0  # nothing to approve: replied at once
    rid = made(ws_cli)
    assert ws_cli("update", rid, "--set", "compensation=800").exit_code == 0
    early = ws_cli("respond", rid)
    assert early.exit_code == 1 and "needs a supervisor's approval" in early.stderr
    assert ws_cli("propose", rid, "--resolution", "退款并补偿 800 元").exit_code == 0
    waiting = ws_cli("respond", rid)
    assert waiting.exit_code == 1 and "awaits approval" in waiting.stderr
    as_resolved = ws_cli("status", rid, "responded")
    assert as_resolved.exit_code == 1 and "awaits approval" in as_resolved.stderr  # a resolution is a reply too
    clerk = ws_cli("--as", "小张", "approve", rid)
    assert clerk.exit_code == 1 and "only the manager or supervisor of Customer service decides" in clerk.stderr
    assert ws_cli("--as", "李主管", "approve", rid, "--note", "同意").exit_code == 0
    replied = ws_cli("respond", rid, "--format", "json")
    assert replied.exit_code == 0, replied.stderr
    steps = [e["type"] for e in replied.json()["events"] if e["type"] in ("approval_requested", "approved")]
    assert steps == ["approval_requested", "approved"]
    assert "approved by 李主管" in ws_cli("show", rid).stdout


def test_a_rejected_proposal_needs_another_and_a_type_of_complainant_needs_approval_too(ws_cli, workspace):
    policy = workspace / "policy.toml"
    text = policy.read_text(encoding="utf-8").replace("complainant_types = []", 'complainant_types = ["权利要挟型"]')
    policy.write_text(text, encoding="utf-8")
    rid = made(ws_cli, complainant_type="权利要挟型")
    assert ws_cli("propose", rid, "--compensation", "100").exit_code == 0
    assert ws_cli("--as", "王经理", "reject", rid, "--reason", "金额无依据").exit_code == 0
    refused = ws_cli("respond", rid)
    assert refused.exit_code == 1 and "金额无依据" in refused.stderr
    assert ws_cli("--as", "王经理", "approve", rid).exit_code == 1  # nothing proposed since
    assert ws_cli("propose", rid, "--compensation", "50").exit_code == 0
    assert ws_cli("--as", "王经理", "approve", rid).exit_code == 0
    assert ws_cli("respond", rid).exit_code == 0


def test_a_paused_wait_stops_the_clocks_and_is_shown_in_working_minutes(ws_cli, workspace, monkeypatch):
    policy = workspace / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace('wait = "counted"', 'wait = "paused"'), encoding="utf-8"
    )
    rid = made(ws_cli, at="2026-11-16 09:00")
    assert ws_cli("update", rid, "--set", "compensation=900", "--at", "2026-11-16 09:30").exit_code == 0
    proposed = ws_cli("propose", rid, "--format", "json")
    assert proposed.exit_code == 0, proposed.stderr
    assert proposed.json()["status"] == "awaiting_approval"
    later = datetime.fromisoformat(TEST_NOW) + timedelta(days=5)  # some working days later, whatever the date
    monkeypatch.setenv("CSTOOL_TEST_NOW", later.isoformat())
    approved = ws_cli("--as", "王经理", "approve", rid, "--format", "json").json()
    assert approved["status"] == "investigating"
    requested, decided = (e for e in approved["events"] if e["type"] in ("approval_requested", "approved"))
    resolution = next(c for c in ws_cli("sla", rid, "--format", "json").json()["clocks"] if c["name"] == "resolution")
    assert resolution["paused_minutes"] > 0  # the wait in awaiting_approval did not count
    assert "working minutes" in ws_cli("show", rid).stdout and requested["at"] <= decided["at"]


def test_the_approval_policy_is_checked(ws_cli, workspace):
    policy = workspace / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace('wait = "counted"', 'wait = "later"'), encoding="utf-8"
    )
    checked = ws_cli("policy", "check")
    assert checked.exit_code == 1 and "complaints.approval.wait" in checked.stdout + checked.stderr


def test_every_reply_may_wait_for_a_leader_as_the_documents_procedure_says(ws_cli):
    # 投诉处理程序：调查核实后，申请领导批准后答复客户
    assert ws_cli("policy", "set", "complaints.approval.every_reply", "true").exit_code == 0
    rid = made(ws_cli)  # no compensation, an ordinary complainant: approval all the same
    early = ws_cli("respond", rid)
    assert early.exit_code == 1 and "needs a supervisor's approval" in early.stderr
    assert ws_cli("propose", rid, "--resolution", "更换新品").exit_code == 0
    assert ws_cli("--as", "李主管", "approve", rid).exit_code == 0
    assert ws_cli("respond", rid).exit_code == 0
    assert ws_cli("policy", "set", "complaints.approval.every_reply", "yes").exit_code == 1
