"""The mail commands: ``mail fetch``, ``mail notify`` and ``reply``."""

from __future__ import annotations

import click

from cstool.api import CstoolError, _, emit_json, emit_rows, format_option


def register(cli: click.Group) -> None:
    cli.add_command(mail)
    cli.add_command(reply)


@click.group("mail")
def mail():
    """邮件: customers' e-mail into cases ([mail.inboxes]) and notices to them ([[notify.customer]])."""


@mail.command("fetch")
@click.option("--inbox", "only", metavar="NAME", help="Only this inbox of [mail.inboxes].")
@click.option("--dry-run", is_flag=True, help="Say what each message would become; write nothing, mark nothing seen.")
@format_option()
@click.pass_obj
def mail_fetch(app, only, dry_run, fmt):
    """Read each inbox's unseen mail: a new message opens a case, a reply joins its case,
    auto-replies, bounces and list mail open nothing; a message that cannot be filed is
    said and left unseen. Fetching again adds nothing."""
    from . import fetch, inboxes
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
    if refused or any(o["failed"] for o in outcomes):
        raise SystemExit(1)


@mail.command("notify")
@click.option("--dry-run", is_flag=True, help="List the notices waiting; send nothing.")
@format_option(("table", "json"))
@click.pass_obj
def mail_notify(app, dry_run, fmt):
    """Send the notices to customers that [[notify.customer]] queued (受理回执, results,
    survey invitations), each once per case; one that fails stays queued."""
    from .notices import deliver

    result = deliver(app, dry_run=dry_run)
    if fmt == "json":
        emit_json(result)
    else:
        rows = [
            [n["id"], n["on"], n["template"], word, n.get("reason") or n.get("error") or ""]
            for key, word in (
                ("sent", _("would send") if dry_run else _("sent")),
                ("dropped", _("dropped")),
                ("failed", _("failed")),
            )
            for n in result[key]
        ]
        emit_rows("table", [_("id"), _("event"), _("template"), _("outcome"), _("why")], rows)
    if result["failed"]:
        raise SystemExit(1)


@click.command("reply")
@click.argument("record_id", metavar="ID")
@click.option("--template", default="reply", show_default=True, help="templates/replies/NAME.LANG.txt to start from.")
@click.option("--message", "text", metavar="TEXT", help="The body as written (no template body, no editor).")
@click.option("--edit/--no-edit", default=None, help="Open the message in $EDITOR first (default: at a terminal).")
@click.option("--dry-run", is_flag=True, help="Show the message; send and write nothing.")
@format_option(("table", "json"))
@click.pass_obj
def reply(app, record_id, template, text, edit, dry_run, fmt):
    """答复客户: e-mail the case's customer from a reply template (edited first), in their
    thread; written in the trail as the response (it stops the first-response clock)."""
    from cstool.api import can_prompt

    from .outgoing import draft_reply, send_reply

    draft = draft_reply(app, record_id, template, text)
    if edit or (edit is None and text is None and can_prompt(app)):
        edited = click.edit(f"Subject: {draft.subject}\n\n{draft.body}", extension=".txt")
        if edited is None or not edited.strip():
            raise CstoolError(_("the message was left empty: nothing sent"))
        draft = draft.edited(edited)
    shown = send_reply(app, draft, dry_run=dry_run)
    if fmt == "json":
        emit_json(shown)
        return
    click.echo(f"To: {shown['to']}\nSubject: {shown['subject']}\n\n{shown['body']}")
    click.echo(
        (_("sent to {to}; written in {id}'s trail") if shown["sent"] else _("not sent (--dry-run)")).format(
            to=shown["to"], id=shown["id"]
        ),
        err=True,
    )
