"""An outside team's plugin does what a bundled one does, with cstool.api alone.

The plugin is written into a workspace's plugins/ folder and run through the cstool
program in real processes: a command with --format table|json|csv, a record shown
masked (and revealed, audited), an import through a map file, and a notice delivered
through the notifiers.
"""

from __future__ import annotations

import ast
import json
import textwrap

from conftest import complaint_args, run_process

PLUGIN = textwrap.dedent('''
    """The quality team's commands (an outside plugin: cstool.api only)."""
    from pathlib import Path

    import click

    from cstool.api import (
        CstoolError, _, deliver, emit_json, emit_rows, find_map, format_datetime, format_option,
        hookimpl, import_file, load_map, parse_sets, reveal_option, show_record,
    )


    @hookimpl
    def cstool_commands(cli):
        @cli.group("quality")
        def quality():
            """The quality team's tools."""

        @quality.command("open")
        @format_option()
        @click.pass_obj
        def open_cases(app, fmt):
            """Open complaints by channel."""
            counts = {}
            for record in app.store.records("complaint"):
                counts[record["channel"]] = counts.get(record["channel"], 0) + 1
            rows = [[channel, count] for channel, count in sorted(counts.items())]
            if fmt == "json":
                emit_json({"channels": [{"channel": c, "count": n} for c, n in rows]})
            else:
                emit_rows(fmt, ["channel", "count"], rows)

        @quality.command("card")
        @click.argument("record_id")
        @format_option()
        @reveal_option()
        @click.pass_obj
        def card(app, record_id, fmt, reveal):
            """One case, masked unless --reveal."""
            kind, record = app.book.get(record_id)
            show_record(app, kind, record, fmt, reveal=reveal)

        @quality.command("load")
        @click.argument("file", type=click.Path(path_type=Path))
        @click.option("--map", "map_name", required=True)
        @format_option()
        @click.pass_obj
        def load(app, file, map_name, fmt):
            """Complaints from another system's export."""
            import_file(app, app.kinds.get("complaint"), file, load_map(find_map(app, map_name)), dry_run=False,
                        skip_invalid=False, on_duplicate="skip", encoding=None, fmt=fmt)

        @quality.command("nudge")
        @click.argument("record_id")
        @click.option("--set", "sets", multiple=True)
        @click.pass_obj
        def nudge(app, record_id, sets):
            """Send the owner a reminder through the notifiers."""
            kind, record = app.book.get(record_id)
            level = parse_sets(sets).get("level")
            if not level:
                raise CstoolError(_("nothing was stored"))
            now = app.now()
            notice = {"id": record["id"], "clock": "quality", "level": level, "notify": ["owner"],
                      "recipients": [record["owner"]], "at": format_datetime(now)}
            delivered, held, failures = deliver(app, [notice], now)
            click.echo(f"delivered {len(delivered)}")
''')

MAP = textwrap.dedent("""
    [columns]
    "Ticket" = "external_id"
    "Opened" = "created_at"
    "Customer" = "customer_name"
    "Via" = "channel"
    "Text" = "content"

    [values.channel]
    "Telephone" = "phone"
    "Web form" = "web"
""")


def test_the_plugin_imports_only_the_api():
    tree = ast.parse(PLUGIN)
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert {name for name in imported if name.startswith("cstool")} == {"cstool.api"}


