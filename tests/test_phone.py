"""Phone staff: the call log, its bad input, the call script, the callback plan, the report."""

from __future__ import annotations

from conftest import complaint_args, record_file

from cstool.api import day_of_id


def call(ws_cli, *extra, at="2026-11-16 09:00", **fields):
    values = {"direction": "inbound", "outcome": "answered", "agent": "小王"}
    values.update(fields)
    args = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    return ws_cli("record", "call", *args, "--at", at, "--format", "json", *extra)


def test_durations_come_from_the_times(ws_cli):
    logged = call(
        ws_cli,
        queued_at="2026-11-16 09:00:00",
        answered_at="2026-11-16 09:00:25",
        ended_at="2026-11-16 09:04:25",
        number="13800001111",
    ).json()
    assert logged["id"].startswith("CALL-20261116-")
    assert (logged["queue_seconds"], logged["talk_seconds"], logged["number"]) == (25, 240, "138****1111")


def test_bad_calls_are_refused(ws_cli):
    early = call(ws_cli, answered_at="2026-11-16 09:10", ended_at="2026-11-16 09:05")
    assert early.exit_code == 1 and "the call ends before it starts" in early.stderr
    stranger = call(ws_cli, agent="张三")
    assert stranger.exit_code == 1 and "agent: '张三' is not one of" in stranger.stderr
    dangling = call(ws_cli, linked_record="CMP-20200101-0001")
    assert dangling.exit_code == 1 and "no case CMP-20200101-0001" in dangling.stderr


def test_callbacks_are_planned_when_cases_close_and_done_by_calling(ws_cli):
    case = ws_cli(
        "record", "complaint", *complaint_args(owner="小李"), "--at", "2026-11-13 09:00", "--format", "json"
    ).json()["id"]
    ws_cli(
        "status", case, "closed", "--at", "2026-11-13 16:00", "--note", "客户撤诉"
    )  # a Friday: 3wd ends at the close of Wed 18 Nov
    due = ws_cli("callbacks", "--date", "2026-11-18", "--format", "json").json()
    assert due["count"] == 1
    item = due["callbacks"][0]
    # overdue as of now (the suite's now is after 18 Nov): the promised instant has passed
    assert (item["agent"], item["id"], item["due"], item["overdue"]) == ("小李", case, "2026-11-18T18:00+08:00", True)
    assert item["phone"] == "138****1234"
    assert ws_cli("callbacks", "--date", "2026-11-17", "--format", "json").json()["count"] == 0
    assert ws_cli("callbacks", "--date", "2026-11-19", "--agent", "小王", "--format", "json").json()["count"] == 0
    done = call(ws_cli, direction="outbound", agent="小李", linked_record=case, at="2026-11-17 10:00")
    assert done.exit_code == 0, done.stderr
    assert ws_cli("callbacks", "--date", "2026-11-19", "--format", "json").json()["count"] == 0
    report = ws_cli("report", "phone", "--format", "json").json()
    li = next(r for r in report["rows"] if r["agent"] == "小李")
    assert (li["callbacks"], li["callbacks_on_time_pct"]) == (1, 100.0)


