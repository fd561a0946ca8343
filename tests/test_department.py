"""One department: named staff, roles that are enforced, a trail that proves itself, and
the personal-data duties (who saw a customer's data, their data on request, retention)."""

from __future__ import annotations

import json
import uuid

import orjson
import pytest
from conftest import TEST_NOW, add_directory, complaint_args, record_file, run_process


def recorded(ws_cli, *who: str, **values) -> str:
    done = ws_cli(*who, "--no-input", "record", "complaint", *complaint_args(**values), "--format", "json")
    assert done.exit_code == 0, done.stderr
    return done.json()["id"]


def refused(done, permission: str) -> bool:
    code = done.exit_code if hasattr(done, "exit_code") else done.returncode
    return code == 1 and f"needs the permission {permission}" in done.stderr


def test_an_agent_is_refused_what_a_supervisor_may_do_on_either_store(ws_cli, workspace, backend):
    add_directory(workspace, admins=("postgres",))
    agent, colleague, supervisor, manager = ("--as", "小李"), ("--as", "小王"), ("--as", "李主管"), ("--as", "王经理")
    rid = recorded(ws_cli, *colleague, compensation="800")
    assert ws_cli(*colleague, "propose", rid, "--resolution", "退款").exit_code == 0
    approve = ws_cli(*agent, "approve", rid)
    assert refused(approve, "approve") and "held by 王经理, 李主管, 管理员" in approve.stderr
    assert ws_cli(*supervisor, "approve", rid).exit_code == 0

    assert refused(ws_cli(*agent, "void", rid, "--reason", "录错"), "void_others")
    assert refused(ws_cli(*agent, "show", rid, "--reveal"), "reveal")
    assert refused(ws_cli(*agent, "export", "complaint"), "export")
    assert refused(ws_cli(*agent, "policy", "set", "complaints.approval.above_compensation", "5000"), "change_policy")
    assert refused(ws_cli("--as", "小陈", "update", rid, "--set", "severity=major"), "other_departments")
    assert ws_cli(*agent, "update", rid, "--set", "severity=major").exit_code == 0  # their own department's case

    customer = ws_cli(
        "record", "customer", "--set", "customer_type=individual", "--set", "name=周杰", "--set", "phone=13800138000",
        "--format", "json",
    ).json()["id"]  # fmt: skip
    assert refused(ws_cli(*agent, "customers", "deregister", customer, "--reason", "本人申请"), "deregister")

    assert ws_cli(*supervisor, "show", rid, "--reveal").exit_code == 0
    assert ws_cli(*supervisor, "void", rid, "--reason", "录错").exit_code == 0
    assert ws_cli(*supervisor, "export", "complaint").exit_code == 0
    assert ws_cli(*manager, "customers", "deregister", customer, "--reason", "本人申请").exit_code == 0
    trail = ws_cli("show", rid, "--format", "json").json()["events"]
    assert {e["by"] for e in trail} == {"小王", "小李", "李主管"}  # named people, not logins


def test_a_login_the_directory_does_not_name_is_an_agent_told_once(ws_cli, workspace, monkeypatch):
    monkeypatch.delenv("CSTOOL_USER")
    policy = workspace / "policy.toml"
    policy.write_text(
        policy.read_text(encoding="utf-8") + '\n[people."王经理"]\nlogins = ["wang"]\nrole = "manager"\n',
        encoding="utf-8",
    )
    first = ws_cli("--no-input", "record", "complaint", *complaint_args())
    assert first.exit_code == 0 and "not in the staff directory" in first.stderr
    again = ws_cli("roles", "--format", "json")
    assert "not in the staff directory" not in again.stderr
    assert again.json()["you"] == {
        "name": again.json()["you"]["name"],
        "role": "agent",
        "department": None,
        "listed": False,
    }
    as_manager = ws_cli("--as", "王经理", "list", "complaint")
    assert refused(as_manager, "act_for_others")


