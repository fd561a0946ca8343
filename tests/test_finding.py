"""`cstool search` across kinds and `cstool queue` ordered by what is due first."""

from __future__ import annotations

import json

from conftest import complaint_args
from hypothesis import given, settings, strategies as st


def made(ws_cli, at: str, **values) -> str:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def test_search_finds_a_word_of_the_content_an_id_and_a_note(ws_cli, backend):
    smoke = made(ws_cli, "2026-11-16 09:00", content="充电器使用时冒烟，差点起火")
    other = made(ws_cli, "2026-11-16 10:00", content="The kettle LEAKS after three days")
    assert ws_cli("respond", other, "--note", "客户补充：插头也冒烟了").exit_code == 0
    found = ws_cli("search", "冒烟", "--format", "json").json()
    assert {r["id"] for r in found["results"]} == {smoke, other}
    by_place = {r["id"]: r["matched"] for r in found["results"]}
    assert by_place[smoke] == ["content"] and by_place[other] == ["events"]
    assert [r["id"] for r in ws_cli("search", "leaks", "--format", "json").json()["results"]] == [other]
    assert [r["id"] for r in ws_cli("search", smoke.lower(), "--format", "json").json()["results"]] == [smoke]
    assert [r["id"] for r in ws_cli("search", "火", "--format", "json").json()["results"]] == [smoke]  # one character
    assert ws_cli("search", "烟冒", "--format", "json").json()["count"] == 0
    table = ws_cli("--lang", "zh", "search", "冒烟").stdout
    assert "冒烟" in table and "投诉内容" in table


def test_search_finds_a_phone_however_it_is_written_but_never_a_piece_of_it(ws_cli, backend):
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


def test_search_on_postgresql_finds_records_written_before_the_index(ws_cli, pg_url, monkeypatch):
    import psycopg

    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    old = made(ws_cli, "2026-11-16 09:00", content="空调漏水严重")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE cstool_records SET grams = NULL")  # as a store of an earlier version holds it
    new = made(ws_cli, "2026-11-16 10:00", content="热水器漏水")
    assert {r["id"] for r in ws_cli("search", "漏水", "--format", "json").json()["results"]} == {old, new}


def test_a_bulk_import_is_found_before_and_after_store_index(ws_cli, pg_url, monkeypatch, tmp_path):
    import psycopg

    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    source = tmp_path / "many.csv"
    lines = ["customer_name,channel,content,contact_phone,created_at"]
    lines += [
        f"客户{i},phone,{'洗衣机漏水' if i == 7 else '发货太慢'},1390000{i:04d},2026-11-16 09:00" for i in range(600)
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = ws_cli("import", "complaint", str(source))
    assert imported.exit_code == 0 and "600 records wait for the search index" in imported.stderr
    assert ws_cli("search", "洗衣机", "--format", "json").json()["count"] == 1  # read whole meanwhile
    indexed = ws_cli("store", "index")
    assert indexed.exit_code == 0 and "600 records indexed" in indexed.stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM cstool_records WHERE grams IS NULL").fetchone()[0] == 0
    assert ws_cli("search", "洗衣机", "--format", "json").json()["count"] == 1
    assert ws_cli("search", "漏", "--format", "json").json()["count"] == 1


@settings(max_examples=300, deadline=None)
@given(
    content=st.text(alphabet="漏水冒烟电话 abcAB-1", max_size=12),
    note=st.text(alphabet="漏水冒烟 ab1", max_size=8),
    phone=st.text(alphabet="0123456789 +-", max_size=16),
    query=st.text(alphabet="漏水冒烟电话 abcAB-1+", min_size=1, max_size=5),
)
def test_every_record_search_matches_is_among_those_its_index_names(content, note, phone, query):
    """What an index keeps (search_grams) never loses a record that search would find."""
    from cstool.core.search import PERSONAL_TOKEN, hits, query_grams, search_grams

    record = {"id": "CMP-20261201-0001", "content": content, "contact_phone": phone, "events": [{"note": note}]}
    personal = {"contact_phone": "phone"}
    if not hits(record, ["content"], personal, query):
        return
    narrowed = query_grams(query)
    if narrowed is None:
        return  # not narrowed: every record is read
    text, whole = narrowed
    kept = set(search_grams(record, ["content"], personal))
    assert set(text) <= kept or set(whole) & kept, (record, query)
    assert all(token.startswith(PERSONAL_TOKEN) for token in whole)


@settings(max_examples=300, deadline=None)
@given(
    phone=st.text(alphabet="0123456789 +-", max_size=18), tail=st.text(alphabet="0123456789", min_size=4, max_size=8)
)
def test_every_phone_a_tail_finds_holds_that_tail_s_token(phone, tail):
    """A desk looking a caller up by a phone's last digits is narrowed by one token
    (phone_tail): every record whose phone ends in the tail holds it."""
    from cstool.api import personal_token, phone_tail
    from cstool.core.search import phone_digits, search_grams

    kept = set(search_grams({"id": "CUS-20261201-0001", "phone": phone}, [], {"phone": "phone"}))
    if phone_digits(phone).endswith(tail):
        assert phone_tail(tail) in kept, (phone, tail)
    if phone.strip():
        assert personal_token(phone) in kept
