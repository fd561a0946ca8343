"""Mail to customers: replies from a case and notices on its events, through a real SMTP
server (aiosmtpd), in the customer's thread, each once, to nobody else."""

from __future__ import annotations

import mailbox
import os
from email import message_from_bytes, policy as email_policy
from pathlib import Path

import pytest
from conftest import complaint_args
from test_mail import BEFORE_NOW, gb2312_message, message, outlook_reply


@pytest.fixture
def mailed(workspace, smtp_server, tmp_path):
    """A workspace reading a Maildir inbox and sending through the test's SMTP server:
    (the inbox folder, the folder the SMTP server delivers into)."""
    port, delivered = smtp_server
    inbox = tmp_path / "inbox"
    mailbox.Maildir(inbox, create=True).close()
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(
            f'\n[mail.inboxes.support]\nlocation = "maildir://{inbox}"\n'
            f'\n[notify.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "kefu@shop.example"\n'
        )
    return inbox, delivered


def arrive(inbox: Path, *messages: bytes) -> None:
    box = mailbox.Maildir(inbox)
    for raw in messages:
        key = box.add(mailbox.MaildirMessage(raw))
        os.utime(inbox / "new" / key, (BEFORE_NOW, BEFORE_NOW))
    box.close()


def sent(delivered: Path) -> list:
    if not delivered.exists():
        return []
    box = mailbox.Maildir(delivered)
    return [message_from_bytes(box.get_bytes(key), policy=email_policy.default) for key in sorted(box.keys())]


