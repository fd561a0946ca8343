"""Attachments (附件): an invoice photo for 三包, a picture of the fault, a customer's mail's
files. Kept once by the SHA-256 of their content in the store; a record lists its own
(``attachments``: name, type, size, digest, when, by) and its trail says who added which.
Never opened or run by cstool: saved to a file on request, checked against what its name
says it is when added.

    [attachments]
    max_mb = 10                                   # per file
    types = ["image/jpeg", "image/png", "application/pdf"]   # else the list below
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from typing import Any

from cstool.core.errors import CstoolError
from cstool.core.i18n import _
from cstool.stores.base import EVERYTHING, KeepsFiles

DEFAULT_MAX_MB = 10
DEFAULT_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
    "text/plain",
    "audio/mpeg",
    "audio/wav",
    "audio/x-wav",
    "video/mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
# What the first bytes of a file of these types are: a file whose name says one of them and
# whose content is something else (a program renamed invoice.jpg) is refused.
MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "image/webp": (b"RIFF",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}
EVENT = "attached"


def limits(policy) -> tuple[int, tuple[str, ...]]:
    settings = policy.get("attachments") or {}
    most = settings.get("max_mb", DEFAULT_MAX_MB)
    types = tuple(settings.get("types") or DEFAULT_TYPES)
    return int(float(most) * 1024 * 1024), types


def type_of(name: str, data: bytes, declared: str | None = None) -> str:
    """The content type a file is: by its name (else as declared, a mail part's), checked
    against its first bytes where the type has a signature."""
    guessed = mimetypes.guess_type(name, strict=False)[0] or declared or "application/octet-stream"
    signatures = MAGIC.get(guessed)
    if signatures and not data.startswith(signatures):
        raise CstoolError(_("{name}: its content is not the {type} its name says").format(name=name, type=guessed))
    return guessed


def check_attachment(policy, name: str, data: bytes, declared: str | None = None) -> str:
    """Its content type, when policy allows a file of this type and size; else refused, naming it."""
    most, types = limits(policy)
    if len(data) > most:
        raise CstoolError(
            _("{name}: {size} MB is more than the {most} MB an attachment may be ([attachments] max_mb)").format(
                name=name, size=round(len(data) / 1024 / 1024, 1), most=round(most / 1024 / 1024, 1)
            )
        )
    content_type = type_of(name, data, declared)
    if content_type not in types:
        raise CstoolError(
            _("{name}: files of type {type} are not taken ([attachments] types: {types})").format(
                name=name, type=content_type, types=", ".join(types)
            )
        )
    return content_type


def store_of(app) -> KeepsFiles:
    if not isinstance(app.store, KeepsFiles):
        raise CstoolError(_("the store {store} keeps no attachments").format(store=app.store.description))
    return app.store


def attach(app, record_id: str, files: Iterable[tuple[str, bytes, str | None]], at=None) -> dict:
    """Add ``files`` (name, content, declared type or None) to a record, all or none: each is
    checked first, kept by its digest, then listed on the record with an ``attached`` event
    in one change. A file the record holds already (same name and content) is not added twice."""
    store = store_of(app)
    checked = [(name, data, check_attachment(app.policy, name, data, declared)) for name, data, declared in files]

    def add(_kind, record: dict, when: str) -> None:
        held = {(a["name"], a["digest"]) for a in record.get("attachments") or []}
        for name, data, content_type in checked:
            digest = store.put_file(data)  # inside the change's transaction on PostgreSQL
            if (name, digest) in held:
                continue
            entry = {
                "name": name,
                "type": content_type,
                "size": len(data),
                "digest": digest,
                "at": when,
                "by": app.user,
            }
            record.setdefault("attachments", []).append(entry)
            record["events"].append(
                {"type": EVENT, "at": when, "by": app.user, "name": name, "digest": digest, "size": len(data)}
            )
            held.add((name, digest))

    return app.book.change(record_id, at, add, not_before_status=False)


def nth(record: dict, number: int) -> dict:
    """Attachment ``number`` (from 1, as ``show`` lists them)."""
    held = record.get("attachments") or []
    if not 1 <= number <= len(held):
        raise CstoolError(
            _("{id} has no attachment {number} (it has {count})").format(
                id=record["id"], number=number, count=len(held)
            )
        )
    return held[number - 1]


def read(app, record: dict, number: int) -> tuple[dict, bytes]:
    entry = nth(record, number)
    data = store_of(app).get_file(entry["digest"])
    if data is None:
        raise CstoolError(
            _("{id}: attachment {number} ({name}) is missing from the store").format(
                id=record["id"], number=number, name=entry["name"]
            )
        )
    return entry, data


def listed(record: dict) -> list[str]:
    return [
        f"{n}. {a['name']} ({_size(a['size'])}, {a['type']})" for n, a in enumerate(record.get("attachments") or [], 1)
    ]


def _size(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def erase(record: dict) -> bool:
    """Take a record's attachments off it (an erasure, a purge: photos of invoices hold
    names and addresses); whether it had any. Their contents go with ``remove_unheld_files``."""
    if not record.get("attachments"):
        return False
    record["attachments"] = []
    for entry in record.get("events") or []:
        if entry.get("type") == EVENT and entry.get("name") != "[erased]":
            entry["name"] = "[erased]"
    return True


def remove_unheld_files(app) -> int:
    """Forget every content no record lists any more; how many."""
    store = app.store
    if not isinstance(store, KeepsFiles):
        return 0
    kept = set(store.file_digests())
    if not kept:
        return 0
    held: set[str] = set()
    for kind in app.kinds.names():
        for record in app.store.stream(kind, EVERYTHING):
            held.update(a["digest"] for a in record.get("attachments") or [])
    unheld = kept - held
    store.remove_files(sorted(unheld))
    return len(unheld)


def as_dicts(record: dict) -> list[dict[str, Any]]:
    return [dict(a) for a in record.get("attachments") or []]
