"""Personal data is masked in every output a person or script gets, unless revealed."""

from __future__ import annotations

import pytest
from conftest import complaint_args

PHONE, NAME = "13812341234", "欧阳娜娜"


@pytest.fixture
def filled(ws_cli):
    cid = ws_cli(
        "record",
        "customer",
        "--set",
        "customer_type=individual",
        "--set",
        f"name={NAME}",
        "--set",
        f"phone={PHONE}",
        "--set",
        "email=nana@example.com",
        "--set",
        "id_number=110101199003071234",
        "--format",
        "json",
    ).json()["id"]
    ids = [
        ws_cli(
            "record",
            "complaint",
            *complaint_args(customer_name=NAME, contact_phone=PHONE, customer_id=cid),
            "--at",
            f"2026-11-16 0{h}:00",
            "--format",
            "json",
        ).json()["id"]
        for h in (8, 9)
    ]
    ws_cli("status", ids[0], "closed", "--at", "2026-11-16 10:00")
    ws_cli("record", "call", "--set", "direction=inbound", "--set", "outcome=answered", "--set", f"number={PHONE}")
    return cid, ids


def test_every_output_is_masked(ws_cli, filled):
    cid, ids = filled
    outputs = []
    for kind in ("customer", "complaint", "call"):
        for fmt in ("table", "json", "csv"):
            outputs.append(ws_cli("list", kind, "--format", fmt).stdout)
    for record_id in (cid, *ids):
        for fmt in ("table", "json", "csv"):
            outputs.append(ws_cli("show", record_id, "--format", fmt).stdout)
    for report in ("complaint-repeats", "customers-at-risk", "customers-excellent", "credit-changes"):
        for fmt in ("table", "json", "csv", "md"):
            outputs.append(ws_cli("report", report, "--format", fmt).stdout)
    outputs.append(ws_cli("callbacks", "--date", "2026-12-31", "--format", "json").stdout)
    for form in ("notice", "investigation"):
        outputs.append(ws_cli("complaints", "form", ids[0], form, "--format", "html").stdout)
    for text in outputs:
        for secret in (PHONE, NAME, "nana@example.com", "110101199003071234"):
            assert secret not in text
    assert "138****1234" in "".join(outputs)


def test_reveal_shows_and_records_who_saw_it(ws_cli, filled):
    cid, _ = filled
    listed = ws_cli("--as", "王经理", "list", "customer", "--reveal", "--format", "json").json()["records"][0]
    assert listed["phone"] == PHONE and listed["name"] == NAME
    trail = ws_cli("show", cid, "--format", "json").json()["events"]
    assert trail[-1]["type"] == "revealed" and trail[-1]["by"] == "王经理"
