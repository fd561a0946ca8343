"""Mail to the customer: a reply written by staff, or a notice the policy asks for, from a
template in the workspace (``templates/replies/NAME.LANG.txt``: ``Subject:`` on its first
line, then the body; ``{name}``, ``{id}``, ``{due}``, ``{resolution}``, ``{department}``),
sent in the customer's thread (In-Reply-To, References; the case id in the subject, so the
customer's answer finds its case), to the case's own customer and nobody else."""

from __future__ import annotations

import string
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from cstool.api import CstoolError, _, mask

from .message import MESSAGE_ID

FOLDER = "replies"
PLACEHOLDERS = ("name", "id", "due", "resolution", "department", "kind")


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    body: str


def customer_address(kind, record: dict) -> str | None:
    """The case's customer's e-mail (its first e-mail field holding one): None when there is
    none, or the customer is deregistered (their data erased)."""
    for field in kind.fields:
        value = record.get(field.name)
        if field.type == "email" and isinstance(value, str) and "@" in value:
            return value.strip()
    return None


def thread_ids(record: dict) -> list[str]:
    """The case's messages, oldest first: its first (the external id of a case opened by
    mail), every message of the customer added to it, every one sent from it."""
    ids = [record["external_id"]] if MESSAGE_ID.fullmatch(str(record.get("external_id") or "")) else []
    for event in record.get("events") or []:
        message_id = event.get("message_id")
        if message_id and message_id not in ids:
            ids.append(message_id)
    return ids


def last_from_customer(record: dict) -> str | None:
    received = [e["message_id"] for e in record.get("events") or [] if e.get("type") == "mail_received"]
    if received:
        return received[-1]
    first = thread_ids(record)
    return first[0] if first else None


def template_text(app, name: str, lang: str):
    """(path, text) of template ``name`` in ``lang``, else in the other language."""
    for language in (lang, "en" if lang == "zh" else "zh"):
        path = app.template(f"{FOLDER}/{name}.{language}.txt")
        if path.is_file():
            return path, path.read_text(encoding="utf-8")
    folder = app.template(FOLDER)
    known = sorted({p.name.split(".")[0] for p in folder.glob("*.txt")}) if folder.is_dir() else []
    raise CstoolError(
        _("no reply template {name!r} (templates/replies/{name}.{lang}.txt); templates: {known}").format(
            name=name, lang=lang, known=", ".join(known) or "-"
        )
    )


def values_of(app, kind, record: dict, lang: str) -> dict[str, str]:
    """What a template may say: this case's own values only."""
    due = ""
    try:
        _calendar, clocks = app.clocks(record, app.now())
        running = [c for c in clocks if c.due_at is not None and c.stopped_at is None]
        chosen = next((c for c in running if c.name == "resolution"), running[0] if running else None)
        if chosen is not None:
            due = chosen.due_at.astimezone(app.tz).strftime("%Y-%m-%d %H:%M")
    except CstoolError:
        pass
    name_field = next((f.name for f in kind.fields if f.personal and f.type == "text"), None)
    return {
        "name": str(record.get(name_field) or "") if name_field else "",
        "id": record["id"],
        "due": due,
        "resolution": str(record.get("resolution") or ""),
        "department": str(app.shown(record.get("department") or "")),
        "kind": kind.title(lang),
    }


def fill(path, text: str, values: dict[str, str]) -> tuple[str, str]:
    """The template's subject and body with ``values`` put in; an unknown ``{placeholder}``
    is refused, naming the file and its line."""
    for number, line in enumerate(text.splitlines(), 1):
        for _literal, field, _spec, _conversion in string.Formatter().parse(line):
            if field is not None and field not in values:
                raise CstoolError(
                    _("{path}:{line}: unknown placeholder {{{field}}}; a template may use {known}").format(
                        path=path, line=number, field=field, known=", ".join("{" + k + "}" for k in PLACEHOLDERS)
                    )
                )
    filled = text.format_map(values)
    first, _newline, rest = filled.partition("\n")
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip(), rest.lstrip("\n").rstrip() + "\n"
    return "", filled.rstrip() + "\n"


def with_case_token(subject: str, record_id: str) -> str:
    token = f"[{record_id}]"
    return subject if token in subject else f"{subject} {token}".strip()