def test_the_directory_is_checked(ws_cli, workspace):
    add_directory(workspace)
    policy = workspace / "policy.toml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('role = "supervisor"', 'role = "boss"', 1) + '\n[roles.agent]\nmay = ["fly"]\n')
    done = ws_cli("policy", "check")
    assert done.exit_code == 1
    assert "'boss' is not a role" in done.stderr and "'fly' is not a permission" in done.stderr


def test_a_plugin_declares_a_permission_its_command_checks(workspace):
    import click

    from cstool.api import hookimpl
    from cstool.testing import run_cli

    class Refunds:
        @hookimpl
        def cstool_permissions(self):
            return {"refund": "pay a refund"}

        @hookimpl
        def cstool_commands(self, cli):
            @cli.command("refund")
            @click.pass_obj
            def refund(app):
                app.require("refund")
                click.echo("paid")

    add_directory(workspace)
    plugins = {"refunds": Refunds()}
    assert refused(run_cli("--workspace", str(workspace), "--as", "王经理", "refund", plugins=plugins), "refund")
    assert (
        run_cli("--workspace", str(workspace), "refund", plugins=plugins).stdout.strip() == "paid"
    )  # the administrator
    policy = workspace / "policy.toml"
    policy.write_text(policy.read_text(encoding="utf-8") + '\n[roles.manager]\nmay = ["refund"]\n', encoding="utf-8")
    assert run_cli("--workspace", str(workspace), "--as", "王经理", "refund", plugins=plugins).exit_code == 0


def test_a_database_role_works_as_its_person_and_may_not_act_for_others(workspace, ws_cli, pg_url, monkeypatch):
    import psycopg

    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    assert ws_cli("list", "complaint").exit_code == 0  # the schema, made by its owner
    name = f"clerk_{uuid.uuid4().hex[:8]}"
    add_directory(workspace, admins=("postgres",))
    policy = workspace / "policy.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace('logins = ["xiaoli"]', f'logins = ["{name}"]'))
    with psycopg.connect(pg_url, autocommit=True) as admin:
        schema = admin.execute("SELECT current_schema()").fetchone()[0]
        admin.execute(f"CREATE ROLE {name} LOGIN")
        try:
            admin.execute(f"GRANT USAGE ON SCHEMA {schema} TO {name}")
            admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} TO {name}")
            admin.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {name}")
            env = {"CSTOOL_STORE_URL": pg_url.replace("postgres@", f"{name}@"), "CSTOOL_USER": ""}
            mine = run_process(
                "--workspace", workspace, "--no-input", "record", "complaint", *complaint_args(), env=env
            )
            assert mine.returncode == 0, mine.stderr
            as_manager = run_process("--workspace", workspace, "--as", "王经理", "list", "complaint", env=env)
            assert as_manager.returncode == 1 and "小李 (agent) may not act as 王经理" in as_manager.stderr
        finally:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")
    assert ws_cli("list", "complaint", "--format", "json").json()["records"][0]["owner"] == "小李"


# ---- the trail -------------------------------------------------------------------------


def test_audit_verify_finds_events_edited_removed_and_records_gone_from_a_data_file(ws_cli, workspace):
    ids = [recorded(ws_cli) for _ in range(4)]
    for rid in ids:
        assert ws_cli("respond", rid, "--note", "已致电").exit_code == 0
    assert ws_cli("audit", "verify").exit_code == 0
    path = record_file(workspace, ids[0])
    data = json.loads(path.read_text(encoding="utf-8"))
    table = next(iter(data.values()))
    docs = {doc["id"]: (key, doc) for key, doc in table.items()}
    docs[ids[0]][1]["events"][-1]["by"] = "somebody else"  # an event edited
    docs[ids[1]][1]["events"].pop()  # an event removed
    events = docs[ids[2]][1]["events"]
    events[0], events[1] = events[1], events[0]  # reordered
    del table[docs[ids[3]][0]]  # a record removed
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    found = ws_cli("audit", "verify", "--format", "json")
    assert found.exit_code == 1
    problems = {p["id"]: p["problem"] for p in found.json()["problems"]}
    assert problems == {ids[0]: "changed", ids[1]: "count", ids[2]: "changed", ids[3]: "missing"}
    shown = ws_cli("show", ids[0])
    assert shown.exit_code == 0 and f"{ids[0]}: its trail fails its seal" in shown.stderr
    # a later change by cstool does not bless the forgery
    assert ws_cli("update", ids[0], "--set", "severity=major").exit_code == 0
    assert ids[0] in {p["id"] for p in ws_cli("audit", "verify", "--format", "json").json()["problems"]}


