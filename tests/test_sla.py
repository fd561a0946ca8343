"""SLA clocks, escalation and notices, against SPEC sections 6 and 7.

The office calendar is Mon-Fri 09:00-12:00, 13:30-18:00 (450 minutes a day) in
Asia/Shanghai, with the 2026 public holidays; 2026-11-16 is a Monday. Every instant is
in the past (--at refuses the future). Expected figures are worked out by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import complaint_args, data_snapshot


def make(ws_cli, at, **fields):
    # by letter: a phone complaint has a dispatch standard too (test_procedures.py); these are about the priority's
    fields.setdefault("channel", "letter")
    result = ws_cli("record", "complaint", *complaint_args(**fields), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def clocks(ws_cli, rid, now):
    result = ws_cli("sla", rid, "--now", now, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {c["name"]: c for c in result.json()["clocks"]}, result.json()


def test_created_outside_hours_starts_at_the_next_opening(ws_cli):
    rid = make(ws_cli, "2026-11-14 10:00")  # a Saturday
    found, whole = clocks(ws_cli, rid, "2026-11-16 10:00")
    assert whole["calendar"] == "office" and whole["now"] == "2026-11-16T10:00:00+08:00"
    first = found["first_response"]
    assert first["started_at"] == "2026-11-16T09:00:00+08:00"
    assert (first["target"], first["target_minutes"], first["elapsed_minutes"]) == ("4h", 240, 60)
    assert first["due_at"] == "2026-11-16T14:30:00+08:00"  # 3h before lunch, 1h after
    assert first["state"] == "running" and first["level"] is None and first["breached_at"] is None
    assert any("outside open hours" in line for line in whole["explain"])


def test_first_response_stops_at_the_first_response(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00")
    ws_cli("respond", rid, "--at", "2026-11-16 11:00")
    ws_cli("respond", rid, "--at", "2026-11-16 15:00")
    first = clocks(ws_cli, rid, "2026-11-17 10:00")[0]["first_response"]
    assert first["stopped_at"] == "2026-11-16T11:00:00+08:00"
    assert (first["elapsed_minutes"], first["state"]) == (120, "met")


def test_first_response_stops_when_resolved_before_any_response(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00")
    ws_cli("status", rid, "closed", "--at", "2026-11-16 17:00", "--note", "客户撤诉")
    first = clocks(ws_cli, rid, "2026-11-17 10:00")[0]["first_response"]
    assert first["stopped_at"] == "2026-11-16T17:00:00+08:00"
    assert (first["elapsed_minutes"], first["state"]) == (390, "breached")
    assert first["breached_at"] == "2026-11-16T14:30:00+08:00"


def test_pending_pauses_resolution_and_resolved_before_reopen_does_not_count(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00", severity="critical")  # urgent: resolution 4h
    ws_cli("status", rid, "awaiting_customer", "--at", "2026-11-16 10:00")
    ws_cli("status", rid, "investigating", "--at", "2026-11-16 14:00")  # paused 10:00-14:00: 150 business min
    ws_cli("status", rid, "responded", "--at", "2026-11-16 15:00")
    ws_cli("status", rid, "reopened", "--at", "2026-11-17 09:30")  # resolved span 15:00-09:30 not counted
    ws_cli("status", rid, "responded", "--at", "2026-11-17 10:30")
    resolution = clocks(ws_cli, rid, "2026-11-18 09:00")[0]["resolution"]
    assert resolution["target"] == "4h"
    assert resolution["stopped_at"] == "2026-11-17T10:30:00+08:00"
    # counted: 09:00-10:00 (60) + 14:00-15:00 (60) + 09:30-10:30 (60)
    assert (resolution["elapsed_minutes"], resolution["state"]) == (180, "met")
    assert resolution["paused_minutes"] == 150 + 210  # pending 10-14, and resolved 15:00-18:00 + 09:00-09:30


def test_an_open_pause_is_taken_to_end_now_for_the_due_time(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00", severity="critical")
    ws_cli("status", rid, "awaiting_customer", "--at", "2026-11-16 10:00")
    resolution = clocks(ws_cli, rid, "2026-11-16 16:00")[0]["resolution"]
    assert (resolution["elapsed_minutes"], resolution["paused_minutes"]) == (60, 120 + 150)
    assert resolution["due_at"] == "2026-11-17T10:00:00+08:00"  # 180 minutes left from 16:00: 120 today, 60 tomorrow


def test_warning_after_a_level_below_one(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00")
    first = clocks(ws_cli, rid, "2026-11-16 13:45")[0]["first_response"]  # 195 of 240 > 0.75 x 240
    assert (first["state"], first["level"]) == ("warning", "remind")


def test_working_day_target_and_reading_as_of_now(ws_cli):
    rid = make(ws_cli, "2026-09-30 17:00")  # Wednesday before the national-day holiday (1-7 Oct)
    ws_cli("status", rid, "responded", "--at", "2026-10-09 10:00")
    before = clocks(ws_cli, rid, "2026-10-08 10:00")[0]["resolution"]
    # 3wd after 30 Sep: Oct 8 (Thu), Oct 9 (Fri), Oct 10 (the make-up Saturday) -> due Oct 10 18:00
    assert before["due_at"] == "2026-10-10T18:00:00+08:00" and before["stopped_at"] is None
    assert before["target_minutes"] == 60 + 3 * 450
    after = clocks(ws_cli, rid, "2026-10-13 10:00")[0]["resolution"]
    assert after["stopped_at"] == "2026-10-09T10:00:00+08:00" and after["state"] == "met"
    assert after["elapsed_minutes"] == 60 + 450 + 60


def test_no_priority_uses_the_default_and_no_target_means_no_clock(ws_cli, workspace):
    rid = make(ws_cli, "2026-11-16 09:00")
    assert ws_cli("show", rid, "--format", "json").json()["priority"] is None
    assert clocks(ws_cli, rid, "2026-11-16 10:00")[0]["first_response"]["target"] == "4h"  # normal
    ws_cli("update", rid, "--set", "priority=low")
    assert ws_cli("policy", "set", "sla.complaint.low", '{ resolution = "5wd" }').exit_code == 0
    assert set(clocks(ws_cli, rid, "2026-11-16 10:00")[0]) == {"resolution"}


def test_a_policy_change_retimes_clocks_but_keeps_escalations(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00")
    ws_cli("escalate", "--now", "2026-11-16 16:00")
    assert clocks(ws_cli, rid, "2026-11-16 16:00")[0]["first_response"]["state"] == "breached"
    assert ws_cli("policy", "set", "sla.complaint.normal.first_response", "1wd").exit_code == 0
    first = clocks(ws_cli, rid, "2026-11-16 16:00")[0]["first_response"]
    assert (first["target"], first["state"]) == ("1wd", "running")
    events = ws_cli("show", rid, "--format", "json").json()["events"]
    assert [(e["clock"], e["level"]) for e in events if e["type"] == "escalated"] == [
        ("first_response", "remind"),
        ("first_response", "supervisor"),
    ]


def test_escalate_fires_each_level_once_with_recipients(ws_cli, workspace):
    rid = make(ws_cli, "2026-11-16 09:00")
    first = ws_cli("escalate", "--now", "2026-11-16 13:45", "--format", "json").json()
    assert first["now"] == "2026-11-16T13:45:00+08:00"
    assert first["actions"] == [
        {
            "id": rid,
            "clock": "first_response",
            "level": "remind",
            "notify": ["owner"],
            "recipients": ["tester"],
            "at": "2026-11-16T12:00:00+08:00",
        }
    ]  # 180 of 240 reached at 12:00
    assert ws_cli("escalate", "--now", "2026-11-16 13:45", "--format", "json").json()["actions"] == []
    later = ws_cli("escalate", "--now", "2026-11-19 10:00", "--format", "json").json()["actions"]
    assert [(a["clock"], a["level"]) for a in later] == [
        ("first_response", "supervisor"),
        ("first_response", "manager"),
        ("resolution", "remind"),
    ]
    assert later[0]["recipients"] == ["tester", "李主管"] and later[1]["recipients"] == ["王经理"]
    lines = (workspace / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["level"] for line in lines] == ["remind", "supervisor", "manager", "remind"]


def test_stopped_clocks_do_not_escalate_and_dry_run_writes_nothing(ws_cli, workspace):
    rid = make(ws_cli, "2026-11-16 09:00")
    ws_cli("respond", rid, "--at", "2026-11-16 09:30")
    before = data_snapshot(workspace)
    dry = ws_cli("escalate", "--now", "2026-11-20 10:00", "--dry-run", "--format", "json").json()
    assert [(a["clock"], a["level"]) for a in dry["actions"]] == [
        ("resolution", "remind"),
        ("resolution", "supervisor"),
    ]
    assert data_snapshot(workspace) == before and not (workspace / "outbox.jsonl").exists()


def test_bad_now_is_a_usage_error(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00")
    for args in (
        ["sla", rid, "--now", "soonish"],
        ["escalate", "--now", "2026-11-31"],
        ["report", "sla", "--now", "x"],
    ):
        result = ws_cli(*args)
        assert result.exit_code == 2 and "--now" in result.stderr


def test_notices_wait_for_the_notify_calendar(ws_cli, workspace):
    assert ws_cli("policy", "set", "notify.calendar", "office").exit_code == 0
    make(ws_cli, "2026-11-16 09:00")
    night = ws_cli("escalate", "--now", "2026-11-16 20:00", "--format", "json").json()
    assert len(night["actions"]) == 2 and (night["delivered"], night["held"]) == (0, 2)
    assert not (workspace / "outbox.jsonl").exists()
    morning = ws_cli("escalate", "--now", "2026-11-17 09:05", "--format", "json").json()
    assert morning["delivered"] == 2 and morning["held"] == 0
    assert len((workspace / "outbox.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_a_failing_notifier_is_named_and_the_others_still_run(ws_cli, workspace):
    (workspace / "plugins" / "pager.py").write_text(
        "from cstool.api import hookimpl\n\n@hookimpl\ndef cstool_notify(actions):\n    raise ConnectionError('pager down')\n",
        encoding="utf-8",
    )
    make(ws_cli, "2026-11-16 09:00")
    result = ws_cli("escalate", "--now", "2026-11-16 13:45")
    assert result.exit_code == 0 and "notifier 'pager' failed: ConnectionError: pager down" in result.stderr
    assert (workspace / "outbox.jsonl").exists()


def test_smtp_notifier_sends_to_a_real_server(ws_cli, workspace, smtp_server):
    import mailbox as mailboxes

    port, box = smtp_server
    policy = workspace / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8")
        + (
            f'\n[notify.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "cstool@example.com"\n'
            '[notify.smtp.addresses]\n"李主管" = "li@example.com"\n"王经理" = "wang@example.com"\n'
        ),
        encoding="utf-8",
    )
    assert ws_cli("policy", "check").exit_code == 0
    rid = make(ws_cli, "2026-11-16 09:00")
    result = ws_cli("escalate", "--now", "2026-11-19 10:00")
    assert result.exit_code == 0, result.stderr
    messages = list(mailboxes.Maildir(box))
    assert sorted(m["To"] for m in messages) == ["li@example.com", "wang@example.com"]
    assert all(rid in m["Subject"] for m in messages)
    supervisor = next(m for m in messages if m["To"] == "li@example.com")
    assert "Supervisor" in supervisor.get_payload(decode=True).decode()  # the level by its name


def test_report_sla_figures_and_keys(ws_cli):
    a = make(ws_cli, "2026-11-16 09:00")
    ws_cli("respond", a, "--at", "2026-11-16 10:00")  # met in 60
    b = make(ws_cli, "2026-11-16 09:00", channel="web")
    ws_cli("respond", b, "--at", "2026-11-16 16:00")  # breached: 180 + 150 = 330
    make(ws_cli, "2026-11-16 09:00", channel="email")  # running, breached by now
    make(ws_cli, "2026-11-16 16:00", channel="email")  # running, not breached
    report = ws_cli("report", "sla", "--now", "2026-11-16 17:00", "--format", "json").json()
    assert report["report"] == "sla" and report["columns"][:3] == ["kind", "clock", "count"]
    first = report["totals"]["first_response"]
    assert (first["count"], first["met"], first["breached"], first["running"]) == (4, 1, 2, 1)
    assert first["compliance_pct"] == pytest.approx(33.33)
    assert (first["mean_minutes"], first["median_minutes"], first["p90_minutes"]) == (195, 195, 330)
    by_owner = ws_cli("report", "sla", "--by", "owner", "--now", "2026-11-16 17:00", "--format", "json").json()
    assert {r["owner"] for r in by_owner["rows"]} == {"tester"}
    assert ws_cli("report", "sla", "--by", "colour").exit_code == 2


@pytest.mark.parametrize(
    "old,new,message",
    [
        (
            'mon = "09:00-12:00,13:30-18:00"',
            'mon = "18:00-09:00"',
            "calendars.office.hours.mon: '18:00-09:00' ends before it starts",
        ),
        (
            'tue = "09:00-12:00,13:30-18:00"',
            'tuesday = "09:00-12:00"',
            "calendars.office.hours.tuesday: unknown weekday",
        ),
        (
            'urgent = { first_response = "30m", resolution = "4h" }',
            'urgent = { first_response = "3x", resolution = "4h" }',
            "sla.complaint.urgent.first_response: '3x' is not a target",
        ),
        (
            'high   = { first_response = "2h",  resolution = "1wd" }',
            'high   = { first_response = "2h",  resolution = "1wd", calendar = "night_shift" }',
            "sla.complaint.high.calendar: names a missing calendar 'night_shift'",
        ),
        ("at = 0.75", "at = -1", "escalation.levels[0].at: must be a number above 0"),
    ],
)
def test_bad_calendar_and_sla_policy_names_the_line(ws_cli, workspace, old, new, message):
    path = workspace / "policy.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = next(
        i + 1 for i, text in enumerate(path.read_text(encoding="utf-8").splitlines()) if text.strip() == new.strip()
    )
    result = ws_cli("policy", "check")
    assert result.exit_code == 1
    assert f"policy.toml:{line}: {message}" in result.stderr, result.stderr


WRITER = """
import sys
from cstool.cli import main
main(["--workspace", sys.argv[1], "escalate", "--now", "2026-11-19 10:00"])
"""


def test_two_escalate_processes_fire_each_level_once(ws_cli, workspace, tmp_path, backend):
    ids = [make(ws_cli, f"2026-11-16 {hour:02d}:00") for hour in range(9, 12)]
    script = tmp_path / "escalate.py"
    script.write_text(WRITER, encoding="utf-8")
    env = {**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(workspace)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    for proc in procs:
        proc.wait(timeout=120)
    assert all(proc.returncode == 0 for proc in procs), [proc.stderr.read() for proc in procs]
    records = ws_cli("list", "complaint", "--format", "json").json()["records"]
    assert sorted(r["id"] for r in records) == sorted(ids)
    for record in records:
        fired = [(e["clock"], e["level"]) for e in record["events"] if e["type"] == "escalated"]
        assert len(fired) == len(set(fired)) == 4, fired
    sent = [(n["id"], n["clock"], n["level"]) for n in ws_cli("outbox", "--format", "json").json()["notices"]]
    assert len(sent) == len(set(sent)) == 12  # each notice once in the store's outbox, whichever desk sent it


def _outbox(workspace):
    path = workspace / "outbox.jsonl"
    return path.read_bytes().decode("utf-8").splitlines() if path.exists() else []


def test_a_full_disk_while_notices_go_out_loses_none(ws_cli, workspace, monkeypatch):
    for hour in (9, 10, 11):
        make(ws_cli, f"2026-11-16 {hour:02d}:00", severity="critical")
    real_write, written = os.write, []

    def disk_fills_up(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("outbox.jsonl"):
            if written:  # the first notices fit; then half a line, and the disk is full
                real_write(fd, bytes(data)[: len(data) // 2])
                raise OSError(28, "No space left on device")
            written.append(len(data))
            data = bytes(data)[: bytes(data).index(b"\n") + 1]
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", disk_fills_up)
    first = ws_cli("escalate", "--now", "2026-11-17 10:00", "--format", "json")
    monkeypatch.setattr(os, "write", real_write)
    assert "No space left on device" in first.stderr
    fired = {(a["id"], a["clock"], a["level"]) for a in first.json()["actions"]}
    assert len(fired) >= 6
    again = ws_cli("escalate", "--now", "2026-11-17 10:00", "--format", "json").json()
    assert again["actions"] == [] and again["delivered"] >= 1  # nothing new fires; what was held goes out
    lines = _outbox(workspace)
    delivered = [json.loads(line) for line in lines]  # every line whole: the torn one was cut off
    assert {(n["id"], n["clock"], n["level"]) for n in delivered} == fired
    assert len(delivered) == len(fired)  # each once
    assert (
        not (workspace / "notices-pending.json").exists()
        or json.loads((workspace / "notices-pending.json").read_text()) == []
    )


def test_notices_that_cannot_be_kept_leave_their_levels_unfired(ws_cli, workspace, monkeypatch):
    from cstool.core.errors import StoreError
    from cstool.stores.folder import FileState

    make(ws_cli, "2026-11-16 09:00", severity="critical")
    before = data_snapshot(workspace)

    def full(state, pending):
        raise StoreError(f"{state.path}: cannot write (No space left on device); the previous file is intact")

    monkeypatch.setattr(FileState, "save", full)
    refused = ws_cli("escalate", "--now", "2026-11-17 10:00")
    assert refused.exit_code == 1 and "No space left on device" in refused.stderr
    monkeypatch.undo()
    assert data_snapshot(workspace) == before  # no escalated event without its kept notice
    assert ws_cli("escalate", "--now", "2026-11-17 10:00", "--format", "json").json()["actions"]


def test_closing_without_a_reply_needs_a_reason_and_is_counted_apart(ws_cli, workspace):
    lazy = make(ws_cli, "2026-11-16 09:00")
    before = data_snapshot(workspace)
    refused = ws_cli("status", lazy, "closed", "--at", "2026-11-16 10:00")
    assert refused.exit_code == 1 and "--note" in refused.stderr and data_snapshot(workspace) == before
    closed = ws_cli(
        "status", lazy, "closed", "--at", "2026-11-16 10:00", "--note", "客户电话中已撤诉", "--format", "json"
    )
    assert closed.exit_code == 0, closed.stderr
    assert closed.json()["events"][-1]["closed_without_reply"] is True
    answered = make(ws_cli, "2026-11-16 09:00")
    ws_cli("respond", answered, "--at", "2026-11-16 09:30")
    assert ws_cli("status", answered, "closed", "--at", "2026-11-16 11:00").exit_code == 0  # replied: no reason needed
    first = ws_cli("report", "sla", "--format", "json").json()["totals"]["first_response"]
    assert first["closed_without_reply"] == 1 and first["count"] == 2
    assert ws_cli("report", "complaint-resolution", "--format", "json").json()["totals"]["closed_without_reply"] == 1


def test_escalating_into_the_future_is_only_a_dry_run(ws_cli, workspace):
    make(ws_cli, "2026-11-16 09:00", severity="critical")
    before = data_snapshot(workspace)
    refused = ws_cli("escalate", "--now", "now+30d")
    assert refused.exit_code == 2 and "--dry-run" in refused.stderr
    assert data_snapshot(workspace) == before and not (workspace / "outbox.jsonl").exists()
    assert ws_cli("escalate", "--now", "now+30d", "--dry-run", "--format", "json").json()["actions"]
    assert ws_cli("report", "sla", "--now", "now+30d").exit_code == 0  # reading ahead is fine


def test_a_clock_set_back_never_refuses_a_change_and_keeps_the_trail_in_order(ws_cli, workspace, monkeypatch):
    rid = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]  # at the suite's now
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2026-12-01T09:00:00+08:00")  # the desk's clock, an hour behind
    for args in (
        ["respond", rid, "--note", "已联系"],
        ["update", rid, "--set", "remedy=退款"],
        ["assign", rid, "小李"],
    ):
        done = ws_cli(*args)
        assert done.exit_code == 0, (args, done.stderr)
        assert "the clock reads" in done.stderr
    events = ws_cli("show", rid, "--format", "json").json()["events"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_a_record_created_in_the_future_is_refused(ws_cli, workspace):
    before = data_snapshot(workspace)
    for value in ("now+2d", "2099-01-01"):
        result = ws_cli("record", "complaint", *complaint_args(created_at=value))
        assert result.exit_code == 1 and "is in the future" in result.stderr, result.stderr
    assert data_snapshot(workspace) == before


def test_the_promise_of_the_source_system_is_a_clock_of_its_own(ws_cli):
    kept = ws_cli(
        "record",
        "complaint",
        *complaint_args(promised_at="2026-11-18 12:00"),
        "--at",
        "2026-11-16 09:00",
        "--format",
        "json",
    ).json()["id"]
    ws_cli("respond", kept, "--at", "2026-11-16 10:00")
    assert ws_cli("status", kept, "closed", "--at", "2026-11-17 09:00").exit_code == 0
    late = ws_cli(
        "record",
        "complaint",
        *complaint_args(promised_at="2026-11-17 12:00"),
        "--at",
        "2026-11-16 09:00",
        "--format",
        "json",
    ).json()["id"]
    clocks = {c["name"]: c for c in ws_cli("sla", kept, "--format", "json").json()["clocks"]}
    promised = clocks["promised"]
    assert (promised["state"], promised["due_at"], promised["stopped_at"]) == (
        "met",
        "2026-11-18T12:00:00+08:00",
        "2026-11-17T09:00:00+08:00",
    )
    assert promised["elapsed_minutes"] == 24 * 60  # real minutes: the promise is the source's, not a calendar's
    assert {c["name"]: c for c in ws_cli("sla", late, "--format", "json").json()["clocks"]}["promised"][
        "state"
    ] == "breached"
    totals = ws_cli("report", "sla", "--format", "json").json()["totals"]["promised"]
    assert (totals["met"], totals["breached"]) == (1, 1)


def test_smaller_figures_a_supervisor_trusts(ws_cli, workspace):
    """A period that ends before it starts, an owner in no department, breached cases still
    open counted apart, and outbox lines a person can read."""
    reversed_period = ws_cli("report", "complaints", "--since", "2026-12-01", "--until", "2026-11-01")
    assert reversed_period.exit_code == 2 and "the period is empty" in reversed_period.stderr
    rid = make(ws_cli, "2026-11-16 09:00", severity="critical")
    nobody = ws_cli("assign", rid, "路人甲")
    assert nobody.exit_code == 1 and "in no department" in nobody.stderr
    totals = ws_cli("report", "sla", "--format", "json").json()["totals"]["resolution"]
    assert totals["breached"] == 1 and totals["breached_open"] == 1
    ws_cli("escalate", "--now", "2026-11-17 10:00")
    line = json.loads((workspace / "outbox.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert rid in line["message"] and "Reminder" in line["message"]  # the level by its name (the id in "level")
