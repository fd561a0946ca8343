"""The plugin host: bundled, workspace and failing plugins; plugin commands; blocking."""

from __future__ import annotations

import textwrap

from conftest import complaint_args

GOOD = textwrap.dedent('''
    import click
    from cstool.api import Field, Kind, Report, ReportResult, Status, hookimpl, label

    KIND = Kind("parcel", "PCL", fields=(Field("weight", "decimal", required=True, label=label("Weight", "重量")),),
                statuses=(Status("new", "open"), Status("done", "closed")))

    @hookimpl
    def cstool_kinds():
        return [KIND]

    @hookimpl
    def cstool_validate_records(kind, records, policy):
        if kind.name == "parcel":
            return [(i, "weight", "must be positive") for i, r in enumerate(records) if r["weight"] <= 0]

    @hookimpl
    def cstool_classify(kind, records, policy):
        if kind.name == "parcel":
            return [{"tags": ["heavy"], "rules": ["weight"]} if r["weight"] > 20 else None for r in records]

    @hookimpl
    def cstool_commands(cli):
        @cli.command("hello")
        @click.pass_obj
        def hello(app):
            """Say hello."""
            click.echo(f"hello {app.user}")

    @hookimpl
    def cstool_reports():
        def run(request):
            rows = [{"id": r["id"], "weight": r["weight"]} for r in request.records("parcel")]
            return ReportResult(["id", "weight"], rows, {"count": len(rows)})
        return [Report("parcels", label("Parcels", "包裹"), run)]
''')


def write_plugin(workspace, name, text):
    (workspace / "plugins" / f"{name}.py").write_text(text, encoding="utf-8")


def test_workspace_plugin_adds_kind_validation_classification_command_report(ws_cli, workspace):
    write_plugin(workspace, "parcels", GOOD)
    heavy = ws_cli("record", "parcel", "--set", "weight=25.5", "--format", "json")
    assert heavy.exit_code == 0, heavy.stderr
    assert heavy.json()["id"].startswith("PCL-") and heavy.json()["tags"] == ["heavy"]
    refused = ws_cli("record", "parcel", "--set", "weight=-1")
    assert refused.exit_code == 1 and "weight: must be positive" in refused.stderr
    assert ws_cli("hello").stdout == "hello tester\n"
    report = ws_cli("report", "parcels", "--format", "json").json()
    assert report["report"] == "parcels" and report["totals"] == {"count": 1}
    listed = ws_cli("plugins", "--format", "json").json()["plugins"]
    mine = next(p for p in listed if p["name"] == "parcels")
    assert mine["source"].endswith("plugins/parcels.py")
    assert "cstool_kinds" in mine["hooks"] and "cstool_commands" in mine["hooks"]
    assert {p["name"]: p["source"] for p in listed}["complaints"] == "bundled"


def test_a_plugin_that_fails_to_import_is_named_and_skipped(ws_cli, workspace):
    write_plugin(workspace, "broken", "import nonexistent_module_xyz\n")
    result = ws_cli("record", "complaint", *complaint_args())
    assert result.exit_code == 0
    assert "plugin 'broken'" in result.stderr and "nonexistent_module_xyz" in result.stderr
    failed = next(p for p in ws_cli("plugins", "--format", "json").json()["plugins"] if p["name"] == "broken")
    assert "ModuleNotFoundError" in failed["error"]


def test_a_misspelled_hook_is_reported_and_the_plugin_skipped(ws_cli, workspace):
    write_plugin(
        workspace, "typo", "from cstool.api import hookimpl\n\n@hookimpl\ndef cstool_kindz():\n    return []\n"
    )
    result = ws_cli("kinds")
    assert result.exit_code == 0 and "plugin 'typo'" in result.stderr and "cstool_kindz" in result.stderr


def test_a_plugin_may_not_replace_a_core_command(ws_cli, workspace):
    write_plugin(
        workspace,
        "greedy",
        textwrap.dedent("""
        import click
        from cstool.api import hookimpl

        @hookimpl
        def cstool_commands(cli):
            @cli.command("list")
            def fake():
                click.echo("fake")
    """),
    )
    result = ws_cli("list", "complaint")
    assert result.exit_code == 0 and "fake" not in result.stdout and "replace the core command 'list'" in result.stderr


def test_blocking_a_plugin_by_environment(ws_cli, workspace, monkeypatch):
    write_plugin(workspace, "parcels", GOOD)
    monkeypatch.setenv("CSTOOL_BLOCK_PLUGINS", "parcels")
    assert ws_cli("record", "parcel", "--set", "weight=1").exit_code == 1
    listed = {p["name"]: p for p in ws_cli("plugins", "--format", "json").json()["plugins"]}
    assert listed["parcels"]["blocked"] is True and listed["parcels"]["hooks"] == []
    assert "BLOCKED" in ws_cli("plugins").stdout


def test_blocking_plugins_by_policy_list(ws_cli, workspace):
    write_plugin(workspace, "parcels", GOOD)
    assert ws_cli("record", "parcel", "--set", "weight=1").exit_code == 0
    assert ws_cli("policy", "set", "plugins.blocked", '["parcels", "smtp"]').exit_code == 0
    refused = ws_cli("record", "parcel", "--set", "weight=1")
    assert refused.exit_code == 1 and "parcel" in refused.stderr
    listed = {p["name"]: p for p in ws_cli("plugins", "--format", "json").json()["plugins"]}
    assert listed["parcels"]["blocked"] and listed["smtp"]["blocked"] and listed["smtp"]["source"] == "bundled"
    assert not listed["complaints"]["blocked"]
    text = (workspace / "policy.toml").read_text(encoding="utf-8")
    assert "# Plugins this workspace does not load" in text  # the comment survived the edit


