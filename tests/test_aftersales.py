"""After-sales: 三包 entitlement at its edges, overrides, outlets, reports."""

from __future__ import annotations

from datetime import date

import pytest

from cstool.plugins.aftersales import entitlement

WINDOWS = {"return_days": 7, "exchange_days": 15, "warranty_days": 365}
BOUGHT = date(2025, 11, 10)


@pytest.mark.parametrize(
    "day,requested,granted",
    [
        (0, "return", "return"),
        (7, "return", "return"),
        (8, "return", "exchange"),
        (15, "return", "exchange"),
        (15, "exchange", "exchange"),
        (16, "exchange", "repair"),
        (16, "return", "repair"),
        (3, "exchange", "exchange"),
        (3, "repair", "repair"),
        (365, "repair", "repair"),
        (366, "repair", "paid_repair"),
        (366, "return", "paid_repair"),
        (400, "consultation", "consultation"),
    ],
)
def test_entitlement_at_the_edges(day, requested, granted):
    from datetime import timedelta

    result, why = entitlement(WINDOWS, BOUGHT, BOUGHT + timedelta(days=day), requested)
    assert result == granted
    assert f"Day {day}" in why["en"] and f"第{day}天" in why["zh"] or requested == "consultation"


def register(ws_cli, at="2026-11-16 10:00", **fields):
    values = {
        "customer_name": "陈静",
        "contact_phone": "13912345678",
        "product_line": "appliances",
        "product": "电水壶 K-200",
        "purchase_date": "2026-11-06",
        "fault": "不加热",
        "service": "return",
        "region": "浦东",
    }
    values.update(fields)
    args = [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]
    return ws_cli("record", "aftersales", *args, "--at", at, "--format", "json")


def test_registration_states_entitlement_and_offers_the_outlet(ws_cli):
    result = register(ws_cli)  # day 10: return window closed
    assert result.exit_code == 0, result.stderr
    case = result.json()
    assert case["id"].startswith("AS-20261116-")
    assert case["entitlement"] == "exchange" and "第10天" in case["entitlement_reason"]  # the workspace's language
    assert case["outlet"] == "浦东服务站" and case["department"] == "after_sales"
    assert case["category"] == "no_power"
    shown = ws_cli("--lang", "zh", "show", case["id"])
    assert "三包权益" in shown.stdout and "购买后第10天" in shown.stdout


def test_last_day_of_warranty_and_the_day_after(ws_cli):
    assert register(ws_cli, purchase_date="2025-11-16", service="repair").json()["entitlement"] == "repair"
    assert register(ws_cli, purchase_date="2025-11-15", service="repair").json()["entitlement"] == "paid_repair"


def test_override_needs_a_reason_which_is_recorded(ws_cli):
    refused = register(ws_cli, entitlement="return")
    assert refused.exit_code == 1 and "Return differs from the 三包 rule (Exchange)" in refused.stderr  # by names
    granted = register(ws_cli, entitlement="return", override_reason="经理特批：包装未拆")
    assert granted.exit_code == 0, granted.stderr
    case = granted.json()
    assert case["entitlement"] == "return" and "经理特批" in case["entitlement_reason"]
    register(ws_cli)  # by the rule
    returns = ws_cli("report", "aftersales-returns", "--format", "json").json()["totals"]
    assert returns["overrides"] == 1 and returns["count"] == 2  # the monthly report shows 三包 overrides


def test_bad_registrations(ws_cli):
    assert "purchase_date: is after the registration date" in register(ws_cli, purchase_date="2026-11-20").stderr
    assert "product_line: 'toys' is not one of" in register(ws_cli, product_line="toys").stderr
    assert "evaluation_score: must be from 1 to 5" in register(ws_cli, evaluation_score="9").stderr


def test_flow_and_reports(ws_cli):
    first = register(ws_cli).json()["id"]
    second = register(ws_cli, purchase_date="2026-11-12", region="徐汇").json()["id"]  # day 4: return
    for case in (first, second):
        assert ws_cli("status", case, "inspecting", "--at", "2026-11-16 11:00").exit_code == 0
        assert ws_cli("status", case, "completed", "--at", "2026-11-17 11:00").exit_code == 0
    assert ws_cli("status", first, "awaiting_parts").exit_code == 1  # not from completed
    ws_cli("update", first, "--set", "evaluation_score=5")
    ws_cli("update", second, "--set", "evaluation_score=2")
    returns = ws_cli("report", "aftersales-returns", "--format", "json").json()
    assert returns["totals"] == {"count": 2, "returns": 1, "exchanges": 1, "overrides": 0}
    evaluation = ws_cli("report", "aftersales-evaluation", "--format", "json").json()
    assert evaluation["totals"] == {
        "finished": 2,
        "answers": 2,
        "response_rate_pct": 100.0,
        "csat_pct": 50.0,
        "mean_score": 3.5,
    }
    third = register(ws_cli, region="静安").json()["id"]
    load = {
        r["outlet"]: r
        for r in ws_cli("report", "aftersales-outlets", "--now", "2026-11-18 10:00", "--format", "json").json()["rows"]
    }
    assert load["静安服务站"]["open"] == 1 and load["浦东服务站"]["open"] == 0
    assert load["静安服务站"]["mean_open_age_days"] == 2.0
    assert third.startswith("AS-")
    for name in ("aftersales-returns", "aftersales-evaluation", "aftersales-outlets"):
        for fmt in ("table", "csv", "md"):
            assert ws_cli("report", name, "--format", fmt).exit_code == 0
