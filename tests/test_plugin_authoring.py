"""Writing a plugin: `cstool plugin new`, installed with pip, its own tests passing; names refused."""

from __future__ import annotations

import json

import pytest
from conftest import invoke, make_venv


def test_a_scaffolded_plugin_installs_with_pip_passes_its_tests_and_loads(tmp_path):
    made = invoke(
        "plugin",
        "new",
        "warranty-claims",
        "--title",
        "Warranty claims",
        "--title-zh",
        "保修索赔",
        "--output",
        tmp_path / "pkg",
    )
    assert made.exit_code == 0, made.stderr
    package = tmp_path / "pkg"
    assert {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()} == {
        "pyproject.toml",
        "README.md",
        "cstool_warranty_claims/__init__.py",
        "tests/conftest.py",
        "tests/test_cstool_warranty_claims.py",
    }
    assert "{{" not in "".join(p.read_text(encoding="utf-8") for p in package.rglob("*") if p.is_file())

    env = make_venv(tmp_path / "venv", with_checkout=True)
    env.pip_install(package)
    tests = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", package / "tests", cwd=package)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "6 passed" in tests.stdout

    # Installed, it loads through its entry point with no further set-up.
    workspace = tmp_path / "ws"
    installed = {"CSTOOL_LOAD_ENTRYPOINTS": "1"}
    assert env.run("-m", "cstool", "init", workspace, cwd=tmp_path).returncode == 0
    listed = env.run(
        "-m", "cstool", "--workspace", workspace, "plugins", "--format", "json", cwd=tmp_path, env=installed
    )
    plugins = {p["name"]: p for p in json.loads(listed.stdout)["plugins"]}
    assert plugins["warranty_claims"]["source"].startswith("entry point cstool_warranty_claims")
    recorded = env.run(
        "-m",
        "cstool",
        "--workspace",
        workspace,
        "--lang",
        "zh",
        "record",
        "warranty_claims",
        "--set",
        "customer_name=李四",
        "--set",
        "product=tv",
        "--set",
        "serial_number=X1",
        "--set",
        "purchase_date=2026-05-01",
        "--set",
        "description=屏幕漏电",
        "--format",
        "json",
        cwd=tmp_path,
        env=installed,
    )
    assert recorded.returncode == 0, recorded.stderr
    claim = json.loads(recorded.stdout)
    assert claim["id"].startswith("WC-") and claim["priority"] == "urgent"


@pytest.mark.parametrize(
    "name, message",
    [
        ("Warranty", "lower-case letters"),
        ("1st-line", "lower-case letters"),
        ("a--b", "lower-case letters"),
    ],
)
def test_a_bad_plugin_name_is_a_usage_error(tmp_path, name, message):
    done = invoke("plugin", "new", name, "--output", tmp_path / "x")
    assert done.exit_code == 2 and message in done.stderr
    assert not (tmp_path / "x").exists()


def test_a_name_or_prefix_taken_by_a_loaded_kind_is_refused(tmp_path):
    taken = invoke("plugin", "new", "complaint", "--output", tmp_path / "x")
    assert taken.exit_code == 1 and "'complaint'" in taken.stderr and "complaints" in taken.stderr
    prefix = invoke("plugin", "new", "claims", "--prefix", "CMP", "--output", tmp_path / "x")
    assert prefix.exit_code == 1 and "CMP" in prefix.stderr
    assert not (tmp_path / "x").exists()


def test_an_existing_folder_is_never_written_into(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine", encoding="utf-8")
    done = invoke("plugin", "new", "claims", "--output", tmp_path / "x")
    assert done.exit_code == 1 and "not empty" in done.stderr
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["keep.txt"]


def test_default_names_come_from_the_plugin_name():
    from cstool.core.scaffold import plugin_names

    names = plugin_names("spare-parts")
    assert (names.plugin, names.dist, names.module, names.kind, names.prefix, names.title_en) == (
        "spare_parts",
        "cstool-spare-parts",
        "cstool_spare_parts",
        "spare_parts",
        "SP",
        "Spare parts",
    )
    assert plugin_names("loans").prefix == "LOA"
