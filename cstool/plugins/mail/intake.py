"""Mail into cases: each message a person wrote becomes a new record of the inbox's kind, or is
added to the case it answers; nothing else opens a case.

A reply finds its case by its thread (In-Reply-To, then References, nearest first: a message
of a case is the case's first message, its ``external_id``, or one added to it before, kept in
the ``mail`` log), then by the case id in its subject, ``[CMP-20261204-0001]``, but only when
the sender is that case's customer: a subject alone never joins strangers. A message is
marked seen only once what it became is stored, so one that fails stays unseen for another
try; fetching again adds nothing (the Message-ID is the new record's external id and is
written on every reply)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from cstool.api import (
    CstoolError,
    ImportMap,
    RecordSource,
    SourceRow,
    _,
    attach,
    check_attachment,
    mask,
    now_in,
    run_import,
)

from .mailboxes import Incoming, Mailbox
from .message import Mail, MailUnreadable, identity, read_message

LOG = "mail"  # message id → the case it was added to: replies to replies find their case
EVENT = "mail_received"


@dataclass
class InboxOutcome:
    inbox: str
    new: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    automatic: int = 0
    duplicates: int = 0
    failed: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "inbox": self.inbox,
            "new": self.new,
            "replies": self.replies,
            "automatic": self.automatic,
            "duplicates": self.duplicates,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class Inbox:
    name: str
    kind: Any  # cstool.api.Kind
    mapping: ImportMap  # message → fields: templates/import/mail.toml unless the inbox names another
    most_bytes: int


def message_row(mail: Mail, arrived_at: str) -> dict[str, Any]:
    """A message as the columns of a row (an import's, a new case's)."""
    return {
        "message_id": mail.message_id,
        "from_name": mail.sender_name or mail.sender_address,
        "from_address": mail.sender_address or None,
        "subject": mail.subject or None,
        "text": mail.text or None,
        "attachments": attachments_line(mail),
        "arrived_at": arrived_at,
    }


def attachments_line(mail: Mail) -> str | None:
    listed = ", ".join(f"{a.name} ({_size(a.size)})" for a in mail.attachments)
    return _("Attachments: {names}").format(names=listed) if listed else None


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def masked_sender(address: str) -> str:
    return mask(address, "email") if address else "?"


class Intake:
    """One fetch of one inbox into the store (``dry_run``: what it would do, nothing written
    and nothing marked seen)."""

    def __init__(self, app, inbox: Inbox, *, dry_run: bool = False):
        self.app, self.inbox, self.dry_run = app, inbox, dry_run
        self.outcome = InboxOutcome(inbox.name)
        self.known = {e["message_id"]: e["id"] for e in app.store.read_log(LOG) if e.get("message_id")}

    def run(self, mailbox: Mailbox) -> InboxOutcome:
        for batch in mailbox.unseen(self.inbox.most_bytes):
            seen = self._batch(batch)
            if seen and not self.dry_run:
                mailbox.mark_seen(seen)
        return self.outcome

    def _batch(self, batch: list[Incoming]) -> list[str]:
        """File a batch; the keys of the messages now stored (or never to be: automatic, repeats)."""
        seen: list[str] = []
        waiting: list[tuple[Incoming, Mail]] = []  # new cases, imported together
        replies: list[tuple[str, Incoming, Mail]] = []  # (case, message): added together
        for item in batch:
            mail = self._read(item)
            if mail is None:
                continue
            if mail.automatic:
                self.outcome.automatic += 1
                seen.append(item.key)
                continue
            if mail.message_id in self.known:
                self.outcome.duplicates += 1
                seen.append(item.key)
                continue
            if any(ref in {m.message_id for _i, m in waiting} for ref in mail.replies_to):
                seen += self._open_cases(waiting)  # its case is in this batch: store that first
                waiting = []
            case = self._case_of(mail)
            if case is None:
                waiting.append((item, mail))
            else:
                replies.append((case, item, mail))
                self.known[mail.message_id] = case  # a reply to this reply, later in the batch, finds it
        return seen + self._add_replies(replies) + self._open_cases(waiting)

    def _arrival(self, item: Incoming) -> str:
        """When the mailbox received it, never after now (a mail server's clock may run ahead)."""
        return min(item.arrived, self.app.now()).astimezone(self.app.tz).isoformat(timespec="seconds")

    def _read(self, item: Incoming) -> Mail | None:
        if item.raw is None:
            self._failed(item.key, None, _("larger than the limit ({size})").format(size=_size(item.size)))
            return None
        try:
            mail = read_message(item.raw)
        except MailUnreadable as exc:
            message_id, sender = identity(item.raw)
            self._failed(item.key, None, str(exc), message_id, sender)
            return None
        if mail.automatic is None:
            for attachment in mail.attachments:  # a refused one keeps the whole message back, unseen
                try:
                    check_attachment(self.app.policy, attachment.name, attachment.data, attachment.content_type)
                except CstoolError as exc:
                    self._failed(item.key, mail, str(exc))
                    return None
        return mail

    def _failed(
        self, key: str, mail: Mail | None, reason: str, message_id: str | None = None, sender: str = ""
    ) -> None:
        """A message not filed, named by its Message-ID and its sender masked (what its headers
        say of them when it could not be read whole), left unseen."""
        if mail is not None:
            message_id, sender = mail.message_id, mail.sender_address
        self.outcome.failed.append(
            {
                "message": key,
                "message_id": message_id,
                "sender": masked_sender(sender) if sender else None,
                "reason": reason,
            }
        )

    # ---- which case ---------------------------------------------------------------------

    def _case_of(self, mail: Mail) -> str | None:
        thread = list(mail.replies_to)
        for ref in thread:
            if ref in self.known:
                return self.known[ref]
        if thread:
            kind = self.inbox.kind
            with self.app.store.transaction(kind.name) as tx:
                found = tx.by_external_id(thread)
            for ref in thread:  # nearest first
                if ref in found:
                    return found[ref][0]["id"]
        token = mail.case_token
        if token and mail.sender_address:
            try:
                kind = self.app.kinds.kind_of_id(token)
            except CstoolError:
                return None
            record = self.app.store.get(kind.name, token)
            if record is not None and mail.sender_address in _addresses(kind, record):
                return token
        return None

    # ---- writing ------------------------------------------------------------------------

    def _add_replies(self, replies: list[tuple[str, Incoming, Mail]]) -> list[str]:
        """Add the batch's replies to their cases, one transaction per kind (a busy month's
        file is written once, not once per reply); the keys of the messages now stored."""
        if not replies:
            return []
        if self.dry_run:
            self.outcome.replies += [case for case, _item, _mail in replies]
            return [item.key for _case, item, _mail in replies]
        by_kind: dict[str, list[tuple[str, Incoming, Mail]]] = {}
        for reply in replies:
            by_kind.setdefault(self.app.kinds.kind_of_id(reply[0]).name, []).append(reply)
        stored: list[tuple[str, Incoming, Mail]] = []
        for group in by_kind.values():
            events: dict[str, list[dict]] = {}
            for case, item, mail in group:
                events.setdefault(case.upper(), []).append(self._reply_event(item, mail))
            stored += self._store_replies(group, events)
        kept = []
        for case, item, mail in stored:
            try:
                self._attach(case, mail)
            except CstoolError as exc:
                self._failed(item.key, mail, _("{id}: {error}").format(id=case, error=exc))
                continue
            kept.append((case, item, mail))
        stamp = now_in(UTC).isoformat(timespec="seconds")
        self.app.store.append_log(LOG, [{"at": stamp, "message_id": m.message_id, "id": c} for c, _i, m in kept])
        self.outcome.replies += [case for case, _item, _mail in kept]
        return [item.key for _case, item, _mail in kept]

    def _store_replies(self, group: list, events: dict[str, list[dict]]) -> list:
        """One kind's replies in one change: each call of ``add`` writes the next of the
        record's messages not on its trail yet (so a retried transaction, or a fetch that
        stopped before marking them seen, adds each once)."""

        def add(_kind, record: dict, when: str) -> None:
            held = {e.get("message_id") for e in record["events"]}
            event = next((e for e in events[record["id"]] if e["message_id"] not in held), None)
            if event is not None:
                record["events"].append({"type": EVENT, "at": when, "by": self.app.user, **event})

        try:
            self.app.book.change_many([case for case, _item, _mail in group], None, add)
        except CstoolError as exc:
            for case, item, mail in group:
                self.known.pop(mail.message_id, None)
                self._failed(item.key, mail, _("{id}: {error}").format(id=case, error=exc))
            return []
        return group

    def _reply_event(self, item: Incoming, mail: Mail) -> dict:
        return {
            "inbox": self.inbox.name,
            "message_id": mail.message_id,
            "received_at": self._arrival(item),
            "subject": mail.subject,
            "note": "\n".join(v for v in (mail.text, attachments_line(mail)) if v),
        }

    def _open_cases(self, waiting: list[tuple[Incoming, Mail]]) -> list[str]:
        """Import the waiting messages as new cases: the same checks, classification and
        clocks as any import; a row refused stays unseen and is said."""
        if not waiting:
            return []
        rows = [SourceRow(n, n, message_row(mail, self._arrival(item))) for n, (item, mail) in enumerate(waiting, 1)]
        source = RecordSource(f"mail:{self.inbox.name}", lambda _location: True, lambda *_args: (None, iter(rows)))
        result = run_import(
            self.app,
            self.inbox.kind,
            f"mail:{self.inbox.name}",
            self.inbox.mapping,
            dry_run=self.dry_run,
            skip_invalid=True,
            on_duplicate="skip",
            source=source,
        )
        refused: dict[int, list[str]] = {}
        for error in result.errors:
            refused.setdefault(error.row or 0, []).append(
                f"{error.field}: {error.message}" if error.field else error.message
            )
        for n, (item, mail) in enumerate(waiting, 1):
            if n in refused:
                self._failed(item.key, mail, "; ".join(refused[n]))
        self.outcome.new += result.added
        self.outcome.duplicates += result.duplicates
        stored = [(item, mail) for n, (item, mail) in enumerate(waiting, 1) if n not in refused]
        with_files = [mail for _item, mail in stored if mail.attachments]
        if with_files and not self.dry_run:
            # by the Message-ID: a new case's, or a case a fetch cut short opened before
            with self.app.store.transaction(self.inbox.kind.name) as tx:
                cases = tx.by_external_id([mail.message_id for mail in with_files])
            for mail in with_files:
                if mail.message_id in cases:
                    try:
                        self._attach(cases[mail.message_id][0]["id"], mail)
                    except CstoolError as exc:
                        item = next(i for i, m in stored if m is mail)
                        self._failed(item.key, mail, str(exc))
                        stored.remove((item, mail))
        return [item.key for item, _mail in stored]

    def _attach(self, case: str, mail: Mail) -> None:
        if mail.attachments and not self.dry_run:
            attach(self.app, case, [(a.name, a.data, a.content_type) for a in mail.attachments])


def remember_thread(app, message_id: str, case: str) -> None:
    """A message of a case (the customer's, or one sent from it), so that mail answering it
    finds the case by its In-Reply-To alone."""
    stamp = now_in(UTC).isoformat(timespec="seconds")
    app.store.append_log(LOG, [{"at": stamp, "message_id": message_id, "id": case}])


def _addresses(kind, record: dict) -> set[str]:
    return {str(record[f.name]).strip().lower() for f in kind.fields if f.type == "email" and record.get(f.name)}


def rows_of(mailbox: Mailbox, most_bytes: int) -> Iterator[SourceRow]:
    """Every unseen message a person wrote, as rows (``cstool import KIND imap://…``): read,
    never marked seen; automatic mail skipped, an unreadable message a row that says why."""
    n = 0
    try:
        for batch in mailbox.unseen(most_bytes):
            for item in batch:
                n += 1
                try:
                    if item.raw is None:
                        raise MailUnreadable(_("larger than the limit ({size})").format(size=_size(item.size)))
                    mail = read_message(item.raw)
                except MailUnreadable as exc:
                    yield SourceRow(n, n, {}, problem=str(exc))
                    continue
                if mail.automatic is None:
                    yield SourceRow(n, n, message_row(mail, item.arrived.isoformat(timespec="seconds")))
    finally:
        mailbox.close()
