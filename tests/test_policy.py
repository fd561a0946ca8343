"""policy check / show / set: every problem at its line, edits that keep the file's bytes."""

from __future__ import annotations

import pytest
from conftest import complaint_args, data_snapshot

from cstool.core.policy import Policy, parse_key


def lines_differing(before: str, after: str) -> list[int]:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b)
    return [i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y]


def test_default_policy_checks(ws_cli):
    result = ws_cli("policy", "check")
    assert result.exit_code == 0 and "ok" in result.stdout


def test_set_changes_one_value_and_keeps_every_other_byte(ws_cli, workspace):
    path = workspace / "policy.toml"
    before = path.read_text(encoding="utf-8")
    result = ws_cli("policy", "set", "escalation.levels[1].at", "1.5")
    assert result.exit_code == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    changed = lines_differing(before, after)
    assert len(changed) == 1 and after.splitlines()[changed[0] - 1] == "at = 1.5"
    ws_cli("policy", "set", "workspace.timezone", "Europe/Berlin")
    final = path.read_text(encoding="utf-8")
    assert 'timezone = "Europe/Berlin"        # how timestamps without an offset are read' in final
    assert final.count("#") == before.count("#")


def test_set_reads_toml_values_else_strings(ws_cli, workspace):
    ws_cli("policy", "set", "complaints.channels", '["phone", "email", "referral", "wechat"]')  # the standards' own
    ws_cli("policy", "set", "departments.customer_service.manager", "陈经理")
    data = ws_cli("policy", "show", "--format", "json").json()
    assert data["complaints"]["channels"] == ["phone", "email", "referral", "wechat"]
    assert data["departments"]["customer_service"]["manager"] == "陈经理"


def test_set_creates_missing_tables(ws_cli, workspace):
    result = ws_cli("policy", "set", "departments.hr.manager", "刘经理")
    assert result.exit_code == 0, result.stderr
    assert ws_cli("policy", "show", "--format", "json").json()["departments"]["hr"]["manager"] == "刘经理"


def test_set_refuses_a_value_that_breaks_the_policy(ws_cli, workspace):
    path = workspace / "policy.toml"
    before = path.read_bytes()
    result = ws_cli("policy", "set", "workspace.default_priority", "sometime")
    assert result.exit_code == 1 and "default_priority" in result.stderr and "nothing was written" in result.stderr
    result = ws_cli("policy", "set", "escalation.levels[9].at", "2")
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = ws_cli("policy", "set", "classify.complaint[0].set.priority", "whenever")
    assert result.exit_code == 1 and "not a priority" in result.stderr
    result = ws_cli("policy", "set", "classify.complaint[0].keywords", '["fire", "*"]')
    assert result.exit_code == 1 and "would match nothing" in result.stderr
    assert path.read_bytes() == before


def test_syntax_error_names_its_line_and_blocks_every_command(ws_cli, workspace):
    path = workspace / "policy.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[7] = "priorities = [urgent"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check = ws_cli("policy", "check")
    assert check.exit_code == 1 and "policy.toml:8:" in check.stderr
    listing = ws_cli("list", "complaint")
    assert listing.exit_code == 1 and "policy.toml:8:" in listing.stderr and "Traceback" not in listing.stderr


def test_wrong_type_names_its_line_and_key(ws_cli, workspace):
    path = workspace / "policy.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('priorities = ["urgent", "high", "normal", "low"]', 'priorities = "urgent"'), encoding="utf-8"
    )
    line = next(
        i + 1 for i, text in enumerate(path.read_text(encoding="utf-8").splitlines()) if text.startswith("priorities")
    )
    result = ws_cli("policy", "check")
    assert result.exit_code == 1
    assert f"policy.toml:{line}: workspace.priorities: must be a list" in result.stderr
    record = ws_cli("record", "complaint", "--set", "customer_name=x")
    assert record.exit_code == 1 and "policy.toml:" in record.stderr and not data_snapshot(workspace)


def test_plugin_sections_are_checked_at_their_lines(ws_cli, workspace):
    path = workspace / "policy.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('default_severity = "minor"', 'default_severity = "apocalyptic"').replace(
            'when = { severity = "critical" }', 'when = { severity_level = "critical" }'
        ),
        encoding="utf-8",
    )
    result = ws_cli("policy", "check")
    lines = path.read_text(encoding="utf-8").splitlines()
    severity_line = next(i + 1 for i, text in enumerate(lines) if text.startswith("default_severity"))
    when_line = next(i + 1 for i, text in enumerate(lines) if "severity_level" in text)
    assert f"policy.toml:{severity_line}: complaints.default_severity" in result.stderr
    assert f"policy.toml:{when_line}: classify.complaint[12].when: unknown field 'severity_level'" in result.stderr


def test_policy_show_prints_the_file_as_written(ws_cli, workspace):
    assert ws_cli("policy", "show").stdout == (workspace / "policy.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "key,parts",
    [
        ("a.b.c", ("a", "b", "c")),
        ("escalation.levels[1].at", ("escalation", "levels", 1, "at")),
        ('calendars.office.overrides."2026-10-01"', ("calendars", "office", "overrides", "2026-10-01")),
    ],
)
def test_parse_key(key, parts):
    assert parse_key(key) == parts


