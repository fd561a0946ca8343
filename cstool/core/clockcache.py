"""SLA clocks remembered between commands, so a report over a year of cases does not
count every case's business minutes again each time it runs.

A record's clocks, once all its events are in the past, change only with time: a stopped
clock not at all, a running one (no pause open) by the minutes counted since. What
``clocks.settle`` found is kept per record id in ``.cache/clocks-<kind>.json`` beside
``data/`` (not in backups; deleting it loses nothing), with a checksum of the whole
record. An entry is used only when that checksum matches the record as loaded now (any
change, through cstool or by hand, misses), the entry was computed at least to the detail
asked for, and ``now`` is at or after the record's latest event. The file belongs to one
policy text, one set of the kind's statuses and one version of the code that computes
clocks (the bytes of calendar.py, clocks.py and this module, hashed): a change to any of
them empties it, so a cstool upgraded in place never serves clocks of its old rules,
whether or not anyone remembered to change a version number.

Files are replaced atomically but not synced (a file lost or torn in a crash is read as
empty); two commands saving at once lose only the other's new entries, which are
computed again.
"""

from __future__ import annotations

import hashlib
import sys
import zlib
from collections.abc import Mapping, MutableMapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cstool.core import calendar as calendar_module, clocks as clocks_module
from cstool.core.clocks import Clock, SlaPolicy, resume, settle, with_promised

if TYPE_CHECKING:
    from cstool.stores.base import RememberedEntries

FORMAT = 1  # the layout of the cache file
RANKS = {"figures": 0, "due": 1, "instants": 2}  # "explain" has words in the current language: never kept


class KindClocks:
    """One kind's remembered clocks: ``clocks(record, now, detail)`` as ``record_clocks``."""

    def __init__(
        self,
        path: Path,
        fingerprint: str,
        sla: SlaPolicy,
        phases: Mapping[str, str],
        initial: str,
        remembered: RememberedEntries | None = None,
    ):
        """``remembered``: the entries as a store that keeps them itself gives them (a shared
        database, where a desk's file would hold every record of the department); else the
        file at ``path``."""
        self.path, self.fingerprint, self.sla, self.phases, self.initial = path, fingerprint, sla, phases, initial
        self.entries: MutableMapping[str, list] = {} if remembered is None else remembered
        self.remembered = remembered
        self.in_store = remembered is not None
        self.changed = False
        self._now: tuple[datetime | None, float] = (None, 0.0)
        if self.in_store:
            return
        try:
            stored = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return  # none yet, unreadable or cut short: start empty, computing is always correct
        if (
            isinstance(stored, dict)
            and stored.get("format") == FORMAT
            and stored.get("fingerprint") == fingerprint
            and isinstance(stored.get("entries"), dict)
        ):
            self.entries = stored["entries"]

    def clocks(
        self, record: Mapping[str, Any], now: datetime, detail: str = "instants"
    ) -> tuple[str | None, list[Clock]]:
        found = self._policy_clocks(record, now, detail)
        if not record.get("promised_at"):
            return found
        return with_promised(record, self.phases, self.initial, now, found, self.sla.promise_levels(record["kind"]))

    def _policy_clocks(self, record: Mapping[str, Any], now: datetime, detail: str) -> tuple[str | None, list[Clock]]:
        rank = RANKS.get(detail)
        if rank is None:
            return settle(record, self.phases, self.initial, self.sla, now, detail, keep=False)[:2]
        if self._now[0] is not now:
            self._now = (now, now.timestamp())
        checksum = zlib.crc32(orjson.dumps(record))
        entry = self.entries.get(record["id"])
        try:
            if entry is not None and entry[0] == checksum and entry[1] >= rank and self._now[1] >= entry[2][0]:
                return resume(record, self.sla, entry[2], now, detail)
        except (IndexError, KeyError, TypeError, ValueError):
            pass  # an entry not as cstool writes them (edited by hand?): computed again
        if self.in_store and rank < RANKS["due"]:  # the store judges running clocks by their due instant
            detail, rank = "due", RANKS["due"]
        calendar, clocks, settled = settle(record, self.phases, self.initial, self.sla, now, detail)
        if settled is not None:
            entry = [checksum, rank, settled]
            if self.remembered is not None:
                self.remembered.keep(
                    record["id"], entry, judged(record, clocks, self.sla.calendars[calendar], settled[0])
                )
            else:
                self.entries[record["id"]] = entry
            self.changed = True
        return calendar, clocks