def test_audit_verify_finds_an_event_edited_with_sql_as_superuser(ws_cli, workspace, pg_url, monkeypatch):
    import psycopg

    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    rid, other = recorded(ws_cli), recorded(ws_cli)
    assert ws_cli("show", rid, "--reveal").exit_code == 0
    assert ws_cli("audit", "verify").exit_code == 0
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(  # the reveal's author changed: who saw the data, rewritten
            "UPDATE cstool_records SET doc = jsonb_set(doc::jsonb, '{events,-1,by}', '\"nobody\"')::json WHERE id = %s",
            (rid,),
        )
        admin.execute("UPDATE cstool_records SET kind = 'aftersales' WHERE id = %s", (other,))  # hidden in another kind
    found = ws_cli("audit", "verify", "--format", "json").json()
    assert {(p["id"], p["problem"]) for p in found["problems"]} == {
        (rid, "changed"),
        (other, "changed"),  # found under aftersales, sealed as a complaint
        (other, "missing"),  # and gone from the complaints
    }


def test_sealing_continues_the_chain_and_a_record_from_before_is_said_unsealed(ws_cli, workspace):
    rid = recorded(ws_cli)
    path = record_file(workspace, rid)
    data = json.loads(path.read_text(encoding="utf-8"))
    for doc in next(iter(data.values())).values():
        doc.pop("trail")
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    found = ws_cli("audit", "verify", "--format", "json")
    assert found.exit_code == 0 and found.json()["problems"][0]["problem"] == "unsealed"
    assert ws_cli("respond", rid).exit_code == 0  # the next change seals it
    assert ws_cli("audit", "verify", "--format", "json").json() == {"checked": 1, "sealed": 1, "problems": []}


# ---- personal data -----------------------------------------------------------------------


@pytest.fixture
def demo(tmp_path):
    done = run_process("demo", tmp_path / "demo")
    assert done.returncode == 0, done.stderr
    return tmp_path / "demo"


def test_who_saw_a_customer_and_their_data_on_request_on_the_demo(demo, tmp_path):
    def cstool(*args, **env):
        return run_process("--workspace", demo, *args, env={"CSTOOL_USER": "", **env})

    customers = orjson.loads(cstool("list", "customer", "--format", "json").stdout)["records"]
    visits = orjson.loads(cstool("list", "visit", "--format", "json").stdout)["records"]
    customer = next(c["id"] for c in customers if any(v.get("customer_id") == c["id"] for v in visits))
    made = cstool("--no-input", "record", "complaint", *complaint_args(customer_id=customer), "--format", "json")
    case = orjson.loads(made.stdout)["id"]
    before = orjson.loads(cstool("audit", "who-saw", customer, "--format", "json").stdout)["seen"]
    assert cstool("--as", "李主管", "show", case, "--reveal").returncode == 0
    saw = orjson.loads(cstool("audit", "who-saw", customer, "--format", "json").stdout)["seen"]
    assert saw[len(before) :] == [
        {
            "at": saw[-1]["at"],
            "by": "李主管",
            "record": case,
            "fields": saw[-1]["fields"],
            "how": "reveal",
            "command": "show",
        }
    ]
    assert "contact_phone" in saw[-1]["fields"]

    output = tmp_path / "data.json"
    done = cstool("customers", "data", customer, "--output", output)
    assert done.returncode == 0, done.stderr
    held = orjson.loads(output.read_bytes())
    assert held["customer"] == customer and case in {r["id"] for r in held["records"]["complaint"]}
    assert {v["id"] for v in visits if v.get("customer_id") == customer} <= {r["id"] for r in held["records"]["visit"]}
    assert held["records"]["customer"][0]["phone"].isdigit()  # unmasked
    after = orjson.loads(cstool("audit", "who-saw", customer, "--format", "json").stdout)["seen"]
    assert {row["how"] for row in after[len(saw) :]} == {"data request"}
    agent = cstool("--as", "小王", "customers", "data", customer, "--output", tmp_path / "other.json")
    assert agent.returncode == 1 and "needs the permission reveal" in agent.stderr
    assert not (tmp_path / "other.json").exists()
    assert cstool("audit", "verify").returncode == 0


