"""Hostile input, generated: no input may produce an internal error, and a refused command
writes nothing. (The CLI turns unexpected exceptions into "internal error", so finding one
here means a bug.)"""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import complaint_args, data_snapshot, invoke
from hypothesis import HealthCheck, given, settings, strategies as st

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
FIELDS = [
    "customer_name",
    "channel",
    "content",
    "contact_phone",
    "created_at",
    "priority",
    "tags",
    "external_id",
    "status",
    "severity",
    "closed_at",
    "customer_id",
    "nonsense",
]


def assert_clean(result, before, now):
    """``now()`` gives what ``before`` was taken of, as it stands after the command."""
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    if result.exit_code != 0:
        assert now() == before


@FUZZ
@given(
    st.lists(st.sampled_from(FIELDS), min_size=1, max_size=6, unique=True),
    st.lists(st.lists(cells, min_size=6, max_size=6), max_size=5),
)
def test_csv_import(workspace, tmp_path_factory, header, rows):
    path = tmp_path_factory.mktemp("csv") / "in.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(row[: len(header)] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = data_snapshot(workspace)
    assert_clean(
        invoke("--workspace", workspace, "import", "complaint", path), before, lambda: data_snapshot(workspace)
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | cells,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(cells, inner, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6), max_size=4) | json_values)
def test_json_import(workspace, tmp_path_factory, document):
    path = tmp_path_factory.mktemp("json") / "in.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    before = data_snapshot(workspace)
    assert_clean(
        invoke("--workspace", workspace, "import", "complaint", path), before, lambda: data_snapshot(workspace)
    )


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), cells, max_size=6))
def test_set_values(workspace, values):
    before = data_snapshot(workspace)
    args = [a for name, value in values.items() for a in ("--set", f"{name}={value}")]
    assert_clean(
        invoke("--workspace", workspace, "--no-input", "record", "complaint", *args),
        before,
        lambda: data_snapshot(workspace),
    )


