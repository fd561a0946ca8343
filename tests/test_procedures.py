"""The department's procedures as its documents write them (issue 37): each test quotes the
document line it follows and reckons the figure by hand (docs/procedures.md)."""

from __future__ import annotations

from conftest import complaint_args


def complaint(ws_cli, at: str, **fields) -> str:
    done = ws_cli("record", "complaint", *complaint_args(**fields), "--at", at, "--no-input", "--format", "json")
    assert done.exit_code == 0, done.stderr
    return done.json()["id"]


def clocks(ws_cli, record_id: str, now: str) -> dict:
    shown = ws_cli("sla", record_id, "--now", now, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    return {c["name"]: c for c in shown.json()["clocks"]}


# ---- 半小时内将信息准确详实发往相关人员 ------------------------------------------------


def test_a_phone_complaint_is_passed_on_within_half_an_hour(ws_cli):
    # Monday 10:00 by phone: due to be passed on by 10:30 (office hours; [sla.complaint.channels.phone])
    late = complaint(ws_cli, "2026-11-16 10:00")
    running = clocks(ws_cli, late, "2026-11-16 10:20")["dispatch"]
    assert (running["state"], running["due_at"]) == ("running", "2026-11-16T10:30:00+08:00")
    assert ws_cli("assign", late, "小李", "--at", "2026-11-16 10:45").exit_code == 0
    breached = clocks(ws_cli, late, "2026-11-16 11:00")["dispatch"]
    assert (breached["state"], breached["elapsed_minutes"]) == ("breached", 45.0)
    # handed on at 10:25: met; the first response alone also counts as passing it on
    quick = complaint(ws_cli, "2026-11-16 10:00")
    assert ws_cli("assign", quick, "小李", "--at", "2026-11-16 10:25").exit_code == 0
    assert clocks(ws_cli, quick, "2026-11-16 11:00")["dispatch"]["state"] == "met"
    # registered at 17:50, after the last half hour of the day: due at 09:20 the next working day
    evening = complaint(ws_cli, "2026-11-16 17:50")
    assert clocks(ws_cli, evening, "2026-11-16 17:55")["dispatch"]["due_at"] == "2026-11-17T09:20:00+08:00"
    # registered straight to the colleague who deals with it: passed on as it was made
    routed = complaint(ws_cli, "2026-11-16 10:00", owner="小李")
    assert clocks(ws_cli, routed, "2026-11-16 12:00")["dispatch"]["state"] == "met"
    # a letter has no dispatch standard: no such clock
    assert "dispatch" not in clocks(ws_cli, complaint(ws_cli, "2026-11-16 10:00", channel="letter"), "2026-11-16 12:00")


# ---- 确保在24小时内回复客户的电子邮件; 分级对待; 12315 ----------------------------------------


def test_the_standard_that_comes_due_first_times_each_clock(ws_cli):
    # e-mail on Friday 17:00 (normal priority: 4 business hours → Monday 11:00; the e-mail
    # standard 24 real hours → Saturday 17:00): the e-mail's comes first and is kept
    mail = complaint(ws_cli, "2026-11-20 17:00", channel="email")
    first = clocks(ws_cli, mail, "2026-11-20 18:00")["first_response"]
    assert (first["target"], first["due_at"]) == ("24h", "2026-11-21T17:00:00+08:00")
    explained = ws_cli("--lang", "en", "sla", mail, "--now", "2026-11-20 18:00").stdout
    assert "channels.email" in explained
    # e-mail on Monday 09:00: 4 business hours (13:30... → 14:00 with the lunch break) comes
    # before Tuesday 09:00, so the priority's target is kept
    morning = complaint(ws_cli, "2026-11-16 09:00", channel="email")
    kept = clocks(ws_cli, morning, "2026-11-16 10:00")["first_response"]
    assert (kept["target"], kept["due_at"]) == ("4h", "2026-11-16T14:30:00+08:00")
    # a referral (12315: 7 working days) never loosens the priority's 4h
    referral = complaint(ws_cli, "2026-11-16 09:00", channel="referral")
    assert clocks(ws_cli, referral, "2026-11-16 10:00")["first_response"]["target"] == "4h"
    # ... but is the one a low-priority case keeps beside the e-mail... (low: 1wd < 7wd: 1wd kept)
    low = complaint(ws_cli, "2026-11-16 09:00", channel="referral", priority="low")
    assert clocks(ws_cli, low, "2026-11-16 10:00")["first_response"]["target"] == "1wd"


def test_a_vip_customer_s_case_is_timed_by_the_vip_standard(ws_cli, workspace):
    values = {
        "customer_type": "corporate", "name": "上海某某科技有限公司", "phone": "13800138000",
        "city": "上海", "purchase_volume": "1500000", "credit_rating": "AA",
    }  # fmt: skip
    args = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    made = ws_cli("record", "customer", *args, "--at", "2026-11-16 09:00", "--format", "json")
    assert made.json()["grade"] == "VIP"
    vip = complaint(ws_cli, "2026-11-16 10:00", customer_id=made.json()["id"], channel="letter")
    shown = ws_cli("show", vip, "--format", "json").json()
    assert shown["customer_grade"] == "VIP"  # kept as it was at intake
    timed = clocks(ws_cli, vip, "2026-11-16 10:30")
    assert (timed["first_response"]["target"], timed["first_response"]["due_at"]) == (
        "1h",
        "2026-11-16T11:00:00+08:00",
    )
    assert (timed["resolution"]["target"], timed["resolution"]["due_at"]) == ("1wd", "2026-11-17T18:00:00+08:00")
    ordinary = complaint(ws_cli, "2026-11-16 10:00", channel="letter")
    assert clocks(ws_cli, ordinary, "2026-11-16 10:30")["first_response"]["target"] == "4h"


def test_a_standard_for_an_unknown_channel_or_grade_is_refused(ws_cli):
    refused = ws_cli("policy", "set", "sla.complaint.channels.pigeon.first_response", "1h")
    assert refused.exit_code == 1 and "pigeon" in refused.stderr
    refused = ws_cli("policy", "set", "sla.complaint.grades.VIP.answer", "1h")
    assert refused.exit_code == 1 and "answer" in refused.stderr


def test_the_commitments_page_states_the_standards(ws_cli):
    page = ws_cli("commitments").stdout
    assert "转交相关人员 30 分钟内" in page and "首次响应 24 小时内" in page
    assert "客户等级：VIP" in page


# ---- 三包: 两次修理仍不能正常使用的，可以调换或者退货; 修理占用时间不计入三包有效期 ---------


def aftersales(ws_cli, at: str, **fields) -> dict:
    values = {
        "customer_name": "陈静", "contact_phone": "13912345678", "product_line": "appliances",
        "product": "电水壶 K-200", "purchase_date": "2025-12-01", "fault": "不加热",
        "service": "repair", "serial_number": "SN-42",
    } | fields  # fmt: skip
    args = [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]
    done = ws_cli("record", "aftersales", *args, "--at", at, "--format", "json")
    assert done.exit_code == 0, done.stderr
    return done.json()


def test_after_two_repairs_a_unit_that_fails_again_may_be_exchanged(ws_cli):
    first = aftersales(ws_cli, "2026-03-02 10:00")
    assert first["entitlement"] == "repair"
    assert ws_cli("status", first["id"], "completed", "--at", "2026-03-12 10:00").exit_code == 0
    second = aftersales(ws_cli, "2026-05-11 10:00")
    assert (second["entitlement"], second["earlier_repairs"]) == ("repair", [first["id"]])
    assert ws_cli("status", second["id"], "completed", "--at", "2026-05-31 10:00").exit_code == 0
    third = aftersales(ws_cli, "2026-08-03 10:00")  # asks for a repair once more
    assert third["entitlement"] == "exchange"
    assert third["earlier_repairs"] == [first["id"], second["id"]]
    assert "已修理 2 次" in third["entitlement_reason"]
    another_unit = aftersales(ws_cli, "2026-08-03 10:00", serial_number="SN-43")
    assert another_unit["entitlement"] == "repair"


def test_days_in_repair_extend_the_warranty(ws_cli):
    # bought 2025-11-01; a 40-day repair (2026-03-02 → 2026-04-11); a new fault on
    # 2026-11-10 is day 374 after purchase, day 334 once the repair days are left out:
    # within 365 days, so repaired free
    first = aftersales(ws_cli, "2026-03-02 10:00", purchase_date="2025-11-01")
    assert ws_cli("status", first["id"], "completed", "--at", "2026-04-11 10:00").exit_code == 0
    again = aftersales(ws_cli, "2026-11-10 10:00", purchase_date="2025-11-01")
    assert again["entitlement"] == "repair"
    assert "40 天" in again["entitlement_reason"] or "40 days" in again["entitlement_reason"]
    other = aftersales(ws_cli, "2026-11-10 10:00", purchase_date="2025-11-01", serial_number="SN-99")
    assert other["entitlement"] == "paid_repair"


def test_repairs_over_thirty_days_and_parts_over_ninety_are_reported(ws_cli):
    slow = aftersales(ws_cli, "2026-09-01 10:00", serial_number="A1")
    assert ws_cli("status", slow["id"], "completed", "--at", "2026-10-05 10:00").exit_code == 0  # 34 days
    quick = aftersales(ws_cli, "2026-09-01 10:00", serial_number="A2")
    assert ws_cli("status", quick["id"], "completed", "--at", "2026-09-20 10:00").exit_code == 0  # 19 days
    parts = aftersales(ws_cli, "2026-06-01 10:00", serial_number="A3")
    assert ws_cli("status", parts["id"], "inspecting", "--at", "2026-06-01 11:00").exit_code == 0
    assert ws_cli("status", parts["id"], "awaiting_parts", "--at", "2026-06-02 10:00").exit_code == 0  # still waiting
    report = ws_cli(
        "report", "aftersales-limits", "--since", "2026-01-01", "--now", "2026-09-10 10:00", "--format", "json"
    )
    assert report.exit_code == 0, report.stderr
    rows = {r["id"]: r for r in report.json()["rows"]}
    assert set(rows) == {parts["id"]}  # as of 09-10 the slow one is on day 9
    assert rows[parts["id"]]["over"] == "repair, parts" and rows[parts["id"]]["parts_days"] == 100.0
    later = ws_cli("report", "aftersales-limits", "--since", "2026-01-01", "--now", "2026-10-10 10:00", "--format", "json")
    rows = {r["id"]: r for r in later.json()["rows"]}
    assert set(rows) == {slow["id"], parts["id"]} and rows[slow["id"]]["repair_days"] == 34
    assert later.json()["totals"]["repairs"] == 3 and later.json()["totals"]["over_repair"] == 2


# ---- 上报; 首问负责到底 ------------------------------------------------------------------


def test_reporting_up_puts_the_case_before_the_supervisor_now(ws_cli, workspace):
    case = complaint(ws_cli, "2026-11-16 10:00")
    refused = ws_cli("report-up", case, "--reason", " ")
    assert refused.exit_code == 1
    done = ws_cli("report-up", case, "--reason", "客户要求领导出面", "--at", "2026-11-16 10:10", "--format", "json")
    assert done.exit_code == 0, done.stderr
    record = done.json()
    last = record["events"][-1]
    assert (last["type"], last["to"], last["recipients"], last["note"]) == (
        "reported_up", "supervisor", ["李主管"], "客户要求领导出面",
    )  # fmt: skip
    assert record["owner"] == ws_cli("show", case, "--format", "json").json()["owner"]  # the first taker keeps it
    (notice,) = ws_cli("outbox", "--format", "json").json()["notices"]
    assert (notice["id"], notice["recipients"]) == (case, ["李主管"]) and "客户要求领导出面" in notice["message"]
    # it passed the case on: the phone dispatch clock stops there
    assert clocks(ws_cli, case, "2026-11-16 11:00")["dispatch"]["state"] == "met"


def test_first_contact_responsibility_is_counted_after_a_hand_over(ws_cli):
    kept = complaint(ws_cli, "2026-11-16 10:00")
    handed = complaint(ws_cli, "2026-11-16 10:05")
    assert ws_cli("assign", handed, "小李", "--at", "2026-11-16 10:20").exit_code == 0
    assert ws_cli("status", handed, "responded", "--at", "2026-11-17 10:00").exit_code == 0
    assert ws_cli("respond", kept, "--at", "2026-11-16 11:00", "--note", "已致歉").exit_code == 0
    shown = ws_cli("report", "first-contact", "--since", "2026-11-01", "--now", "2026-11-20", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    (row,) = shown.json()["rows"]
    assert (row["taken_first"], row["kept"], row["handed_on"], row["finished"], row["open"]) == (2, 1, 1, 1, 1)
