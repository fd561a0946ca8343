"""Hostile input, generated: no input may produce an internal error, and a refused command
writes nothing. (The CLI turns unexpected exceptions into "internal error", so finding one
here means a bug.)"""

from __future__ import annotations

import csv
import io
import json

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
