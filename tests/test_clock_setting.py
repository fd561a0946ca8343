""" "Now" for the whole program: under the tests CSTOOL_TEST_NOW fixes it, in every process they
start through `python -m cstool.testing`; the shipped command never reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import orjson
from conftest import complaint_args, run_process

from cstool.core.timeutil import now_in


def test_without_the_setting_now_is_the_real_clock(monkeypatch):
    monkeypatch.delenv("CSTOOL_TEST_NOW")
    before = datetime.now(UTC).replace(microsecond=0)
    assert before <= now_in(UTC) <= datetime.now(UTC)


def test_the_setting_is_read_in_its_own_offset_or_in_utc(monkeypatch):
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2027-01-01T00:30:00+08:00")
    assert now_in(UTC) == datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2028-02-29 12:00")
    assert now_in(timezone(timedelta(hours=8))).isoformat() == "2028-02-29T20:00:00+08:00"


def test_a_new_record_takes_the_fixed_now_in_a_real_process(workspace):
    done = run_process(
        "--workspace",
        workspace,
        "record",
        "complaint",
        *complaint_args(),
        "--format",
        "json",
        env={"CSTOOL_TEST_NOW": "2028-02-29T09:30:00+08:00"},
    )
    assert done.returncode == 0, done.stderr
    assert '"created_at": "2028-02-29T09:30:00+08:00"' in done.stdout and "CMP-20280229-0001" in done.stdout


def test_a_wrong_setting_is_refused_by_name(workspace):
    done = run_process(
        "--workspace", workspace, "record", "complaint", *complaint_args(), env={"CSTOOL_TEST_NOW": "tomorrow"}
    )
    assert (
        done.returncode == 1
        and "CSTOOL_TEST_NOW='tomorrow' is not an instant" in done.stderr
        and "Traceback" not in done.stderr
    )


def test_the_shipped_command_ignores_the_test_clock_and_says_so(workspace):
    for variable in ("CSTOOL_TEST_NOW", "CSTOOL_NOW"):
        before = datetime.now(UTC).replace(microsecond=0)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "cstool",
                "--workspace",
                str(workspace),
                "record",
                "complaint",
                *complaint_args(),
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            env={**{k: v for k, v in os.environ.items() if "NOW" not in k}, variable: "2028-02-29T09:30:00+08:00"},
        )
        assert done.returncode == 0, done.stderr
        assert f"{variable} is set but ignored" in done.stderr
        created = datetime.fromisoformat(orjson.loads(done.stdout)["created_at"])
        assert before <= created <= datetime.now(UTC), created
