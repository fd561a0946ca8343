"""`cstool search` across kinds and `cstool queue` ordered by what is due first."""

from __future__ import annotations

import json

from conftest import complaint_args


def made(ws_cli, at: str, **values) -> str:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def test_search_finds_a_word_of_the_content_an_id_and_a_note(ws_cli):
    smoke = made(ws_cli, "2026-11-16 09:00", content="充电器使用时冒烟，差点起火")
    other = made(ws_cli, "2026-11-16 10:00", content="The kettle LEAKS after three days")
    assert ws_cli("respond", other, "--note", "客户补充：插头也冒烟了").exit_code == 0
    found = ws_cli("search", "冒烟", "--format", "json").json()
    assert {r["id"] for r in found["results"]} == {smoke, other}
    by_place = {r["id"]: r["matched"] for r in found["results"]}
    assert by_place[smoke] == ["content"] and by_place[other] == ["events"]
    assert [r["id"] for r in ws_cli("search", "leaks", "--format", "json").json()["results"]] == [other]
    assert [r["id"] for r in ws_cli("search", smoke.lower(), "--format", "json").json()["results"]] == [smoke]
    table = ws_cli("--lang", "zh", "search", "冒烟").stdout
    assert "冒烟" in table and "投诉内容" in table


def test_search_finds_a_phone_however_it_is_written_but_never_a_piece_of_it(ws_cli):
    rid = made(ws_cli, "2026-11-16 09:00", contact_phone="13812341234", customer_name="欧阳娜娜")
    for written in ("138 1234 1234", "+86 138-1234-1234", "13812341234", "0086 13812341234"):
        found = ws_cli("search", written, "--format", "json").json()
        assert [r["id"] for r in found["results"]] == [rid], written
    assert ws_cli("search", "1381234", "--format", "json").json()["count"] == 0
    assert ws_cli("search", "欧阳", "--format", "json").json()["count"] == 0  # a name matches whole only
    assert ws_cli("search", "欧阳娜娜", "--format", "json").json()["count"] == 1
    printed = ws_cli("search", "138 1234 1234").stdout + ws_cli("search", "138 1234 1234", "--format", "json").stdout
    assert "13812341234" not in printed  # shown masked, if at all
    trail = ws_cli("show", rid, "--format", "json").json()["events"]
    assert any(e["type"] == "revealed" and e.get("via") == "search" for e in trail)  # a confirmed guess is audited


def test_queue_puts_breached_first_then_the_nearest_due(ws_cli):
    old = made(ws_cli, "2026-11-16 09:00", severity="critical")  # long breached by the test's now
    newer = made(ws_cli, "2026-11-20 09:00")
    done = made(ws_cli, "2026-11-16 09:00")
    assert ws_cli("status", done, "closed", "--note", "撤诉").exit_code == 0
    assert ws_cli("assign", newer, "小李").exit_code == 0
    queue = ws_cli("queue", "--format", "json").json()["queue"]
    ids = [row["id"] for row in queue]
    assert done not in ids and set(ids) == {old, newer}
    states = [row["state"] for row in queue]
    assert states == sorted(states, key=lambda s: s != "breached")  # breached ones first
    breached = [row for row in queue if row["state"] == "breached"]
    assert [row["due_at"] for row in breached] == sorted(row["due_at"] for row in breached)
    mine = ws_cli("queue", "--owner", "小李", "--format", "json").json()["queue"]
    assert [row["id"] for row in mine] == [newer]
    assert ws_cli("queue", "--department", "after_sales", "--format", "json").json()["count"] == 0
    printed = ws_cli("--lang", "zh", "queue").stdout
    assert "已超时" in printed and "\x1b[" not in printed  # not a terminal: no colour


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from cstool.cli import finding

    assert "\x1b[31m" in finding._coloured(["x"], "breached")[0]
    assert finding._coloured(["x"], "running") == ["x"]
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert finding._colour_wanted()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not finding._colour_wanted()


def test_search_and_queue_write_files(ws_cli, tmp_path):
    made(ws_cli, "2026-11-16 09:00", content="冒烟")
    for args in (("search", "冒烟"), ("queue",)):
        target = tmp_path / f"{args[0]}.csv"
        assert ws_cli(*args, "--output", str(target)).exit_code == 0
        assert target.read_bytes().startswith("\ufeff".encode())
    assert json.loads(ws_cli("search", "冒烟", "--format", "json").stdout)["query"] == "冒烟"
