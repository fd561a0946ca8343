"""A message as cstool reads it: who wrote, what, when, to which thread, and whether a person
wrote it at all. Pure: bytes in, a ``Mail`` out, nothing read or written elsewhere."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from cstool.api import CstoolError, _

# Mail labelled with a narrow charset is often written in its wider successor (Outlook's
# "gb2312" carries GBK characters): decode with the superset, as mail readers do.
WIDER_CHARSET = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
CASE_TOKEN = re.compile(r"\[([A-Za-z][A-Za-z0-9]*-\d{8}-\d+)\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Where a reply's quotation of earlier mail begins (Outlook, Foxmail, Gmail, Apple Mail, in zh and en).
QUOTE_START = re.compile(
    r"^(-{2,}\s*(Original Message|原始邮件|Forwarded message|转发邮件)\s*-{2,}"
    r"|(From|发件人)\s*[:：].*"
    r"|On .{4,120} wrote:\s*"
    r"|在 ?.{4,120}写道[:：]\s*"
    r"|>.*)$",
    re.IGNORECASE,
)
MOST_TEXT = 20_000  # characters kept of one message's text: a case is read by people


class MailUnreadable(CstoolError):
    """A message that cannot be read as mail a person wrote (its charset, its structure)."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Mail:
    message_id: str
    replies_to: tuple[str, ...]  # In-Reply-To, then References newest first: the thread, nearest first
    subject: str
    sender_name: str
    sender_address: str
    sent_at: datetime | None
    text: str  # the message's own words, quotations of earlier mail cut
    attachments: tuple[Attachment, ...]
    automatic: str | None  # why no person wrote it (an auto-reply, a bounce, a list), else None

    @property
    def case_token(self) -> str | None:
        """The case id the subject names, ``[CMP-20261204-0001]``, upper-cased."""
        found = CASE_TOKEN.search(self.subject)
        return found.group(1).upper() if found else None


def charset_of(label: str | None) -> str:
    label = (label or "utf-8").strip().strip('"').lower()
    return WIDER_CHARSET.get(label, label)


def decoded(data: bytes, label: str | None) -> str:
    """``data`` in the charset it is labelled with (or its superset); an unknown label or
    bytes that are not in it are refused, never guessed into mojibake."""
    charset = charset_of(label)
    try:
        return data.decode(charset)
    except LookupError:
        raise MailUnreadable(_("unknown charset {charset!r}").format(charset=label)) from None
    except UnicodeDecodeError as exc:
        raise MailUnreadable(
            _("not {charset}, as it says it is (byte {position})").format(charset=label, position=exc.start)
        ) from None


def _raw_header(message, name: str) -> str:
    """A header as it arrived: raw 8-bit bytes kept (as surrogates), not replaced by "?"."""
    return next((str(value) for key, value in message.raw_items() if key.lower() == name.lower()), "")


def header_text(value: str | None, fallback_charset: str | None = None) -> str:
    """A header's words: RFC 2047 encoded-words decoded, raw 8-bit bytes read as the body's charset."""
    if not value:
        return ""
    if any("\udc80" <= c <= "\udcff" for c in value):  # unencoded 8-bit bytes, as many Chinese mailers send
        value = _eight_bit(value.encode("ascii", "surrogateescape"), fallback_charset)
    parts = []
    for chunk, label in decode_header(str(value)):
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        if label is None or label == "unknown-8bit":
            parts.append(_eight_bit(chunk, fallback_charset))
        else:
            parts.append(decoded(chunk, label))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _eight_bit(data: bytes, fallback_charset: str | None) -> str:
    for charset in (fallback_charset, "utf-8", "gb18030"):
        try:
            return data.decode(charset_of(charset))
        except (UnicodeDecodeError, LookupError):
            continue
    raise MailUnreadable(_("a header is in no charset cstool can read"))


class _Text(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data)


