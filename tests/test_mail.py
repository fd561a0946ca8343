"""Mail into cases: a real IMAP server (dovecot, started by the tests), real messages as mail
programs send them (Outlook replies, GB2312 and Big5 bodies, RFC 2047 subjects, HTML only,
attachments, bounces, auto-replies), and a Maildir on disk."""

from __future__ import annotations

import email.utils
import mailbox
import os
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import TEST_NOW

from cstool.core.timeutil import fixed_now
from cstool.plugins.mail.message import Mail, own_words, read_message

JPEG = b"\xff\xd8\xff\xe0"  # how every JPEG file begins
BEFORE_NOW = fixed_now(TEST_NOW).timestamp() - 3 * 3600  # mail arrives before the suite's now


def message(
    subject: str,
    body: str,
    *,
    sender: str = "张三 <zhang.san@example.cn>",
    message_id: str,
    charset: str = "utf-8",
    html: bool = False,
    headers: dict | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "kefu@example.com"
    mail["Subject"] = subject  # non-ASCII becomes RFC 2047 encoded-words, as mail programs send it
    mail["Message-ID"] = message_id
    mail["Date"] = email.utils.format_datetime(fixed_now(TEST_NOW))
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body, subtype="html" if html else "plain", charset=charset, cte="base64")
    if attachment:
        mail.add_attachment(attachment[1], maintype="image", subtype="jpeg", filename=attachment[0])
    return bytes(mail)


def gb2312_message(message_id: str) -> bytes:
    """As Chinese mail programs send it: 8-bit GB2312 body, encoded-word subject and name."""
    return (
        "From: =?GB2312?B?1cXI/Q==?= <zhang.san@example.cn>\r\n"
        "Subject: =?GB2312?B?zbbL36O6sfnP5LK71sbA5A==?=\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "我上周买的冰箱不制冷，请尽快派人上门维修。\r\n"
    ).encode("gb18030")


def outlook_reply(message_id: str, replying_to: str, *, references: str | None = None, subject: str = "") -> bytes:
    headers = {"In-Reply-To": replying_to}
    if references:
        headers["References"] = references
    return message(
        subject or "答复: 投诉：冰箱不制冷",
        "师傅还没来，请问什么时候上门？\n\n-----原始邮件-----\n发件人: 客服部\n发送时间: 2026年12月1日\n您好，我们已受理。\n",
        message_id=message_id,
        headers=headers,
    )


@pytest.fixture
def inbox(imap_server, workspace, monkeypatch):
    """A mailbox of its own and the workspace's [mail.inboxes.support] reading it."""
    user, password = imap_server.mailbox()
    monkeypatch.setenv("CSTOOL_MAIL_PASSWORD", password)
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(
            f'\n[mail.inboxes.support]\nlocation = "imap://{user}@127.0.0.1:{imap_server.port}/INBOX"\n'
            'kind = "complaint"\ndepartment = "customer_service"\n'
        )
    return imap_server, user, password


def fetch(ws_cli, *args):
    return ws_cli("mail", "fetch", "--format", "json", *args)


def test_new_mail_opens_cases_and_replies_join_them(inbox, ws_cli):
    server, user, password = inbox
    server.deliver(user, password, gb2312_message("<m1@example.cn>"), at=BEFORE_NOW)
    server.deliver(
        user,
        password,
        outlook_reply("<m2@example.cn>", "<m1@example.cn>", references="<m1@example.cn>"),
        message(
            "Out of office",
            "I am away.",
            sender="li@example.org",
            message_id="<auto@x>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        message(
            "Undelivered Mail Returned to Sender",
            "bounce",
            sender="MAILER-DAEMON@example.com",
            message_id="<bounce@x>",
            headers={"Return-Path": "<>"},
        ),
        message(
            "Newsletter", "news", sender="news@shop.example", message_id="<list@x>", headers={"Precedence": "bulk"}
        ),
        at=BEFORE_NOW + 600,
    )
    result = fetch(ws_cli)
    assert result.exit_code == 0, result.stderr
    outcome = result.json()["inboxes"][0]
    assert len(outcome["new"]) == 1 and outcome["automatic"] == 3 and outcome["failed"] == []
    case = outcome["new"][0]
    assert outcome["replies"] == [case]
    record = ws_cli("show", case, "--format", "json", "--reveal").json()
    assert record["customer_name"] == "张三" and record["contact_email"] == "zhang.san@example.cn"
    assert record["channel"] == "email" and record["department"] == "customer_service"
    assert record["external_id"] == "<m1@example.cn>"
    assert "投诉：冰箱不制冷" in record["content"] and "请尽快派人上门维修" in record["content"]
    arrived = server.arrivals(user, password)[0].timestamp()
    assert datetime.fromisoformat(record["created_at"]).timestamp() == min(arrived, fixed_now(TEST_NOW).timestamp())
    reply = next(e for e in record["events"] if e["type"] == "mail_received")
    assert reply["message_id"] == "<m2@example.cn>" and "师傅还没来" in reply["note"]
    assert "原始邮件" not in reply["note"]  # the quotation of our own mail is cut
    assert server.unseen(user, password) == 0
    again = fetch(ws_cli)  # nothing unseen, nothing new
    assert again.json()["inboxes"][0] == {**outcome, "new": [], "replies": [], "automatic": 0}