def opened_by_mail(ws_cli, inbox: Path, raw: bytes) -> str:
    arrive(inbox, raw)
    result = ws_cli("mail", "fetch", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["inboxes"][0]["new"][0]


def test_a_reply_goes_to_the_customer_in_their_thread_and_stops_the_first_response_clock(mailed, ws_cli):
    inbox, delivered = mailed
    case = opened_by_mail(ws_cli, inbox, gb2312_message("<first@example.cn>"))
    done = ws_cli("reply", case, "--message", "师傅明天上午上门维修。", "--format", "json")
    assert done.exit_code == 0, done.stderr
    shown = done.json()
    assert shown["sent"] and shown["to"] == "z***@example.cn"
    [letter] = sent(delivered)
    assert letter["To"] == "zhang.san@example.cn" and letter["From"] == "kefu@shop.example"
    assert f"[{case}]" in letter["Subject"] and letter["In-Reply-To"] == "<first@example.cn>"
    assert "<first@example.cn>" in letter["References"]
    assert "师傅明天上午上门维修" in letter.get_content() and "Auto-Submitted" not in letter
    record = ws_cli("show", case, "--format", "json").json()
    response = record["events"][-1]
    assert response["type"] == "response" and response["via"] == "email"
    assert response["message_id"] == letter["Message-ID"]
    assert record["first_response_at"] == response["at"]
    # the customer answers our mail: In-Reply-To names our message alone, and finds the case
    arrive(inbox, outlook_reply("<second@example.cn>", letter["Message-ID"], subject="Re: 上门时间"))
    outcome = ws_cli("mail", "fetch", "--format", "json").json()["inboxes"][0]
    assert outcome["replies"] == [case] and outcome["new"] == []


def test_a_reply_template_in_the_customer_s_language_and_a_wrong_placeholder_named(mailed, ws_cli, workspace):
    inbox, _delivered = mailed
    case = opened_by_mail(ws_cli, inbox, message("Broken fridge", "It does not cool.", message_id="<t@x>"))
    preview = ws_cli("--lang", "zh", "reply", case, "--dry-run", "--no-edit", "--format", "json")
    assert preview.exit_code == 0, preview.stderr
    shown = preview.json()
    assert not shown["sent"] and shown["body"].startswith("张三，您好") and case in shown["body"]
    assert ws_cli("show", case, "--format", "json").json().get("first_response_at") is None
    (workspace / "templates" / "replies" / "sorry.en.txt").write_text("Subject: Sorry\n\nDear {nmae},\n")
    wrong = ws_cli("reply", case, "--template", "sorry", "--no-edit")
    assert wrong.exit_code == 1
    assert "sorry.en.txt:3: unknown placeholder {nmae}" in wrong.stderr


def test_a_case_without_an_address_gets_no_mail(mailed, ws_cli):
    _inbox, delivered = mailed
    case = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    refused = ws_cli("reply", case, "--message", "hello")
    assert refused.exit_code == 1 and "no customer e-mail address" in refused.stderr
    assert sent(delivered) == []


NOTICES = """
[[notify.customer]]
on = "registered"
template = "ack"

[[notify.customer]]
on = "resolved"
template = "resolved"
"""


def test_notices_go_once_each_to_their_own_customer_and_never_to_a_deregistered_one(mailed, ws_cli, workspace):
    inbox, delivered = mailed
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(NOTICES)
    arrive(
        inbox,
        gb2312_message("<a@example.cn>"),
        message("Broken kettle", "It leaks.", sender="李四 <li.si@example.org>", message_id="<b@example.org>"),
    )
    cases = ws_cli("mail", "fetch", "--format", "json").json()["inboxes"][0]["new"]
    assert len(cases) == 2
    first = ws_cli("mail", "notify", "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert sorted(n["id"] for n in first.json()["sent"]) == sorted(cases)
    letters = sent(delivered)
    assert len(letters) == 2
    for letter in letters:  # each customer's acknowledgement names them and their case, nobody else
        body = letter.get_content()
        mine = "张三" if letter["To"] == "zhang.san@example.cn" else "李四"
        other = "李四" if mine == "张三" else "张三"
        assert mine in body and other not in body and letter["Auto-Submitted"] == "auto-generated"
        case = next(c for c in cases if c in letter["Subject"])
        assert case in body
    assert ws_cli("mail", "notify", "--format", "json").json()["sent"] == []  # each once
    # resolved: the resolution notice, once
    assert ws_cli("update", cases[0], "--set", "resolution=已更换压缩机").exit_code == 0
    assert ws_cli("status", cases[0], "responded").exit_code == 0
    resolved = ws_cli("mail", "notify", "--format", "json").json()["sent"]
    assert [(n["id"], n["on"]) for n in resolved] == [(cases[0], "resolved")]
    letters = sent(delivered)  # (a Maildir's order is not the order of arrival)
    assert len(letters) == 3 and sum("已更换压缩机" in letter.get_content() for letter in letters) == 1
    trail = ws_cli("show", cases[0], "--format", "json").json()["events"]
    assert [e["on"] for e in trail if e["type"] == "customer_notified"] == ["registered", "resolved"]


def test_a_deregistered_customer_is_never_written_to(mailed, ws_cli, workspace):
    _inbox, delivered = mailed
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(NOTICES)
    customer = ws_cli(
        "record",
        "customer",
        "--set",
        "customer_type=individual",
        "--set",
        "name=王五",
        "--set",
        "phone=13800138000",
        "--set",
        "email=wang@example.cn",
        "--format",
        "json",
    ).json()["id"]
    case = ws_cli(
        "--no-input",
        "record",
        "complaint",
        *complaint_args(customer_id=customer, contact_email="wang@example.cn"),
        "--format",
        "json",
    ).json()["id"]
    assert ws_cli("customers", "deregister", customer, "--reason", "客户要求").exit_code == 0
    result = ws_cli("mail", "notify", "--format", "json").json()
    assert result["sent"] == [] and [n["id"] for n in result["dropped"]] == [case]
    assert "deregistered" in result["dropped"][0]["reason"]
    assert sent(delivered) == []
    assert ws_cli("reply", case, "--message", "hello").exit_code == 1


def test_a_notice_that_cannot_be_sent_stays_queued(workspace, ws_cli):
    from conftest import free_port

    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(
            NOTICES + f'\n[notify.smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nsender = "kefu@shop.example"\n'
        )
    case = ws_cli(
        "--no-input", "record", "complaint", *complaint_args(contact_email="zhao@example.cn"), "--format", "json"
    ).json()["id"]
    failed = ws_cli("mail", "notify", "--format", "json")
    assert failed.exit_code == 1
    assert [n["id"] for n in failed.json()["failed"]] == [case] and "did not take the message" in failed.json()[
        "failed"
    ][0]["error"]
    assert [n["id"] for n in ws_cli("mail", "notify", "--dry-run", "--format", "json").json()["sent"]] == [case]


def test_the_desk_offers_a_reply_by_e_mail(mailed, ws_cli, workspace):
    from cstool.core.context import Context
    from cstool.core.host import build_host

    inbox, delivered = mailed
    case = opened_by_mail(ws_cli, inbox, gb2312_message("<desk@example.cn>"))
    app = Context(build_host(workspace, entry_points=False), workspace, lang="en")
    kind, record = app.book.get(case)
    actions = [a for found in app.hook.cstool_case_actions(kind=kind, record=record, app=app) for a in found or []]
    [email_reply] = [a for a in actions if a.name == "email"]
    said = email_reply.run(app, case, "师傅明天上午上门。")
    app.finish()
    assert said.startswith("e-mailed to z***@example.cn")
    [letter] = sent(delivered)
    assert "师傅明天上午上门" in letter.get_content() and letter["In-Reply-To"] == "<desk@example.cn>"
    assert ws_cli("show", case, "--format", "json").json()["events"][-1]["via"] == "email"
