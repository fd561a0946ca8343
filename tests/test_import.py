"""Batch import: every row checked before any write, errors by row/line/field, idempotent."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import data_snapshot

HEADER = ["ref", "received", "name", "how", "text"]
MAP = """
[columns]
ref = "external_id"
received = "created_at"
name = "customer_name"
how = "channel"
text = "content"

[values.channel]
"Phone" = "phone"
"Web" = "web"
"""


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_rows(n):
    return [
        [f"EXT-{i}", f"2026-10-{1 + i % 28:02d} 09:{i % 60:02d}", f"客户{i}", "Phone" if i % 2 else "Web", f"问题 {i}"]
        for i in range(1, n + 1)
    ]


@pytest.fixture
def map_file(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(MAP, encoding="utf-8")
    return path


def test_import_then_reimport_changes_nothing(ws_cli, workspace, tmp_path, map_file):
    source = write_csv(tmp_path / "in.csv", make_rows(120))
    first = ws_cli("import", "complaint", source, "--map", map_file, "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert first.json() == {
        "kind": "complaint",
        "read": 120,
        "imported": 120,
        "updated": 0,
        "duplicates": 0,
        "skipped": 0,
        "errors": [],
    }
    stored = data_snapshot(workspace)
    second = ws_cli("import", "complaint", source, "--map", map_file, "--format", "json").json()
    assert (second["imported"], second["duplicates"]) == (0, 120)
    assert data_snapshot(workspace) == stored
    listed = ws_cli("list", "complaint", "--where", "external_id=EXT-7", "--format", "json").json()["records"][0]
    assert listed["channel"] == "phone" and listed["created_at"] == "2026-10-08T09:07:00+08:00"


def test_impossible_date_in_row_500_writes_nothing(ws_cli, workspace, tmp_path, map_file):
    ws_cli("import", "complaint", write_csv(tmp_path / "seed.csv", make_rows(3)), "--map", map_file)
    before = data_snapshot(workspace)
    rows = make_rows(600)
    rows[499][1] = "2026-02-30 10:00"
    result = ws_cli("import", "complaint", write_csv(tmp_path / "in.csv", rows), "--map", map_file, "--format", "json")
    assert result.exit_code == 1
    errors = result.json()["errors"]
    assert errors == [{"row": 500, "line": 501, "field": "created_at", "message": errors[0]["message"]}]
    assert "2026-02-30" in errors[0]["message"]
    assert "row 500" in result.stderr and "created_at" in result.stderr and "nothing was written" in result.stderr
    assert data_snapshot(workspace) == before


def test_skip_invalid_writes_the_valid_rows(ws_cli, tmp_path, map_file):
    rows = make_rows(10)
    rows[3][3] = "Carrier pigeon"
    rows[6][2] = ""
    result = ws_cli(
        "import",
        "complaint",
        write_csv(tmp_path / "in.csv", rows),
        "--map",
        map_file,
        "--skip-invalid",
        "--format",
        "json",
    )
    assert result.exit_code == 0
    outcome = result.json()
    assert (outcome["imported"], outcome["skipped"]) == (8, 2)
    assert [(e["row"], e["field"]) for e in outcome["errors"]] == [(4, "channel"), (7, "customer_name")]


def test_dry_run_reports_without_writing(ws_cli, workspace, tmp_path, map_file):
    result = ws_cli(
        "import",
        "complaint",
        write_csv(tmp_path / "in.csv", make_rows(5)),
        "--map",
        map_file,
        "--dry-run",
        "--format",
        "json",
    )
    assert result.exit_code == 0 and result.json()["imported"] == 5
    assert not data_snapshot(workspace)


def test_missing_required_column_and_unknown_column(ws_cli, workspace, tmp_path, map_file):
    no_text = write_csv(tmp_path / "a.csv", [r[:4] for r in make_rows(3)], header=HEADER[:4])
    result = ws_cli("import", "complaint", no_text, "--map", map_file, "--format", "json")
    assert result.exit_code == 1
    assert result.json()["errors"][0] == {
        "row": None,
        "line": 1,
        "field": "content",
        "message": "missing required column for field 'content'",
    }
    extra = write_csv(tmp_path / "b.csv", [r + ["x"] for r in make_rows(3)], header=HEADER + ["mood"])
    result = ws_cli("import", "complaint", extra, "--map", map_file)
    assert result.exit_code == 1 and "column 'mood'" in result.stderr
    assert not data_snapshot(workspace)


def test_on_duplicate_update_and_error(ws_cli, tmp_path, map_file):
    rows = make_rows(4)
    ws_cli("import", "complaint", write_csv(tmp_path / "a.csv", rows), "--map", map_file)
    rows[1][4] = "问题已更新"
    changed = write_csv(tmp_path / "b.csv", rows)
    refused = ws_cli("import", "complaint", changed, "--map", map_file, "--on-duplicate", "error", "--format", "json")
    assert refused.exit_code == 1 and len(refused.json()["errors"]) == 4
    updated = ws_cli(
        "import", "complaint", changed, "--map", map_file, "--on-duplicate", "update", "--format", "json"
    ).json()
    assert (updated["updated"], updated["duplicates"]) == (1, 3)
    record = ws_cli("list", "complaint", "--where", "external_id=EXT-2", "--format", "json").json()["records"][0]
    assert record["content"] == "问题已更新" and record["events"][-1]["changes"]["content"][1] == "问题已更新"


def test_duplicate_inside_one_file(ws_cli, tmp_path, map_file):
    rows = make_rows(3) + [make_rows(3)[0]]
    result = ws_cli(
        "import", "complaint", write_csv(tmp_path / "a.csv", rows), "--map", map_file, "--format", "json"
    ).json()
    assert (result["imported"], result["duplicates"]) == (3, 1)


def test_multiline_cells_keep_their_start_line(ws_cli, tmp_path, map_file):
    rows = make_rows(3)
    rows[0][4] = "first line\nsecond line\nthird line"
    rows[2][1] = "yesterday-ish"
    result = ws_cli("import", "complaint", write_csv(tmp_path / "a.csv", rows), "--map", map_file, "--format", "json")
    assert result.json()["errors"][0]["row"] == 3 and result.json()["errors"][0]["line"] == 6


def test_json_array_and_json_lines(ws_cli, tmp_path):
    records = [
        {"customer_name": "李娜", "channel": "web", "content": f"问题{i}", "external_id": f"J{i}"} for i in range(3)
    ]
    records[2]["channel"] = "smoke signal"
    array = tmp_path / "in.json"
    array.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    result = ws_cli("import", "complaint", array, "--format", "json")
    error = result.json()["errors"][0]
    assert result.exit_code == 1 and (error["row"], error["field"]) == (3, "channel")
    assert array.read_text(encoding="utf-8").splitlines()[error["line"] - 1].strip() == "{"
    assert error["line"] == 14
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records[:2]) + "\n{broken\n", encoding="utf-8"
    )
    result = ws_cli("import", "complaint", lines, "--format", "json")
    assert result.json()["errors"][0]["row"] == 3 and result.json()["errors"][0]["line"] == 3
    ok = ws_cli("import", "complaint", lines, "--skip-invalid", "--format", "json").json()
    assert ok["imported"] == 2


def test_not_json_is_a_clear_error(ws_cli, tmp_path):
    bad = tmp_path / "in.json"
    bad.write_text('[{"a": 1},\n{"b": }]', encoding="utf-8")
    result = ws_cli("import", "complaint", bad)
    assert result.exit_code == 1 and "in.json:2: not valid JSON" in result.stderr


@pytest.mark.parametrize("encoding,flag", [("utf-8-sig", None), ("gb18030", "gb18030")])
def test_chinese_encodings(ws_cli, tmp_path, map_file, encoding, flag):
    source = write_csv(tmp_path / "in.csv", make_rows(3), encoding=encoding)
    args = ["import", "complaint", source, "--map", map_file, "--format", "json"] + (
        ["--encoding", flag] if flag else []
    )
    result = ws_cli(*args)
    assert result.exit_code == 0, result.stderr
    assert ws_cli("list", "complaint", "--format", "json", "--reveal").json()["records"][0]["customer_name"] == "客户1"


def test_gb18030_without_flag_says_what_to_do(ws_cli, tmp_path, map_file):
    source = write_csv(tmp_path / "in.csv", make_rows(3), encoding="gb18030")
    result = ws_cli("import", "complaint", source, "--map", map_file)
    assert result.exit_code == 1 and "--encoding gb18030" in result.stderr


@pytest.mark.parametrize("delimiter, rows", [(";", 4), ("\t", 4), (";", 400), ("|", 400)])
def test_the_delimiter_is_guessed(ws_cli, tmp_path, map_file, delimiter, rows):
    """From whole lines at the head of the file, however long the file (400 rows are ~30 KB,
    more than the sample)."""
    source = tmp_path / "in.csv"
    source.write_text(
        delimiter.join(HEADER) + "\n" + "\n".join(delimiter.join(r) for r in make_rows(rows)) + "\n", encoding="utf-8"
    )
    assert source.stat().st_size > 16384 or rows < 100
    assert ws_cli("import", "complaint", source, "--map", map_file, "--format", "json").json()["imported"] == rows


def test_bad_map_file_names_its_line(ws_cli, tmp_path):
    source = write_csv(tmp_path / "in.csv", make_rows(1))
    broken = tmp_path / "broken.toml"
    broken.write_text("[columns]\nref = \n", encoding="utf-8")
    result = ws_cli("import", "complaint", source, "--map", broken)
    assert result.exit_code == 1 and "broken.toml:2" in result.stderr
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[colums]\n", encoding="utf-8")
    assert "unknown section [colums]" in ws_cli("import", "complaint", source, "--map", unknown).stderr
    assert "no such map file" in ws_cli("import", "complaint", source, "--map", "nope").stderr
    assert "no such file" in ws_cli("import", "complaint", tmp_path / "missing.csv").stderr


def test_progress_advances_over_every_checked_row(workspace, tmp_path, map_file):
    from contextlib import contextmanager

    from cstool.core.context import Context
    from cstool.core.host import build_host
    from cstool.core.importer import CHUNK_ROWS, load_map, run_import

    seen = []

    @contextmanager
    def progress():
        seen.append("start")

        class Bar:
            def update(self, n):
                seen.append(("update", n))

        yield Bar()

    ctx = Context(build_host(workspace, entry_points=False), workspace)
    rows = CHUNK_ROWS + 7
    source = write_csv(tmp_path / "in.csv", make_rows(rows))
    outcome = run_import(ctx, ctx.kinds.get("complaint"), source, load_map(map_file), progress=progress)
    assert outcome.imported == rows
    assert seen == ["start", ("update", CHUNK_ROWS), ("update", 7)]


def test_an_import_of_several_batches_is_still_all_or_nothing(backend, ws_cli, tmp_path, map_file):
    """Rows are checked and written a batch at a time inside one transaction: a repeat of a
    row of the first batch in the last one is still found, and a bad row in the last batch
    leaves nothing of the first visible, on either store."""
    from cstool.core.importer import CHUNK_ROWS

    rows = make_rows(CHUNK_ROWS + 10)
    repeated = write_csv(tmp_path / "repeat.csv", [*rows, rows[0]])
    args = ("import", "complaint", repeated, "--map", map_file, "--format", "json")
    refused = ws_cli(*args, "--on-duplicate", "error")
    assert refused.exit_code == 1 and refused.json()["errors"][0]["row"] == CHUNK_ROWS + 11
    assert "'EXT-1' repeats an earlier row of this import (imported as CMP-" in refused.json()["errors"][0]["message"]
    dry = ws_cli(*args, "--dry-run").json()
    assert (dry["imported"], dry["duplicates"]) == (CHUNK_ROWS + 10, 1)
    assert ws_cli("list", "complaint", "--format", "json").json()["count"] == 0

    rows[-1][1] = "2026-02-30 09:00"
    broken = ws_cli("import", "complaint", write_csv(tmp_path / "bad.csv", rows), "--map", map_file)
    assert broken.exit_code == 1 and "nothing was written" in broken.stderr
    assert ws_cli("list", "complaint", "--format", "json").json()["count"] == 0

    rows[-1][1] = "2026-02-28 09:00"
    done = ws_cli(*args).json()
    assert (done["imported"], done["duplicates"]) == (CHUNK_ROWS + 10, 1)
    again = ws_cli(*args, "--on-duplicate", "update").json()
    assert (again["imported"], again["updated"], again["duplicates"]) == (0, 0, CHUNK_ROWS + 11)


def test_text_not_in_the_encoding_far_into_the_file_names_its_line(backend, ws_cli, tmp_path, map_file):
    """The file is decoded as it is read: a bad byte past the first megabyte is still said
    with its line, and nothing of the rows before it is written."""
    source = write_csv(tmp_path / "in.csv", make_rows(30_000))
    data = source.read_bytes().split(b"\n")
    data[25_000] = data[25_000].replace("客户".encode(), "客户".encode("gb18030"), 1)
    source.write_bytes(b"\n".join(data))
    assert source.stat().st_size > 1 << 20
    result = ws_cli("import", "complaint", source, "--map", map_file)
    assert result.exit_code == 1 and f"in.csv:{25_001}: not valid utf-8-sig text" in result.stderr, result.stderr
    assert ws_cli("list", "complaint", "--format", "json").json()["count"] == 0
