"""--output FILE: the suffix picks the format; files for people open right in Excel."""

from __future__ import annotations

import json

import pytest
from conftest import complaint_args


@pytest.fixture
def filled(ws_cli):
    for content, channel in (
        ('=HYPERLINK("http://x")', "phone"),
        ("<script>alert(1)</script>", "email"),
        ("漏水", "phone"),
    ):
        result = ws_cli("--no-input", "record", "complaint", *complaint_args(content=content, channel=channel))
        assert result.exit_code == 0, result.stderr
    return ws_cli


def test_a_csv_file_has_a_bom_and_its_totals_where_stdout_has_neither(filled, tmp_path):
    target = tmp_path / "投诉.csv"
    assert filled("report", "complaints", "--by", "channel", "--output", str(target)).exit_code == 0
    data = target.read_bytes()
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[-1].startswith("Total,3,")
    printed = filled("report", "complaints", "--by", "channel", "--format", "csv").stdout
    assert not printed.startswith("\ufeff") and "Total" not in printed


def test_a_workbook_has_a_frozen_header_numbers_as_numbers_and_no_formulas(filled, tmp_path):
    import openpyxl

    report, listing = tmp_path / "r.xlsx", tmp_path / "l.xlsx"
    assert filled("report", "complaints", "--by", "channel", "--output", str(report)).exit_code == 0
    sheet = openpyxl.load_workbook(report).active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:2] == ["Channel", "Received"]
    assert [c.value for c in sheet[2]][:2] == ["Phone", 2]  # the channel by its display name, for people
    assert [c.value for c in sheet[4]][:2] == ["Total", 3]  # under the rows; the figures of the whole below it
    assert sheet["A6"].value == "Target %: 100"
    assert filled("list", "complaint", "--output", str(listing)).exit_code == 0
    values = [c.value for row in openpyxl.load_workbook(listing).active.iter_rows() for c in row]
    assert '=HYPERLINK("http://x")' in values  # text, as typed: never run as a formula
    assert not any(isinstance(v, str) and "13812341234" in v for v in values)  # masked, as on screen


def test_a_page_escapes_what_it_shows(filled, tmp_path):
    page = tmp_path / "l.html"
    assert filled("--lang", "zh", "list", "complaint", "--output", str(page)).exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert '<html lang="zh-CN">' in text and "<title>投诉</title>" in text


def test_a_json_file_is_what_format_json_prints(filled, tmp_path):
    target = tmp_path / "l.json"
    assert filled("list", "complaint", "--output", str(target)).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == filled("list", "complaint", "--format", "json").json()


def test_an_existing_file_is_kept_unless_forced_and_a_wrong_suffix_writes_nothing(filled, tmp_path):
    target = tmp_path / "r.md"
    target.write_text("mine", encoding="utf-8")
    refused = filled("report", "complaints", "--output", str(target))
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "mine"
    assert filled("report", "complaints", "--output", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("# Complaint statistics")
    wrong = filled("report", "complaints", "--output", str(tmp_path / "r.txt"))
    assert wrong.exit_code == 2 and ".xlsx" in wrong.stderr
    assert not (tmp_path / "r.txt").exists()


def test_every_command_that_prints_rows_writes_a_file_with_chinese_headings(filled, tmp_path):
    for args, heading in (
        (("kinds",), "编号前缀"),
        (("kinds", "complaint"), "可选值"),
        (("callbacks", "--date", "2026-12-31"), "应回访时间"),
        (("survey", "due", "complaint_followup"), "负责人"),
        (("outbox",), "级别"),
        (("queue",), "到期"),
        (("search", "x"), "匹配位置"),
    ):
        target = tmp_path / f"{'-'.join(args)}.csv"
        result = filled("--lang", "zh", *args, "--output", str(target))
        assert result.exit_code == 0, (args, result.stderr)
        text = target.read_bytes().decode("utf-8")
        assert text.startswith("\ufeff") and heading in text.splitlines()[0], (args, text[:200])
