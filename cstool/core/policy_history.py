"""The standards' versions: each change of the policy a new numbered version, with who
made it, when and its whole text, kept by the store beside the records (the log
``policy-history``, and the current version in the shared value ``policy``), so that
backups and ``store copy`` carry them.

On a folder the workspace's ``policy.toml`` is the policy and the history records it;
a change made by hand is recorded (as found) by the next policy command. On a shared
store the current version *is* the policy of every desk: a desk's own file keeps only
what is personal (``PERSONAL_KEYS``).
"""

from __future__ import annotations

import difflib
from typing import Any

from cstool.core.errors import CstoolError, StoreConflict
from cstool.core.i18n import _

CURRENT = "policy"
HISTORY = "policy-history"
# What each desk keeps for itself, whatever the department's version says.
PERSONAL_KEYS = (("workspace", "language"), ("workspace", "store"), ("plugins", "blocked"))


def current(store) -> dict[str, Any] | None:
    """The current version (``version``, ``at``, ``by``, ``note``, ``text``), or None when
    the store has none yet."""
    from cstool.stores.base import ReadsState

    if isinstance(store, ReadsState):
        return store.read_state(CURRENT)
    with store.shared_state(CURRENT) as state:
        return state.load()


def record(
    store, text: str, by: str, at: str, note: str | None = None, based_on: int | None = None
) -> tuple[int, bool]:
    """Make ``text`` the current version (unless it is already): its number, and whether
    it is new. ``based_on``: the version ``text`` was edited from; when another desk has
    made a newer one meanwhile, nothing is written and ``StoreConflict`` says so (edit
    again from the newer one, or a change would be lost)."""
    with store.shared_state(CURRENT) as state:
        found = state.load()
        if found is not None and found["text"] == text:
            return int(found["version"]), False
        latest = int(found["version"]) if found else 0
        if based_on is not None and latest != based_on:
            raise StoreConflict(
                _("policy version {latest} was made while you edited version {based_on}").format(
                    latest=latest, based_on=based_on
                )
            )
        entry: dict[str, Any] = {"version": latest + 1, "at": at, "by": by, "note": note, "text": text}
        store.append_log(HISTORY, [entry])
        state.save(entry)
        return latest + 1, True


def history(store) -> list[dict[str, Any]]:
    return list(store.read_log(HISTORY))


def text_of(store, version: int) -> str:
    for entry in store.read_log(HISTORY):
        if entry["version"] == version:
            return entry["text"]
    raise CstoolError(_("there is no policy version {version} (cstool policy history)").format(version=version))


def changed_keys(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted keys whose values differ between two policies' data."""
    keys = []
    for name in sorted(set(before) | set(after), key=str):
        old, new = before.get(name), after.get(name)
        dotted = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(old, dict) and isinstance(new, dict):
            keys += changed_keys(old, new, dotted)
        elif old != new:
            keys.append(dotted)
    return keys


def unified(old: str, new: str, old_name: str, new_name: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), old_name, new_name))


def with_personal(shared: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """The department's policy data with this desk's personal keys."""
    data = {**shared}
    for section, key in PERSONAL_KEYS:
        table = dict(data.get(section) or {})
        value = (local.get(section) or {}).get(key)
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
        data[section] = table
    return data


def is_personal(key: str) -> bool:
    from cstool.core.policy import parse_key

    return parse_key(key)[:2] in PERSONAL_KEYS