def test_purge_anonymises_closed_records_past_retention_and_figures_stay(demo):
    from datetime import timedelta

    from cstool.core.timeutil import fixed_now

    later = {"CSTOOL_TEST_NOW": (fixed_now(TEST_NOW) + timedelta(days=400)).isoformat()}  # the demo is built at now

    def cstool(*args):
        return run_process("--workspace", demo, *args, env={"CSTOOL_USER": "", **later})

    unset = cstool("privacy", "purge", "--dry-run")
    assert unset.returncode == 1 and "retain_closed_days" in unset.stderr
    too_short = cstool("policy", "set", "privacy.retain_closed_days", "30")
    assert too_short.returncode == 1 and "at least 180" in too_short.stderr
    assert cstool("policy", "set", "privacy.retain_closed_days", "180").returncode == 0
    figures = cstool("report", "complaints", "--format", "json").stdout
    planned = orjson.loads(cstool("privacy", "purge", "--dry-run", "--format", "json").stdout)["records"]
    assert planned.get("complaint")
    done = orjson.loads(cstool("privacy", "purge", "--format", "json").stdout)["records"]
    assert done == planned
    assert orjson.loads(cstool("privacy", "purge", "--format", "json").stdout)["records"] == {}  # nothing left
    assert cstool("report", "complaints", "--format", "json").stdout == figures
    case = orjson.loads(cstool("show", planned["complaint"][0], "--reveal", "--format", "json").stdout)
    assert case["contact_phone"] is None and case["events"][-2]["type"] == "purged"
    assert cstool("audit", "verify").returncode == 0


# ---- what the database enforces ------------------------------------------------------------


@pytest.fixture
def clerk(workspace, ws_cli, pg_url, monkeypatch):
    """A database role the directory names 小李 (an agent of customer service), granted
    with `store grant`; yields (its URL, a connection as it)."""
    import psycopg

    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    name = f"clerk_{uuid.uuid4().hex[:8]}"
    add_directory(workspace, admins=("postgres",))
    policy = workspace / "policy.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace('logins = ["xiaoli"]', f'logins = ["{name}"]'))
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN")
        try:
            granted = ws_cli("store", "grant", name)
            assert granted.exit_code == 0, granted.stderr
            assert "agent of Customer service" in granted.stdout
            url = pg_url.replace("postgres@", f"{name}@")
            with psycopg.connect(url, autocommit=True) as conn:
                yield url, conn
        finally:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")


