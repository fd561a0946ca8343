"""Clocks remembered between commands (core/clockcache.py) are never stale.

The pure part is a property: what ``settle`` keeps, resumed at any later instant, is the
clock ``record_clocks`` computes from scratch. The rest runs cstool: a change through
cstool, by hand, or to the policy is seen at once; an instant before the latest event
is computed, not remembered; a damaged or unwritable cache costs time, never an answer.
"""

from __future__ import annotations

import json
import os
import zlib
from datetime import datetime, timedelta, timezone

import orjson
from conftest import complaint_args, data_snapshot, record_file
from hypothesis import given, settings, strategies as st

from cstool.core.clocks import SlaPolicy, record_clocks, resume, settle
from cstool.core.policy import load_policy
from cstool.core.resources import default_policy_path
from cstool.plugins.complaints import COMPLAINT

PHASES = {s.name: s.phase for s in COMPLAINT.statuses}
INITIAL = COMPLAINT.initial_status.name
SLA = SlaPolicy(load_policy(default_policy_path()))
CST = timezone(timedelta(hours=8))
START = datetime(2026, 9, 25, 8, 0, tzinfo=CST)  # the National Day holiday and its make-up days are inside
DETAILS = ("figures", "due", "instants")

minutes = st.integers(min_value=0, max_value=60 * 24 * 40)
events = st.lists(st.tuples(minutes, st.sampled_from(["response", *PHASES]), st.booleans()), max_size=6)


def record_of(created: int, priority: str, steps) -> dict:
    def at(offset):
        return (START + timedelta(minutes=offset)).isoformat()

    history = [{"at": at(created), "type": "created"}]
    for offset, what, unknown in steps:
        when = at(created + offset)
        history.append(
            {"at": when, "type": "response"}
            if what == "response"
            else {"at": when, "type": "status", "to": what, **({"at_unknown": True} if unknown else {})}
        )
    return {
        "id": "CMP-1",
        "kind": "complaint",
        "priority": priority,
        "created_at": at(created),
        "status": INITIAL,
        "events": history,
    }


@settings(max_examples=300, deadline=None)
@given(
    created=minutes,
    priority=st.sampled_from(["urgent", "high", "normal"]),
    steps=events,
    later=st.lists(minutes, min_size=2, max_size=2),
    rank=st.integers(0, 2),
    asked=st.integers(0, 2),
)
def test_resumed_clocks_are_the_clocks_computed_afresh(created, priority, steps, later, rank, asked):
    record = record_of(created, priority, steps)
    latest = max(datetime.fromisoformat(e["at"]) for e in record["events"])
    first, second = (latest + timedelta(minutes=m) for m in sorted(later))
    detail = DETAILS[max(rank, asked)]
    _, clocks, settled = settle(record, PHASES, INITIAL, SLA, first, detail)
    assert clocks == record_clocks(record, PHASES, INITIAL, SLA, first, detail)[1]
    if settled is None:  # only while a pause is open
        assert any(PHASES.get(e.get("to")) == "pending" for e in record["events"])
        return
    settled = orjson.loads(orjson.dumps(settled))  # as it comes back from the file
    assert resume(record, SLA, settled, second, DETAILS[asked]) == record_clocks(
        record, PHASES, INITIAL, SLA, second, DETAILS[asked]
    )


def test_nothing_is_kept_while_an_event_lies_ahead_of_now():
    record = record_of(0, "normal", [(600, "closed", False)])
    before_close = START + timedelta(minutes=300)
    assert settle(record, PHASES, INITIAL, SLA, before_close, "figures")[2] is None
    assert settle(record, PHASES, INITIAL, SLA, before_close + timedelta(days=1), "figures")[2] is not None


# ---- through cstool ----------------------------------------------------------------

NOW = "2026-11-20 10:00"


