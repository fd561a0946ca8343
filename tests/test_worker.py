"""cstool worker: jobs on their own, one leader per store, SIGTERM, the store going away; real
processes throughout, on both stores."""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import TEST_NOW, _pg_admin
from hypothesis import given, strategies as st

from cstool.core.errors import CstoolError
from cstool.core.timeutil import fixed_now, zone
from cstool.core.worker import MONTHLY, Schedule, WorkerJob, month_before, parse_every, planned

SHANGHAI = zone("Asia/Shanghai")


# ---- the schedule, pure -------------------------------------------------------------------


def test_intervals_are_read_and_a_wrong_one_is_named():
    assert parse_every("90s") == timedelta(seconds=90)
    assert parse_every(" 5m ") == timedelta(minutes=5)
    assert parse_every("1d") == timedelta(days=1)
    assert parse_every("monthly") == MONTHLY and parse_every("OFF") == "off"
    for wrong in ("5 minutes", "", "1w", "5s"):
        with pytest.raises(CstoolError):
            parse_every(wrong)


def test_a_job_runs_at_start_then_each_interval_and_off_or_unneeded_jobs_never():
    jobs = [
        WorkerJob("escalate", ("escalate",), "5m"),
        WorkerJob("mail", ("mail", "fetch"), "1m", needs="mail.inboxes"),
        WorkerJob("purge", ("privacy", "purge"), "1d"),
    ]
    plan = planned(jobs, {"purge": "off"}, lambda key: None)
    assert [job.name for job, _every in plan] == ["escalate"]
    schedule = Schedule(plan)
    now = fixed_now(TEST_NOW)
    assert [j.name for j, _m in schedule.due(100.0, now, SHANGHAI, {})] == ["escalate"]
    schedule.ran(plan[0][0], 100.0, ok=False)  # a failed run waits its interval too
    assert schedule.due(399.0, now, SHANGHAI, {}) == []
    assert schedule.wait(399.0) == 1.0
    assert [j.name for j, _m in schedule.due(400.0, now, SHANGHAI, {})] == ["escalate"]


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31)))
def test_a_monthly_job_covers_the_month_before_once(naive):
    now = naive.replace(tzinfo=SHANGHAI)
    month = month_before(now, SHANGHAI)
    first = now.date().replace(day=1)
    assert month == (first - timedelta(days=1)).strftime("%Y-%m") and month < now.strftime("%Y-%m")
    job = WorkerJob("monthly", ("report", "monthly", "--month", "{month}", "--send"), "monthly")
    schedule = Schedule([(job, MONTHLY)])
    assert schedule.due(0.0, now, SHANGHAI, {}) == [(job, month)]
    assert schedule.due(0.0, now, SHANGHAI, {"monthly": month}) == []


# ---- real workers -----------------------------------------------------------------------


def start_worker(workspace: Path, log: Path, *args: str) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "worker", *args],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, "CSTOOL_USER": "tester"},
    )


def worker_once(workspace: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "worker", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CSTOOL_USER": "tester"},
    )


def wait_for(log: Path, text: str, timeout: float = 60, count: int = 1) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        said = log.read_text(encoding="utf-8") if log.exists() else ""
        if said.count(text) >= count:
            return said
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in the log within {timeout} s:\n{said}")


def set_worker(workspace: Path, **jobs: str) -> None:
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write("\n[worker]\n" + "".join(f'{name} = "{every}"\n' for name, every in jobs.items()))


def outbox_reports(ws_cli) -> list[dict]:
    notices = ws_cli("outbox", "--format", "json").json()["notices"]
    return [n for n in notices if n.get("report")]


def test_two_workers_one_leads_and_the_other_takes_over_at_sigterm(backend, workspace, ws_cli, tmp_path):
    set_worker(workspace, escalate="10s")
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_worker(workspace, first_log)
    try:
        wait_for(first_log, "leading")
        second = start_worker(workspace, second_log)
        try:
            wait_for(second_log, "another worker leads this store")
            wait_for(first_log, "monthly 20")  # its run, not its name in the start line
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=90) == 0
            assert "worker stopped" in first_log.read_text(encoding="utf-8")
            said = wait_for(second_log, "escalate:", timeout=60)
            assert "leading" in said
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=90) == 0
    finally:
        if first.poll() is None:
            first.kill()
    logs = first_log.read_text(encoding="utf-8") + second_log.read_text(encoding="utf-8")
    # last month's report was sent once, by the first leader: the second knew it was done
    assert logs.count("monthly 20") == 1, logs
    assert len(outbox_reports(ws_cli)) == 1


def test_a_worker_outlives_its_database_connection(workspace, ws_cli, tmp_path, pg_url, monkeypatch):
    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    set_worker(workspace, escalate="10s", monthly="off")
    log = tmp_path / "worker.log"
    worker = start_worker(workspace, log)
    try:
        wait_for(log, "escalate:")
        admin = _pg_admin()
        lead_class = 0x637374 + 3
        pids = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND granted", (lead_class,)
        ).fetchall()
        assert pids, "the leader holds no advisory lock"
        for (pid,) in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.close()
        said = wait_for(log, "lost the lead", timeout=60)
        said = wait_for(log, "leading", timeout=60, count=2)
        wait_for(log, "escalate:", timeout=60, count=2)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=90) == 0
    assert "Traceback" not in log.read_text(encoding="utf-8"), said


