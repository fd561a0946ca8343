"""E-mail into cases (收件): ``cstool mail fetch`` reads each inbox of ``[mail.inboxes]`` (IMAP, a
Maildir or a folder of .eml files), opens a case for each new message a person wrote and
adds each reply to its case; ``cstool import KIND imap://…|maildir://… --map mail`` reads a
mailbox as rows, like a file.

[mail]
max_message_mb = 25                      # larger messages are left unseen and said

[mail.inboxes.support]
location = "imaps://cs@mail.example.com/INBOX"   # or imap://… (starttls = true), maildir:///srv/mail/cs
password_env = "CSTOOL_MAIL_PASSWORD"    # the password comes from the environment, never policy
kind = "complaint"
channel = "email"
department = "customer_service"
map = "mail"                             # templates/import/mail.toml: message → fields
"""

from __future__ import annotations

import os

from cstool.api import _, hookimpl

INBOX_KEYS = ("location", "password_env", "starttls", "kind", "channel", "department", "map")
DEFAULT_MOST_MB = 25
DEFAULT_PASSWORD_ENV = "CSTOOL_MAIL_PASSWORD"


def inboxes(policy) -> dict[str, dict]:
    return dict(policy.get("mail.inboxes") or {})


def most_bytes(policy) -> int:
    return int(float(policy.get("mail.max_message_mb") or DEFAULT_MOST_MB) * 1024 * 1024)


def open_inbox(settings: dict):
    from .mailboxes import open_mailbox

    password = os.environ.get(settings.get("password_env") or DEFAULT_PASSWORD_ENV)
    return open_mailbox(settings["location"], password=password, starttls=bool(settings.get("starttls")))


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
    import click

    from cstool.api import CstoolError, emit_json, emit_rows, format_option

    @cli.group("mail")
    def mail():
        """邮件: customers' e-mail into cases ([mail.inboxes] in policy)."""

    @mail.command("fetch")
    @click.option("--inbox", "only", metavar="NAME", help="Only this inbox of [mail.inboxes].")
    @click.option(
        "--dry-run", is_flag=True, help="Say what each message would become; write nothing, mark nothing seen."
    )
    @format_option()
    @click.pass_obj
    def mail_fetch(app, only, dry_run, fmt):
        """Read each inbox's unseen mail: a new message opens a case, a reply joins its case,
        auto-replies, bounces and list mail open nothing; a message that cannot be filed is
        said and left unseen. Fetching again adds nothing."""
        from .mailboxes import MailboxRefused

        configured = inboxes(app.policy)
        if not configured:
            raise CstoolError(_("policy.toml has no [mail.inboxes.NAME]: nothing to fetch (see docs/mail.md)"))
        if only is not None and only not in configured:
            raise CstoolError(_("no inbox {name!r}; inboxes: {known}").format(name=only, known=", ".join(configured)))
        outcomes, refused = [], []
        for name, settings in configured.items():
            if only is not None and name != only:
                continue
            try:
                outcomes.append(fetch(app, name, settings, dry_run=dry_run).as_dict())
            except MailboxRefused as exc:
                refused.append({"inbox": name, "error": str(exc)})
        failed = [f for o in outcomes for f in o["failed"]]
        if fmt == "json":
            emit_json({"dry_run": dry_run, "inboxes": outcomes, "refused": refused})
        else:
            headers = [_("inbox"), _("new cases"), _("replies"), _("automatic"), _("duplicates"), _("not filed")]
            rows = [
                [o["inbox"], len(o["new"]), len(o["replies"]), o["automatic"], o["duplicates"], len(o["failed"])]
                for o in outcomes
            ]
            emit_rows(fmt, headers, rows)
            for outcome in outcomes:
                for failure in outcome["failed"]:
                    click.echo(
                        _("{inbox}: message {message} {message_id} from {sender}: {reason} (left unseen)").format(
                            inbox=outcome["inbox"],
                            message=failure["message"],
                            message_id=failure["message_id"] or "",
                            sender=failure["sender"] or "?",
                            reason=failure["reason"],
                        ),
                        err=True,
                    )
        for problem in refused:
            click.echo(_("{inbox}: {error}").format(inbox=problem["inbox"], error=problem["error"]), err=True)
        if failed or refused:
            raise SystemExit(1)


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

    return [WorkerJob("mail", ("mail", "fetch", "--format", "json"), "1m", summary, needs="mail.inboxes")]


@hookimpl
def cstool_policy_keys():
    return ["mail.max_message_mb", "mail.inboxes"]


@hookimpl
def cstool_check_policy(policy, kinds):
    from cstool.api import Problem

    problems = []
    most = policy.get("mail.max_message_mb")
    if most is not None and (isinstance(most, bool) or not isinstance(most, int | float) or most <= 0):
        problems.append(Problem(("mail", "max_message_mb"), _("must be a number of megabytes above 0")))
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
        for key in ("password_env", "channel", "department", "map"):
            if key in settings and not isinstance(settings[key], str):
                problems.append(Problem((*base, key), _("must be text, in quotes")))
        if "starttls" in settings and not isinstance(settings["starttls"], bool):
            problems.append(Problem((*base, "starttls"), _("must be true or false")))
    return problems