def test_a_reply_to_a_reply_and_a_changed_subject_stay_in_their_case(inbox, ws_cli):
    server, user, password = inbox
    server.deliver(user, password, message("Broken fridge", "It does not cool.", message_id="<t1@x>"), at=BEFORE_NOW)
    first = fetch(ws_cli).json()["inboxes"][0]["new"][0]
    # Outlook rewrites the thread: In-Reply-To names only the previous reply, no References
    server.deliver(
        user,
        password,
        outlook_reply("<t2@x>", "<t1@x>"),
        outlook_reply("<t3@x>", "<t2@x>", subject="A quite different subject"),
        at=BEFORE_NOW + 60,
    )
    outcome = fetch(ws_cli).json()["inboxes"][0]
    assert outcome["new"] == [] and outcome["replies"] == [first, first]


def test_the_case_id_in_a_subject_joins_only_the_case_s_own_customer(inbox, ws_cli):
    server, user, password = inbox
    server.deliver(user, password, message("Broken fridge", "It does not cool.", message_id="<c1@x>"), at=BEFORE_NOW)
    case = fetch(ws_cli).json()["inboxes"][0]["new"][0]
    server.deliver(
        user,
        password,
        message(f"Re: [{case}] any news?", "Any news?", message_id="<c2@x>"),  # the customer, a new thread
        message(
            f"[{case}] my washing machine",
            "Mine is broken too.",
            sender="王五 <wang.wu@example.cn>",
            message_id="<c3@x>",
        ),
        at=BEFORE_NOW + 60,
    )
    outcome = fetch(ws_cli).json()["inboxes"][0]
    assert outcome["replies"] == [case]
    assert len(outcome["new"]) == 1 and outcome["new"][0] != case  # a stranger is never glued on
    stranger = ws_cli("show", outcome["new"][0], "--format", "json", "--reveal").json()
    assert stranger["contact_email"] == "wang.wu@example.cn"


def test_a_message_that_cannot_be_filed_is_said_and_left_unseen_the_rest_filed(inbox, ws_cli, workspace):
    server, user, password = inbox
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write("\n[mail]\nmax_message_mb = 0.05\n")
    broken_mime = (
        b"From: a@example.cn\r\nSubject: x\r\nMessage-ID: <bad-mime@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\nno boundary ever\r\n'
    )
    unknown_charset = (
        b"From: b@example.cn\r\nSubject: y\r\nMessage-ID: <bad-charset@x>\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla\r\n"
    )
    too_large = message(
        "Photos", "see attached", message_id="<large@x>", attachment=("big.jpg", JPEG + b"\x00" * 80_000)
    )
    good = message("Broken fridge", "It does not cool.", message_id="<good@x>")
    server.deliver(user, password, broken_mime, unknown_charset, too_large, good, at=BEFORE_NOW)
    result = fetch(ws_cli)
    assert result.exit_code == 1
    outcome = result.json()["inboxes"][0]
    assert len(outcome["new"]) == 1
    reasons = {f["message_id"] or f["message"]: f["reason"] for f in outcome["failed"]}
    assert len(reasons) == 3
    assert any("x-klingon" in reason for reason in reasons.values())
    assert "<bad-charset@x>" in reasons and "<bad-mime@x>" in reasons  # named by their Message-ID
    assert {f["sender"] for f in outcome["failed"] if f["message_id"] == "<bad-charset@x>"} == {"***@example.cn"}
    assert any("larger than the limit" in reason for reason in reasons.values())
    assert any("MIME" in reason for reason in reasons.values())
    assert server.unseen(user, password) == 3  # left for another try
    table = ws_cli("mail", "fetch")
    assert table.exit_code == 1 and "left unseen" in table.stderr and "b***@example.cn" not in table.stdout