def test_a_job_that_fails_is_logged_and_the_worker_goes_on(workspace, tmp_path):
    set_worker(workspace, escalate="10s", monthly="off")
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write('\n[mail.inboxes.support]\nlocation = "imap://nobody@127.0.0.1:1/INBOX"\n')
    done = worker_once(workspace)
    assert done.returncode == 0, done.stderr
    assert "mail: failed" in done.stdout and "cannot connect" in done.stdout
    assert "escalate: 0 escalated" in done.stdout and "worker stopped" in done.stdout


def test_after_a_policy_change_the_worker_judges_the_clocks_again_before_anyone_asks(workspace, ws_cli):
    import json

    from conftest import complaint_args

    made = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-16 09:00", "--format", "json")
    assert made.exit_code == 0, made.stderr
    cache = workspace / ".cache" / "clocks-complaint.json"
    assert ws_cli("report", "sla").exit_code == 0 and made.json()["id"] in json.loads(cache.read_text())["entries"]
    before = json.loads(cache.read_text())["fingerprint"]
    assert ws_cli("policy", "set", "sla.complaint.normal.first_response", "2h").exit_code == 0
    set_worker(workspace, escalate="off", monthly="off", deliverables="off")
    done = worker_once(workspace)
    assert done.returncode == 0, done.stderr
    assert "clocks: 3 clocks judged and remembered" in done.stdout  # dispatch (by phone), first response, resolution
    remembered = json.loads(cache.read_text())
    # judged again under the new policy, ready for the next reader
    assert remembered["fingerprint"] != before and made.json()["id"] in remembered["entries"]


def test_a_policy_change_makes_the_jobs_that_keep_what_it_decides_due_at_once():
    jobs = [
        WorkerJob("clocks", ("report", "sla"), "1h", on_policy_change=True),
        WorkerJob("escalate", ("escalate",), "5m"),
    ]
    schedule = Schedule(planned(jobs, {}, lambda key: None))
    now = fixed_now(TEST_NOW)
    for job, _every in schedule.plan:
        schedule.ran(job, 100.0, ok=True)
    assert schedule.due(200.0, now, SHANGHAI, {}) == []
    assert schedule.policy_changed() == ["clocks"]
    assert [job.name for job, _month in schedule.due(200.0, now, SHANGHAI, {})] == ["clocks"]


def test_a_running_worker_judges_the_clocks_again_soon_after_a_desk_changes_the_policy(
    backend, workspace, ws_cli, tmp_path
):
    from conftest import complaint_args

    assert ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-16 09:00").exit_code == 0
    set_worker(workspace, escalate="10s", clocks="1d", monthly="off", deliverables="off")
    log = tmp_path / "worker.log"
    worker = start_worker(workspace, log)
    try:
        wait_for(log, "clocks: ")
        wait_for(log, "escalate: ")  # a whole round done: the policy it started with was looked at
        assert ws_cli("policy", "set", "sla.complaint.normal.first_response", "2h").exit_code == 0
        said = wait_for(log, "clocks: ", timeout=60, count=2)  # not a day later
        assert "the policy changed: clocks run again now" in said
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=90) == 0


def test_a_wrong_interval_is_refused_before_anything_runs(workspace, ws_cli):
    set_worker(workspace, escalate="5 minutes")
    result = ws_cli("worker", "--once")
    assert result.exit_code == 1
    assert "worker.escalate" in result.stderr and "not an interval" in result.stderr


def test_the_worker_files_mail_and_acknowledges_it_on_its_own(smtp_server, workspace, ws_cli, tmp_path):
    # a Maildir inbox: its messages arrive when the test says (an IMAP server keeps no date ahead of its clock)
    from test_customer_mail import NOTICES, arrive, sent
    from test_mail import message

    inbox = tmp_path / "inbox"
    mailbox.Maildir(inbox, create=True).close()
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(f'\n[mail.inboxes.support]\nlocation = "maildir://{inbox}"\n')
        policy.write(
            NOTICES + f'\n[notify.smtp]\nhost = "127.0.0.1"\nport = {smtp_server[0]}\nsender = "kefu@x.example"\n'
        )
    set_worker(workspace, monthly="off")
    arrive(inbox, message("Broken fridge", "It does not cool.", message_id="<w1@x>"))
    done = worker_once(workspace)
    assert done.returncode == 0, done.stderr
    assert "mail: 1 new cases, 0 replies" in done.stdout
    assert "notices: 1 notices sent, 0 dropped, 0 failed" in done.stdout
    assert [letter["To"] for letter in sent(smtp_server[1])] == ["zhang.san@example.cn"]
    assert ws_cli("list", "complaint", "--format", "json").json()["count"] == 1
