"""Where mail is read from: an IMAP folder (SSL or STARTTLS) or a folder on disk (a Maildir,
or a folder of ``.eml`` files). Each hands out the messages not yet seen, in bounded
batches, and marks seen only what cstool has stored."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from cstool.api import CstoolError, _

BATCH = 500  # messages fetched at a time: memory holds a batch, not the mailbox,
BATCH_BYTES = 64 * 1024 * 1024  # and a batch holds at most this much mail
SCHEMES = ("imap", "imaps", "maildir")


class MailboxRefused(CstoolError):
    """The mailbox cannot be read at all (login refused, no such folder, server away)."""


@dataclass(frozen=True)
class Incoming:
    key: str  # the mailbox's own name for the message (an IMAP UID, a file's key)
    size: int
    arrived: datetime  # when the mailbox received it (IMAP INTERNALDATE, the file's time)
    raw: bytes | None  # None when larger than the limit: never fetched


class Mailbox(Protocol):
    def unseen(self, most_bytes: int) -> Iterator[list[Incoming]]: ...
    def mark_seen(self, keys: list[str]) -> None: ...
    def close(self) -> None: ...


def is_mailbox(location: str) -> bool:
    return location.partition("://")[0].lower() in SCHEMES


def shown_location(location: str) -> str:
    """The location without a password, for messages."""
    parts = urlsplit(location)
    if parts.password is None:
        return location
    return location.replace(":" + parts.password + "@", ":***@", 1)


def open_mailbox(
    location: str,
    *,
    password: str | None = None,
    starttls: bool = False,
    cafile: str | None = None,
    timeout: float = 30,
) -> Mailbox:
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme == "maildir":
        return FolderMailbox(Path(unquote(parts.path)))
    if scheme not in ("imap", "imaps"):
        raise MailboxRefused(_("{location}: not a mailbox (imap://, imaps:// or maildir://)").format(location=location))
    return ImapMailbox(
        host=parts.hostname or "localhost",
        port=parts.port or (993 if scheme == "imaps" else 143),
        user=unquote(parts.username or ""),
        password=password if password is not None else unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        ssl=scheme == "imaps",
        starttls=starttls,
        cafile=cafile,
        timeout=timeout,
        shown=shown_location(location),
    )


FETCHED = re.compile(rb"UID (\d+)|INTERNALDATE \"([^\"]+)\"|RFC822\.SIZE (\d+)")


class ImapMailbox:
    def __init__(self, *, host, port, user, password, folder, ssl, starttls, cafile, timeout, shown):
        import imaplib
        import ssl as tls

        self.shown = shown
        self.imap: imaplib.IMAP4
        try:
            # the system's trusted certificates, or a department's own CA (cafile): verified either way
            context = tls.create_default_context(cafile=cafile)
            if ssl:
                self.imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
            else:
                self.imap = imaplib.IMAP4(host, port, timeout=timeout)
                if starttls:
                    self.imap.starttls(context)
        except (OSError, imaplib.IMAP4.error, tls.SSLError) as exc:
            raise MailboxRefused(_("{mailbox}: cannot connect ({error})").format(mailbox=shown, error=exc)) from None
        try:
            self.imap.login(user, password)
        except imaplib.IMAP4.error as exc:
            self.close()
            raise MailboxRefused(
                _("{mailbox}: the server refused the login of {user} ({error})").format(
                    mailbox=shown, user=user, error=_said(exc)
                )
            ) from None
        status, said = self.imap.select(_quoted(folder))
        if status != "OK":
            self.close()
            raise MailboxRefused(
                _("{mailbox}: no folder {folder} ({error})").format(mailbox=shown, folder=folder, error=_said(said))
            )

    def _uid(self, *args):
        import imaplib

        try:
            status, data = self.imap.uid(*args)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxRefused(_("{mailbox}: {error}").format(mailbox=self.shown, error=_said(exc))) from None
        if status != "OK":
            raise MailboxRefused(_("{mailbox}: {error}").format(mailbox=self.shown, error=_said(data)))
        return data

    def unseen(self, most_bytes: int) -> Iterator[list[Incoming]]:
        found = self._uid("SEARCH", None, "UNSEEN")
        uids = (found[0] or b"").split()
        for first in range(0, len(uids), BATCH):
            chunk = b",".join(uids[first : first + BATCH]).decode()
            heads = {}
            for line in self._uid("FETCH", chunk, "(UID INTERNALDATE RFC822.SIZE)"):
                uid, arrived, size = _fetched(line if isinstance(line, bytes) else line[0])
                if uid:
                    heads[uid] = (arrived, size)
            for group in _by_bytes(list(heads.items()), most_bytes):
                small = [uid for uid, (_arrived, size) in group if size <= most_bytes]
                bodies = {}
                if small:
                    for item in self._uid("FETCH", ",".join(small), "(UID BODY.PEEK[])"):
                        if isinstance(item, tuple):
                            uid, _arrived, _size = _fetched(item[0])
                            bodies[uid] = item[1]
                yield [
                    Incoming(uid, size, arrived, bodies.get(uid) if size <= most_bytes else None)
                    for uid, (arrived, size) in group
                ]

    def mark_seen(self, keys: list[str]) -> None:
        for first in range(0, len(keys), BATCH):
            self._uid("STORE", ",".join(keys[first : first + BATCH]), "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        try:
            self.imap.logout()
        except Exception:  # closing a connection that already failed: nothing more to say
            pass


def _by_bytes(heads: list, most_bytes: int) -> list[list]:
    """The messages in groups of at most BATCH_BYTES of mail (one too large to fetch counts nothing)."""
    groups: list[list] = [[]]
    held = 0
    for uid, (arrived, size) in heads:
        counted = size if size <= most_bytes else 0
        if groups[-1] and held + counted > BATCH_BYTES:
            groups.append([])
            held = 0
        groups[-1].append((uid, (arrived, size)))
        held += counted
    return [group for group in groups if group]


def _fetched(line: bytes) -> tuple[str, datetime, int]:
    uid, arrived, size = "", datetime.now(UTC), 0
    for match in FETCHED.finditer(line):
        if match.group(1):
            uid = match.group(1).decode()
        elif match.group(2):
            arrived = datetime.strptime(match.group(2).decode(), "%d-%b-%Y %H:%M:%S %z")
        elif match.group(3):
            size = int(match.group(3))
    return uid, arrived, size


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(error) -> str:
    if isinstance(error, list):
        error = b" ".join(e if isinstance(e, bytes) else str(e).encode() for e in error if e)
    if isinstance(error, bytes):
        return error.decode("utf-8", "replace")
    return str(error)


class FolderMailbox:
    """A Maildir (``new/``, ``cur/``: seen is the ``S`` flag, set as mail readers do) or a
    folder of ``.eml`` files (nothing marks them: every fetch reads them all, and the
    Message-ID keeps a second fetch from adding anything)."""

    def __init__(self, path: Path):
        if not path.is_dir():
            raise MailboxRefused(_("{path}: no such folder").format(path=path))
        self.path = path
        self.maildir = (path / "new").is_dir() and (path / "cur").is_dir()

    def _files(self) -> Iterator[tuple[str, Path]]:
        if not self.maildir:
            for file in sorted(self.path.glob("*.eml")):
                yield file.name, file
            return
        for sub in ("new", "cur"):
            for file in sorted((self.path / sub).iterdir()):
                info = file.name.partition(":2,")[2]
                if file.name.startswith(".") or "S" in info:
                    continue
                yield f"{sub}/{file.name}", file

    def unseen(self, most_bytes: int) -> Iterator[list[Incoming]]:
        batch: list[Incoming] = []
        held = 0
        for key, file in self._files():
            try:  # never through a link: a folder others deliver into must not make cstool read elsewhere
                handle = os.open(file, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            with os.fdopen(handle, "rb") as opened:
                facts = os.fstat(opened.fileno())
                raw = opened.read() if facts.st_size <= most_bytes else None
            batch.append(Incoming(key, facts.st_size, datetime.fromtimestamp(facts.st_mtime, UTC), raw))
            held += len(raw or b"")
            if len(batch) == BATCH or held >= BATCH_BYTES:
                yield batch
                batch, held = [], 0
        if batch:
            yield batch

    def mark_seen(self, keys: list[str]) -> None:
        if not self.maildir:
            return
        for key in keys:
            sub, _sep, name = key.partition("/")
            base, _sep2, info = name.partition(":2,")
            flags = "".join(sorted(set(info) | {"S"}))
            os.replace(self.path / sub / name, self.path / "cur" / f"{base}:2,{flags}")

    def close(self) -> None:
        pass
