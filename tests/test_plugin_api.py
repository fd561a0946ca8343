"""Every name of ``cstool.api`` used here the way docs/plugins.md documents it, through
``cstool.api`` alone, as an outside plugin would; and a test that no documented name goes
without a use in the tests."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, complaint_args

from cstool import api

# ---- a plugin built from the command helpers ---------------------------------------------


class Helpers:
    """A plugin: a command that reads records, prints them, writes a form and a report."""

    @staticmethod
    @api.hookimpl
    def cstool_commands(cli):
        import click

        @cli.command("helpers-demo")
        @click.option("--since", metavar="D")
        @click.option("--at", metavar="T")
        @click.option("--reveal", is_flag=True)
        @api.format_option()
        @api.output_option
        @click.pass_obj
        def helpers_demo(app, since, at, reveal, fmt, output, force):
            first = api.parse_day(since, "--since", today=app.now().date())
            when = api.parse_instant(app, at, "--at")
            kind = app.kinds.get("complaint")
            records = api.records_for_output(app, kind, app.store.select("complaint", api.Selection()), reveal)
            kept = [r for r in records if first is None or r["created_at"][:10] >= first.isoformat()]
            rows = [[r["id"], r["customer_name"]] for r in kept]
            title = f"{len(rows)} at {api.format_datetime(when) if when else '-'}"
            api.show_rows(
                fmt, ["id", "name"], rows, output=output, force=force, title=title, json_value={"n": len(rows)}
            )

    @staticmethod
    @api.hookimpl
    def cstool_reports():
        def run(request: api.ReportRequest) -> api.ReportResult:
            received = request.tally("complaint", (api.MONTH,))
            rows = [{"month": month, "received": n} for (month,), n in sorted(received.items())]
            total = sum(received.values())
            part = api.ReportResult(["month", "received"], rows, {"received": total}, {}, api.label("Months", "月份"))
            share = api.pct(total, total)
            return api.ReportResult(
                [],
                [],
                {"share_pct": share},
                {},
                api.label("Helpers", "助手"),
                sections=[api.Section("m", None, part.title, part)],
            )

        return [api.Report("helpers", api.label("Helpers", "助手"), run)]


def _cli(*args, input=None):
    from cstool.testing import run_cli

    return run_cli(*args, plugins={"helpers": Helpers}, input=input)


def test_command_helpers_of_a_plugin(workspace, ws_cli, tmp_path):
    made = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()
    shown = _cli("--workspace", workspace, "helpers-demo", "--since", "2020-01-01", "--at", "2026-11-24 10:00")
    assert shown.exit_code == 0, shown.stderr
    assert made["id"] in shown.stdout and "张伟" not in shown.stdout  # masked unless revealed
    out = tmp_path / "rows.csv"
    assert _cli("--workspace", workspace, "helpers-demo", "--output", str(out)).exit_code == 0
    assert made["id"] in out.read_text(encoding="utf-8-sig")
    report = _cli("--workspace", workspace, "report", "helpers", "--format", "json")
    assert report.exit_code == 0, report.stderr
    assert report.json()["totals"]["share_pct"] == 100.0 and report.json()["sections"][0]["totals"]["received"] == 1


def test_demo_records_of_a_plugin_link_to_another_kinds(workspace):
    """What `cstool demo` does with every loaded plugin's demo records (an installed plugin's
    too): built through the normal pipeline, a link resolved once the other kind is made."""
    from cstool.core.context import Context
    from cstool.core.demo import build_demo
    from cstool.core.host import build_host

    class Demo:
        @staticmethod
        @api.hookimpl
        def cstool_demo_records(rng, now, policy):
            link = api.DemoLink("complaint", 0)
            values = {
                "direction": "outbound",
                "outcome": "answered",
                "agent": "小王",
                "linked_record": link,
                "topic": "插件",
            }
            return [api.DemoRecord("call", values, [])]

    app = Context(build_host(workspace, entry_points=False, extra=(("demo-extra", Demo),)), workspace, user="tester")
    build_demo(app, app.now())
    mine = [c for c in app.store.records("call", fresh=True) if c.get("topic") == "插件"]
    complaints = {c["id"] for c in app.store.records("complaint", fresh=True)}
    assert len(mine) == 1 and mine[0]["linked_record"] in complaints


# ---- the domain helpers ----------------------------------------------------------------


def test_domain_helpers():
    assert (api.parse_target("2wd").amount, api.parse_target("30m").unit) == (2, "m")
    problems = api.check_rules(
        "complaint", [{"name": "x", "keywords": ["a"], "set": {"priority": "bogus"}}], ["urgent"], None
    )
    assert problems and "priority" in problems[0].path
    assert api.day_of_id("CMP-20261116-0007") == "20261116"
    with pytest.raises(api.StoreError):
        api.day_of_id("not an id")
    assert api.check_state_name("outbox") == "outbox"
    with pytest.raises(ValueError):
        api.check_state_name("../x")
    assert issubclass(api.StoreConflict, api.StoreError)
    assert api.redact_url("postgresql://clerk:pw@db/cs") == "postgresql://clerk:***@db/cs"
    assert "pw" not in api.redact_secrets('bad "postgresql://clerk:pw%zz@db"', "postgresql://clerk:pw%zz@db")
    from zoneinfo import ZoneInfo

    when = api.parse_datetime("2026/11/24 10:00", ZoneInfo("Asia/Shanghai"))
    assert when.isoformat() == "2026-11-24T10:00:00+08:00"
    counted = api.count_values(
        [{"created_at": "2026-11-24T10:00:00+08:00", "channel": "phone"}],
        (api.MONTH, "channel"),
        ZoneInfo("Asia/Shanghai"),
    )
    assert counted == {("2026-11", "phone"): 1}
    assert api.Selection(equals=(("channel", "PHONE"),)).keeps(
        {"channel": "phone", "created_at": "2026-11-24T10:00:00+08:00"}
    )


def test_personal_data_helpers():
    kind = api.Kind(
        "parcel",
        "PCL",
        fields=(api.Field("sender", "text", personal=True, required=True), api.Field("note", "text")),
        statuses=(api.Status("open", "open"), api.Status("void", "void")),
    )
    records = {
        "customer": [{"id": "CUS-1"}],
        "parcel": [{"id": "PCL-1", "customer_id": "CUS-1", "sender": "张伟", "note": "张伟 寄出", "events": []}],
        "other": [{"id": "X-1", "about": "PCL-1"}, {"id": "X-2", "about": "nothing"}],
    }
    linked = api.linked_to("CUS-1", records)
    assert linked == {"CUS-1", "PCL-1", "X-1"}
    secrets = api.personal_values({"customer": kind, "parcel": kind, "other": kind}, records, linked)
    assert secrets == ["张伟"]
    parcel = records["parcel"][0]
    assert api.erase_personal(kind, parcel, secrets, "[gone]") == ["note", "sender"]
    assert parcel["sender"] == "[gone]" and parcel["note"] == "[erased] 寄出"
    assert issubclass(api.PermissionRefused, api.CstoolError)


def test_name_of_and_completion(workspace):
    from cstool.core.policy import load_policy

    policy = load_policy(workspace / "policy.toml")
    assert api.name_of(policy, "phone", "zh") == "电话" and api.name_of(policy, "nothing-here", "zh") == "nothing-here"
    assert callable(api.complete_id) and callable(api.complete_kind)


def test_the_store_types_a_plugin_sees(workspace, ws_cli):
    from cstool.core.context import Context
    from cstool.core.host import build_host

    ws_cli("record", "complaint", *complaint_args())
    app = Context(build_host(workspace, entry_points=False), workspace)
    assert isinstance(app.store, api.RecordStore)
    with app.store.transaction("complaint") as tx:
        assert isinstance(tx, api.Transaction)
    with app.store.shared_state("plugin-api") as state:
        shared: api.SharedState = state
        shared.save({"n": 1})
    from cstool.stores.postgresql import RememberedClocks

    assert issubclass(RememberedClocks, api.RememberedEntries)


def test_file_helpers(tmp_path):
    target = tmp_path / "note.txt"
    api.write_new_file(target, b"one")
    with pytest.raises(api.CstoolError):
        api.write_new_file(target, b"two")
    api.atomic_write(target, b"three")
    with api.locked(tmp_path / "note.lock"):
        api.append_durably(tmp_path / "log.jsonl", b'{"n": 1}\n')
    assert target.read_bytes() == b"three" and (tmp_path / "log.jsonl").read_bytes() == b'{"n": 1}\n'
    template = tmp_path / "form.md"
    template.write_text("# $id\n$customer_name\n", encoding="utf-8")
    assert api.render_form(template, {"id": "CMP-1", "customer_name": "<b>王</b>"}).startswith("# CMP-1")


def test_import_map_and_save_rows(workspace, ws_cli, tmp_path):
    from cstool.core.context import Context
    from cstool.core.host import build_host

    app = Context(build_host(workspace, entry_points=False), workspace)
    mapping = api.ImportMap()
    assert mapping.columns == {} or isinstance(mapping.columns, dict)
    out = tmp_path / "rows.md"
    api.save_rows(out, title="t", headers=["a"], rows=[["b"]], json_value=[])
    assert "| b" in out.read_text(encoding="utf-8") and app.kinds.get("complaint")


def test_prompt_helpers(monkeypatch, workspace):
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from cstool.cli import prompts
    from cstool.core.context import Context
    from cstool.core.host import build_host

    app = Context(build_host(workspace, entry_points=False), workspace, no_input=True)
    assert api.can_prompt(app) is False
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("\x1b[B\r" + " \x1b[B \r")
        assert api.choose("which?", ["a", "b"]) == "b"
        assert api.choose_several("which ones?", ["a", "b"]) == ["a", "b"]
    app = Context(build_host(workspace, entry_points=False), workspace)
    kind = app.kinds.get("complaint")
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("\r" * 12)
        pipe.close()
        values = api.fill_record(app, kind, {"customer_name": "王芳", "channel": "phone", "content": "漏水"})
    assert values["customer_name"] == "王芳"


# ---- every documented name is used ------------------------------------------------------


def test_every_name_of_the_plugin_api_is_used_by_a_test():
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("*.py"))
    unused = [name for name in api.__all__ if not re.search(rf"\b(api\.)?{re.escape(name)}\b", tests)]
    assert not unused, f"names of cstool.api no test uses: {unused}"
