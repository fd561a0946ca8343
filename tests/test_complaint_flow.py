"""Complaints: the flow, the guide and checklist on every view, and every complaint report."""

from __future__ import annotations

import pytest
from conftest import complaint_args


def make(ws_cli, at, **fields):
    result = ws_cli("record", "complaint", *complaint_args(**fields), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def test_every_flow_step(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00")
    for status, at in (
        ("acknowledged", "09:10"),
        ("investigating", "10:00"),
        ("awaiting_customer", "11:00"),
        ("investigating", "14:00"),
        ("responded", "15:00"),
        ("closed", "16:00"),
        ("reopened", "16:30"),
        ("responded", "17:00"),
        ("closed", "17:30"),
    ):
        result = ws_cli("status", rid, status, "--at", f"2026-11-16 {at}")
        assert result.exit_code == 0, (status, result.stderr)
    refused = ws_cli("status", rid, "investigating", "--at", "2026-11-16 17:40")
    assert (
        refused.exit_code == 1 and "cannot go from Closed to Investigating; next: Reopened (reopened)" in refused.stderr
    )


def test_guide_and_checklist_shown_whenever_worked_on(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00", complainant_type="权利要挟型")
    for args in (
        ["show", rid],
        ["respond", rid, "--at", "2026-11-16 09:30"],
        ["update", rid, "--set", "handling_steps=listen,apologise"],
    ):
        out = ws_cli("--lang", "zh", *args).stdout
        assert "权利要挟型 · 处理指引" in out and "以权压人" in out, args
    assert "☑ 倾听  ☐ 共情  ☑ 致歉" in ws_cli("--lang", "zh", "show", rid).stdout
    assert "Handling steps" in ws_cli("--lang", "en", "show", rid).stdout
    bad = ws_cli("update", rid, "--set", "handling_steps=dance")
    assert bad.exit_code == 1 and "'dance' not among" in bad.stderr
    assert "处理指引" not in ws_cli("show", rid, "--format", "json").stdout


def test_complaint_reports(ws_cli):
    a = make(ws_cli, "2026-10-05 09:00", content="charged twice", contact_phone="13800000001")
    make(ws_cli, "2026-10-20 09:00", content="refund please", contact_phone="13800000001")
    c = make(ws_cli, "2026-11-16 09:00", content="parcel never arrived", contact_phone="13800000002", channel="web")
    ws_cli("status", a, "closed", "--at", "2026-10-06 09:00", "--note", "客户撤诉")
    causes = ws_cli("report", "complaint-causes", "--format", "json").json()
    assert causes["rows"][0] == {"category": "billing", "count": 2, "share_pct": 66.67}
    repeats = ws_cli("report", "complaint-repeats", "--format", "json").json()
    assert repeats["totals"] == {"count": 1} and repeats["rows"][0]["count"] == 2
    assert repeats["rows"][0]["phone"] == "138****0001"
    trend = ws_cli("report", "complaint-trend", "--format", "json").json()
    assert [(r["month"], r["received"], r["resolved"]) for r in trend["rows"]] == [("2026-10", 2, 1), ("2026-11", 1, 0)]
    rate = ws_cli("report", "complaint-resolution", "--format", "json").json()
    assert rate["totals"] == {
        "received": 3,
        "resolved": 1,
        "resolution_rate_pct": 33.33,
        "closed_without_reply": 1,  # the October case was closed with a note and no reply
        "target_pct": 100,
        "meets_target": False,
    }
    tracking = ws_cli("report", "complaint-tracking", "--now", "2026-11-16 10:00", "--format", "json").json()
    assert c in [r["id"] for r in tracking["rows"]] and a not in [r["id"] for r in tracking["rows"]]
    open_case = next(r for r in tracking["rows"] if r["id"] == c)
    assert (
        open_case["next_due"] == "2026-11-16T14:30+08:00" and open_case["clock"] == "first_response"
    )  # 4h across lunch
    summary = ws_cli(
        "report", "complaint-summary", "--since", "2026-10-01", "--until", "2026-10-31", "--format", "json"
    ).json()
    assert summary["totals"]["received"] == 2 and summary["totals"]["repeat_complainants"] == 1
    stats = ws_cli("report", "complaints", "--by", "complainant_type", "--format", "json").json()
    assert stats["totals"]["received"] == 3


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "md"])
def test_every_complaint_report_in_every_format(ws_cli, fmt):
    make(ws_cli, "2026-11-16 09:00")
    for name in (
        "complaints",
        "complaint-causes",
        "complaint-repeats",
        "complaint-trend",
        "complaint-resolution",
        "complaint-tracking",
        "complaint-summary",
        "dashboard",
        "sla",
    ):
        result = ws_cli("report", name, "--format", fmt)
        assert result.exit_code == 0, (name, result.stderr)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_printable_forms(ws_cli, workspace, tmp_path, fmt):
    rid = make(ws_cli, "2026-11-16 09:00", complainant_type="据理力争型", content="<b>坏了</b> & 漏水")
    notice = ws_cli("complaints", "form", rid, "notice", "--format", fmt)
    assert notice.exit_code == 0, notice.stderr
    assert rid in notice.stdout and "138****1234" in notice.stdout and "13812341234" not in notice.stdout
    assert "肯定他的行为" in notice.stdout and "2026-11-16 14:30" in notice.stdout  # guide, first response due
    if fmt == "html":
        assert "&lt;b&gt;坏了&lt;/b&gt; &amp; 漏水" in notice.stdout and "<html" in notice.stdout
    out = tmp_path / f"investigation.{fmt}"
    assert (
        ws_cli("complaints", "form", rid, "investigation", "--format", fmt, "--output", out, "--reveal").exit_code == 0
    )
    text = out.read_text(encoding="utf-8")
    assert "张伟" in text and "Created" in text and "调查结果" in text  # revealed; the trail in the chosen language
    assert ws_cli("show", rid, "--format", "json").json()["events"][-1]["type"] == "revealed"


def test_a_department_edits_its_own_form(ws_cli, workspace):
    rid = make(ws_cli, "2026-11-16 09:00")
    (workspace / "templates" / "forms" / "complaint_notice.md").write_text(
        "本部门通知：$id / $owner / $unknown_field\n", encoding="utf-8"
    )
    assert ws_cli("complaints", "form", rid, "notice").stdout == f"本部门通知：{rid} / tester / \n\n"


def test_rule_counts_report(ws_cli):
    make(ws_cli, "2026-11-16 09:00", content="They charged a fee and the charger caught fire")
    make(ws_cli, "2026-11-16 10:00", content="no problem at all")
    rows = {
        r["rule"]: r
        for r in ws_cli("report", "classify-rules", "--format", "json").json()["rows"]
        if r["kind"] == "complaint"
    }
    assert rows["billing and charges"]["count"] == 1 and rows["safety hazard"]["count"] == 1
    assert rows["delivery"]["count"] == 0 and rows["billing and charges"]["share_pct"] == 50.0


@pytest.mark.parametrize(
    ("complainant_type", "words"),
    [
        # 顾客投诉与处理意见, in the department's own guide
        ("通情达理型", ["一定不要有欺瞒行为", "按三包规定热情接待", "感谢顾客的合作"]),
        ("权利要挟型", ["一视同仁", "宣传三包规定", "对以权压人绝不屈服"]),
        ("据理力争型", ["肯定他的行为", "宣传商品退换原则"]),
        ("胡搅蛮缠型", ["耐心周旋", "消费者权益保护法", "请质检部门评断", "双方适当让步"]),
        ("撒泼耍赖型", ["坚持原则", "软中带硬", "与供应商寻求“三亏”满意处理意见"]),
    ],
)
def test_each_complainant_type_is_guided_as_the_department_s_document_says(ws_cli, complainant_type, words):
    rid = make(ws_cli, "2026-11-16 09:00", complainant_type=complainant_type)
    shown = ws_cli("--lang", "zh", "show", rid).stdout
    assert all(word in shown for word in words), shown
    assert "媒体" not in shown  # 权利要挟型 is someone leaning on their position, not the press


def test_the_compliance_target_is_the_standards_met_in_full(ws_cli):
    assert ws_cli("policy", "show", "--format", "json").json()["reports"]["compliance_target_pct"] == 100


def test_repeat_complainants_are_read_alone_and_alike_on_both_stores(ws_cli, backend):
    """Who repeats is counted by (customer, else phone); only their complaints are then read
    (``Selection.among``): a customer with two phones is one person, a phone given once
    with and once without a customer two."""
    customer = ws_cli("--no-input", "record", "customer", "--set", "name=王芳", "--set", "phone=13900000009",
                      "--set", "customer_type=individual", "--format", "json").json()["id"]  # fmt: skip
    first = make(ws_cli, "2026-10-05 09:00", customer_id=customer, contact_phone="13900000009")
    second = make(ws_cli, "2026-10-06 09:00", customer_id=customer, contact_phone="13900000010")
    by_phone = [make(ws_cli, f"2026-10-0{day} 10:00", contact_phone="13800000001") for day in (7, 8, 9)]
    make(ws_cli, "2026-10-10 09:00", contact_phone="13900000010")  # that phone, but no customer: once
    make(ws_cli, "2026-11-02 09:00", contact_phone="13800000001")  # after the period
    repeats = ws_cli("report", "complaint-repeats", "--month", "2026-10", "--format", "json").json()
    assert [(row["count"], row["ids"]) for row in repeats["rows"]] == [
        (3, ", ".join(by_phone)),
        (2, f"{first}, {second}"),
    ]
