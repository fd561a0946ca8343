"""Customer information: derived region and grade, credit changes, links, lists, deregistration."""

from __future__ import annotations

import pytest
from conftest import complaint_args, kind_file, record_file

from cstool.plugins.customers import holds

RATINGS = ["AAA", "AA", "A", "B", "C"]


def facts(purchase=0, credit="A", complaints=0, customer_type="individual"):
    return {"purchase": purchase, "credit": credit, "complaints": complaints, "customer_type": customer_type}


@pytest.mark.parametrize(
    "conditions,given,expected",
    [
        ({"min_purchase": 100}, facts(purchase=100), True),
        ({"min_purchase": 100}, facts(purchase=99), False),
        ({"min_credit": "AA"}, facts(credit="AAA"), True),
        ({"min_credit": "AA"}, facts(credit="A"), False),
        ({"max_credit": "B"}, facts(credit="C"), True),
        ({"max_credit": "B"}, facts(credit="A"), False),
        ({"max_complaints": 0, "min_purchase": 10}, facts(purchase=10, complaints=1), False),
        ({"match": "any", "max_credit": "C", "min_complaints": 3}, facts(complaints=3), True),
        ({"customer_type": "corporate"}, facts(), False),
        ({}, facts(), True),
    ],
)
def test_conditions(conditions, given, expected):
    assert holds(conditions, given, RATINGS) is expected


