"""Interactive entry through questionary, driven by prompt_toolkit's pipe input."""

from __future__ import annotations

import pytest
from conftest import data_snapshot, invoke
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from cstool.cli import prompts

DOWN, ENTER = "\x1b[B", "\r"


class Keys:
    """Keystrokes for the prompts; the input ends after them, so a prompt left waiting
    for more fails at once instead of hanging the suite."""

    def __init__(self, pipe):
        self.pipe = pipe

    def send_text(self, text: str) -> None:
        self.pipe.send_text(text)
        self.pipe.close()


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    with create_pipe_input() as pipe:
        with create_app_session(input=pipe, output=DummyOutput()):
            yield Keys(pipe)


def answers(*keys: str) -> str:
    return "".join(keys)


def test_record_at_prompts_in_chinese(terminal, workspace):
    # Fields in form order: customer_name, contact_phone, contact_email, channel (select), subject,
    # content, remedy, complainant_type (select), severity (select), received_by, region.
    terminal.send_text(
        answers(
            "王芳" + ENTER,
            "138 1234 5678" + ENTER,
            ENTER,
            DOWN + ENTER,  # channel: email
            "电水壶" + ENTER,
            "用了三天就漏水" + ENTER,
            "换新" + ENTER,
            DOWN + ENTER,  # complainant type: the first of the five (after skip)
            ENTER,  # severity: skip
            ENTER,
            "上海" + ENTER,
            "y",  # save
        )
    )
    result = invoke("--workspace", workspace, "record", "complaint", "--format", "json", "--reveal")
    assert result.exit_code == 0, result.stderr
    record = result.json()
    assert record["customer_name"] == "王芳" and record["contact_phone"] == "13812345678"
    assert record["channel"] == "email" and record["complainant_type"] == "通情达理型"
    assert record["severity"] == "minor"  # the policy default, set by the complaints plugin
    assert record["category"] == "product_quality" and record["region"] == "上海"


def test_invalid_answer_is_asked_again(terminal, workspace):
    terminal.send_text(
        answers(
            "Li" + ENTER,
            "not a phone" + ENTER,
            "\x15" + "13800001111" + ENTER,
            ENTER,  # \x15 clears the line
            ENTER,
            ENTER,
            "Broken kettle" + ENTER,
            ENTER,
            ENTER,
            ENTER,
            ENTER,
            ENTER,
            "y",
        )
    )
    result = invoke("--workspace", workspace, "--lang", "en", "record", "complaint", "--format", "json", "--reveal")
    assert result.exit_code == 0, result.stderr
    assert result.json()["contact_phone"] == "13800001111" and result.json()["channel"] == "phone"


def test_declining_the_summary_saves_nothing(terminal, workspace):
    terminal.send_text(
        answers(
            "王芳" + ENTER,
            ENTER,
            ENTER,
            ENTER,
            ENTER,
            "漏水" + ENTER,
            ENTER,
            ENTER,
            ENTER,
            ENTER,
            ENTER,
            "n",
        )
    )
    result = invoke("--workspace", workspace, "record", "complaint")
    assert result.exit_code == 1 and "Aborted" in result.stderr
    assert not data_snapshot(workspace)


def test_given_fields_are_not_asked(terminal, workspace):
    terminal.send_text(answers(ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, "y"))
    result = invoke(
        "--workspace",
        workspace,
        "record",
        "complaint",
        "--set",
        "customer_name=赵敏",
        "--set",
        "channel=web",
        "--set",
        "content=网站无法登录",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert result.json()["channel"] == "web"


def test_no_input_never_prompts(terminal, workspace):
    result = invoke("--workspace", workspace, "--no-input", "record", "complaint", "--set", "channel=web")
    assert result.exit_code == 1 and "customer_name: is required" in result.stderr
    result = invoke("--workspace", workspace, "record", "complaint", "--no-input", "--set", "channel=web")
    assert result.exit_code == 1 and "content: is required" in result.stderr
