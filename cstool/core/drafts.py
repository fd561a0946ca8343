"""An entry at the prompts kept as it is typed (草稿), so that Ctrl-C, a crash or a closed
terminal loses nothing: one draft per person and kind, in the workspace's ``.drafts/``
(owner-only, like every workspace file), saved after each answer and removed once the
record is saved or the person discards it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from cstool.core.files import DIR_MODE, atomic_write, load_json_file


class Drafts:
    def __init__(self, folder: Path, user: str):
        self.folder = folder
        self.user = user

    def _path(self, kind: str) -> Path:
        # A person's name may be any text (a Chinese name, a login with a backslash): hashed.
        who = hashlib.sha256(self.user.encode("utf-8")).hexdigest()[:16]
        return self.folder / f"{kind}-{who}.json"

    def load(self, kind: str) -> tuple[dict[str, Any], str] | None:
        """(the answers so far, when they were last saved), or None."""
        try:
            kept = load_json_file(self._path(kind))
        except Exception:  # a torn or foreign draft is not worth refusing the entry over
            return None
        if not isinstance(kept, dict) or not isinstance(kept.get("values"), dict) or kept.get("user") != self.user:
            return None
        return kept["values"], str(kept.get("saved_at") or "")

    def save(self, kind: str, values: dict[str, Any], now: datetime) -> None:
        self.folder.mkdir(mode=DIR_MODE, exist_ok=True)
        entry = {"kind": kind, "user": self.user, "saved_at": now.isoformat(timespec="minutes"), "values": values}
        atomic_write(self._path(kind), orjson.dumps(entry))

    def discard(self, kind: str) -> None:
        self._path(kind).unlink(missing_ok=True)
