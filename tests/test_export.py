"""`cstool export KIND`: every field of every record, read back by `cstool import` with no map."""

from __future__ import annotations

import json

from conftest import complaint_args, invoke


def made(ws_cli, at, **values) -> str:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def test_an_export_imports_back_with_no_map_and_the_figures_agree(ws_cli, workspace, tmp_path):
    first = made(ws_cli, "2026-11-16 09:00", content="充电器冒烟", channel="email", customer_name="欧阳娜娜")
    made(ws_cli, "2026-11-17 10:00", content="遥控器失灵", contact_phone="13912345678")
    assert ws_cli("respond", first, "--at", "2026-11-16 10:00").exit_code == 0
    assert ws_cli("status", first, "responded", "--at", "2026-11-16 11:00").exit_code == 0
    exported = tmp_path / "complaints.csv"
    assert ws_cli("export", "complaint", "--reveal", "--output", str(exported)).exit_code == 0
    other = tmp_path / "other"
    assert invoke("init", other).exit_code == 0
    imported = invoke("--workspace", other, "import", "complaint", str(exported), "--format", "json")
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["imported"] == 2
    again = invoke("--workspace", other, "import", "complaint", str(exported), "--format", "json").json()
    assert again["imported"] == 0 and again["duplicates"] == 2  # the ids became external ids
    here = {r["id"]: r for r in ws_cli("list", "complaint", "--format", "json", "--reveal").json()["records"]}
    there = invoke("--workspace", other, "list", "complaint", "--format", "json", "--reveal").json()["records"]
    for copy in there:
        source = here[copy["external_id"]]
        for name in ("status", "created_at", "first_response_at", "resolved_at", "customer_name", "contact_phone",
                     "channel", "content", "category", "tags", "department"):  # fmt: skip
            assert copy[name] == source[name], name
    for args in (("report", "complaints", "--by", "channel"), ("report", "sla")):
        mine = ws_cli(*args, "--format", "json").json()
        theirs = invoke("--workspace", other, *args, "--format", "json").json()
        assert mine["totals"] == theirs["totals"], args


def test_an_export_is_masked_unless_revealed_and_a_reveal_is_audited(ws_cli):
    rid = made(ws_cli, "2026-11-16 09:00", contact_phone="13912345678")
    masked = ws_cli("export", "complaint").stdout
    assert "13912345678" not in masked and "139****5678" in masked
    assert not masked.startswith("\ufeff")  # stdout is for pipes: no BOM
    rows = json.loads(ws_cli("export", "complaint", "--format", "json", "--reveal").stdout)
    assert rows[0]["contact_phone"] == "13912345678" and rows[0]["external_id"] == rid
    trail = ws_cli("show", rid, "--format", "json").json()["events"]
    assert trail[-1]["type"] == "revealed"


def test_an_export_opens_in_excel(ws_cli, tmp_path):
    import openpyxl

    made(ws_cli, "2026-11-16 09:00", content="电水壶漏水")
    book = tmp_path / "complaints.xlsx"
    assert ws_cli("export", "complaint", "--output", str(book)).exit_code == 0
    sheet = openpyxl.load_workbook(book).active
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["status", "created_at"] and "content" in header
    assert sheet.cell(row=2, column=header.index("content") + 1).value == "电水壶漏水"
