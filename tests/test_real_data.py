"""Imports and reports on real public data that nobody here wrote (../shared/data)."""

from __future__ import annotations

import csv

from conftest import data_file


def test_cfpb_complaints_import_whole_and_idempotent(ws_cli, workspace, shared_data):
    source = shared_data / "cfpb_complaints_sample.csv"
    with open(source, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    first = ws_cli("import", "complaint", source, "--map", "cfpb", "--format", "json")
    assert first.exit_code == 0, first.stderr
    outcome = first.json()
    assert outcome["read"] == len(rows) == 6623
    assert (outcome["imported"], outcome["errors"]) == (6623, [])

    listed = ws_cli("list", "complaint", "--format", "json").json()
    assert listed["count"] == 6623
    by_external = {r["external_id"]: r for r in listed["records"]}
    multiline = [r for r in rows if "\n" in r["Consumer complaint narrative"]]
    assert len(multiline) > 500
    for row in multiline[:50]:
        stored = by_external[row["Complaint ID"]]
        assert row["Consumer complaint narrative"].strip("\n ").replace("\r\n", "\n") in stored["content"]
        assert stored["content"].startswith(row["Issue"])
    sample = by_external[rows[0]["Complaint ID"]]
    assert sample["category"] == rows[0]["Product"]
    assert sample["created_at"].startswith(rows[0]["Date received"])
    assert sample["status"] == "closed"
    in_progress = [r for r in rows if r["Company response to consumer"] == "In progress"]
    assert all(by_external[r["Complaint ID"]]["status"] == "investigating" for r in in_progress)
    channels = {r["channel"] for r in listed["records"]}
    assert channels == {"web", "referral", "phone", "letter", "fax", "email"}

    stored_bytes = data_file(workspace).read_bytes()
    second = ws_cli("import", "complaint", source, "--map", "cfpb", "--format", "json").json()
    assert (second["imported"], second["duplicates"]) == (0, 6623)
    assert data_file(workspace).read_bytes() == stored_bytes

    report = ws_cli("report", "complaints", "--by", "channel", "--format", "json").json()
    assert report["totals"]["received"] == 6623
    expected_closed = sum(r["Company response to consumer"].startswith("Closed") for r in rows)
    assert report["totals"]["resolved"] == expected_closed
    web = next(r for r in report["rows"] if r["channel"] == "web")
    assert web["received"] == sum(r["Submitted via"] == "Web" for r in rows)