def sla_rows(ws_cli, now=NOW):
    result = ws_cli("report", "sla", "--now", now, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["totals"]


def make(ws_cli, at, **fields):
    fields.setdefault("channel", "letter")  # one clock fewer than by phone (its dispatch standard)
    result = ws_cli("record", "complaint", *complaint_args(**fields), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def cache_file(workspace):
    return workspace / ".cache" / "clocks-complaint.json"


def test_a_report_keeps_its_clocks_owner_only_and_uses_them_next_time(ws_cli, workspace):
    rid = make(ws_cli, "2026-11-16 09:00", priority="normal")
    ws_cli("respond", rid, "--at", "2026-11-16 10:00")
    first = sla_rows(ws_cli)
    path = cache_file(workspace)
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert sla_rows(ws_cli) == first
    # Proof the entry is read: altered in place (its checksum still matching), it is what the report says.
    stored = json.loads(path.read_text())
    entry = stored["entries"][rid]
    first_response = entry[2][1][0]
    assert first_response[1] == 60  # elapsed minutes, stopped clock
    first_response[1] = 61
    path.write_text(json.dumps(stored))
    assert sla_rows(ws_cli)["first_response"]["mean_minutes"] == 61


def test_changes_through_cstool_by_hand_and_to_the_policy_are_seen_at_once(ws_cli, workspace):
    rid = make(ws_cli, "2026-11-16 09:00", priority="normal")
    ws_cli("respond", rid, "--at", "2026-11-16 10:00")
    assert sla_rows(ws_cli)["first_response"]["mean_minutes"] == 60

    assert (
        ws_cli("respond", make(ws_cli, "2026-11-16 09:00", priority="normal"), "--at", "2026-11-16 11:00").exit_code
        == 0
    )
    assert sla_rows(ws_cli)["first_response"]["mean_minutes"] == 90  # a second record, 120 minutes

    path = record_file(workspace, rid)
    stored = json.loads(path.read_text())
    record = next(r for r in stored["complaint"].values() if r["id"] == rid)
    response = next(e for e in record["events"] if e["type"] == "response")
    response["at"] = "2026-11-16T09:30:00+08:00"  # a hand edit that leaves updated_at alone
    path.write_text(json.dumps(stored, ensure_ascii=False))
    assert sla_rows(ws_cli)["first_response"]["mean_minutes"] == 75

    assert ws_cli("policy", "set", "sla.complaint.normal.first_response", '"1h"').exit_code == 0
    totals = sla_rows(ws_cli)["first_response"]
    assert (totals["met"], totals["breached"]) == (1, 1)  # 30 minutes met, 120 breached under 1h


def test_an_instant_before_the_latest_event_is_computed_not_remembered(ws_cli):
    rid = make(ws_cli, "2026-11-16 09:00", priority="normal")
    ws_cli("status", rid, "closed", "--at", "2026-11-17 09:00", "--note", "客户撤诉")
    assert sla_rows(ws_cli)["resolution"]["met"] == 1
    assert sla_rows(ws_cli, "2026-11-16 12:00")["resolution"]["running"] == 1


def test_escalation_and_tracking_agree_with_the_clock_explained(ws_cli, workspace):
    rid = make(ws_cli, "2026-11-16 09:00", priority="urgent")
    for _run in range(2):
        found = ws_cli("escalate", "--dry-run", "--now", NOW, "--format", "json").json()
        assert {a["level"] for a in found["actions"]} == {"remind", "supervisor", "manager"}
        tracking = ws_cli("report", "complaint-tracking", "--now", NOW, "--format", "json").json()["rows"]
        explained = ws_cli("sla", rid, "--now", NOW, "--format", "json").json()["clocks"]
        assert tracking[0]["next_due"] == min(c["due_at"] for c in explained).replace(":00+08:00", "+08:00")
    assert cache_file(workspace).exists()


def test_a_damaged_or_unwritable_cache_costs_time_not_answers(ws_cli, workspace):
    ids = [make(ws_cli, "2026-11-16 09:00", priority="normal") for _hour in (10, 11, 12)]
    for rid, hour in zip(ids, (10, 11, 12)):
        ws_cli("respond", rid, "--at", f"2026-11-16 {hour}:00")
    expected = sla_rows(ws_cli)
    cache_file(workspace).write_bytes(b'{"format": 1, "fingerp')
    assert sla_rows(ws_cli) == expected
    stored = json.loads(cache_file(workspace).read_text())
    assert stored["entries"]  # written whole again
    records = json.loads(record_file(workspace, ids[0]).read_bytes())["complaint"].values()
    third = zlib.crc32(orjson.dumps(next(r for r in records if r["id"] == list(stored["entries"])[2])))
    damages = ([], ["x", None, {}], [third, 0, [0, "not clocks"]])  # the third is resumed from, and fails
    assert len(stored["entries"]) == len(damages)
    for entry, damage in zip(stored["entries"].values(), damages):
        entry[:] = damage
    cache_file(workspace).write_text(json.dumps(stored))
    assert sla_rows(ws_cli) == expected
    for child in (workspace / ".cache").iterdir():
        child.unlink()
    (workspace / ".cache").rmdir()
    (workspace / ".cache").write_text("not a folder")
    before = data_snapshot(workspace)
    assert sla_rows(ws_cli) == expected
    assert data_snapshot(workspace) == before


def test_backups_leave_the_cache_out(ws_cli, workspace, tmp_path):
    import tarfile

    ws_cli("respond", make(ws_cli, "2026-11-16 09:00"), "--at", "2026-11-16 10:00")
    sla_rows(ws_cli)
    assert cache_file(workspace).exists()
    archive = tmp_path / "backup.tar.gz"
    assert ws_cli("backup", str(archive)).exit_code == 0
    with tarfile.open(archive) as opened:
        assert not [name for name in opened.getnames() if ".cache" in name]
    assert os.access(archive, os.R_OK)


def test_clocks_remembered_by_older_code_are_not_served_after_an_upgrade(ws_cli, workspace, tmp_path):
    """cstool upgraded in place with a changed clock rule: the cache of the old code misses."""
    import shutil
    import subprocess
    import sys

    from conftest import ROOT

    rid = make(ws_cli, "2026-11-16 09:00", priority="normal")  # first response within 4h
    ws_cli("respond", rid, "--at", "2026-11-16 12:00")  # 180 business minutes: met
    assert sla_rows(ws_cli)["first_response"]["met"] == 1 and cache_file(workspace).exists()

    upgraded = tmp_path / "upgraded"
    shutil.copytree(ROOT / "cstool", upgraded / "cstool", ignore=shutil.ignore_patterns("__pycache__"))
    clocks_py = upgraded / "cstool" / "core" / "clocks.py"
    rule = "    breached = elapsed > target_minutes\n"
    assert rule in clocks_py.read_text(encoding="utf-8")
    clocks_py.write_text(
        clocks_py.read_text(encoding="utf-8").replace(rule, rule.replace("target_minutes", "target_minutes / 2"))
    )

    def report_with_upgraded_code():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "cstool",
                "--workspace",
                str(workspace),
                "report",
                "sla",
                "--now",
                NOW,
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(upgraded), "CSTOOL_LOAD_ENTRYPOINTS": "0"},
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["totals"]["first_response"]

    after_upgrade = report_with_upgraded_code()
    assert (after_upgrade["met"], after_upgrade["breached"]) == (0, 1)  # the new rule: 180 > 240 / 2
    assert report_with_upgraded_code() == after_upgrade  # and its own cache serves the same
