"""Workspace creation and discovery (spec section 3)."""

from __future__ import annotations

from conftest import complaint_args, data_snapshot, invoke


def test_init_creates_policy_data_plugins_and_templates(tmp_path):
    result = invoke("init", tmp_path / "w")
    assert result.exit_code == 0
    for part in ("policy.toml", "data", "plugins", "templates/import/cfpb.toml"):
        assert (tmp_path / "w" / part).exists(), part


def test_init_refuses_an_existing_workspace_unless_forced(tmp_path):
    invoke("init", tmp_path / "w")
    invoke("--workspace", tmp_path / "w", "record", "complaint", *complaint_args())
    again = invoke("init", tmp_path / "w")
    assert again.exit_code == 1 and "--force" in again.stderr
    (tmp_path / "w" / "policy.toml").write_text("# edited\n[workspace]\n", encoding="utf-8")
    assert invoke("init", "--force", tmp_path / "w").exit_code == 0
    assert "edited" not in (tmp_path / "w" / "policy.toml").read_text(encoding="utf-8")
    assert data_snapshot(tmp_path / "w")  # records are kept


def test_init_and_demo_make_the_folder_the_global_workspace_option_names(tmp_path, monkeypatch):
    """`cstool --workspace X init` makes X, not the folder it runs in (which once had its own
    templates moved aside); DIR and --workspace naming two folders is refused."""
    here = tmp_path / "here"
    here.mkdir()
    (here / "templates").mkdir()  # someone's own folder, which nobody asked to change
    monkeypatch.chdir(here)
    assert invoke("--workspace", tmp_path / "x", "init").exit_code == 0
    assert (tmp_path / "x" / "policy.toml").is_file() and sorted(p.name for p in here.iterdir()) == ["templates"]
    assert invoke("--workspace", tmp_path / "x", "init", tmp_path / "x", "--force").exit_code == 0
    two = invoke("--workspace", tmp_path / "y", "init", tmp_path / "z")
    assert two.exit_code == 2 and "two folders" in two.stderr
    assert not (tmp_path / "y").exists() and not (tmp_path / "z").exists()
    demo = invoke("--workspace", tmp_path / "d", "demo")
    assert demo.exit_code == 0, demo.output
    assert (tmp_path / "d" / "policy.toml").is_file() and not (here / "demo-workspace").exists()


def test_init_refuses_cstool_s_own_folder(tmp_path, monkeypatch):
    """Run from a source checkout, `cstool init` there would move the bundled templates aside
    and then copy from where they were: refused, nothing moved."""
    import shutil

    from cstool.core import resources

    own = tmp_path / "checkout"
    own.mkdir()
    shutil.copyfile(resources.default_policy_path(), own / "policy.toml")
    shutil.copytree(resources.templates_dir(), own / "templates")
    monkeypatch.setattr(resources, "bundled_root", lambda: own)
    refused = invoke("init", own)
    assert refused.exit_code == 1 and "cstool's own" in refused.stderr
    assert sorted(p.name for p in own.iterdir()) == ["policy.toml", "templates"]


def test_discovery_order(tmp_path, monkeypatch):
    for name in ("a", "b", "c"):
        invoke("init", tmp_path / name)
    (tmp_path / "c" / "deep" / "er").mkdir(parents=True)

    def where_records_go(*global_args):
        result = invoke(*global_args, "record", "complaint", *complaint_args(), "--format", "json")
        assert result.exit_code == 0, result.stderr
        return {n for n in "abc" if data_snapshot(tmp_path / n)}

    monkeypatch.chdir(tmp_path / "c" / "deep" / "er")
    assert where_records_go() == {"c"}
    monkeypatch.setenv("CSTOOL_WORKSPACE", str(tmp_path / "b"))
    assert where_records_go() == {"b", "c"}
    assert where_records_go("--workspace", str(tmp_path / "a")) == {"a", "b", "c"}


def test_no_workspace_is_a_clear_error(tmp_path):
    result = invoke("list", "complaint")
    assert result.exit_code == 1
    assert "no workspace: run `cstool init` or pass --workspace" in result.stderr
    elsewhere = invoke("--workspace", tmp_path / "nothing", "list", "complaint")
    assert elsewhere.exit_code == 1 and "is not a workspace" in elsewhere.stderr


def test_help_and_version_need_no_workspace():
    assert invoke("--help").exit_code == 0
    from cstool import __version__

    assert __version__ in invoke("--version").stdout
