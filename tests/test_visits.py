"""Visit plans by grade (按分级定期访问): `cstool visits` against a reckoning of its own."""

from __future__ import annotations

from datetime import date, timedelta


def customer(ws_cli, at: str, **fields) -> dict:
    values = {"customer_type": "corporate", "name": "上海某某科技有限公司", "city": "上海", **fields}
    args = [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]
    result = ws_cli("--no-input", "record", "customer", *args, "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_visits_lists_who_is_due_by_their_grade_and_a_contact_completes_it(ws_cli):
    vip = customer(ws_cli, "2026-09-01 10:00", name="甲公司", purchase_volume="1500000", credit_rating="AA")
    key = customer(ws_cli, "2026-05-01 10:00", name="乙公司", purchase_volume="300000", credit_rating="A")
    plain = customer(ws_cli, "2026-01-01 10:00", name="丙公司", purchase_volume="1000", credit_rating="A")
    assert (vip["grade"], key["grade"], plain["grade"]) == ("VIP", "重点客户", "普通客户")
    day = date(2026, 11, 25)
    due = ws_cli("visits", "--date", day.isoformat(), "--format", "json").json()["visits"]
    # reckoned here: the VIP every 30 days from its registration, the key customer every 90
    expected = {
        vip["id"]: date(2026, 9, 1) + timedelta(days=30),
        key["id"]: date(2026, 5, 1) + timedelta(days=90),
    }
    assert {row["customer_id"]: row["due"] for row in due} == {k: v.isoformat() for k, v in expected.items()}
    assert [row["customer_id"] for row in due] == [key["id"], vip["id"]]  # the earliest due first
    assert {row["customer_id"]: row["overdue_days"] for row in due}[key["id"]] == (day - expected[key["id"]]).days
    visit = ws_cli(
        "--no-input", "record", "visit", "--set", f"customer_id={vip['id']}", "--set", "method=visit",
        "--set", "visited_by=王经理", "--at", "2026-11-20 15:00", "--format", "json",
    )  # fmt: skip
    assert visit.exit_code == 0, visit.stderr
    call = ws_cli(
        "--no-input", "record", "call", "--set", "direction=outbound", "--set", "outcome=answered",
        "--set", f"linked_record={key['id']}", "--at", "2026-10-01 09:00", "--format", "json",
    )  # fmt: skip
    assert call.exit_code == 0, call.stderr
    after = ws_cli("visits", "--date", day.isoformat(), "--format", "json").json()["visits"]
    assert [row["customer_id"] for row in after] == []  # both contacted lately: next due later
    later = ws_cli("visits", "--date", "2027-01-05", "--format", "json").json()["visits"]
    assert {row["customer_id"]: row["due"] for row in later} == {
        vip["id"]: "2026-12-20",
        key["id"]: "2026-12-30",
    }
    shown = ws_cli("show", vip["id"], "--format", "json").json()
    assert visit.json()["id"] in [h["id"] for h in shown["history"]]
    table = ws_cli("--lang", "zh", "visits", "--date", "2027-01-05").stdout
    assert "应联系日期" in table and "甲公司" in table


def test_a_visit_needs_a_customer_that_exists_and_the_policy_is_checked(ws_cli, workspace):
    refused = ws_cli("--no-input", "record", "visit", "--set", "method=visit", "--set", "visited_by=王经理")
    assert refused.exit_code == 1 and "customer_id" in refused.stderr
    nobody = ws_cli(
        "--no-input", "record", "visit", "--set", "method=visit", "--set", "visited_by=王经理",
        "--set", "customer_id=CUS-20200101-0001",
    )  # fmt: skip
    assert nobody.exit_code == 1
    policy = workspace / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("VIP = 30", 'VIP = 0\n"钻石客户" = 10'), encoding="utf-8"
    )
    checked = ws_cli("policy", "check")
    output = checked.stdout + checked.stderr
    assert checked.exit_code == 1 and "customers.visits.VIP: must be" in output
    assert 'customers.visits."钻石客户": is not a grade' in output