def test_an_outside_plugin_does_what_a_bundled_one_does(workspace, tmp_path):
    (workspace / "plugins" / "quality.py").write_text(PLUGIN, encoding="utf-8")
    (workspace / "templates" / "import" / "helpdesk.toml").write_text(MAP, encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text(
        "Ticket,Opened,Customer,Via,Text\n"
        "T-1,2026-11-16 09:00,王芳,Telephone,洗衣机漏水\n"
        "T-2,2026-11-16 10:30,赵磊,Web form,退款未到账\n",
        encoding="utf-8",
    )

    def cstool(*args):
        done = run_process("--workspace", workspace, *args, env={"CSTOOL_LOAD_ENTRYPOINTS": "0"})
        assert "warning: plugin" not in done.stderr, done.stderr
        return done

    loaded = cstool("quality", "load", export, "--map", "helpdesk", "--format", "json")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["imported"] == 2
    made = cstool("record", "complaint", *complaint_args(), "--at", "2026-11-16 11:00", "--format", "json")
    record_id = json.loads(made.stdout)["id"]

    as_json = json.loads(cstool("quality", "open", "--format", "json").stdout)
    assert as_json == {"channels": [{"channel": "phone", "count": 2}, {"channel": "web", "count": 1}]}
    assert cstool("quality", "open", "--format", "csv").stdout.splitlines() == ["channel,count", "phone,2", "web,1"]
    assert "phone" in cstool("quality", "open").stdout

    masked = cstool("quality", "card", record_id, "--format", "json")
    assert masked.returncode == 0, masked.stderr
    assert json.loads(masked.stdout)["contact_phone"] != "13812341234"
    revealed = json.loads(cstool("quality", "card", record_id, "--reveal", "--format", "json").stdout)
    assert revealed["contact_phone"] == "13812341234"
    trail = json.loads(cstool("show", record_id, "--format", "json").stdout)["events"]
    assert [e["type"] for e in trail].count("revealed") == 1

    nudged = cstool("quality", "nudge", record_id, "--set", "level=quality-check")
    assert nudged.returncode == 0 and "delivered 1" in nudged.stdout, nudged.stderr
    outbox = [json.loads(line) for line in (workspace / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(n["id"], n["level"]) for n in outbox] == [(record_id, "quality-check")]
    refused = cstool("quality", "nudge", record_id)
    assert refused.returncode == 1 and "nothing was stored" in refused.stderr


FORMAT_AND_SOURCE = """
from cstool import api
from cstool.api import hookimpl, label


def _tsv(title, blocks, json_value):
    return "\\n\\n".join(
        "\\t".join(map(str, block.headers)) + "\\n" + "\\n".join("\\t".join(map(str, row)) for row in block.rows)
        for block in blocks
    ).encode("utf-8")


@hookimpl
def cstool_output_formats():
    return [api.OutputFormat("tsv", label("Tab-separated", "制表符分隔"), _tsv)]


def _read(location, mapping, encoding):
    count = int(location.removeprefix("numbers://").removesuffix("bad"))
    rows = [
        {"external_id": f"N-{i}", "customer_name": f"客户{i}", "channel": "phone",
         "content": "坏了" if i != 3 or "bad" not in location else "", "created_at": "2026-11-16T10:00:00+08:00"}
        for i in range(1, count + 1)
    ]
    return None, (api.SourceRow(i, i, values) for i, values in enumerate(rows, start=1))


@hookimpl
def cstool_record_sources():
    return [api.RecordSource("numbers", lambda location: location.startswith("numbers://"), _read)]
"""


def test_a_plugin_adds_an_output_format_and_a_record_source(workspace, ws_cli):
    """Each through one hook, touching nothing in cstool/cli or cstool/core."""
    (workspace / "plugins" / "extras.py").write_text(FORMAT_AND_SOURCE, encoding="utf-8")
    imported = ws_cli("import", "complaint", "numbers://5", "--format", "json")
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["imported"] == 5
    again = ws_cli("import", "complaint", "numbers://5", "--format", "json").json()
    assert (again["imported"], again["duplicates"]) == (0, 5)  # idempotent by external_id, as a file
    refused = ws_cli("import", "complaint", "numbers://8bad", "--format", "json")
    assert refused.exit_code == 1 and refused.json()["imported"] == 0  # row 3 refused: nothing written
    assert len(ws_cli("list", "complaint", "--format", "json").json()["records"]) == 5
    out = workspace / "complaints.tsv"
    assert ws_cli("list", "complaint", "--output", str(out)).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and "\t" in lines[0]
    printed = ws_cli("list", "complaint", "--format", "tsv")  # the same format on stdout
    assert printed.exit_code == 0, printed.stderr
    assert len(printed.stdout.splitlines()) == 6 and "\t" in printed.stdout.splitlines()[0]
    report = ws_cli("report", "complaints", "--by", "channel", "--format", "tsv")
    assert report.exit_code == 0, report.stderr
    assert "\t" in report.stdout and "Phone" in report.stdout  # ids shown by their names, as for people
    unknown = ws_cli("list", "complaint", "--format", "pdf")
    assert unknown.exit_code == 2 and "pdf" in unknown.stderr
    unknown = ws_cli("import", "complaint", "nowhere://x")
    assert unknown.exit_code == 1 and "no record source reads nowhere://" in unknown.stderr
    broken = ws_cli("import", "complaint", "numbers://many")  # the source itself fails: named, not a traceback
    assert broken.exit_code == 1 and "record source numbers" in broken.stderr and "internal error" not in broken.stderr


def test_a_workspace_plugin_may_be_a_package_of_modules(workspace, ws_cli):
    package = workspace / "plugins" / "parcels"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from cstool.api import hookimpl\nfrom . import kinds\n\n\n@hookimpl\ndef cstool_kinds():\n    return [kinds.PARCEL]\n",
        encoding="utf-8",
    )
    (package / "kinds.py").write_text(
        "from cstool.api import Field, Kind, Status, label\n\n"
        'PARCEL = Kind(name="parcel", prefix="PCL", label=label("Parcel", "包裹"),\n'
        '              fields=(Field("carrier", "text", required=True, label=label("Carrier", "承运商")),),\n'
        '              statuses=(Status("received", "open", label("Received", "已收到")),))\n',
        encoding="utf-8",
    )
    made = ws_cli("--no-input", "record", "parcel", "--set", "carrier=顺丰", "--format", "json")
    assert made.exit_code == 0, made.stderr
    assert made.json()["id"].startswith("PCL-")
    listed = ws_cli("plugins", "--format", "json").json()["plugins"]
    assert any(p["name"] == "parcels" for p in listed)


def test_a_module_of_a_plugin_package_others_can_write_refuses_the_workspace(workspace, ws_cli):
    import os

    package = workspace / "plugins" / "parcels"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "helpers.py").write_text("", encoding="utf-8")
    os.chmod(package / "helpers.py", 0o666)
    refused = ws_cli("list", "complaint")
    assert refused.exit_code == 1 and "helpers.py" in refused.stderr


