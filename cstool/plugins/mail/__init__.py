"""E-mail into cases (收件): ``cstool mail fetch`` reads each inbox of ``[mail.inboxes]`` (IMAP, a
Maildir or a folder of .eml files), opens a case for each new message a person wrote and
adds each reply to its case; ``cstool import KIND imap://…|maildir://… --map mail`` reads a
mailbox as rows, like a file.

[mail]
max_message_mb = 25                      # larger messages are left unseen and said

[mail.inboxes.support]
location = "imaps://cs@mail.example.com/INBOX"   # or imap://… (starttls = true), maildir:///srv/mail/cs
password_env = "CSTOOL_MAIL_PASSWORD"    # the password comes from the environment, never policy
cafile = "/etc/ssl/our-ca.pem"           # optional: a department's own CA (else the system's)
kind = "complaint"
channel = "email"
department = "customer_service"
map = "mail"                             # templates/import/mail.toml: message → fields
"""

from __future__ import annotations

import os

from cstool.api import _, hookimpl

INBOX_KEYS = ("location", "password_env", "starttls", "cafile", "kind", "channel", "department", "map")
DEFAULT_MOST_MB = 25
DEFAULT_PASSWORD_ENV = "CSTOOL_MAIL_PASSWORD"


def inboxes(policy) -> dict[str, dict]:
    return dict(policy.get("mail.inboxes") or {})


def most_bytes(policy) -> int:
    return int(float(policy.get("mail.max_message_mb") or DEFAULT_MOST_MB) * 1024 * 1024)


def open_inbox(settings: dict):
    from .mailboxes import open_mailbox

    password = os.environ.get(settings.get("password_env") or DEFAULT_PASSWORD_ENV)
    return open_mailbox(
        settings["location"],
        password=password,
        starttls=bool(settings.get("starttls")),
        cafile=settings.get("cafile"),
    )


def fetch(app, name: str, settings: dict, *, dry_run: bool = False):
    """Fetch one inbox into the store; its ``InboxOutcome``. ``MailboxRefused`` when the
    mailbox cannot be read at all (nothing written)."""
    from cstool.api import find_map, load_map

    from .intake import Inbox, Intake

    kind = app.kinds.get(settings.get("kind") or "complaint")
    mapping = load_map(find_map(app, settings.get("map") or "mail"))
    constants = {**mapping.constants}
    for key in ("channel", "department"):
        if settings.get(key):
            constants[key] = settings[key]
    mapping.constants = constants
    inbox = Inbox(name, kind, mapping, most_bytes(app.policy))
    mailbox = open_inbox(settings)
    try:
        return Intake(app, inbox, dry_run=dry_run).run(mailbox)
    finally:
        mailbox.close()


@hookimpl
def cstool_record_sources():
    from cstool.api import RecordSource

    def read(location, mapping, encoding):
        from .intake import rows_of
        from .mailboxes import open_mailbox

        mailbox = open_mailbox(location, password=os.environ.get(DEFAULT_PASSWORD_ENV))
        return None, rows_of(mailbox, DEFAULT_MOST_MB * 1024 * 1024)

    from .mailboxes import is_mailbox

    return [RecordSource("mail", is_mailbox, read)]


@hookimpl
def cstool_commands(cli):
    from .commands import register

    register(cli)


@hookimpl
def cstool_case_actions(kind, record, app):
    """At the desk: answer the customer by e-mail, in their thread (as ``cstool reply``)."""
    from cstool.api import CaseAction

    from .outgoing import customer_address, draft_reply, send_reply

    if customer_address(kind, record) is None or not app.policy.get("notify.smtp"):
        return None

    def run(app, record_id, text):
        shown = send_reply(app, draft_reply(app, record_id, "reply", text or None))
        return _("e-mailed to {to}: {subject}").format(to=shown["to"], subject=shown["subject"])

    return [
        CaseAction(
            "email",
            {"en": "Reply by e-mail", "zh": "邮件答复客户"},
            run,
            ask={"en": "The reply (empty: the reply template as it is):", "zh": "答复内容（留空：按答复模板）："},
        )
    ]


@hookimpl
def cstool_records_stored(kind, records, app):
    if not app.policy.get("notify.customer"):
        return  # every stored record passes here: without notices, load nothing of the mail code
    from .notices import queue

    queue(app, kind, records)


