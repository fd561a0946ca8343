"""Nobody else's code runs as you: a workspace another user could change is refused."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import run_process

from cstool.core.workspace import TRUSTED_ENV

PLUGIN = "from pathlib import Path\nPath(__file__).with_name('ran').write_text('yes')\n"


@pytest.fixture
def planted(tmp_path):
    """A workspace planted in a shared folder, as another user could leave one in /tmp."""
    shared = tmp_path / "shared"
    done = run_process("init", shared)
    assert done.returncode == 0, done.stderr
    (shared / "plugins" / "x.py").write_text(PLUGIN, encoding="utf-8")
    (shared / "sub").mkdir()
    return shared


def quietly(shared, *args, env=None):
    return run_process(*args, cwd=shared / "sub", env={"CSTOOL_LOAD_ENTRYPOINTS": "0", **(env or {})})


def test_a_workspace_others_can_write_runs_no_plugin_and_is_refused(planted):
    os.chmod(planted / "plugins", 0o777)
    helped = quietly(planted, "--help")
    assert helped.returncode == 0
    assert not (planted / "plugins" / "ran").exists(), "a plugin in a folder others can write ran"
    assert "can be changed by other users (mode 777)" in helped.stderr and TRUSTED_ENV in helped.stderr
    listed = quietly(planted, "list", "complaint")
    assert listed.returncode == 1 and "can be changed by other users" in listed.stderr
    assert not (planted / "plugins" / "ran").exists()


def test_a_plugin_file_others_can_write_is_enough_to_refuse(planted):
    os.chmod(planted / "plugins" / "x.py", 0o666)
    assert quietly(planted, "list", "complaint").returncode == 1
    assert not (planted / "plugins" / "ran").exists()


def test_a_workspace_shared_on_purpose_is_named_in_the_environment(planted):
    os.chmod(planted / "plugins", 0o770)
    trusted = quietly(planted, "list", "complaint", env={TRUSTED_ENV: str(planted)})
    assert trusted.returncode == 0, trusted.stderr
    assert (planted / "plugins" / "ran").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_workspace_of_another_user_is_refused_even_to_root(planted):
    for folder, _dirs, files in os.walk(planted):
        shutil.chown(folder, 65534, 65534)
        for name in files:
            shutil.chown(os.path.join(folder, name), 65534, 65534)
    helped = quietly(planted, "--help")
    assert not (planted / "plugins" / "ran").exists()
    assert "belongs to another user (uid 65534)" in helped.stderr
    assert quietly(planted, "list", "complaint").returncode == 1
