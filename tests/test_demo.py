"""`cstool demo` builds a realistic workspace through the normal pipeline."""

from __future__ import annotations

from conftest import invoke


def test_demo_builds_records_and_prints_the_dashboard(tmp_path):
    result = invoke("--lang", "zh", "demo", tmp_path / "demo")
    assert result.exit_code == 0, result.stderr
    assert "工作总览" in result.stdout and "投诉" in result.stdout and "次升级" in result.stdout
    listed = invoke("--workspace", tmp_path / "demo", "list", "complaint", "--format", "json").json()
    assert listed["count"] >= 200
    records = listed["records"]
    assert any(r["status"] == "closed" for r in records) and any(r["status"] == "registered" for r in records)
    assert any(r["category"] for r in records), "classification ran on save"
    assert any(e["type"] == "escalated" for r in records for e in r["events"]), "escalation ran"
    assert (tmp_path / "demo" / ".cache" / "clocks-complaint.json").is_file(), "the clocks escalate computed are kept"
    assert any("\u4e00" <= r["content"][0] <= "\u9fff" for r in records) and any(
        r["content"][0].isascii() for r in records
    )
    again = invoke("demo", tmp_path / "demo")
    assert again.exit_code == 1 and "--force" in again.stderr
    assert invoke("demo", "--force", tmp_path / "demo").exit_code == 0


def test_a_reader_that_goes_away_ends_the_program_quietly(tmp_path):
    import os
    import subprocess
    import sys

    invoke("demo", tmp_path / "demo")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(tmp_path / "demo"), "list", "complaint"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"},
    )
    proc.stdout.read(10)
    proc.stdout.close()  # like `| head -c 10`
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "internal error" not in stderr and "Traceback" not in stderr


def test_demo_force_never_replaces_a_workspace_it_did_not_make(ws_cli, workspace):
    from conftest import complaint_args, data_snapshot

    ws_cli("record", "complaint", *complaint_args())
    before = data_snapshot(workspace)
    refused = invoke("demo", "--force", workspace)
    assert refused.exit_code == 1 and "no earlier `cstool demo` made it" in refused.stderr
    assert "--force" not in refused.stderr.split("made it")[1]
    assert data_snapshot(workspace) == before


def test_init_force_keeps_the_policy_and_templates_it_resets(ws_cli, workspace):
    from conftest import complaint_args, data_snapshot

    ws_cli("record", "complaint", *complaint_args())
    ws_cli("policy", "set", "workspace.language", "en")
    custom = workspace / "templates" / "forms" / "mine.md"
    custom.write_text("our own form", encoding="utf-8")
    before = data_snapshot(workspace)
    done = invoke("init", "--force", workspace)
    assert done.exit_code == 0, done.stderr
    kept_policy = next(workspace.glob("policy.toml.before-init-*"))
    assert 'language = "en"' in kept_policy.read_text(encoding="utf-8") and kept_policy.name in done.stdout
    assert (
        next(workspace.glob("templates.before-init-*")).joinpath("forms", "mine.md").read_text(encoding="utf-8")
        == "our own form"
    )
    assert data_snapshot(workspace) == before