def test_a_callback_promised_for_ten_is_overdue_at_ten_to_ten_that_evening(ws_cli, monkeypatch):
    """Instants, not dates: a callback due earlier the same day is overdue."""
    made = ws_cli("--no-input", "record", "callback", "--set", "customer=张伟", "--set", "phone=13812341234",
                  "--set", "agent=小李", "--set", "purpose=requested", "--set", "promised_at=2026-11-24 10:00",
                  "--at", "2026-11-24 08:00", "--format", "json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    for now, overdue in (("2026-11-24T09:59:00+08:00", False), ("2026-11-24T21:50:00+08:00", True)):
        monkeypatch.setenv("CSTOOL_TEST_NOW", now)
        listed = ws_cli("callbacks", "--date", "2026-11-24", "--format", "json").json()
        assert [item["overdue"] for item in listed["callbacks"]] == [overdue], now


def test_report_by_agent_counts_only_the_callbacks_due_in_its_period(ws_cli):
    case = ws_cli(
        "record", "complaint", *complaint_args(owner="小李"), "--at", "2026-11-13 09:00", "--format", "json"
    ).json()["id"]
    closed = ws_cli("status", case, "closed", "--at", "2026-11-13 16:00", "--note", "客户撤诉")
    assert closed.exit_code == 0, closed.stderr  # its callback is due 18 Nov
    for since, until, expected in (("2026-01-01", "2026-01-31", 0), ("2026-11-01", "2026-11-30", 1)):
        report = ws_cli("report", "phone", "--since", since, "--until", until, "--format", "json").json()
        counted = sum(row["callbacks"] for row in report["rows"])
        assert counted == expected, (since, report["rows"])


def test_report_counts_by_the_documented_rules(ws_cli):
    call(ws_cli, queue_seconds="10", talk_seconds="100")  # answered within 20 s
    call(ws_cli, queue_seconds="40", talk_seconds="200", agent="小李")  # answered late
    call(ws_cli, outcome="abandoned", agent="", queue_seconds="30")  # abandoned in queue
    call(ws_cli, outcome="abandoned", agent="", queue_seconds="3")  # short abandon
    call(ws_cli, outcome="abandoned", agent="", queue_seconds="0")  # VRU-only: not offered
    call(ws_cli, outcome="phantom", agent="")  # counted nowhere
    call(ws_cli, direction="outbound", queue_seconds="0", talk_seconds="60")  # outbound: not offered
    totals = ws_cli("report", "phone", "--format", "json").json()["totals"]
    assert (totals["offered"], totals["answered"], totals["abandoned"]) == (4, 2, 2)
    assert totals["service_level_pct"] == round(100 * 1 / (2 + 2 - 1), 2)
    assert (totals["abandonment_pct"], totals["asa_seconds"], totals["aht_seconds"]) == (50.0, 25.0, 150.0)
    for fmt in ("table", "csv", "md"):
        assert ws_cli("report", "phone", "--by", "hour", "--format", fmt).exit_code == 0


def test_the_call_script_is_shown_before_the_prompts(workspace, monkeypatch):
    from conftest import invoke
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from cstool.cli import prompts

    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        # direction (select), number, caller's name, address, outcome (select), agent (select, optional),
        # topic, linked_record, notes, save
        pipe.send_text("\r" + "13800001111\r" + "王先生\r" + "\r" + "\r" + "\x1b[B\r" + "账单查询\r" + "\r\r\r")
        pipe.close()
        result = invoke("--workspace", workspace, "record", "call", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "您好，这里是客户服务部" in result.stderr and "非常理解您的心情" in result.stderr
    assert "师傅未到" in result.stderr and "向技术人员确认" in result.stderr  # the documents' lines for such calls
    assert result.json()["agent"] == "小王" and result.json()["topic"] == "账单查询"


def test_calls_are_stored_one_file_per_day(ws_cli, workspace, tmp_path):
    import json

    first = call(ws_cli, at="2026-10-30 09:00").json()["id"]
    second = call(ws_cli, at="2026-11-16 09:00").json()["id"]
    folder = workspace / "data" / "call"
    october, november = record_file(workspace, first), record_file(workspace, second)
    assert sorted(folder.glob("*.json")) == [october, november]
    assert [r["id"] for r in json.loads(october.read_text(encoding="utf-8"))["call"].values()] == [first]
    before = october.read_bytes()
    assert ws_cli("update", second, "--set", "topic=账单").exit_code == 0
    assert october.read_bytes() == before  # another day is not rewritten
    assert ws_cli("show", first, "--format", "json").json()["id"] == first
    assert ws_cli("list", "call", "--format", "json").json()["count"] == 2
    assert ws_cli("show", "CALL-20260101-0001").exit_code == 1

    rows = "\n".join(f"X{i},2026-{8 + i % 3:02d}-1{i % 9} 10:00:00,answered,inbound" for i in range(30))
    source = tmp_path / "calls.csv"
    source.write_text("external_id,created_at,outcome,direction\n" + rows + "\n", encoding="utf-8")
    once = ws_cli("import", "call", source, "--format", "json").json()
    assert once["imported"] == 30
    twice = ws_cli("import", "call", source, "--format", "json").json()
    assert (twice["imported"], twice["duplicates"]) == (0, 30)
    ids = [r["id"] for r in ws_cli("list", "call", "--format", "json").json()["records"]]
    assert len(ids) == len(set(ids)) == 32
    assert sorted(folder.glob("*.json")) == sorted({record_file(workspace, rid) for rid in ids})
    assert len(list(folder.glob("*.json"))) == len({day_of_id(rid) for rid in ids}) == 11  # nine days, and two


def test_two_processes_logging_calls_keep_every_call(workspace):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cstool",
                "--workspace",
                str(workspace),
                "--no-input",
                "record",
                "call",
                "--set",
                "direction=inbound",
                "--set",
                "outcome=answered",
                "--set",
                f"topic={who}-{i}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(5)
        for who in ("a", "b")
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    topics = [
        r["topic"]
        for p in (workspace / "data" / "call").glob("*.json")
        for r in json.loads(p.read_text(encoding="utf-8"))["call"].values()
    ]
    assert sorted(topics) == sorted(f"{who}-{i}" for i in range(5) for who in ("a", "b"))


def test_a_call_about_a_case_shows_on_the_case(ws_cli):
    case = ws_cli(
        "--no-input", "record", "complaint", *complaint_args(), "--at", "2026-11-16 09:00", "--format", "json"
    ).json()["id"]
    linked = call(ws_cli, direction="outbound", agent="小李", linked_record=case, at="2026-11-17 10:00")
    assert linked.exit_code == 0, linked.stderr
    shown = ws_cli("show", case, "--format", "json").json()
    assert [(h["kind"], h["id"]) for h in shown["history"]] == [("call", linked.json()["id"])]
    assert linked.json()["id"] in ws_cli("show", case).stdout


def planned(ws_cli, due: str, at: str = "2026-11-16 09:00", **fields):
    values = {"customer": "张伟", "phone": "13812341234", "agent": "小王", "purpose": "requested", **fields}
    args = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    return ws_cli(
        "--no-input", "record", "callback", *args, "--set", f"promised_at={due}", "--at", at, "--format", "json"
    )


def test_a_planned_call_is_in_the_plan_escalates_when_late_and_a_linked_call_completes_it(ws_cli):
    cb = planned(ws_cli, "2026-11-16 15:00")
    assert cb.exit_code == 0, cb.stderr
    rid = cb.json()["id"]
    plan = ws_cli("callbacks", "--date", "2026-11-16", "--format", "json").json()["callbacks"]
    assert [(p["id"], p["due"]) for p in plan] == [(rid, "2026-11-16T15:00+08:00")]
    early = ws_cli("escalate", "--dry-run", "--now", "2026-11-16 13:00", "--format", "json").json()["actions"]
    assert early == []  # 4 hours of 6 gone: the first level (0.75) is at 13:30
    late = ws_cli("escalate", "--dry-run", "--now", "2026-11-16 16:00", "--format", "json").json()["actions"]
    assert [(a["clock"], a["level"], a["at"][11:16]) for a in late] == [
        ("promised", "remind", "13:30"),
        ("promised", "supervisor", "15:00"),
    ]
    done = call(ws_cli, direction="outbound", linked_record=rid, at="2026-11-16 14:00")
    assert done.exit_code == 0, done.stderr
    shown = ws_cli("show", rid, "--format", "json").json()
    assert shown["status"] == "done" and shown["resolved_at"].startswith("2026-11-16T14:00")
    assert ws_cli("callbacks", "--date", "2026-11-16", "--format", "json").json()["count"] == 0
    assert ws_cli("escalate", "--dry-run", "--now", "2026-11-16 16:00", "--format", "json").json()["actions"] == []
    clock = next(c for c in ws_cli("sla", rid, "--format", "json").json()["clocks"] if c["name"] == "promised")
    assert clock["state"] == "met"


def test_a_callback_due_before_it_was_asked_for_is_refused(ws_cli):
    refused = planned(ws_cli, "2026-11-16 08:00", at="2026-11-16 09:00")
    assert refused.exit_code == 1 and "due before it was asked for" in refused.stderr
    missing = ws_cli("--no-input", "record", "callback", "--set", "customer=张伟", "--set", "phone=13812341234",
                     "--set", "agent=小王", "--set", "purpose=requested")  # fmt: skip
    assert missing.exit_code == 1 and "promised_at: is required" in missing.stderr


def test_a_message_taken_for_a_colleague_is_passed_on_and_acknowledged(ws_cli):
    taken = ws_cli("--no-input", "record", "phone_message", "--set", "for_person=李主管", "--set", "caller=王先生",
                   "--set", "phone=13900001111", "--set", "message=请回电，关于退款", "--format", "json")  # fmt: skip
    assert taken.exit_code == 0, taken.stderr
    rid = taken.json()["id"]
    assert ws_cli("status", rid, "passed_on").exit_code == 0
    assert ws_cli("--as", "李主管", "status", rid, "acknowledged").exit_code == 0
    trail = ws_cli("show", rid, "--format", "json").json()["events"]
    assert [e.get("to") for e in trail if e["type"] == "status"] == ["passed_on", "acknowledged"]
    assert trail[-1]["by"] == "李主管"


def test_the_earliest_closing_of_a_period_s_callbacks_is_exact_to_the_minute():
    """A month's callback plan reads only the cases closed from the earliest closing whose
    callback can fall due in the month: a closing a minute earlier is due before the month,
    one at it or later is not (3 working days over the National Day holiday, and hours)."""
    from datetime import datetime, timedelta, timezone

    from hypothesis import given, settings, strategies as st

    from cstool.core.clocks import SlaPolicy, parse_target
    from cstool.core.policy import load_policy
    from cstool.core.resources import default_policy_path
    from cstool.plugins.phone import earliest_closing

    calendar = SlaPolicy(load_policy(default_policy_path())).calendars["office"]
    start = datetime(2026, 9, 20, tzinfo=timezone(timedelta(hours=8)))

    @settings(max_examples=60, deadline=None)
    @given(st.integers(0, 60 * 24 * 40), st.sampled_from(["3wd", "1wd", "10wd", "4h", "90m"]))
    def check(offset, within):
        target = parse_target(within)

        def due_of(closed):
            return calendar.add_minutes(closed, target.minutes(calendar, closed))

        due_from = start + timedelta(minutes=offset)
        earliest = earliest_closing(due_of, due_from)
        assert due_of(earliest) < due_from <= due_of(earliest + timedelta(minutes=1))

    check()
