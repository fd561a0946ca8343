"""Internal customer service: agreements, requests timed against them, evaluation, chain decay."""

from __future__ import annotations

import pytest


def request(ws_cli, agreement="it-finance", item="system_access", at="2026-11-16 09:00", **extra):
    values = {"agreement": agreement, "item": item, "requested_by": "刘会计", "subject": "ERP 权限"} | extra
    args = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    return ws_cli("record", "internal_request", *args, "--at", at, "--format", "json")


def evaluate(ws_cli, evaluator, evaluated, month, accuracy, initiative):
    return ws_cli(
        "record",
        "dept_evaluation",
        "--set",
        f"evaluator={evaluator}",
        "--set",
        f"evaluated={evaluated}",
        "--set",
        f"month={month}",
        "--set",
        f"accuracy={accuracy}",
        "--set",
        f"initiative={initiative}",
    )


def test_a_request_is_served_by_the_provider_and_timed_by_its_agreement(ws_cli):
    created = request(ws_cli)
    assert created.exit_code == 0, created.stderr
    record = created.json()
    assert (record["department"], record["customer_department"]) == ("it", "finance")
    clocks = {
        c["name"]: c
        for c in ws_cli("sla", record["id"], "--now", "2026-11-16 12:00", "--format", "json").json()["clocks"]
    }
    assert (clocks["first_response"]["target"], clocks["resolution"]["target"]) == ("30m", "4h")
    assert clocks["resolution"]["due_at"] == "2026-11-16T14:30:00+08:00"
    assert clocks["first_response"]["state"] == "breached"
    # the agreement's targets are policy: changing them re-times the clock
    assert (
        ws_cli("policy", "set", "internal.agreements.it-finance.items.system_access.resolution", "1wd").exit_code == 0
    )
    again = {
        c["name"]: c
        for c in ws_cli("sla", record["id"], "--now", "2026-11-16 12:00", "--format", "json").json()["clocks"]
    }
    assert again["resolution"]["target"] == "1wd"


def test_bad_requests_and_evaluations(ws_cli):
    assert "is not in agreement it-finance" in request(ws_cli, item="coffee").stderr
    assert "agreement: 'nobody' is not one of" in request(ws_cli, agreement="nobody").stderr
    assert "does not evaluate itself" in evaluate(ws_cli, "sales", "sales", "2026-10", 4, 4).stderr
    assert "is not a month" in evaluate(ws_cli, "production", "sales", "2026-13", 4, 4).stderr
    assert "must be from 1 to 5" in evaluate(ws_cli, "production", "sales", "2026-10", 9, 4).stderr


def test_compliance_matrix(ws_cli):
    done_in_time = request(ws_cli).json()["id"]
    late = request(ws_cli, at="2026-11-16 10:00").json()["id"]
    request(ws_cli, agreement="hr-finance", item="payroll_data")
    ws_cli("status", done_in_time, "done", "--at", "2026-11-16 11:00")  # 120 of 240
    ws_cli("status", late, "done", "--at", "2026-11-17 11:00")  # 2 + 4.5 + 2 h: breached
    report = ws_cli("report", "internal-matrix", "--now", "2026-11-17 12:00", "--format", "json").json()
    cell = next(r for r in report["rows"] if (r["provider"], r["customer"]) == ("it", "finance"))
    assert (cell["requests"], cell["met"], cell["breached"], cell["compliance_pct"]) == (2, 1, 1, 50.0)
    assert cell["median_minutes"] == (120 + 510) / 2
    hr = next(r for r in report["rows"] if r["provider"] == "hr")
    assert (hr["requests"], hr["met"], hr["breached"]) == (1, 0, 0)


def test_evaluation_and_the_decay_along_the_chain(ws_cli):
    for evaluator, evaluated, accuracy, initiative in (
        ("production", "sales", 5, 5),
        ("logistics", "production", 5, 4),
        ("customer_service", "logistics", 4, 4),
        ("customer_service", "logistics", 5, 5),
    ):
        assert evaluate(ws_cli, evaluator, evaluated, "2026-10", accuracy, initiative).exit_code == 0
    monthly = ws_cli("report", "internal-evaluation", "--format", "json").json()
    logistics = next(r for r in monthly["rows"] if r["department"] == "logistics")
    assert (logistics["answers"], logistics["accuracy"], logistics["satisfaction_pct"]) == (2, 4.5, 90.0)
    chain = ws_cli("report", "internal-chain", "--format", "json").json()
    assert [r["satisfaction_pct"] for r in chain["rows"]] == [100.0, 90.0, 90.0]
    assert chain["totals"] == {
        "end_to_end_pct": pytest.approx(81.0),
        "weakest_link": ["production", "logistics"],
        "links": 3,
    }


def test_an_unrated_link_leaves_the_chain_unjudged(ws_cli):
    evaluate(ws_cli, "production", "sales", "2026-10", 5, 5)
    chain = ws_cli("report", "internal-chain", "--format", "json").json()
    assert chain["totals"]["end_to_end_pct"] is None and chain["totals"]["weakest_link"] == ["sales", "production"]
    for fmt in ("table", "csv", "md"):
        for name in ("internal-matrix", "internal-evaluation", "internal-chain"):
            assert ws_cli("report", name, "--format", fmt).exit_code == 0


def test_policy_checks_agreements(ws_cli, workspace):
    assert ws_cli("policy", "set", "internal.agreements.hr-it.provider", "marketing").exit_code == 1
    assert ws_cli("policy", "set", "internal.agreements.hr-it.items.onboarding.resolution", "3x").exit_code == 1
    assert ws_cli("policy", "set", "sla.internal_request.targets_at", "nowhere").exit_code == 1


def test_an_agreement_may_serve_several_departments_and_a_request_says_which_asks(ws_cli):
    # 文件：一项服务协议可同时服务多个需求部门（如人力部为财务部与信息部办理入职）
    assert ws_cli("policy", "set", "internal.agreements.hr-it.customer", '["finance", "it"]').exit_code == 0
    assert ws_cli("policy", "check").exit_code == 0
    unsaid = request(ws_cli, agreement="hr-it", item="onboarding")
    assert unsaid.exit_code == 1 and "serves finance, it: say which asks" in unsaid.stderr
    asked = request(ws_cli, agreement="hr-it", item="onboarding", customer_department="finance")
    assert asked.exit_code == 0, asked.stderr
    assert (asked.json()["department"], asked.json()["customer_department"]) == ("hr", "finance")
    report = ws_cli("report", "internal-matrix", "--now", "2026-11-17 12:00", "--format", "json").json()
    assert [(r["provider"], r["customer"], r["requests"]) for r in report["rows"] if r["provider"] == "hr"] == [
        ("hr", "finance", 1)
    ]
    wrong = ws_cli("policy", "set", "internal.agreements.hr-it.customer", '["finance", "marketing"]')
    assert wrong.exit_code == 1 and "'marketing'" in wrong.stderr
