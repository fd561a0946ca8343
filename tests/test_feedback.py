"""Inquiries, opinions, suggestions and proposals (咨询、意见建议、提案), as the department's
documents ask: collected, reviewed, assessed, carried out, counted by type; a question
answered the same working day (当天事情当天办)."""

from __future__ import annotations

from collections import Counter

import pytest


def inquiry(ws_cli, at: str, topic: str = "warranty_terms", **extra) -> str:
    values = {"customer_name": "张先生", "channel": "phone", "topic": topic, "question": "三包期多久？"} | extra
    args = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    done = ws_cli("record", "inquiry", *args, "--at", at, "--no-input", "--format", "json")
    assert done.exit_code == 0, done.stderr
    return done.json()["id"]


def suggestion(ws_cli, kind: str, source: str = "employees") -> str:
    done = ws_cli(
        "record", "suggestion", "--set", f"suggestion_type={kind}", "--set", f"source={source}",
        "--set", "submitted_by=小王", "--set", "content=延长热线服务时间", "--no-input", "--format", "json",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    return done.json()["id"]


def clocks(ws_cli, record_id: str, now: str) -> dict:
    shown = ws_cli("sla", record_id, "--now", now, "--format", "json").json()["clocks"]
    return {c["name"]: c for c in shown}


def test_a_question_after_closing_is_answered_by_the_next_working_day_s_close(ws_cli):
    # Monday 17:50, ten minutes before closing: the same-day target (1wd) ends Tuesday at 18:00
    late = inquiry(ws_cli, "2026-11-16 17:50")
    assert clocks(ws_cli, late, "2026-11-17 10:00")["resolution"]["due_at"] == "2026-11-17T18:00:00+08:00"
    # Monday 09:00: the same, by Tuesday's close (the day it arrives does not count, as SPEC 6 says of Nwd)
    early = inquiry(ws_cli, "2026-11-16 09:00")
    assert clocks(ws_cli, early, "2026-11-16 10:00")["resolution"]["due_at"] == "2026-11-17T18:00:00+08:00"
    assert ws_cli("respond", early, "--at", "2026-11-16 09:20", "--note", "三包期一年").exit_code == 0
    assert ws_cli("status", early, "answered", "--at", "2026-11-16 09:25").exit_code == 0
    met = clocks(ws_cli, early, "2026-11-18 10:00")
    assert met["first_response"]["state"] == "met" and met["resolution"]["state"] == "met"


def test_inquiries_are_counted_by_topic_and_by_channel_as_reckoned_independently(ws_cli):
    plan = [
        ("warranty_terms", "phone", "2026-11-16 09:00", "2026-11-16 10:00"),  # in time
        ("warranty_terms", "email", "2026-11-16 09:00", "2026-11-19 10:00"),  # late
        ("order_status", "phone", "2026-11-17 09:00", None),  # open, past due by the 20th
        ("order_status", "web", "2026-11-19 16:00", None),  # open, running
        ("usage", "phone", "2026-11-18 09:00", "2026-11-18 09:30"),  # in time
    ]
    for topic, channel, at, answered in plan:
        rid = inquiry(ws_cli, at, topic=topic, channel=channel)
        if answered:
            assert ws_cli("status", rid, "answered", "--at", answered).exit_code == 0
    now = "2026-11-20 10:00"
    by_topic = ws_cli("report", "inquiries", "--now", now, "--since", "2026-11-01", "--format", "json").json()
    rows = {r["topic"]: r for r in by_topic["rows"]}
    expected = Counter(topic for topic, *_ in plan)
    assert {t: r["received"] for t, r in rows.items()} == dict(expected)
    assert (rows["warranty_terms"]["answered_in_time"], rows["warranty_terms"]["late"]) == (1, 1)
    assert (rows["order_status"]["open"], rows["order_status"]["late"]) == (2, 1)
    assert by_topic["totals"]["in_time_pct"] == round(100 * 2 / 4, 2)  # 2 in time of 4 judged
    by_channel = ws_cli("report", "inquiries", "--by", "channel", "--now", now, "--format", "json").json()
    assert {r["channel"]: r["received"] for r in by_channel["rows"]} == dict(Counter(c for _t, c, *_ in plan))


def test_a_suggestion_moves_from_collected_to_carried_out_and_is_counted_by_type(ws_cli):
    adopted = suggestion(ws_cli, "proposal")
    declined = suggestion(ws_cli, "advice", source="customers")
    waiting = suggestion(ws_cli, "opinion")
    skipped = ws_cli("status", adopted, "adopted")
    assert skipped.exit_code == 1  # 收集 → 审核 → 评估 → 采纳: no step is skipped
    for status in ("reviewing", "assessed", "adopted"):
        assert ws_cli("status", adopted, status).exit_code == 0, status
    assert (
        ws_cli("update", adopted, "--set", "action=热线延长至21:00", "--set", "carried_out_on=2026-11-30").exit_code
        == 0
    )
    assert ws_cli("status", adopted, "carried_out").exit_code == 0
    assert ws_cli("status", declined, "reviewing").exit_code == 0
    assert ws_cli("status", declined, "declined", "--note", "成本过高，暂不采纳").exit_code == 0
    report = ws_cli("report", "suggestions", "--format", "json").json()
    rows = {r["suggestion_type"]: r for r in report["rows"]}
    assert (rows["proposal"]["received"], rows["proposal"]["carried_out"]) == (1, 1)
    assert (rows["advice"]["declined"], rows["advice"]["adoption_pct"]) == (1, 0.0)
    assert (rows["opinion"]["open"], rows["opinion"]["adoption_pct"]) == (1, None)
    assert report["totals"] == {
        "received": 3, "open": 1, "adopted": 0, "carried_out": 1, "declined": 1, "adoption_pct": 50.0,
    }  # fmt: skip
    assert waiting


@pytest.mark.parametrize("fmt", ["table", "csv", "md", "html", "json"])
def test_the_new_reports_are_listed_and_write_every_format(ws_cli, fmt):
    listed = [r["name"] for r in ws_cli("report", "--format", "json").json()["reports"]]
    assert {"inquiries", "suggestions"} <= set(listed)
    for name in ("inquiries", "suggestions"):
        assert ws_cli("report", name, "--format", fmt).exit_code == 0


def test_the_demo_shows_inquiries_and_suggestions_and_the_monthly_report_counts_them(cli, tmp_path):
    folder = tmp_path / "demo"
    assert cli("demo", str(folder)).exit_code == 0
    at = ("--workspace", str(folder))
    assert cli(*at, "list", "inquiry", "--format", "json").json()["count"] == 12
    assert cli(*at, "list", "suggestion", "--format", "json").json()["count"] == 8
    monthly = cli(*at, "report", "monthly", "--format", "json").json()
    assert {"inquiries", "suggestions"} <= {section["report"] for section in monthly["sections"]}