def html_as_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def own_words(text: str) -> str:
    """The text before the quotation of earlier mail a reply carries."""
    kept: list[str] = []
    for line in text.splitlines():
        if QUOTE_START.match(line.strip()) and any(k.strip() for k in kept):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def automatic_reason(message: Message) -> str | None:
    """Why no person wrote this (RFC 3834 auto-replies, bounces, lists), else None."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return "Auto-Submitted: " + auto
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "Precedence: " + precedence
    if str(message.get("Return-Path", "x")).strip() == "<>":
        return "Return-Path: <>"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id", "List-Unsubscribe"):
        if header in message and (header != "X-Auto-Response-Suppress" or "oof" in str(message[header]).lower()):
            return header
    if message.get_content_type() == "multipart/report":
        return "multipart/report"
    sender = str(message.get("From", "")).lower()
    if "mailer-daemon@" in sender or sender.startswith("postmaster@") or "<postmaster@" in sender:
        return "From: " + sender
    return None


def _thread(message: Message) -> tuple[str, ...]:
    replying = MESSAGE_ID.findall(str(message.get("In-Reply-To", "")))
    references = MESSAGE_ID.findall(str(message.get("References", "")))
    seen: dict[str, None] = {}
    for message_id in [*replying, *reversed(references)]:
        seen.setdefault(message_id, None)
    return tuple(seen)


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _body(message: Message) -> tuple[str, list[Attachment]]:
    plain, html, attachments = None, None, []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        content_type = part.get_content_type()
        if disposition == "attachment" or (filename and not content_type.startswith("text/")):
            payload = _payload(part)
            attachments.append(Attachment(header_text(filename) or _("(unnamed)"), content_type, payload))
            continue
        if content_type not in ("text/plain", "text/html"):
            continue
        text = decoded(_payload(part), part.get_content_charset())
        if content_type == "text/plain" and plain is None:
            plain = text
        elif content_type == "text/html" and html is None:
            html = text
    if plain is None and html is not None:
        plain = html_as_text(html)
    return (plain or "").replace("\r\n", "\n"), attachments


def identity(raw: bytes) -> tuple[str | None, str]:
    """The Message-ID and sender's address of a message that cannot be read whole, as far as
    its headers say (to name it where it is refused)."""
    from email.parser import BytesHeaderParser

    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    except Exception:  # nothing to name it by: the mailbox's own key names it
        return None, ""
    message_id = next(iter(MESSAGE_ID.findall(str(headers.get("Message-ID", "")))), None)
    addresses = getaddresses([str(headers.get("From", ""))])
    return message_id, (addresses[0][1].strip().lower() if addresses else "")


def read_message(raw: bytes) -> Mail:
    """A message's bytes as a ``Mail``; ``MailUnreadable`` says why it cannot be."""
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
    except Exception as exc:  # the parser is lenient: this is rare and always the message's fault
        raise MailUnreadable(_("not a mail message: {error}").format(error=exc)) from None
    if message.defects and any("Boundary" in type(d).__name__ for d in message.defects):
        raise MailUnreadable(
            _("its MIME structure is broken ({defect})").format(defect=type(message.defects[0]).__name__)
        )
    body_charset = next((p.get_content_charset() for p in message.walk() if p.get_content_charset()), None)
    names = getaddresses([header_text(_raw_header(message, "From"), body_charset)])
    sender_name, sender_address = names[0] if names else ("", "")
    message_id = next(iter(MESSAGE_ID.findall(str(message.get("Message-ID", "")))), None)
    if message_id is None:  # without one, the bytes name it: the same message fetched twice is known
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()[:40]}@cstool.invalid>"
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message.get("Date") else None
    except (TypeError, ValueError):
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = None  # a date without a zone says no instant
    automatic = automatic_reason(message)
    text, attachments = _body(message) if automatic is None else ("", [])
    return Mail(
        message_id=message_id,
        replies_to=_thread(message),
        subject=header_text(_raw_header(message, "Subject"), body_charset),
        sender_name=sender_name.strip(),
        sender_address=sender_address.strip().lower(),
        sent_at=sent_at,
        text=own_words(text)[:MOST_TEXT],
        attachments=tuple(attachments),
        automatic=automatic,
    )
