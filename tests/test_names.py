"""Display names (显示名称): policy's ids read as names in tables, forms and reports, taken
as input, and kept as ids in JSON."""

from __future__ import annotations

import json
import tomllib

from conftest import ROOT, complaint_args
from hypothesis import given, strategies as st

from cstool.core.fields import parse_value
from cstool.core.kinds import Field
from cstool.core.names import Names
from cstool.core.timeutil import zone


def made(ws_cli, **values) -> dict:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_a_name_is_taken_as_input_and_the_id_is_kept(ws_cli):
    record = made(ws_cli, channel="电子邮件", severity="MAJOR", customer_name="王芳")
    assert (record["channel"], record["severity"]) == ("email", "major")  # JSON: the ids
    refused = ws_cli("--no-input", "record", "complaint", *complaint_args(channel="飞鸽传书"))
    assert refused.exit_code == 1 and "is not one of" in refused.stderr
    by_name = ws_cli("list", "complaint", "--where", "channel=电子邮件", "--format", "json").json()
    by_id = ws_cli("list", "complaint", "--where", "channel=email", "--format", "json").json()
    assert by_name["count"] == by_id["count"] == 1


def test_tables_forms_and_reports_show_the_name_in_the_chosen_language(ws_cli):
    record = made(ws_cli, channel="email")
    shown = ws_cli("--lang", "zh", "show", record["id"]).stdout
    assert "电子邮件 (email)" in shown and "客户服务部 (customer_service)" in shown
    assert "E-mail (email)" in ws_cli("--lang", "en", "show", record["id"]).stdout
    listed = ws_cli("--lang", "zh", "list", "complaint").stdout
    assert "电子邮件" in listed and " email " not in listed
    report = ws_cli("--lang", "zh", "report", "complaints", "--by", "channel").stdout
    assert "电子邮件" in report
    sla = ws_cli("--lang", "zh", "report", "sla", "--by", "department").stdout
    assert "客户服务部" in sla and "首次响应" in sla
    csv = ws_cli("report", "complaints", "--by", "channel", "--format", "csv").stdout
    assert "email" in csv and "E-mail" not in csv  # a script reading CSV gets the ids
    payload = ws_cli("report", "complaints", "--by", "channel", "--format", "json").json()
    assert payload["rows"][0]["channel"] == "email"


def test_a_broken_names_table_is_refused_with_its_line(ws_cli, workspace):
    policy = workspace / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace('phone = { zh = "电话", en = "Phone" }', 'phone = "电话"'),
        encoding="utf-8",
    )
    checked = ws_cli("policy", "check")
    assert checked.exit_code == 1 and "names.phone" in checked.stdout + checked.stderr
    assert "a Chinese and an English name" in checked.stdout + checked.stderr


def default_policy() -> dict:
    return tomllib.loads((ROOT / "policy.toml").read_text(encoding="utf-8"))


def test_the_default_policy_names_every_one_of_its_ids_in_both_languages(workspace):
    """Every id a person can meet: choices from policy and from the bundled kinds,
    categories and tags the rules set, agreement items, survey answers, priorities."""
    from cstool.core.context import Context
    from cstool.core.host import build_host

    app = Context(build_host(workspace, entry_points=False), workspace)
    policy = default_policy()
    ids = set(policy["workspace"]["priorities"])
    for kind in app.kinds:
        for field in kind.fields:
            if field.type in ("choice", "list") and field.name not in ("agent", "outlet", "complainant_type"):
                ids.update(app.choices(field) or ())  # agents, outlets, complainant types are names already
    for rules in policy["classify"].values():
        for rule in rules:
            ids.add(rule["set"].get("category")) if rule["set"].get("category") else None
            ids.update(rule["set"].get("tags", []))
    for agreement in policy["internal"]["agreements"].values():
        ids.update(agreement["items"])
    for path in (ROOT / "templates" / "surveys").glob("*.toml"):
        for question in tomllib.loads(path.read_text(encoding="utf-8")).get("questions", []):
            ids.update(question.get("choices", []))
    ids -= set(policy["customers"]["credit_ratings"])  # AAA … C read the same in both languages
    names = app.names
    assert len(ids) > 60
    unnamed = sorted(i for i in ids if names.show(i, "zh") == i or names.show(i, "en") == i)
    assert not unnamed, f"ids of the default policy without a zh and an en name: {unnamed}"
    for key, value in policy["names"].items():
        assert set(value) == {"zh", "en"}, key


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True),
        st.fixed_dictionaries(
            {
                "zh": st.text("客户服务电话邮件", min_size=1, max_size=4),
                "en": st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True),
            }
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_name_parses_back_to_its_id(table):
    names = Names(table)
    choices = sorted(table)
    field = Field("value", "choice", choices=tuple(choices))
    aliases = names.aliases(choices)
    for key in choices:
        for lang in ("zh", "en"):
            shown = names.show(key, lang)
            parsed = parse_value(field, shown, tz=zone("Asia/Shanghai"), choices=choices, aliases=aliases)
            # an id spelled like the name wins; a name two ids share goes to one of them
            spelled_as_id = shown.lower() in {c.lower() for c in choices}
            assert parsed == key or spelled_as_id or names.show(parsed, lang) == shown
        assert parse_value(field, key.upper(), tz=zone("Asia/Shanghai"), choices=choices, aliases=aliases) == key


def test_json_output_never_holds_a_name(ws_cli):
    record = made(ws_cli, channel="传真")
    assert json.loads(ws_cli("--lang", "zh", "show", record["id"], "--format", "json").stdout)["channel"] == "fax"