def test_line_of_prefers_the_longest_known_prefix(tmp_path):
    text = "[a]\nx = 1\n\n[[b.c]]\ny = 1\n\n[[b.c]]\ny = 2\nz = { q = 1 }\n"
    policy = Policy(tmp_path / "p.toml", text, {})
    assert policy.line_of(("a", "x")) == 2
    assert policy.line_of(("b", "c", 1, "y")) == 8
    assert policy.line_of(("b", "c", 1, "z", "q")) == 9
    assert policy.line_of(("b", "c", 1, "nope")) == 7
    assert policy.line_of(("nothing",)) == 1


def test_a_year_without_holiday_data_is_a_warning_not_an_error(ws_cli, monkeypatch):
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2027-01-05T10:00:00+08:00")  # the default policy keeps 2026's holidays
    result = ws_cli("policy", "check")
    assert result.exit_code == 0 and "ok" in result.stdout
    assert "Calendar Office hours has no holidays or make-up workdays (overrides) for 2027" in result.stderr
    rid = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-12-30 10:00", "--format", "json").json()["id"]
    explain = ws_cli("sla", rid, "--format", "json").json()["explain"]
    assert any("Office hours has no holidays" in line and "2027" in line for line in explain), explain
    report = ws_cli("report", "sla", "--format", "json").json()
    assert any("2027" in note for note in report["notes"])
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2026-06-01T10:00:00+08:00")
    assert "warning" not in ws_cli("policy", "check").stderr


def test_a_misspelt_or_unknown_key_is_refused_with_the_closest_name(ws_cli, workspace):
    path = workspace / "policy.toml"
    before = path.read_bytes()
    typo = ws_cli("policy", "set", "complaints.chanels", '["phone"]')
    assert typo.exit_code == 1 and "complaints.chanels: unknown key; did you mean 'channels'?" in typo.stderr
    nothing = ws_cli("policy", "set", "nosuch.key", "1")
    assert nothing.exit_code == 1 and "nosuch: unknown key" in nothing.stderr
    assert path.read_bytes() == before
    path.write_text(before.decode("utf-8") + '\n[surveys_]\nfollow_up = "none"\n', encoding="utf-8")
    checked = ws_cli("policy", "check")
    assert checked.exit_code == 1 and "did you mean 'surveys'?" in checked.stderr


def test_a_key_of_a_blocked_plugin_is_a_warning_not_a_refusal(ws_cli, workspace, monkeypatch):
    path = workspace / "policy.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[parcels]\nmax_weight = 30\n", encoding="utf-8")
    assert ws_cli("policy", "check").exit_code == 1
    monkeypatch.setenv("CSTOOL_BLOCK_PLUGINS", "smtp")  # some plugin is not loaded: [parcels] may be its
    checked = ws_cli("policy", "check")
    assert checked.exit_code == 0 and "parcels: unknown key" in checked.stderr


def test_every_department_a_section_or_a_record_names_exists(ws_cli, workspace):
    refused = ws_cli("policy", "set", "aftersales.department", "nosuchdept")
    assert refused.exit_code == 1 and "'nosuchdept' is not a department" in refused.stderr
    made = ws_cli("record", "complaint", *complaint_args(department="nosuchdept"))
    assert made.exit_code == 1 and "department" in made.stderr
    rid = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    assert ws_cli("update", rid, "--set", "department=nosuchdept").exit_code == 1


def test_a_toml_syntax_error_names_line_column_and_key_in_the_chosen_language(ws_cli, workspace):
    path = workspace / "policy.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('timezone = "Asia/Shanghai"', "timezone = Asia/Shanghai", 1),
        encoding="utf-8",
    )
    english = ws_cli("policy", "check")
    assert english.exit_code == 1 and "not valid TOML at 'timezone'" in english.stderr
    assert ":7:" in english.stderr or ":8:" in english.stderr
    chinese = ws_cli("--lang", "zh", "policy", "check")
    assert "不是有效的 TOML" in chinese.stderr and "'timezone'" in chinese.stderr


def test_the_published_commitments_are_the_policy_that_times_the_department(ws_cli, workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2026-06-01T10:00:00+08:00")  # a year the default calendar has holidays for
    page = ws_cli("commitments").stdout
    for text in (
        "客户服务承诺",
        "Our service commitments",
        "营业时间",
        "Opening hours",
        "首次响应 30 分钟内",
        "first response within 30 minutes",
        "三包",
        "7 天内可退货",
        "投诉渠道",
        "回访",
    ):
        assert text in page, text
    assert "2026-10-01" in page  # this year's holidays, from the calendar's overrides
    assert ws_cli("policy", "set", "sla.complaint.urgent.first_response", '"15m"').exit_code == 0
    assert "首次响应 15 分钟内" in ws_cli("commitments").stdout  # the page follows the policy
    out = tmp_path / "承诺.html"
    assert ws_cli("commitments", "--format", "html", "--output", out).exit_code == 0
    written = out.read_text(encoding="utf-8")
    assert written.startswith("<!doctype html>") and "first response within 15 minutes" in written
    assert ws_cli("commitments", "--format", "html", "--output", out).exit_code == 1  # no overwrite without --force
    monkeypatch.setenv("CSTOOL_TEST_NOW", "2027-03-01T10:00:00+08:00")  # a year with no holiday data: said, not hidden
    later = ws_cli("commitments")
    assert "closed on 2027" not in later.stdout and "for 2027" in later.stderr
