"""The installed program: a real wheel in a fresh venv, `python -m`, and a light `--help`."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT, make_venv


def test_wheel_carries_policy_and_templates_and_init_works(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("cstool-*.whl"))
    env = make_venv(tmp_path / "venv", with_checkout=False)
    env.pip_install(wheel)
    quiet = {"CSTOOL_LOAD_ENTRYPOINTS": "0"}
    where = env.run("-c", "import cstool; print(cstool.__file__)", cwd=tmp_path, env=quiet).stdout
    assert where.startswith(str(env.root)), where
    done = env.run("-m", "cstool", "init", tmp_path / "ws", cwd=tmp_path, env=quiet)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ws" / "policy.toml").read_text(encoding="utf-8") == (ROOT / "policy.toml").read_text(
        encoding="utf-8"
    )
    assert (tmp_path / "ws" / "templates" / "import" / "cfpb.toml").is_file()
    assert not (tmp_path / "ws" / "templates" / "plugin").exists()
    chinese = env.run(
        "-m",
        "cstool",
        "--workspace",
        tmp_path / "ws",
        "--lang",
        "zh",
        "show",
        "CMP-20261116-0001",
        cwd=tmp_path,
        env=quiet,
    )
    assert chinese.returncode == 1 and "错误：没有记录" in chinese.stderr  # the compiled catalogues are in the wheel
    scaffolded = env.run(
        "-m", "cstool", "plugin", "new", "spare-parts", "--output", tmp_path / "p", cwd=tmp_path, env=quiet
    )
    assert scaffolded.returncode == 0, scaffolded.stderr
    assert (tmp_path / "p" / "cstool_spare_parts" / "__init__.py").is_file()


PROBE = """
import sys
from cstool.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exit:
    assert not exit.code, exit.code
print("HEAVY:" + ",".join(name for name in sys.argv[1].split(",") if name in sys.modules))
"""


def heavy_modules_imported(names: str, *args) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, names, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_help_imports_no_heavy_modules():
    assert (
        heavy_modules_imported(
            "questionary,prompt_toolkit,tabulate,tinydb,orjson,tomlkit,statistics,hashlib,decimal", "--help"
        )
        == "HEAVY:"
    )


def test_a_command_that_only_reads_takes_no_lock_library(workspace):
    """Reading takes no lock: filelock (~8 ms to import) is for commands that write."""
    assert (
        heavy_modules_imported(
            "filelock,questionary,tabulate", "--workspace", workspace, "report", "sla", "--format", "json"
        )
        == "HEAVY:"
    )
