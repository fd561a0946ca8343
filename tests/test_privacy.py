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
        "id_number=110101199003071233",
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
    ws_cli("status", ids[0], "closed", "--at", "2026-11-16 10:00", "--note", "客户撤诉")
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
        for secret in (PHONE, NAME, "nana@example.com", "110101199003071233"):
            assert secret not in text
    assert "138****1234" in "".join(outputs)


def test_reveal_shows_and_records_who_saw_it(ws_cli, filled):
    cid, _ = filled
    listed = ws_cli("--as", "王经理", "list", "customer", "--reveal", "--format", "json").json()["records"][0]
    assert listed["phone"] == PHONE and listed["name"] == NAME
    trail = ws_cli("show", cid, "--format", "json").json()["events"]
    assert trail[-1]["type"] == "revealed" and trail[-1]["by"] == "王经理"


NEW_PHONE = "13987654321"
ADDRESS = "上海市浦东新区张江路88号5号楼1201室"


def test_the_trail_of_a_change_is_masked_too(ws_cli, filled):
    cid, _ids = filled
    assert ws_cli("update", cid, "--set", f"phone={NEW_PHONE}", "--set", f"address={ADDRESS}").exit_code == 0
    for fmt in ("table", "json", "csv"):
        shown = ws_cli("show", cid, "--format", fmt).stdout
        for secret in (PHONE, NEW_PHONE, ADDRESS, "张江路88号"):
            assert secret not in shown, (fmt, secret)
    listed = ws_cli("list", "customer", "--format", "json").stdout
    assert NEW_PHONE not in listed and PHONE not in listed
    revealed = ws_cli("show", cid, "--reveal", "--format", "json").json()
    changes = next(e["changes"] for e in revealed["events"] if e["type"] == "updated")
    assert changes["phone"] == [PHONE, NEW_PHONE]


def test_long_personal_text_keeps_at_most_two_characters_at_each_end():
    from cstool.core.privacy import mask

    masked = mask(ADDRESS)
    assert masked == "上海****1室" and sum(ch != "*" for ch in masked) <= 4


def test_a_lookup_by_a_personal_value_is_an_audited_reveal(ws_cli, filled):
    cid, ids = filled
    found = ws_cli("list", "complaint", "--where", f"contact_phone={PHONE}", "--format", "json").json()
    assert found["count"] == 2 and PHONE not in str(found)
    trail = ws_cli("show", ids[0], "--format", "json").json()["events"]
    looked_up = [e for e in trail if e["type"] == "revealed"]
    assert looked_up and looked_up[-1]["via"] == "--where" and looked_up[-1]["fields"] == ["contact_phone"]
    assert ws_cli("list", "complaint", "--where", "channel=phone").exit_code == 0  # not personal: no event
    assert len([e for e in ws_cli("show", ids[0], "--format", "json").json()["events"] if e["type"] == "revealed"]) == 1


def test_a_refused_personal_value_is_not_repeated(ws_cli, tmp_path):
    source = tmp_path / "rows.csv"
    source.write_text("customer_name,channel,content,contact_phone\n张伟,phone,漏水,1381234abcd5\n", encoding="utf-8")
    result = ws_cli("import", "complaint", source, "--format", "json")
    assert result.exit_code == 1
    assert "1381234abcd5" not in result.stdout + result.stderr
    assert "contact_phone" in result.stdout


def test_a_form_written_to_a_file_is_owner_only_follows_no_link_and_replaces_nothing(ws_cli, filled, tmp_path):
    import os
    import stat

    _cid, ids = filled
    out = tmp_path / "notice.md"
    done = ws_cli("complaints", "form", ids[0], "notice", "--reveal", "--output", out)
    assert done.exit_code == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and PHONE in out.read_text(encoding="utf-8")
    again = ws_cli("complaints", "form", ids[0], "notice", "--output", out)
    assert again.exit_code == 1 and "--force" in again.stderr and PHONE in out.read_text(encoding="utf-8")
    assert ws_cli("complaints", "form", ids[0], "notice", "--output", out, "--force").exit_code == 0
    assert PHONE not in out.read_text(encoding="utf-8")  # replaced, masked this time
    target = tmp_path / "elsewhere.md"
    target.write_text("keep", encoding="utf-8")
    link = tmp_path / "link.md"
    os.symlink(target, link)
    assert ws_cli("complaints", "form", ids[0], "notice", "--reveal", "--output", link).exit_code == 1
    assert target.read_text(encoding="utf-8") == "keep"
