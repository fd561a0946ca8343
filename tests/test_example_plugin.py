"""examples/cstool-chat-webhook, an outside plugin: installed with pip into a fresh venv,
loaded from its entry point or from a workspace's plugins/ folder, and blocked."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest
from conftest import ROOT, make_venv

EXAMPLE = ROOT / "examples" / "cstool-chat-webhook"
COMPLAINT = (
    "--set",
    "customer_name=张伟",
    "--set",
    "channel=letter",  # one clock: by phone its dispatch standard would escalate too
    "--set",
    "content=电水壶漏水",
    "--set",
    "contact_phone=13812341234",
    "--at",
    "2026-11-16T09:00:00+08:00",
)


def _example_conftest():
    """The example's own loopback robot fixture, reused rather than written twice."""
    spec = importlib.util.spec_from_file_location("chat_webhook_example_conftest", EXAMPLE / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


robot = _example_conftest().robot


class Cstool:
    """`python -m cstool` in a venv, against one workspace, with entry points loaded."""

    def __init__(self, env, workspace, cwd):
        self.env, self.workspace, self.cwd = env, workspace, cwd

    def __call__(self, *args, extra_env=None):
        return self.env.run(
            "-m",
            "cstool",
            "--workspace",
            self.workspace,
            *args,
            cwd=self.cwd,
            env={"CSTOOL_LOAD_ENTRYPOINTS": "1", **(extra_env or {})},
        )

    def escalation_posts(self, robot, now, extra_env=None) -> int:
        before = len(robot.posts)
        self("record", "complaint", *COMPLAINT, extra_env=extra_env)
        done = self("escalate", "--now", now, extra_env=extra_env)
        assert done.returncode == 0, done.stderr
        return len(robot.posts) - before


@pytest.fixture
def venv_cstool(tmp_path):
    env = make_venv(tmp_path / "venv", with_checkout=True)
    workspace = tmp_path / "ws"
    assert env.run("-m", "cstool", "init", workspace, cwd=tmp_path).returncode == 0
    return Cstool(env, workspace, tmp_path)


def plugin_row(cstool, name="chat_webhook", extra_env=None):
    listed = cstool("plugins", "--format", "json", extra_env=extra_env)
    assert listed.returncode == 0, listed.stderr
    return {p["name"]: p for p in json.loads(listed.stdout)["plugins"]}.get(name)


def test_installed_with_pip_it_loads_from_its_entry_point_and_posts(venv_cstool, robot):
    assert plugin_row(venv_cstool) is None  # not installed yet
    venv_cstool.env.pip_install(EXAMPLE)
    assert venv_cstool("policy", "set", "notify.webhook.url", f'"{robot.url}"').returncode == 0
    row = plugin_row(venv_cstool)
    assert row["source"] == "entry point cstool_chat_webhook (cstool_chat_webhook-0.1.0)"
    assert {"cstool_notify", "cstool_check_policy", "cstool_commands"} <= set(row["hooks"])
    assert venv_cstool.escalation_posts(robot, "2026-11-16T13:45:00+08:00") == 1
    assert "【投诉升级 / escalation】CMP-20261116-" in robot.posts[-1]["text"]["content"]
    assert venv_cstool("webhook", "test").stdout == "posted\n"

    # Blocked for one shell by the environment, then for the workspace by its policy.
    blocked_env = {"CSTOOL_BLOCK_PLUGINS": "chat_webhook"}
    assert plugin_row(venv_cstool, extra_env=blocked_env)["blocked"] is True
    assert venv_cstool.escalation_posts(robot, "2026-11-16T13:50:00+08:00", blocked_env) == 0
    assert venv_cstool("policy", "set", "plugins.blocked", '["chat_webhook"]').returncode == 0
    assert plugin_row(venv_cstool)["blocked"] is True
    assert venv_cstool("webhook", "test").returncode == 2  # no such command while it is blocked
    assert venv_cstool("policy", "set", "plugins.blocked", "[]").returncode == 0
    assert plugin_row(venv_cstool)["blocked"] is False


def test_copied_into_the_workspace_plugins_folder_it_loads_without_installing(venv_cstool, robot):
    shutil.copyfile(
        EXAMPLE / "cstool_chat_webhook" / "__init__.py", venv_cstool.workspace / "plugins" / "chat_webhook.py"
    )
    assert venv_cstool("policy", "set", "notify.webhook.url", f'"{robot.url}"').returncode == 0
    assert plugin_row(venv_cstool)["source"] == str(venv_cstool.workspace / "plugins" / "chat_webhook.py")
    assert venv_cstool.escalation_posts(robot, "2026-11-16T13:45:00+08:00") == 1


def test_the_examples_own_tests_pass_once_installed(tmp_path):
    env = make_venv(tmp_path / "venv", with_checkout=True)
    env.pip_install(EXAMPLE)
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("cstool_chat_webhook", "__pycache__", "build"))
    done = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", copy / "tests", cwd=copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
