"""Clocks read an imported row's own stamps (SPEC 11), on both import paths alike."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import invoke
from hypothesis import HealthCheck, given, settings, strategies as st

HEADER = "external_id,created_at,first_response_at,resolved_at,closed_at,customer_name,channel,content,status"
START = datetime(2026, 11, 2, 8, 0)


def row(first_response, resolved, closed, status):
    def at(minutes):
        return "" if minutes is None else (START + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M")

    return f"X1,{at(0)},{at(first_response)},{at(resolved)},{at(closed)},张伟,phone,电水壶漏水,{status}"


def clocks(workspace, record_id):
    shown = invoke("--workspace", workspace, "sla", record_id, "--now", "2026-12-01 09:00", "--format", "json").json()
    return [{k: c[k] for k in ("name", "stopped_at", "elapsed_minutes", "state")} for c in shown["clocks"]]


def imported(workspace, tmp_path, *rows, on_duplicate="skip"):
    source = tmp_path / "rows.csv"
    source.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    done = invoke(
        "--workspace", workspace, "import", "complaint", source, "--on-duplicate", on_duplicate, "--format", "json"
    )
    assert done.exit_code == 0, done.stdout + done.stderr
    return invoke("--workspace", workspace, "list", "complaint", "--format", "json").json()["records"][0]["id"]


def test_resolution_stops_at_resolved_at_when_the_case_was_closed_later(workspace, tmp_path):
    rid = imported(workspace, tmp_path, "X1,2026-11-16 09:00,,2026-11-16 10:00,2026-11-20 10:00,张伟,phone,漏水,closed")
    found = {c["name"]: c for c in clocks(workspace, rid)}
    assert (found["resolution"]["elapsed_minutes"], found["resolution"]["state"]) == (60, "met")
    assert found["first_response"]["stopped_at"] == "2026-11-16T10:00:00+08:00"  # the first of the three stamps


def test_an_update_to_closed_uses_the_rows_stamp_and_one_without_it_is_unknown(workspace, tmp_path):
    rid = imported(workspace, tmp_path, "X1,2026-11-16 09:00,,,,张伟,phone,漏水,registered")
    imported(workspace, tmp_path, "X1,2026-11-16 09:00,,,,张伟,phone,漏水,closed", on_duplicate="update")
    states = {c["name"]: c["state"] for c in clocks(workspace, rid)}
    # not closed "now", at the import (the phone channel's dispatch clock too)
    assert states == {"dispatch": "unknown", "first_response": "unknown", "resolution": "unknown"}


moments = st.one_of(st.none(), st.integers(min_value=1, max_value=60 * 24 * 20))
statuses = st.sampled_from(["registered", "investigating", "responded", "closed", "awaiting_customer"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moments, moments, moments, statuses)
def test_a_fresh_import_and_an_update_to_the_same_row_give_the_same_clocks(
    tmp_path_factory, first, resolved, closed, status
):
    folder = tmp_path_factory.mktemp("stamps")
    fresh, updated = folder / "fresh", folder / "updated"
    for ws in (fresh, updated):
        assert invoke("init", ws).exit_code == 0
    full = row(first, resolved, closed, status)
    done = invoke("--workspace", fresh, "import", "complaint", _file(folder / "a.csv", full), "--format", "json")
    if done.exit_code != 0:  # a row the checks refuse (a stamp that contradicts its status) is refused on both paths
        return
    imported_first = invoke(
        "--workspace", updated, "import", "complaint", _file(folder / "b.csv", row(None, None, None, "registered"))
    )
    assert imported_first.exit_code == 0
    again = invoke(
        "--workspace", updated, "import", "complaint", _file(folder / "c.csv", full), "--on-duplicate", "update"
    )
    assert again.exit_code == 0, again.stdout + again.stderr
    ids = [
        invoke("--workspace", ws, "list", "complaint", "--format", "json").json()["records"][0]["id"]
        for ws in (fresh, updated)
    ]
    assert clocks(fresh, ids[0]) == clocks(updated, ids[1])


def _file(path, line):
    path.write_text(HEADER + "\n" + line + "\n", encoding="utf-8")
    return path