def test_a_refused_login_is_said_and_nothing_is_written(inbox, ws_cli, monkeypatch):
    monkeypatch.setenv("CSTOOL_MAIL_PASSWORD", "wrong")
    result = ws_cli("mail", "fetch")
    assert result.exit_code == 1
    assert "support" in result.stderr and "refused the login" in result.stderr
    assert ws_cli("list", "complaint", "--format", "json").json()["count"] == 0


def test_a_dry_run_writes_nothing_and_marks_nothing_seen(inbox, ws_cli):
    server, user, password = inbox
    server.deliver(user, password, message("Broken fridge", "It does not cool.", message_id="<d1@x>"), at=BEFORE_NOW)
    result = fetch(ws_cli, "--dry-run")
    assert result.exit_code == 0 and result.json()["dry_run"] is True
    assert ws_cli("list", "complaint", "--format", "json").json()["count"] == 0
    assert server.unseen(user, password) == 1


def test_html_only_big5_mail_and_attachments_are_read(inbox, ws_cli):
    server, user, password = inbox
    html = "<html><head><style>p{}</style></head><body><p>冷氣機壞了</p><div>請儘快處理&amp;回覆</div></body></html>"
    server.deliver(
        user,
        password,
        message(
            "冷氣機",
            html,
            message_id="<b5@x>",
            charset="big5",
            html=True,
            attachment=("發票.jpg", JPEG + b"\x00" * 2044),
        ),
        at=BEFORE_NOW,
    )
    case = fetch(ws_cli).json()["inboxes"][0]["new"][0]
    content = ws_cli("show", case, "--format", "json").json()["content"]
    assert "冷氣機壞了\n\n請儘快處理&回覆" in content and "p{}" not in content
    assert "發票.jpg (2 KB)" in content
    listed = ws_cli("attachment", "list", case, "--format", "json").json()["attachments"]
    assert [(a["name"], a["type"], a["size"]) for a in listed] == [("發票.jpg", "image/jpeg", 2048)]
    saved = ws_cli("attachment", "save", case, "1", "--output", "invoice.jpg")
    assert saved.exit_code == 0, saved.stderr
    assert Path("invoice.jpg").read_bytes() == JPEG + b"\x00" * 2044


def test_an_attachment_of_a_refused_type_keeps_its_message_back(inbox, ws_cli):
    server, user, password = inbox
    program = message("Invoice", "see attached", message_id="<exe@x>", attachment=("invoice.jpg", b"MZ\x90\x00" * 100))
    server.deliver(user, password, program, message("Hello", "a question", message_id="<fine@x>"), at=BEFORE_NOW)
    result = fetch(ws_cli)
    assert result.exit_code == 1
    outcome = result.json()["inboxes"][0]
    assert len(outcome["new"]) == 1
    [failure] = outcome["failed"]
    assert failure["message_id"] == "<exe@x>" and "not the image/jpeg its name says" in failure["reason"]
    assert failure["sender"] == "z***@example.cn"
    assert server.unseen(user, password) == 1


