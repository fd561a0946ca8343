"""Retention (PIPL Art. 19, 47): a closed record's personal data is kept ``[privacy]
retain_closed_days`` after it closed, then anonymised by ``cstool privacy purge``. The
record stays, with its status, times and figures, so reports count it as before; its
trail gains a ``purged`` event and keeps who saw it (the reveals, at least 180 days)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from cstool.core.errors import PolicyError
from cstool.core.i18n import _
from cstool.core.privacy import erase_personal
from cstool.core.timeutil import stored_instant

MINIMUM_DAYS = 180  # access records (the reveals in the trails) are kept at least this long
MARKER = "[已匿名 anonymised]"


def retention_days(policy) -> int | None:
    """``[privacy] retain_closed_days``, or None when the workspace keeps closed records whole."""
    days = policy.get("privacy.retain_closed_days")
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or days < MINIMUM_DAYS:
        raise PolicyError(
            _("privacy.retain_closed_days must be a whole number of days, at least {minimum}, not {days!r}").format(
                minimum=MINIMUM_DAYS, days=days
            )
        )
    return days


def due(kind, record: dict[str, Any], cutoff: datetime) -> bool:
    """Closed (or void) before ``cutoff``."""
    status = kind.status(record.get("status", ""))
    if status is None or status.phase not in ("closed", "void"):
        return False
    closed = record.get("closed_at") or record.get("updated_at")
    return isinstance(closed, str) and stored_instant(closed) < cutoff


def anonymised(kind, stored: dict[str, Any], cutoff: datetime, when: str, by: str, reason: str) -> dict | None:
    """A copy of ``stored`` with its personal data gone and a ``purged`` event, or None when
    it is not due or holds none any more."""
    if not due(kind, stored, cutoff):
        return None
    record = copy.deepcopy(stored)
    fields = erase_personal(kind, record, [], MARKER)
    if not fields:
        return None
    record["events"].append({"at": when, "by": by, "type": "purged", "fields": fields, "reason": reason})
    record["updated_at"] = when
    return record


def purge(app, now: datetime, dry_run: bool) -> dict[str, list[str]]:
    """The ids of the closed records past retention, per kind: anonymised unless ``dry_run``."""
    days = retention_days(app.policy)
    if days is None:
        raise PolicyError(
            _("set [privacy] retain_closed_days in policy.toml first (at least {minimum})").format(minimum=MINIMUM_DAYS)
        )
    cutoff = now - timedelta(days=days)
    kinds = [kind for kind in app.kinds if any(f.personal for f in kind.fields)]
    reason = _("kept {days} days after closing ([privacy] retain_closed_days)").format(days=days)

    def anonymise(records_by_kind: dict[str, list[dict]], when: str) -> dict[str, list[dict]]:
        changed: dict[str, list[dict]] = {}
        for kind in kinds:
            for stored in records_by_kind[kind.name]:
                record = anonymised(kind, stored, cutoff, when, app.user, reason)
                if record is not None:
                    changed.setdefault(kind.name, []).append(record)
        return changed

    if dry_run:
        found = anonymise({kind.name: app.store.records(kind.name) for kind in kinds}, "")
    else:
        from cstool.core.attachments import remove_unheld_files

        found = app.book.rewrite([kind.name for kind in kinds], anonymise)
        remove_unheld_files(app)
    return {name: [record["id"] for record in records] for name, records in found.items() if records}