def test_a_clerk_works_through_cstool_but_cannot_rewrite_history_in_psql(workspace, ws_cli, clerk):
    import psycopg

    url, conn = clerk
    as_clerk = {"CSTOOL_STORE_URL": url, "CSTOOL_USER": ""}

    def cstool(*args):
        return run_process("--workspace", workspace, "--no-input", *args, env=as_clerk)

    made = cstool("record", "complaint", *complaint_args(), "--format", "json")
    assert made.returncode == 0, made.stderr
    rid = orjson.loads(made.stdout)["id"]
    for args in (("respond", rid, "--note", "已致电"), ("update", rid, "--set", "severity=major"), ("undo", rid)):
        done = cstool(*args)
        assert done.returncode == 0, (args, done.stderr)
    assert ws_cli("audit", "verify").exit_code == 0

    forbidden = [
        "UPDATE cstool_records SET doc = jsonb_set(doc::jsonb, '{events,0,by}', '\"x\"')::json WHERE id = %s",
        "UPDATE cstool_records SET doc = jsonb_set(doc::jsonb, '{events}', '[]')::json WHERE id = %s",
        "UPDATE cstool_records SET kind = 'aftersales' WHERE id = %s",
        "DELETE FROM cstool_records WHERE id = %s",
        "UPDATE cstool_sequences SET last = 0 WHERE kind = 'complaint' AND %s::text IS NOT NULL",
        "DELETE FROM cstool_sequences WHERE %s::text IS NOT NULL",
        "DELETE FROM cstool_log WHERE %s::text IS NOT NULL",
    ]
    for statement in forbidden:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement, (rid,))
    appended = conn.execute(  # appending is what cstool does too: allowed
        "UPDATE cstool_records SET doc = jsonb_set(doc::jsonb, '{events}', (doc::jsonb -> 'events') || "
        '\'[{"at": "2026-12-01T10:00:00+08:00", "by": "x", "type": "note"}]\')::json WHERE id = %s',
        (rid,),
    )
    assert appended.rowcount == 1
    found = {p["id"]: p["problem"] for p in ws_cli("audit", "verify", "--format", "json").json()["problems"]}
    assert found == {rid: "count"}  # and audit verify names the event cstool did not write


def test_own_department_only_hides_other_departments_rows_from_a_clerk_s_select(workspace, ws_cli, clerk):
    url, conn = clerk
    ours = recorded(ws_cli)
    theirs = recorded(ws_cli, department="after_sales")
    seen = lambda: {row[0] for row in conn.execute("SELECT id FROM cstool_records")}  # noqa: E731
    assert seen() == {ours, theirs}
    assert ws_cli("policy", "set", "privacy.own_department_only", "true").exit_code == 0
    clerk_name = url.split("//")[1].split("@")[0]
    assert ws_cli("store", "grant", clerk_name).exit_code == 0  # applies the policy to the database
    assert seen() == {ours}
    listed = run_process(
        "--workspace",
        workspace,
        "list",
        "complaint",
        "--format",
        "json",
        env={"CSTOOL_STORE_URL": url, "CSTOOL_USER": ""},
    )
    assert listed.returncode == 0, listed.stderr
    assert {r["id"] for r in orjson.loads(listed.stdout)["records"]} == {ours}


def test_own_department_only_on_the_folder_store(ws_cli, workspace):
    add_directory(workspace)
    ours, theirs = recorded(ws_cli), recorded(ws_cli, department="after_sales")
    assert ws_cli("policy", "set", "privacy.own_department_only", "true").exit_code == 0
    listed = ws_cli("--as", "小陈", "list", "complaint", "--format", "json").json()["records"]
    assert [r["id"] for r in listed] == [theirs]
    assert refused(ws_cli("--as", "小陈", "show", ours), "see_other_departments")
    assert {r["id"] for r in ws_cli("--as", "李主管", "list", "complaint", "--format", "json").json()["records"]} == {
        ours,
        theirs,
    }  # a supervisor sees every department's


# ---- the standards, one for the department -----------------------------------------------


def test_each_policy_change_is_a_version_with_who_when_and_the_diff(ws_cli, workspace, backend):
    add_directory(workspace, admins=("postgres",))
    assert ws_cli("--as", "王经理", "policy", "set", "complaints.approval.above_compensation", "800").exit_code == 0
    policy = workspace / "policy.toml"
    if backend == "folder":  # an edit by hand is recorded by the next policy command, as found
        policy.write_text(policy.read_text(encoding="utf-8").replace('wait = "counted"', 'wait = "paused"'))
    assert ws_cli("policy", "set", "reports.compliance_target_pct", "95").exit_code == 0
    versions = ws_cli("policy", "history", "--format", "json").json()["versions"]
    changed = [v["changed"] for v in versions]
    assert [v["by"] for v in versions][:2] == ["王经理", "王经理"]
    assert changed[1] == ["complaints.approval.above_compensation"]
    if backend == "folder":
        assert changed[2:] == [["complaints.approval.wait"], ["reports.compliance_target_pct"]]
    else:
        assert changed[2:] == [["reports.compliance_target_pct"]]
    diff = ws_cli("policy", "diff", "1", "2")
    assert "-above_compensation = 500" in diff.stdout and "+above_compensation = 800" in diff.stdout
    assert refused(ws_cli("--as", "小李", "policy", "set", "reports.compliance_target_pct", "50"), "change_policy")