DECLARES = '''
import click

from cstool import api
from cstool.api import hookimpl


class ParcelHooks:
    @api.hookspec
    def parcels_carriers(self):
        """Offer carriers. Returns: a list of names."""


cstool_hookspecs = ParcelHooks


@hookimpl
def cstool_commands(cli):
    @cli.command("parcels")
    @click.pass_obj
    def parcels(app):
        click.echo(", ".join(sorted(name for found in app.hook.parcels_carriers() for name in found)))
'''

IMPLEMENTS = """
from pathlib import Path

from cstool.api import hookimpl


@hookimpl
def parcels_carriers():
    return ["顺丰", "EMS"]


@hookimpl
def cstool_questionnaires():
    return [Path(__file__).with_name("parcel_followup.toml")]


@hookimpl
def cstool_survey_answered(record, answers, policy):
    Path(__file__).with_name("answered.txt").write_text(f"{record['id']} {answers['ok']}", encoding="utf-8")
"""


def test_a_plugin_declares_hooks_that_another_implements(workspace, ws_cli):
    """Hooks of a plugin's own (loaded in either order), and the survey family implemented
    by a plugin from outside: a questionnaire it offers, and what it does with an answer."""
    plugins = workspace / "plugins"
    (plugins / "a_carriers.py").write_text(IMPLEMENTS, encoding="utf-8")  # loads before the declaring plugin
    (plugins / "b_parcels.py").write_text(DECLARES, encoding="utf-8")
    (plugins / "parcel_followup.toml").write_text(
        'name = "parcel_followup"\ntitle = { en = "Parcel follow-up", zh = "包裹回访" }\nkinds = ["complaint"]\n\n'
        '[[questions]]\nid = "ok"\ntype = "rating"\ntext = { en = "Satisfied?", zh = "满意吗？" }\n',
        encoding="utf-8",
    )
    carriers = ws_cli("parcels")
    assert carriers.exit_code == 0, carriers.stderr
    assert carriers.stdout.strip() == "EMS, 顺丰"
    case = ws_cli("--no-input", "record", "complaint", "--set", "customer_name=王芳", "--set", "channel=phone",
                  "--set", "content=包裹破损", "--format", "json").json()["id"]  # fmt: skip
    answered = ws_cli("--no-input", "survey", "run", "parcel_followup", "--for", case, "--answer", "ok=5", "--force")
    assert answered.exit_code == 0, answered.stderr
    assert (plugins / "answered.txt").read_text(encoding="utf-8") == f"{case} 5"