def customer(ws_cli, **fields):
    values = {
        "customer_type": "corporate",
        "name": "上海某某科技有限公司",
        "phone": "13800138000",
        "city": "上海",
        "purchase_volume": "1500000",
        "credit_rating": "AA",
    }
    values.update(fields)
    args = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    result = ws_cli("record", "customer", *args, "--at", "2026-11-16 09:00", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_region_and_grade_are_derived(ws_cli):
    vip = customer(ws_cli)
    assert (vip["region"], vip["grade"], vip["complaint_count"], vip["name"]) == (
        "华东",
        "VIP",
        0,
        "上海某某科技有限公司",
    )
    small = customer(
        ws_cli, customer_type="individual", name="李娜", city="成都", purchase_volume="300", credit_rating=""
    )
    assert (small["region"], small["grade"], small["credit_rating"]) == ("西南", "普通客户", "A")


def test_links_must_exist_and_history_spans_departments(ws_cli):
    cid = customer(ws_cli)["id"]
    bad = ws_cli("record", "complaint", *complaint_args(customer_id="CUS-20990101-0001"))
    assert bad.exit_code == 1 and "no customer CUS-20990101-0001" in bad.stderr
    ids = [
        ws_cli(
            "record", "complaint", *complaint_args(customer_id=cid), "--at", f"2026-11-16 1{i}:00", "--format", "json"
        ).json()["id"]
        for i in range(3)
    ]
    case = ws_cli(
        "record",
        "aftersales",
        "--set",
        "customer_name=王强",
        "--set",
        f"customer_id={cid}",
        "--set",
        "product_line=appliances",
        "--set",
        "product=电水壶",
        "--set",
        "purchase_date=2026-11-10",
        "--set",
        "fault=不加热",
        "--set",
        "service=repair",
        "--at",
        "2026-11-16 14:00",
        "--format",
        "json",
    ).json()["id"]
    shown = ws_cli("show", cid, "--format", "json").json()
    assert [h["id"] for h in shown["history"]] == [*ids, case]
    assert {h["kind"] for h in shown["history"]} == {"complaint", "aftersales"}
    assert case in ws_cli("show", cid).stdout
    after = ws_cli("show", cid, "--format", "json").json()  # counted as each complaint was linked
    regraded = ws_cli("customers", "regrade")
    assert regraded.exit_code == 0 and "0 customers regraded" in regraded.stdout  # nothing was stale
    assert (after["complaint_count"], after["grade"]) == (3, "重点客户")  # VIP allows at most 2 complaints
    at_risk = ws_cli("report", "customers-at-risk", "--format", "json").json()
    assert [r["id"] for r in at_risk["rows"]] == [cid]


def test_credit_changes_only_with_reason_and_approver(ws_cli):
    cid = customer(ws_cli)["id"]
    refused = ws_cli("update", cid, "--set", "credit_rating=C")
    assert refused.exit_code == 1 and "cstool customers credit" in refused.stderr
    assert ws_cli("customers", "credit", cid, "B").exit_code == 2  # --reason and --approver are required
    assert ws_cli("customers", "credit", cid, "Z", "--reason", "x", "--approver", "y").exit_code == 1
    done = ws_cli("customers", "credit", cid, "B", "--reason", "连续逾期付款", "--approver", "王经理")
    assert done.exit_code == 0 and "AA → B" in done.stdout
    record = ws_cli("show", cid, "--format", "json").json()
    assert (record["credit_rating"], record["grade"]) == ("B", "普通客户")
    change = ws_cli("report", "credit-changes", "--format", "json").json()["rows"][0]
    assert {k: change[k] for k in ("from", "to", "reason", "approver")} == {
        "from": "AA",
        "to": "B",
        "reason": "连续逾期付款",
        "approver": "王经理",
    }
    assert ws_cli("report", "customers-excellent", "--format", "json").json()["totals"] == {"count": 0}


def test_deregistration_erases_personal_data_everywhere_and_keeps_figures(ws_cli, workspace):
    cid = customer(ws_cli)["id"]
    ws_cli("update", cid, "--set", "phone=13900139000")
    complaint = ws_cli("record", "complaint", *complaint_args(customer_id=cid), "--format", "json").json()["id"]
    done = ws_cli("customers", "deregister", cid, "--reason", "客户要求")
    assert done.exit_code == 0, done.stderr
    raw = kind_file(workspace, "customer").read_text(encoding="utf-8") + record_file(workspace, complaint).read_text(
        encoding="utf-8"
    )
    for secret in ("13800138000", "13900139000", "上海某某科技有限公司", "张伟", "13812341234"):
        assert secret not in raw, secret
    shown = ws_cli("show", cid, "--reveal", "--format", "json").json()
    assert shown["status"] == "deregistered" and shown["name"] == "[已注销 erased]" and shown["phone"] is None
    assert (shown["grade"], shown["region"], shown["purchase_volume"]) == ("VIP", "华东", 1500000.0)
    assert [h["id"] for h in shown["history"]] == [complaint]
    assert ws_cli("customers", "deregister", cid, "--reason", "again").exit_code == 1


def _linked_everywhere(ws_cli, cid):
    """A complaint of the customer, a call about it, a survey of it whose comment repeats the
    phone, and the follow-up complaint that copies the comment: linked directly or not."""
    phone = "13800138000"
    complaint = ws_cli("record", "complaint", *complaint_args(customer_id=cid), "--format", "json").json()["id"]
    call = ws_cli(
        "record",
        "call",
        "--set",
        "direction=outbound",
        "--set",
        "outcome=answered",
        "--set",
        "number=13812341234",
        "--set",
        f"linked_record={complaint}",
        "--set",
        f"notes=客户说打 {phone}",
        "--format",
        "json",
    ).json()["id"]
    survey = ws_cli(
        "survey",
        "run",
        "complaint_followup",
        "--for",
        complaint,
        "--answer",
        "handling=1",
        "--answer",
        "recommend=2",
        "--answer",
        f"comment=太慢了，请打 {phone} 找我",
        "--no-input",
        "--format",
        "json",
    )
    return complaint, call, survey.json()["id"], phone


def test_deregistration_reaches_indirect_links_and_free_text(ws_cli, workspace):
    cid = customer(ws_cli)["id"]
    complaint, call, survey, phone = _linked_everywhere(ws_cli, cid)
    assert ws_cli("customers", "deregister", cid, "--reason", "客户要求").exit_code == 0
    everything = "".join(p.read_text(encoding="utf-8") for p in (workspace / "data").rglob("*.json"))
    for secret in (phone, "13812341234", "张伟", "上海某某科技有限公司"):
        assert secret not in everything, secret
    shown = ws_cli("show", survey, "--reveal", "--format", "json").json()
    assert "[erased]" in shown["comment"] and shown["for_record"] == complaint  # the link and the figures stay
    refused = ws_cli("record", "complaint", *complaint_args(customer_id=cid))
    assert refused.exit_code == 1 and "is deregistered" in refused.stderr


@pytest.mark.parametrize("writes", range(4))
def test_a_deregistration_cut_short_is_finished_by_running_it_again(ws_cli, workspace, monkeypatch, writes):
    from cstool.stores import folder as store

    cid = customer(ws_cli)["id"]
    _complaint, _call, _survey, phone = _linked_everywhere(ws_cli, cid)
    real_commit, done = store.FileTransaction.commit, []

    def killed_after_some(self):
        if len(done) == writes:
            raise KeyboardInterrupt  # the process ends here, as a kill would
        done.append(self.kind)
        return real_commit(self)

    monkeypatch.setattr(store.FileTransaction, "commit", killed_after_some)
    ws_cli("customers", "deregister", cid, "--reason", "客户要求")
    monkeypatch.setattr(store.FileTransaction, "commit", real_commit)
    again = ws_cli("customers", "deregister", cid, "--reason", "客户要求")
    assert again.exit_code == 0, again.stderr  # not "already deregistered": it was not finished
    everything = "".join(p.read_text(encoding="utf-8") for p in (workspace / "data").rglob("*.json"))
    assert phone not in everything and "13812341234" not in everything
    assert ws_cli("show", cid, "--format", "json").json()["status"] == "deregistered"
    assert ws_cli("customers", "deregister", cid, "--reason", "again").exit_code == 1


def test_a_linked_complaint_counts_at_once(ws_cli):
    cid = customer(ws_cli)["id"]
    ws_cli("record", "complaint", *complaint_args(customer_id=cid))
    ws_cli("record", "complaint", *complaint_args(customer_id=cid, contact_phone="13900000000"))
    assert ws_cli("show", cid, "--format", "json").json()["complaint_count"] == 2  # no regrade needed


def test_a_credit_change_is_approved_by_someone_who_may_approve(ws_cli, workspace):
    from conftest import add_directory

    cid = customer(ws_cli)["id"]
    add_directory(workspace)
    clerk = ws_cli("customers", "credit", cid, "B", "--reason", "连续逾期付款", "--approver", "小李")
    assert clerk.exit_code == 1 and "小李 may not approve a credit change" in clerk.stderr and "王经理" in clerk.stderr
    stranger = ws_cli("customers", "credit", cid, "B", "--reason", "连续逾期付款", "--approver", "随便写的名字")
    assert stranger.exit_code == 1
    done = ws_cli(
        "customers", "credit", cid, "B", "--reason", "连续逾期付款", "--approver", "li"
    )  # a login names them too
    assert done.exit_code == 0, done.stderr
    change = ws_cli("report", "credit-changes", "--format", "json").json()["rows"][0]
    assert change["approver"] == "李主管"