@FUZZ
@given(st.text(max_size=300))
def test_map_files(workspace, tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("map")
    (folder / "map.toml").write_text(text, encoding="utf-8")
    (folder / "in.csv").write_text("customer_name,channel,content\n张伟,phone,漏水\n", encoding="utf-8")
    before = data_snapshot(workspace)
    assert_clean(
        invoke("--workspace", workspace, "import", "complaint", folder / "in.csv", "--map", folder / "map.toml"),
        before,
        lambda: data_snapshot(workspace),
    )


KEYS = [
    "workspace.timezone",
    "workspace.priorities",
    "workspace.default_priority",
    "escalation.levels[0].at",
    "sla.complaint.normal.resolution",
    "calendars.office.hours.mon",
    "complaints.channels",
    "classify.complaint[0].set",
    "customers.grades[0].min_credit",
    "phone.callbacks.within",
    "a.b[3].c",
    "[",
    "x..y",
]


@FUZZ
@given(st.sampled_from(KEYS), st.text(max_size=40))
def test_policy_set(workspace, key, value):
    path = workspace / "policy.toml"
    before = path.read_bytes()
    result = invoke("--workspace", workspace, "policy", "set", key, value)
    assert_clean(result, before, path.read_bytes)
    if result.exit_code == 0:
        assert invoke("--workspace", workspace, "policy", "check").exit_code == 0
        path.write_bytes(before)


HOSTILE = "设备\x1b[31m故障\x1b]8;;http://evil.example\x07点我\x1b]8;;\x07\x1b[6n\x07\x08\x08\x08"


def test_control_characters_never_reach_a_terminal_or_a_spreadsheet_raw(ws_cli):
    import csv
    import io

    rid = ws_cli(
        "record",
        "complaint",
        *complaint_args(content=HOSTILE, remedy="设备故障\r=cmd|' /C calc'!A0"),
        "--format",
        "json",
    ).json()["id"]
    for args in (
        ["show", rid],
        ["list", "complaint"],
        ["list", "complaint", "--format", "csv"],
        ["complaints", "form", rid, "notice"],
        ["report", "complaints", "--format", "md"],
    ):
        out = ws_cli(*args).stdout
        for raw in ("\x1b", "\x07", "\x08"):
            assert raw not in out, (args, raw)
    assert "\\x1b[31m" in ws_cli("show", rid).stdout  # shown, escaped: nothing is hidden from the reader
    exported = ws_cli("show", rid, "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(exported)))
    assert not any(row and row[0].startswith("=") for row in rows)
    remedy = next(row for row in rows if row[0] == "remedy")
    assert remedy[1].startswith("设备故障") and "=cmd" in remedy[1]  # one cell, the formula inside it inert
    assert ws_cli("show", rid, "--format", "json").json()["content"] == HOSTILE  # JSON keeps the value, escaped


def test_a_markdown_form_carries_no_markup_from_a_record(ws_cli):
    rid = ws_cli(
        "record",
        "complaint",
        *complaint_args(content="<script>alert(1)</script> [点我](javascript:alert(1))"),
        "--format",
        "json",
    ).json()["id"]
    form = ws_cli("complaints", "form", rid, "notice").stdout
    assert "<script>" not in form and "](javascript:" not in form
    html_form = ws_cli("complaints", "form", rid, "notice", "--format", "html").stdout
    assert "<script>alert" not in html_form


@pytest.mark.parametrize(
    "key,value",
    [
        ("escalation.levels[0].at", "nan"),
        ("escalation.levels[0].at", "inf"),
        ("calendars.office.hours", "{}"),
        ("sla", "1979-05-27"),
        ("sla.aftersales.calendar", "[[1]]"),
        ("internal.agreements.hr-it.customer", "[[1]]"),
        ("customers.grades", "nan"),
        ("customers.lists", '["a"]'),
        ("phone", '"x"'),
        ("surveys", "true"),
    ],
)
def test_policy_values_that_would_break_the_clocks_are_refused_by_name(workspace, key, value):
    path = workspace / "policy.toml"
    before = path.read_bytes()
    result = invoke("--workspace", workspace, "policy", "set", key, value)
    assert result.exit_code == 1 and "internal error" not in result.stderr, result.stderr
    assert "policy.toml:" in result.stderr and path.read_bytes() == before


POLICY_VALUES = ["[]", "{}", "nan", "inf", "-1", "0", "1e308", '"x"', "[[1]]", "true", '["a"]', "{a = 1}", "1979-05-27"]


@FUZZ
@given(st.data())
def test_fuzzed_policies_end_in_a_clear_error_or_a_working_policy(workspace, data):
    import tomllib

    path = workspace / "policy.toml"
    before = path.read_bytes()
    keys = []

    def walk(table, prefix):
        for name, value in table.items():
            key = f"{prefix}.{name}" if prefix else name
            keys.append(key)
            if isinstance(value, dict):
                walk(value, key)

    walk(tomllib.loads(before.decode("utf-8")), "")
    key, value = data.draw(st.sampled_from(keys)), data.draw(st.sampled_from(POLICY_VALUES))
    result = invoke("--workspace", workspace, "policy", "set", key, value)
    assert_clean(result, before, path.read_bytes)
    if result.exit_code == 0:
        for command in (
            ["escalate", "--dry-run", "--now", "2026-11-20 10:00"],
            ["report", "sla"],
            ["report", "dashboard"],
        ):
            done = invoke("--workspace", workspace, *command)
            assert "internal error" not in done.stderr, (key, value, command, done.stderr)
        path.write_bytes(before)


@pytest.mark.parametrize("at", ["0001-01-01", "9999-12-31"])
def test_instants_outside_the_years_kept_are_refused(ws_cli, at):
    for args in (["--at", at], ["--set", f"created_at={at}"]):
        result = ws_cli("record", "complaint", *complaint_args(), *args)
        assert result.exit_code in (1, 2) and "outside the years cstool keeps" in result.stderr, result.stderr


def test_a_whole_number_too_large_for_json_is_refused(ws_cli, tmp_path):
    source = tmp_path / "calls.json"
    source.write_text('[{"direction": "inbound", "outcome": "answered", "talk_seconds": 1e23}]', encoding="utf-8")
    result = ws_cli("import", "call", source)
    assert result.exit_code == 1 and "too large a number" in result.stderr


def test_arguments_that_are_not_utf8_are_a_usage_error(workspace):
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "list", b"\xff\xfe"],
        capture_output=True,
        env={**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"},
    )
    assert done.returncode == 2 and b"not valid UTF-8" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    "content", ['{"customer": []}', '{"customer": {"1": {"kind": "customer"}}}', '{"customer": {"1": 3}}']
)
def test_a_data_file_of_the_wrong_shape_is_refused_and_left_alone(ws_cli, workspace, content):
    path = workspace / "data" / "customer.json"
    path.write_text(content, encoding="utf-8")
    for args in (
        ["list", "customer"],
        ["record", "customer", "--set", "customer_type=individual", "--set", "name=李四"],
    ):
        result = ws_cli(*args)
        assert result.exit_code == 1 and "internal error" not in result.stderr and "left as it is" in result.stderr
    assert path.read_text(encoding="utf-8") == content