def test_a_maildir_is_a_mailbox_for_fetch_and_for_import(workspace, ws_cli, tmp_path):
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder, create=True)
    box.add(mailbox.MaildirMessage(gb2312_message("<md1@x>")))
    box.add(
        mailbox.MaildirMessage(message("Hi", "x", message_id="<md2@x>", headers={"Auto-Submitted": "auto-generated"}))
    )
    box.close()
    for file in (folder / "new").iterdir():  # delivered before the suite's now
        os.utime(file, (BEFORE_NOW, BEFORE_NOW))
    dry = ws_cli("import", "complaint", f"maildir://{folder}", "--map", "mail", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    assert dry.json()["read"] == 1 and dry.json()["imported"] == 1
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(f'\n[mail.inboxes.local]\nlocation = "maildir://{folder}"\n')
    outcome = fetch(ws_cli).json()["inboxes"][0]
    assert len(outcome["new"]) == 1 and outcome["automatic"] == 1
    assert all("S" in name.partition(":2,")[2] for name in (p.name for p in (folder / "cur").iterdir()))
    assert fetch(ws_cli).json()["inboxes"][0]["new"] == []


def test_mail_reaches_a_postgresql_store(inbox, ws_cli, pg_url, monkeypatch):
    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    server, user, password = inbox
    server.deliver(user, password, message("Broken fridge", "It does not cool.", message_id="<p1@x>"), at=BEFORE_NOW)
    server.deliver(user, password, outlook_reply("<p2@x>", "<p1@x>"), at=BEFORE_NOW + 60)
    outcome = fetch(ws_cli).json()["inboxes"][0]
    assert len(outcome["new"]) == 1 and outcome["replies"] == outcome["new"]


def test_policy_check_names_a_wrong_inbox(workspace, ws_cli):
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(
            '\n[mail.inboxes.support]\nlocation = "imap://cs:hunter2@mail.example.com/INBOX"\nkind = "parcel"\nport = 1\n'
        )
    result = ws_cli("policy", "check")
    assert result.exit_code == 1
    assert "mail.inboxes.support.location: holds a password" in result.stderr
    assert "mail.inboxes.support.kind: 'parcel' is not a kind" in result.stderr
    assert "mail.inboxes.support.port: unknown key" in result.stderr


# ---- the message itself, pure ------------------------------------------------------------


def test_a_gb2312_message_labelled_narrowly_is_read_with_its_superset():
    # 镕 is in GBK/GB18030 but not GB2312: Outlook labels such mail gb2312 all the same
    raw = gb2312_message("<g@x>").replace("维修".encode("gb18030"), "维修，朱镕".encode("gb18030"))
    mail = read_message(raw)
    assert isinstance(mail, Mail)
    assert mail.subject == "投诉：冰箱不制冷" and mail.sender_name == "张三" and "朱镕" in mail.text


def test_own_words_cut_the_quotation_in_english_and_chinese():
    assert own_words("Thanks!\n\nOn Mon, 1 Dec 2026 at 10:00, CS <cs@x> wrote:\n> old") == "Thanks!"
    assert own_words("好的\n\n在 2026年12月1日 10:00，客服部 写道：\n> 旧") == "好的"
    assert own_words("> only a quotation, nothing else") == "> only a quotation, nothing else"


def test_a_message_without_message_id_is_named_by_its_bytes(tmp_path: Path):
    raw = b"From: a@example.cn\r\nSubject: x\r\n\r\nbody\r\n"
    assert read_message(raw).message_id == read_message(raw).message_id
    assert read_message(raw).message_id != read_message(raw + b"more").message_id


@pytest.mark.parametrize("how", ["imaps", "starttls"])
def test_mail_over_tls_with_the_department_s_own_certificate(imap_server, workspace, ws_cli, monkeypatch, how):
    if imap_server.cafile is None:
        pytest.skip("no certificate could be made here (openssl missing)")
    user, password = imap_server.mailbox()
    monkeypatch.setenv("CSTOOL_MAIL_PASSWORD", password)
    location = (
        f"imaps://{user}@127.0.0.1:{imap_server.tls_port}/INBOX"
        if how == "imaps"
        else f"imap://{user}@127.0.0.1:{imap_server.port}/INBOX"
    )
    starttls = "starttls = true\n" if how == "starttls" else ""
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(f'\n[mail.inboxes.support]\nlocation = "{location}"\n{starttls}')
    imap_server.deliver(
        user, password, message("Broken fridge", "It does not cool.", message_id="<tls@x>"), at=BEFORE_NOW
    )
    untrusted = ws_cli("mail", "fetch")  # the system does not know this certificate: refused, said
    assert (
        untrusted.exit_code == 1 and "cannot connect" in untrusted.stderr and "CERTIFICATE" in untrusted.stderr.upper()
    )
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(f'cafile = "{imap_server.cafile}"\n')
    trusted = fetch(ws_cli)
    assert trusted.exit_code == 0, trusted.stderr
    assert len(trusted.json()["inboxes"][0]["new"]) == 1
