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
            ENTER,  # save
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
            ENTER,  # save
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
            DOWN + DOWN + ENTER,  # discard it
            DOWN + ENTER,  # every answer: yes (no is first, the default)
        )
    )
    result = invoke("--workspace", workspace, "record", "complaint")
    assert result.exit_code == 1 and "Aborted" in result.stderr
    assert not data_snapshot(workspace)


def test_given_fields_are_not_asked(terminal, workspace):
    terminal.send_text(answers(ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, ENTER))
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


def test_a_wrong_link_is_refused_as_it_is_typed_and_nothing_else_is_lost(terminal, workspace):
    case = invoke(
        "--workspace", workspace, "--no-input", "record", "complaint",
        "--set", "customer_name=王芳", "--set", "channel=phone", "--set", "content=漏水", "--format", "json",
    ).json()["id"]  # fmt: skip
    terminal.send_text(
        answers(
            ENTER,  # direction: inbound
            "13800001111" + ENTER,
            "王芳" + ENTER,  # caller's name
            ENTER,  # address
            ENTER,  # outcome: answered
            DOWN + ENTER,  # agent
            "回访" + ENTER,  # topic
            "CMP-20200101-0009" + ENTER,  # a case that does not exist: refused here, the entry goes on
            "\x15" + case + ENTER,
            ENTER,  # notes
            ENTER,  # save
        )
    )
    result = invoke("--workspace", workspace, "--lang", "en", "record", "call", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["linked_record"] == case and result.json()["topic"] == "回访"
    assert result.json()["caller_name"] == "王*"  # personal: masked in what is printed


def test_an_item_the_agreement_lacks_is_asked_again_from_its_items(terminal, workspace):
    terminal.send_text(
        answers(
            "财务部小陈" + ENTER,  # requested_by
            "工资核对" + ENTER,  # subject
            ENTER,  # details
            DOWN + ENTER,  # the whole entry refuses the item: chosen again, from the agreement's items
            ENTER,  # save
        )
    )
    result = invoke(
        "--workspace", workspace, "--lang", "en", "record", "internal_request",
        "--set", "agreement=hr-finance", "--set", "item=coffee", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "'coffee' is not in agreement hr-finance" in result.stderr
    record = result.json()
    assert (
        record["item"] == "recruitment" and record["subject"] == "工资核对" and record["requested_by"] == "财务部小陈"
    )


def test_at_the_confirmation_an_answer_can_be_changed_and_the_rest_is_kept(terminal, workspace):
    terminal.send_text(
        answers(
            "王芳" + ENTER,
            ENTER,
            ENTER,
            ENTER,  # channel: phone
            ENTER,
            "漏水" + ENTER,
            ENTER,
            ENTER,
            ENTER,
            ENTER,
            ENTER,
            DOWN + ENTER,  # not save: change an answer
            ENTER,  # which: the first, the complainant
            "\x15" + "王小芳" + ENTER,
            ENTER,  # save
        )
    )
    result = invoke("--workspace", workspace, "--lang", "en", "record", "complaint", "--format", "json", "--reveal")
    assert result.exit_code == 0, result.stderr
    record = result.json()
    assert record["customer_name"] == "王小芳" and record["content"] == "漏水"
    assert "(decided)" in result.stderr  # the category the rules chose was shown before saving


def test_ctrl_c_at_the_confirmation_writes_nothing(terminal, workspace):
    terminal.send_text(answers("王芳" + ENTER, ENTER, ENTER, ENTER, ENTER, "漏水" + ENTER, *[ENTER] * 5, "\x03"))
    result = invoke("--workspace", workspace, "record", "complaint")
    assert result.exit_code == 1
    assert not data_snapshot(workspace)


def test_the_three_guarantees_decision_and_the_outlet_are_shown_before_saving(terminal, workspace):
    values = {
        "customer_name": "陈静", "contact_phone": "13912345678", "product_line": "appliances",
        "product": "电水壶 K-200", "purchase_date": "2026-11-06", "fault": "不加热", "service": "return",
        "region": "浦东",
    }  # fmt: skip
    sets = [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]
    terminal.send_text(ENTER * 12)  # whatever else is asked: skipped; then save
    result = invoke(
        "--workspace", workspace, "--lang", "en", "record", "aftersales", *sets, "--at", "2026-11-16 10:00",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    summary = result.stderr[result.stderr.index("Please check") :]
    assert "Entitled to (decided)" in summary and "Service outlet (decided)" in summary
    assert "浦东服务站" in summary and "Exchange" in summary  # the entitlement by its name


def typed(keys: str, *args: str):
    """One command at the prompts, fed ``keys`` (a fresh terminal each time)."""
    with create_pipe_input() as pipe:
        with create_app_session(input=pipe, output=DummyOutput()):
            pipe.send_text(keys)
            pipe.close()
            return invoke(*args)


def test_ctrl_c_halfway_keeps_a_draft_that_the_next_entry_offers(monkeypatch, workspace):
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    stopped = typed(answers("王芳" + ENTER, "138 1234 5678" + ENTER, "\x03"), "--workspace", str(workspace),
                    "record", "complaint")  # fmt: skip
    assert stopped.exit_code == 1 and not data_snapshot(workspace)
    assert list((workspace / ".drafts").glob("complaint-*.json")), "Ctrl-C lost the answers"
    # --resume takes the draft: only what was not answered is asked
    resumed = typed(
        answers(ENTER, ENTER, ENTER, "漏水了" + ENTER, *[ENTER] * 5, ENTER),
        "--workspace", str(workspace), "record", "complaint", "--resume", "--format", "json", "--reveal",
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed.stderr
    record = resumed.json()
    assert (record["customer_name"], record["contact_phone"], record["content"]) == ("王芳", "13812345678", "漏水了")
    assert not list((workspace / ".drafts").glob("complaint-*.json")), "a saved record leaves no draft"


def test_a_new_entry_asks_first_whether_to_continue_the_draft(monkeypatch, workspace):
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    typed(answers("李雷" + ENTER, "\x03"), "--workspace", str(workspace), "record", "complaint")
    continued = typed(
        answers(ENTER, ENTER, ENTER, ENTER, ENTER, "没有回复" + ENTER, *[ENTER] * 5, ENTER),  # first: yes, continue
        "--workspace", str(workspace), "record", "complaint", "--format", "json", "--reveal",
    )  # fmt: skip
    assert continued.exit_code == 0, continued.stderr
    assert continued.json()["customer_name"] == "李雷"


def test_the_complaint_finds_its_customer_by_the_tail_of_a_phone(monkeypatch, workspace, ws_cli):
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    made = ws_cli("--no-input", "record", "customer", "--set", "customer_type=individual", "--set", "name=周杰",
                  "--set", "phone=13955556789", "--format", "json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    cid = made.json()["id"]
    result = typed(
        answers(
            "12" + ENTER,  # too few digits: asked again
            "6789" + ENTER,
            ENTER,  # the one found (masked)
            ENTER,  # e-mail: skip (name and phone came from the profile)
            ENTER,  # channel
            ENTER,
            "上门维修没人来" + ENTER,
            *[ENTER] * 5,
            ENTER,  # save
        ),
        "--workspace", str(workspace), "record", "complaint", "--format", "json", "--reveal",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    record = result.json()
    assert (record["customer_id"], record["customer_name"], record["contact_phone"]) == (cid, "周杰", "13955556789")
    trail = ws_cli("show", cid, "--format", "json").json()["events"]
    assert any(e["type"] == "revealed" and e.get("via") == "lookup" for e in trail), trail


def test_dates_and_amounts_as_they_are_written_in_chinese(ws_cli):
    made = ws_cli("--no-input", "record", "complaint", *[a for kv in (
        ("customer_name", "王芳"), ("channel", "phone"), ("content", "赔偿"), ("compensation", "1.5万"),
    ) for a in ("--set", f"{kv[0]}={kv[1]}")], "--at", "2026年11月24日 下午3点半", "--format", "json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert made.json()["compensation"] == 15000 and made.json()["created_at"].startswith("2026-11-24T15:30")
    for written in ("2026/11/24", "11月24日"):
        found = ws_cli("list", "complaint", "--since", written, "--format", "json")
        assert found.exit_code == 0, found.stderr