def judged(record: Mapping[str, Any], clocks: list[Clock], calendar, latest: float) -> dict | None:
    """A record's clocks as a store can judge them as of any ``now`` after ``latest`` (the
    latest event, epoch seconds) without computing them: a stopped clock's state and
    minutes; for a running one the instant after which it is breached (SPEC 6: breached
    when *more* than the target has counted, so a clock due at closing time breaches at
    the next open minute); ``cwr``: closed without a reply. None for a record with a
    promised time (that clock is never remembered)."""
    from cstool.core.records import closed_without_reply

    if record.get("promised_at"):  # its promised clock is computed afresh every time: judged one by one
        return None
    found: dict[str, list[Any]] = {}
    for clock in clocks:
        if clock.stop_unknown:
            found[clock.name] = ["unknown", None, None]
        elif clock.stopped_at is not None:
            found[clock.name] = [clock.state, clock.elapsed, None]
        else:
            assert clock.due_at is not None  # settled at detail "due" or more
            on = clock.target.calendar or calendar  # a channel's standard may count on its own calendar
            found[clock.name] = ["running", None, on.next_open(clock.due_at).timestamp()]
    return {"latest": latest, "cwr": closed_without_reply(record), "clocks": found}


@cache
def clock_code() -> str:
    """A digest of the modules whose code decides what a clock is (their source, or the
    compiled file where a package ships no source); ~0.1 ms once per command."""
    digest = hashlib.blake2b(digest_size=16)
    for module in (calendar_module, clocks_module, sys.modules[__name__]):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


class ClockCache:
    """The workspace's remembered clocks, one file per kind, loaded when first asked for."""

    def __init__(self, folder: Path, policy_text: str, sla: SlaPolicy):
        self.folder, self.sla = folder, sla
        self._policy_text = policy_text
        self._kinds: dict[str, KindClocks] = {}

    def kind(self, name: str, phases: Mapping[str, str], initial: str, store: Any = None) -> KindClocks:
        """The remembered clocks of kind ``name``: in ``store`` when it keeps them
        (``remembered_clocks``), else in the workspace's file."""
        found = self._kinds.get(name)
        if found is None:
            fingerprint = hashlib.blake2b(
                orjson.dumps([FORMAT, clock_code(), self._policy_text, initial, phases], option=orjson.OPT_SORT_KEYS),
                digest_size=16,
            ).hexdigest()
            from cstool.stores.base import RemembersClocks

            found = self._kinds[name] = KindClocks(
                self.folder / f"clocks-{name}.json",
                fingerprint,
                self.sla,
                phases,
                initial,
                store.remembered_clocks(name, fingerprint) if isinstance(store, RemembersClocks) else None,
            )
        return found

    def save(self) -> None:
        """Write what changed. A workspace that cannot be written to still reports: the
        entries are computed again next time."""
        from cstool.core.errors import StoreError
        from cstool.core.files import DIR_MODE, atomic_write

        for kind in self._kinds.values():
            if not kind.changed:
                continue
            if kind.remembered is not None:
                kind.remembered.save()
                kind.changed = False
                continue
            try:
                self.folder.mkdir(mode=DIR_MODE, exist_ok=True)
                atomic_write(
                    kind.path,
                    orjson.dumps({"format": FORMAT, "fingerprint": kind.fingerprint, "entries": kind.entries}),
                    durable=False,
                )
            except (OSError, StoreError):
                return
            kind.changed = False
