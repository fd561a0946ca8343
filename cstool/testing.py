"""Pytest fixtures for testing cstool plugins, yours or ours.

Enable them in a plugin's ``tests/conftest.py``::

    pytest_plugins = ["cstool.testing"]

    @pytest.fixture
    def cstool_plugins():
        import cstool_warranty
        return {"warranty": cstool_warranty}

Then a test asks for ``cstool`` and runs commands against a fresh workspace::

    def test_record(cstool):
        done = cstool("record", "warranty_claim", "--set", "serial=SN1", "--format", "json")
        assert done.exit_code == 0, done.stderr
        assert done.json()["id"].startswith("WC-")

Each test gets its own home folder and workspace, the bundled plugins and the plugins
``cstool_plugins`` names, and none of the plugins installed on the machine: the test sees
what it declares, whatever else the developer has installed.

Each test also runs at a fixed instant, so that it passes on any day: cstool reads "now"
from the environment variable ``CSTOOL_NOW`` (ISO 8601; read in UTC without an offset)
wherever it would read the clock, in this process and in every process it starts. The
``cstool_now`` fixture gives the instant; override it to test at another one, or set
``CSTOOL_NOW`` yourself with ``monkeypatch.setenv`` inside a test::

    @pytest.fixture
    def cstool_now():
        return "2027-01-01T00:00:00+08:00"
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CliResult", "run_cli"]


@dataclass
class CliResult:
    """What one command did: exit code, standard output, standard error (with plugin warnings)."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import orjson

        return orjson.loads(self.stdout)


def run_cli(
    *args: str, plugins: dict[str, object] | None = None, input: str | None = None, entry_points: bool = False
) -> CliResult:
    """Run one cstool command in this process, as the ``cstool`` program would.

    ``plugins`` maps plugin names to plugin objects (usually modules) registered beside the
    bundled ones; installed entry points are skipped unless ``entry_points`` is true.
    """
    from click.testing import CliRunner

    from cstool.cli import prepare

    argv = [str(arg) for arg in args]
    loading = io.StringIO()  # warnings about plugins are printed while they load
    with contextlib.redirect_stderr(loading):
        cli = prepare(argv, extra_plugins=tuple((plugins or {}).items()), entry_points=entry_points)
    result = CliRunner().invoke(cli, argv, input=input, prog_name="cstool", catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, loading.getvalue() + result.stderr)


@pytest.fixture
def cstool_now() -> str:
    """The instant the test runs at (``CSTOOL_NOW``). Override it in your conftest.py."""
    return "2026-12-01T10:00:00+08:00"


@pytest.fixture
def cstool_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cstool_now: str) -> Path:
    """An isolated environment: own home folder, no CSTOOL_* settings from the shell, user
    ``tester``, "now" fixed at ``cstool_now``.

    Returns the temporary folder the test runs in.
    """
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CSTOOL_USER", "tester")
    monkeypatch.setenv("CSTOOL_NOW", cstool_now)
    for name in ("CSTOOL_WORKSPACE", "CSTOOL_LANG", "CSTOOL_BLOCK_PLUGINS", "CSTOOL_LOAD_ENTRYPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cstool_plugins() -> dict[str, object]:
    """The plugins under test, by name. Override it in your conftest.py; empty by default."""
    return {}


@pytest.fixture
def cstool_workspace(cstool_env: Path, cstool_plugins: dict[str, object]) -> Path:
    """A new workspace (``cstool init``) with the default policy, in the test's own folder."""
    path = cstool_env / "workspace"
    done = run_cli("init", str(path), plugins=cstool_plugins)
    if done.exit_code != 0:
        raise AssertionError(f"cstool init failed: {done.stderr}")
    return path


@pytest.fixture
def cstool(cstool_workspace: Path, cstool_plugins: dict[str, object]) -> Callable[..., CliResult]:
    """``cstool(*args, input=None)``: run a command in the test workspace with your plugins loaded."""

    def run(*args: str, input: str | None = None) -> CliResult:
        return run_cli("--workspace", str(cstool_workspace), *args, plugins=cstool_plugins, input=input)

    return run
