"""The installed program: a real wheel in a fresh venv, `python -m`, and a light `--help`."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from conftest import ROOT


def test_wheel_carries_policy_and_templates_and_init_works(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(ROOT)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("cstool-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, str(wheel)],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    # The fresh venv gets its dependencies from this one; .pth lines add folders but are not
    # themselves scanned for .pth files, so the checkout's editable install stays out of it.
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    env = {**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0", "PYTHONPATH": ""}
    where = subprocess.run([python, "-c", "import cstool; print(cstool.__file__)"], capture_output=True, text=True,
                           cwd=tmp_path, env=env, check=True).stdout
    assert where.startswith(str(env_dir)), where
    done = subprocess.run([python, "-m", "cstool", "init", str(tmp_path / "ws")], capture_output=True, text=True,
                          cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ws" / "policy.toml").read_text(encoding="utf-8") == (ROOT / "policy.toml").read_text(encoding="utf-8")
    assert (tmp_path / "ws" / "templates" / "import" / "cfpb.toml").is_file()


HELP_PROBE = """
import sys
from cstool.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
heavy = [name for name in ("questionary", "prompt_toolkit", "tabulate", "tinydb", "orjson", "tomlkit") if name in sys.modules]
print("HEAVY:" + ",".join(heavy))
"""


def test_help_imports_no_heavy_modules():
    done = subprocess.run([sys.executable, "-c", HELP_PROBE], capture_output=True, text=True,
                          env={**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"