def test_desks_of_a_shared_store_work_under_one_policy(tmp_path, pg_url, monkeypatch):
    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    desks = [tmp_path / "a", tmp_path / "b"]
    for desk in desks:
        assert run_process("init", desk).returncode == 0
        add_directory(desk, admins=("postgres",))

    def at(desk, *args):
        return run_process("--workspace", desk, *args)

    assert (
        at(desks[0], "--as", "王经理", "policy", "set", "complaints.approval.above_compensation", "900").returncode == 0
    )
    assert at(desks[1], "policy", "set", "workspace.language", "en").returncode == 0  # personal: this desk's own
    for desk, language in zip(desks, ("zh", "en")):
        shown = at(desk, "policy", "show", "--format", "json")
        data = orjson.loads(shown.stdout)
        assert data["complaints"]["approval"]["above_compensation"] == 900, desk
        assert data["workspace"]["language"] == language
        assert "version 2" in shown.stderr
    # a clerk who names themselves manager in their own file changes nothing
    own = desks[1] / "policy.toml"
    own.write_text(own.read_text(encoding="utf-8").replace('role = "agent"', 'role = "manager"'), encoding="utf-8")
    assert refused(
        at(desks[1], "--as", "小李", "policy", "set", "reports.compliance_target_pct", "50"), "change_policy"
    )
    history = orjson.loads(at(desks[1], "policy", "history", "--format", "json").stdout)["versions"]
    assert [v["version"] for v in history] == [1, 2]


def test_policy_edit_checks_before_it_writes(ws_cli, workspace, tmp_path, monkeypatch):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/above_compensation = 500/above_compensation = $NEW/" "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    before = (workspace / "policy.toml").read_bytes()
    monkeypatch.setenv("NEW", "nan")
    bad = ws_cli("policy", "edit")
    assert bad.exit_code == 1 and "nothing was written" in bad.stderr
    assert (workspace / "policy.toml").read_bytes() == before
    monkeypatch.setenv("NEW", "700")
    assert ws_cli("policy", "edit").exit_code == 0
    assert ws_cli("policy", "show", "--format", "json").json()["complaints"]["approval"]["above_compensation"] == 700
    assert [v["note"] for v in ws_cli("policy", "history", "--format", "json").json()["versions"]] == [
        "as found in policy.toml",
        "edited",
    ]


def test_store_copy_carries_the_policy_and_its_history(ws_cli, workspace, pg_url, monkeypatch):
    assert ws_cli("policy", "set", "complaints.approval.above_compensation", "800").exit_code == 0
    before = ws_cli("policy", "history", "--format", "json").json()
    assert ws_cli("store", "copy", "--to", pg_url).exit_code == 0
    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    assert ws_cli("policy", "history", "--format", "json").json() == before
    shown = ws_cli("policy", "show", "--format", "json")
    assert shown.json()["complaints"]["approval"]["above_compensation"] == 800 and "version 2" in shown.stderr


def test_names_of_the_staff_are_shown_in_their_language(ws_cli, workspace):
    add_directory(workspace)
    rid = recorded(ws_cli, "--as", "小李")
    shown = ws_cli("--lang", "en", "show", rid)
    assert "Xiao Li" in shown.stdout and "trail" not in shown.stdout.lower().split("events")[0]
    assert "小李" in ws_cli("--lang", "zh", "show", rid).stdout


def test_as_does_not_stop_the_commands_that_make_a_workspace(tmp_path):
    made = run_process("--as", "王经理", "init", tmp_path / "new")
    assert made.returncode == 0, made.stderr
    outside = run_process("--as", "王经理", "plugins", cwd=tmp_path)
    assert "may not act" not in outside.stderr