def compose(sender: str, letter: Letter, record: dict, *, automatic: bool, now) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.to
    message["Subject"] = with_case_token(letter.subject, record["id"])
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    earlier = thread_ids(record)
    replying = last_from_customer(record)
    if replying:
        message["In-Reply-To"] = replying
    if earlier:
        message["References"] = " ".join(earlier[-20:])
    if automatic:  # RFC 3834: the customer's auto-responder does not answer it
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.body)
    return message


def sender_of(policy) -> str:
    sender = policy.get("mail.sender") or (policy.get("notify.smtp") or {}).get("sender")
    if not sender:
        raise CstoolError(_("set [notify.smtp] (host, sender) in policy.toml to send mail to customers"))
    return sender


def send(policy, message: EmailMessage) -> None:
    """Through ``[notify.smtp]``; a refusal or a server away said in one line."""
    import smtplib

    from cstool.plugins.smtp import connected

    settings = policy.get("notify.smtp")
    if not settings:
        raise CstoolError(_("set [notify.smtp] (host, sender) in policy.toml to send mail to customers"))
    try:
        with connected(settings) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        host = settings.get("host")
        raise CstoolError(
            _("the mail server {host} did not take the message: {error}").format(host=host, error=exc)
        ) from None


def event_details(message: EmailMessage, body: str, template: str | None) -> dict[str, Any]:
    return {
        "via": "email",
        "message_id": str(message["Message-ID"]),
        "subject": str(message["Subject"]),
        "template": template,
        "note": body.strip(),
    }


@dataclass(frozen=True)
class Draft:
    """A reply about to go: the case, its customer's address, the subject and body (from a
    template, or as written), the template it came from (None when written whole)."""

    record_id: str
    to: str
    subject: str
    body: str
    template: str | None

    def edited(self, text: str) -> Draft:
        """The draft as a person left it in the editor (``Subject:`` on the first line, optionally)."""
        first, _newline, rest = text.partition("\n")
        if first.lower().startswith("subject:"):
            return replace(self, subject=first.split(":", 1)[1].strip(), body=rest.lstrip("\n"))
        return replace(self, body=text)


def draft_reply(app, record_id: str, template: str = "reply", text: str | None = None) -> Draft:
    """A reply to the case's customer from ``template`` (its body replaced by ``text`` when
    given), after the checks a reply takes: the person may work on the case, a plugin does
    not hold the reply (a supervisor's approval), the customer has an address."""
    kind, record = app.book.get(record_id)
    app.require_for_record(record)
    app.book.check_reply(kind, record, text)
    to = customer_address(kind, record)
    if to is None:
        raise CstoolError(
            _("{id} has no customer e-mail address (or its customer is deregistered): nothing sent").format(
                id=record["id"]
            )
        )
    path, template_body = template_text(app, template, app.lang)
    subject, body = fill(path, template_body, values_of(app, kind, record, app.lang))
    if text is not None:
        body = text.rstrip() + "\n"
    return Draft(record["id"], to, subject, body, template if text is None else None)


def send_reply(app, draft: Draft, *, dry_run: bool = False) -> dict[str, Any]:
    """Send ``draft`` in the case's thread and write it in the trail as the response; what
    was (or, with ``dry_run``, would be) sent, the address masked."""
    from .intake import remember_thread

    kind, record = app.book.get(draft.record_id)
    app.book.check_reply(kind, record, draft.body)  # the words as edited: an apology where none is due
    message = compose(
        sender_of(app.policy), Letter(draft.to, draft.subject, draft.body), record, automatic=False, now=app.now()
    )
    shown = {
        "id": record["id"],
        "to": mask(draft.to, "email"),
        "subject": str(message["Subject"]),
        "message_id": str(message["Message-ID"]),
        "in_reply_to": message["In-Reply-To"],
        "body": draft.body,
        "sent": False,
    }
    if dry_run:
        return shown
    send(app.policy, message)
    details = event_details(message, draft.body, draft.template)

    def answered(_kind, stored: dict, when: str) -> None:
        app.book.apply_response(stored, when)
        stored["events"][-1].update(details)

    try:
        app.book.change(record["id"], None, answered, not_before_status=False)
    except CstoolError as exc:
        raise CstoolError(
            _(
                "the mail was sent ({message_id}) but the trail could not be written: {error}; "
                "write it with cstool respond {id}"
            ).format(message_id=shown["message_id"], error=exc, id=record["id"])
        ) from None
    remember_thread(app, shown["message_id"], record["id"])
    return {**shown, "sent": True}