@hookimpl
def cstool_worker_jobs():
    from cstool.api import WorkerJob

    def summary(result) -> str:
        inboxes = result["inboxes"]
        return _("{new} new cases, {replies} replies, {automatic} automatic, {failed} not filed").format(
            new=sum(len(i["new"]) for i in inboxes),
            replies=sum(len(i["replies"]) for i in inboxes),
            automatic=sum(i["automatic"] for i in inboxes),
            failed=sum(len(i["failed"]) for i in inboxes),
        )

    def notices(result) -> str:
        return _("{sent} notices sent, {dropped} dropped, {failed} failed").format(
            sent=len(result["sent"]), dropped=len(result["dropped"]), failed=len(result["failed"])
        )

    return [
        WorkerJob("mail", ("mail", "fetch", "--format", "json"), "1m", summary, needs="mail.inboxes"),
        WorkerJob("notices", ("mail", "notify", "--format", "json"), "1m", notices, needs="notify.customer"),
    ]


@hookimpl
def cstool_policy_keys():
    return ["mail.max_message_mb", "mail.inboxes", "mail.sender", "notify.customer"]


@hookimpl
def cstool_check_policy(policy, kinds):
    from cstool.api import Problem

    problems = []
    most = policy.get("mail.max_message_mb")
    if most is not None and (isinstance(most, bool) or not isinstance(most, int | float) or most <= 0):
        problems.append(Problem(("mail", "max_message_mb"), _("must be a number of megabytes above 0")))
    problems += _notice_problems(policy.get("notify.customer"), kinds)
    sender = policy.get("mail.sender")
    if sender is not None and not (isinstance(sender, str) and "@" in sender):
        problems.append(Problem(("mail", "sender"), _("must be an e-mail address, in quotes")))
    configured = policy.get("mail.inboxes")
    if configured is None:
        return problems
    if not isinstance(configured, dict):
        return [*problems, Problem(("mail", "inboxes"), _("must be tables, one per inbox: [mail.inboxes.NAME]"))]
    from .mailboxes import is_mailbox

    for name, settings in configured.items():
        base = ("mail", "inboxes", name)
        if not isinstance(settings, dict):
            problems.append(Problem(base, _("must be a table with location and kind")))
            continue
        for key in settings:
            if key not in INBOX_KEYS:
                problems.append(
                    Problem((*base, key), _("unknown key; keys are {KEYS}").format(KEYS=", ".join(INBOX_KEYS)))
                )
        location = settings.get("location")
        if not isinstance(location, str) or not is_mailbox(location):
            problems.append(
                Problem((*base, "location"), _("must be imaps://USER@HOST/FOLDER, imap://… or maildir:///PATH"))
            )
        elif ":" in location.partition("://")[2].partition("@")[0]:
            problems.append(
                Problem((*base, "location"), _("holds a password: keep it in the environment (password_env)"))
            )
        kind = settings.get("kind", "complaint")
        if kind not in kinds.names():
            problems.append(
                Problem(
                    (*base, "kind"),
                    _("{kind!r} is not a kind; kinds: {known}").format(kind=kind, known=", ".join(kinds.names())),
                )
            )
        for key in ("password_env", "channel", "department", "map", "cafile"):
            if key in settings and not isinstance(settings[key], str):
                problems.append(Problem((*base, key), _("must be text, in quotes")))
        if "starttls" in settings and not isinstance(settings["starttls"], bool):
            problems.append(Problem((*base, "starttls"), _("must be true or false")))
    return problems


def _notice_problems(rules, kinds) -> list:
    from cstool.api import Problem

    from .notices import EVENTS

    if rules is None:
        return []
    if not isinstance(rules, list):
        return [
            Problem(
                ("notify", "customer"), _('must be [[notify.customer]] tables: on = "registered", template = "ack"')
            )
        ]
    problems = []
    for index, rule in enumerate(rules):
        base = ("notify", "customer", index)
        if not isinstance(rule, dict):
            problems.append(Problem(base, _("must be a table with on and template")))
            continue
        for key in rule:
            if key not in ("on", "template", "kinds"):
                problems.append(Problem((*base, key), _("unknown key; keys are on, template, kinds")))
        if rule.get("on") not in EVENTS:
            problems.append(Problem((*base, "on"), _("must be one of {events}").format(events=", ".join(EVENTS))))
        if not isinstance(rule.get("template"), str):
            problems.append(Problem((*base, "template"), _("names a template of templates/replies/, in quotes")))
        for kind in rule.get("kinds") or []:
            if kind not in kinds.names():
                problems.append(Problem((*base, "kinds"), _("{kind!r} is not a kind").format(kind=kind)))
    return problems
