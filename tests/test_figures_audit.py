"""Figures an audit found wrong (issue 31), each reckoned here independently.

The callback and phone-report faults are in test_phone.py, the staff report's in
test_staff.py, the event-log import's in test_real_data.py (the desk's own times).
"""

from __future__ import annotations

import csv
import json

import pytest
from conftest import complaint_args


def _customer(ws_cli, **values):
    args = []
    for name, value in {"customer_type": "corporate", "name": "上海某某科技有限公司", "city": "上海",
                        "purchase_volume": "1500000", "credit_rating": "AA", **values}.items():  # fmt: skip
        args += ["--set", f"{name}={value}"]
    made = ws_cli("--no-input", "record", "customer", *args, "--format", "json")
    assert made.exit_code == 0, made.stderr
    return made.json()


def test_a_new_customer_counts_none_of_the_complaints_that_name_no_customer(ws_cli):
    for i in range(3):  # complaints with no customer link, as the demo has 242 of
        assert ws_cli("record", "complaint", *complaint_args(content=f"无客户 {i}")).exit_code == 0
    vip = _customer(ws_cli)
    assert (vip["complaint_count"], vip["grade"]) == (0, "VIP")  # the README's own example


def test_a_reimported_closing_time_moves_the_clocks_and_the_trail_stays_in_time_order(ws_cli, tmp_path):
    header = ["external_id", "created_at", "customer_name", "channel", "content", "status", "closed_at"]

    def source(closed_at):
        path = tmp_path / f"closed-{closed_at[:10]}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerow(["X-1", "2026-11-02 09:00", "张伟", "phone", "烧坏了", "closed", closed_at])
        return path

    assert ws_cli("import", "complaint", source("2026-11-02 17:00")).exit_code == 0
    moved = ws_cli("import", "complaint", source("2026-11-09 17:00"), "--on-duplicate", "update", "--format", "json")
    assert moved.exit_code == 0 and moved.json()["updated"] == 1, moved.stderr
    record = ws_cli("list", "complaint", "--format", "json").json()["records"][0]
    assert record["closed_at"].startswith("2026-11-09T17:00")
    closing = [e for e in record["events"] if e["type"] == "status" and e["to"] == "closed"]
    assert [e["at"][:16] for e in closing] == ["2026-11-09T17:00"]  # moved, not a second one
    stamps = [e["at"] for e in record["events"]]
    assert stamps == sorted(stamps, key=lambda at: at), "the trail is out of time order"
    assert record["events"][-1]["type"] == "updated"
    clocks = ws_cli("sla", record["id"], "--format", "json").json()["clocks"]
    resolution = next(c for c in clocks if c["name"] == "resolution")
    assert (resolution.get("stopped_at") or "").startswith("2026-11-09T17:00"), resolution


def test_text_from_another_system_keeps_no_carriage_return(ws_cli, tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes(
        "external_id,created_at,customer_name,channel,content\r\n"
        'C-1,2026-11-02 09:00,张伟,phone,"第一行\r\n第二行\r\n"\r\n'.encode()
    )
    done = ws_cli("import", "complaint", path)
    assert done.exit_code == 0, done.stderr
    content = ws_cli("list", "complaint", "--format", "json").json()["records"][0]["content"]
    assert content == "第一行\n第二行"


@pytest.mark.parametrize(
    ("table", "typo", "value"),
    [
        ("departments.after_sales", "manger", '"赵经理"'),
        ("departments.customer_service", "supervsor", '"李主管"'),
        ("complaints.approval", "above_compensaton", "5000"),
    ],
)
def test_a_typo_deep_in_a_table_is_refused_with_the_name_meant(ws_cli, workspace, table, typo, value):
    path = workspace / "policy.toml"
    text = path.read_text(encoding="utf-8")
    header = f"[{table}]\n"
    assert header in text
    path.write_text(text.replace(header, f"{header}{typo} = {value}\n", 1), encoding="utf-8")
    checked = ws_cli("policy", "check")
    assert checked.exit_code == 1 and typo in checked.stderr and "did you mean" in checked.stderr, checked.stderr
    refused = ws_cli("list", "complaint")  # every command, not only `policy check`
    assert refused.exit_code == 1


def test_an_unless_phrase_keeps_a_keyword_inside_it_from_counting():
    from cstool.core.classify import compile_rules, suggest

    rules = compile_rules([{"name": "safety", "keywords": ["烧"], "unless": ["烧水"], "set": {"category": "safety"}}])
    for text, safety in (("烧水时不加热", False), ("插头烧了", True), ("烧水时插头烧焦了", True)):
        found = suggest(rules, {"content": text}, ["content"], ["urgent", "normal"])
        assert (found.category == "safety") is safety, text


# Texts an agent types every day, labelled by whether they report a safety hazard. The
# default rules must flag the hazards and none of the rest (no false alarm at 烧水, 发烧).
LABELLED = [
    ("电水壶烧水时不加热", False),
    ("烧开水要等很久，比以前慢", False),
    ("孩子发烧了，我没法在家等师傅上门", False),
    ("电饭煲烧饭夹生", False),
    ("烧烤架的涂层脱落", False),
    ("空调不制冷，遥控器失灵", False),
    ("退款一直没到账", False),
    ("售后说没有危险，但我还是担心", False),
    ("插座烧焦了，有股糊味", True),
    ("充电器冒烟了", True),
    ("电热水器漏电，手碰到有触电感", True),
    ("使用时突然起火", True),
    ("The kettle does not heat when boiling water", False),
    ("The charger started to smoke and smells burnt", True),
]


def test_the_default_safety_rules_on_labelled_texts(ws_cli):
    flagged = {}
    for text, _hazard in LABELLED:
        made = ws_cli("record", "complaint", *complaint_args(content=text), "--format", "json").json()
        flagged[text] = made.get("category") == "safety"
    wrong = [text for text, hazard in LABELLED if flagged[text] != hazard]
    assert wrong == [], wrong


def test_the_outbox_reads_after_a_report_was_sent(ws_cli):
    sent = ws_cli("report", "monthly", "--send")
    assert sent.exit_code == 0, sent.stderr
    listed = ws_cli("outbox")
    assert listed.exit_code == 0, listed.stderr
    entries = ws_cli("outbox", "--format", "json").json()["notices"]
    assert entries and all("at" in entry for entry in entries)
    assert ws_cli("outbox", "--since", "2020-01-01").exit_code == 0


def test_report_notes_name_the_years_counted_and_next_year_in_december(ws_cli, monkeypatch):
    # the suite's records are made "now"; one from 2025 makes the report count that year too
    assert ws_cli("record", "complaint", *complaint_args(), "--at", "2025-03-03 10:00").exit_code == 0
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2026-12-10T10:00:00+08:00")
    notes = ws_cli("report", "sla", "--format", "json").json().get("notes", [])
    assert any("2025" in note for note in notes), notes  # a year the report counts (no overrides kept)
    assert any("2027" in note for note in notes), notes  # next year, said in December
    assert "2027" in ws_cli("policy", "check").stderr
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2026-06-10T10:00:00+08:00")
    june = ws_cli("report", "sla", "--since", "2026-06-01", "--until", "2026-06-30", "--format", "json").json()
    assert not june.get("notes"), june.get("notes")
    assert json.dumps(june)  # a report of a month with every holiday known says nothing