def test_a_blocked_list_that_is_not_a_list_of_names_is_a_policy_error(ws_cli, workspace):
    path = workspace / "policy.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("blocked = []", "blocked = 3"), encoding="utf-8")
    checked = ws_cli("policy", "check")
    assert checked.exit_code == 1 and "plugins.blocked" in checked.stderr and "policy.toml:" in checked.stderr


def test_a_kind_prefix_declared_twice_is_an_error(ws_cli, workspace):
    write_plugin(workspace, "clash", GOOD.replace('"parcel", "PCL"', '"parcel", "CMP"'))
    result = ws_cli("kinds")
    assert (
        result.exit_code == 1
        and "prefix 'CMP'" in result.stderr
        and "complaints" in result.stderr
        and "clash" in result.stderr
    )


def test_entry_point_plugins_are_skipped_in_tests(monkeypatch):
    from cstool.core.host import build_host

    host = build_host(None)
    assert [name for name, _ in host.pm.list_name_plugin()] == [
        "rules",
        "complaints",
        "complaint_reports",
        "approval",
        "aftersales",
        "customers",
        "key_accounts",
        "visits",
        "sales",
        "phone",
        "internal",
        "deliverables",
        "feedback",
        "knowledge",
        "improvement",
        "surveys",
        "dashboard",
        "sla",
        "staff",
        "staff_records",
        "monthly",
        "outbox",
        "smtp",
        "mail",
        "postgresql",
    ]


def test_an_installed_entry_point_plugin_loads_and_is_listed(tmp_path, workspace):
    """A distribution on sys.path declaring a `cstool` entry point, as pip would install it."""
    import json
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    (site / "shipping_plugin").mkdir(parents=True)
    (site / "shipping_plugin" / "__init__.py").write_text(GOOD, encoding="utf-8")
    info = site / "cstool_shipping-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cstool-shipping\nVersion: 1.2.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[console_scripts]\nx = y:z\n\n[cstool]\nshipping = shipping_plugin\n", encoding="utf-8"
    )
    broken = site / "cstool_broken-0.1.dist-info"
    broken.mkdir()
    (broken / "entry_points.txt").write_text("[cstool]\nbroken = no_such_module_here\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site), "CSTOOL_LOAD_ENTRYPOINTS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "plugins", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    plugins = {p["name"]: p for p in json.loads(done.stdout)["plugins"]}
    assert plugins["shipping"]["source"] == "entry point shipping_plugin (cstool_shipping-1.2.0)"
    assert "cstool_kinds" in plugins["shipping"]["hooks"]
    assert "No module named 'no_such_module_here'" in plugins["broken"]["error"]
    assert "plugin 'broken'" in done.stderr
    recorded = subprocess.run(
        [
            sys.executable,
            "-m",
            "cstool",
            "--workspace",
            str(workspace),
            "record",
            "parcel",
            "--set",
            "weight=3",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert recorded.returncode == 0 and json.loads(recorded.stdout)["id"].startswith("PCL-")
    blocked = subprocess.run(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "plugins", "--format", "json"],
        capture_output=True,
        text=True,
        env={**env, "CSTOOL_BLOCK_PLUGINS": "shipping,broken"},
    )
    listed = {p["name"]: p for p in json.loads(blocked.stdout)["plugins"]}
    assert listed["shipping"]["blocked"] and listed["broken"]["blocked"] and not listed["broken"]["error"]


def test_notifiers_run_in_the_documented_order_inside_wrappers_and_one_failure_stops_none(workspace):
    from cstool.api import hookimpl
    from cstool.testing import run_cli

    calls = []

    def notifier(name, fail=False, **order):
        class Plugin:
            @hookimpl(**order)
            def cstool_notify(self, actions):
                calls.append(name)
                if fail:
                    raise RuntimeError(f"{name} is down")

        return Plugin()

    class Wrapper:
        @hookimpl(wrapper=True)
        def cstool_notify(self, actions):
            calls.append("wrapper in")
            result = yield
            calls.append("wrapper out")
            return result

    plugins = {
        "late": notifier("late", trylast=True),
        "plain_first_registered": notifier("plain_first_registered"),
        "plain_last_registered": notifier("plain_last_registered", fail=True),
        "early": notifier("early", tryfirst=True),
        "wrapper": Wrapper(),
    }
    ws = ("--workspace", str(workspace))
    made = run_cli(
        *ws,
        "record",
        "complaint",
        *complaint_args(),
        "--set",
        "severity=critical",
        "--at",
        "2026-11-16 09:00",
        "--format",
        "json",
        plugins=plugins,
    )
    assert made.exit_code == 0, made.stderr
    calls.clear()
    done = run_cli(*ws, "escalate", "--now", "2026-11-20 10:00", plugins=plugins)
    assert "plain_last_registered" in done.stderr and "is down" in done.stderr
    notified = [c for c in calls if not c.startswith("wrapper")]
    # tryfirst; plain ones last-registered first; trylast. The failing one stopped none of the
    # others (the bundled outbox, a plain one registered before these, wrote its file).
    assert notified == ["early", "plain_last_registered", "plain_first_registered", "late"], calls
    notifiers = len(notified) + 2  # and the bundled smtp and outbox: the wrapper wraps each call
    assert calls.count("wrapper in") == notifiers and calls.count("wrapper out") == notifiers - 1
    assert (workspace / "outbox.jsonl").exists()