def _shipping_plugin(folder):
    """A plugin that ships its default policy, an import map, a form and its messages."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from cstool import api

    (folder / "import").mkdir(parents=True)
    (folder / "forms").mkdir()
    (folder / "policy.toml").write_text(
        '# 包裹承运商 The carriers parcels go with\n[parcels]\ncarriers = ["顺丰", "EMS"]\n', encoding="utf-8"
    )
    (folder / "import" / "parcels.toml").write_text(
        '[columns]\n"单号" = "external_id"\n"客户" = "customer_name"\n"内容" = "content"\n\n[constants]\nchannel = "phone"\n',
        encoding="utf-8",
    )
    (folder / "forms" / "parcel_note.md").write_text("# $id\n", encoding="utf-8")
    catalog = Catalog(locale="zh")
    catalog.add("Parcels of the department.", "部门的包裹。")
    catalog.add("{count} carriers", "{count} 家承运商")
    (folder / "locale" / "zh" / "LC_MESSAGES").mkdir(parents=True)
    with open(folder / "locale" / "zh" / "LC_MESSAGES" / "parcels.mo", "wb") as out:
        write_mo(out, catalog)
    _ = api.catalogue_of(folder / "locale", "parcels")

    class Parcels:
        @staticmethod
        @api.hookimpl
        def cstool_plugin_files():
            return folder

        @staticmethod
        @api.hookimpl
        def cstool_policy_keys():
            return ["parcels.carriers"]

        @staticmethod
        @api.hookimpl
        def cstool_commands(cli):
            import click

            @cli.command("parcels")
            @click.pass_obj
            def parcels(app):
                """Parcels of the department."""
                click.echo(_("{count} carriers").format(count=len(app.policy.get("parcels.carriers"))))

    return Parcels


def test_a_plugin_ships_its_policy_maps_forms_and_messages(tmp_path, monkeypatch):
    from cstool.testing import run_cli

    plugin = {"parcels": _shipping_plugin(tmp_path / "files")}
    workspace = tmp_path / "ws"
    made = run_cli("init", str(workspace), plugins=plugin)
    assert made.exit_code == 0, made.stderr
    policy = (workspace / "policy.toml").read_text(encoding="utf-8")
    assert '[parcels]\ncarriers = ["顺丰", "EMS"]' in policy and "# 包裹承运商" in policy  # comments kept
    said = run_cli("--workspace", str(workspace), "--lang", "zh", "parcels", plugins=plugin)
    assert said.exit_code == 0, said.stderr
    assert said.stdout.strip() == "2 家承运商"
    helped = run_cli("--workspace", str(workspace), "--lang", "zh", "parcels", "--help", plugins=plugin)
    assert "部门的包裹。" in helped.stdout
    source = tmp_path / "in.csv"
    source.write_text("单号,客户,内容\nP-1,王芳,包裹破损\n", encoding="utf-8")
    imported = run_cli("--workspace", str(workspace), "import", "complaint", str(source), "--map", "parcels",
                       "--format", "json", plugins=plugin)  # fmt: skip
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["imported"] == 1
    again = run_cli("init", str(tmp_path / "ws2"), plugins=plugin)  # a department's own section wins
    assert again.exit_code == 0
