"""The escalation ladder (SPEC section 7): which levels a run passes, their events, delivery.

A level fires once per clock and record: the ``escalated`` events already written are
the memory, so running twice at the same instant yields nothing new.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from cstool.core.records import event
from cstool.core.timeutil import format_datetime
from cstool.core.trail import seal
from cstool.stores.base import EVERYTHING, SharedState

PENDING = "notices-pending"  # the store's shared value of notices not yet taken by every notifier


@dataclass
class NotifierFailure:
    plugin: str
    error: str


def _already(record: dict) -> set[tuple[str, str]]:
    return {(e.get("clock"), e.get("level")) for e in record.get("events", []) if e.get("type") == "escalated"}


def _may_run(record: dict, phases: dict[str, str], now: datetime) -> bool:
    """False when every clock of the record has certainly stopped (a cheap pre-filter)."""
    if phases.get(record["status"]) in ("resolved", "closed"):
        return datetime.fromisoformat(record["updated_at"]) > now  # later events might reopen as of now
    return True


def actions_for(app, record: dict, now: datetime) -> list[dict]:
    done = _already(record)
    actions = []
    for clock in app.clocks(record, now)[1]:
        if clock.stopped_at is not None or clock.stop_unknown:
            continue
        for level, when in clock.passed:
            if (clock.name, level.name) in done:
                continue
            actions.append(
                {
                    "id": record["id"],
                    "clock": clock.name,
                    "level": level.name,
                    "notify": list(level.notify),
                    "recipients": app.sla.recipients(level.notify, record),
                    "at": format_datetime(when.astimezone(app.tz)),
                }
            )
    return actions


def escalate(app, now: datetime, dry_run: bool) -> list[dict]:
    """Every newly passed level of every running clock; events written unless ``dry_run``."""
    found: list[dict] = []
    for kind in app.kinds:
        phases = {s.name: s.phase for s in kind.statuses}
        pending = [
            (r["id"], actions)
            for r in app.store.stream(kind.name, EVERYTHING)
            if _may_run(r, phases, now) and (actions := actions_for(app, r, now))
        ]
        if not pending:
            continue
        if dry_run:
            found += [action for _, actions in pending for action in actions]
            continue
        with app.store.transaction(kind.name) as tx:
            changed, batch = [], []
            for record_id, _ in pending:
                stored = tx.get(record_id)
                record = copy.deepcopy(stored)
                actions = actions_for(app, record, now)  # again, inside the lock: another run may have written
                for action in actions:
                    record["events"].append(
                        event(
                            "escalated",
                            action["at"],
                            app.user,
                            clock=action["clock"],
                            level=action["level"],
                            notify=action["notify"],
                            recipients=action["recipients"],
                        )
                    )
                if actions:
                    seal(record, stored)
                    changed.append(record)
                    batch += actions
            # the notices are kept before the events that remember their levels are written
            keep_pending(app, batch, now)
            tx.replace(changed)
        found += batch
    return found


def _key(notice: dict) -> tuple:
    return notice["id"], notice["clock"], notice["level"], notice["at"]


def keep_pending(app, notices: list[dict], now: datetime) -> None:
    """Add ``notices`` to the workspace's pending notices (each once), durably: escalate does
    it before it writes the events that remember the levels, so a notice whose level is
    remembered is never lost, whatever fails later (a full disk, a notifier down)."""
    if not notices:
        return
    with app.store.shared_state(PENDING) as state:
        state.save(_add(_load_pending(state), notices, app, now))


def deliver(app, actions: list[dict], now: datetime) -> tuple[list[dict], list[dict], list[NotifierFailure]]:
    """Hand the notices that are due to every notifier; hold them while the notify calendar is
    closed; keep each pending until every notifier has taken it.

    ``actions`` are new notices (those escalate already kept are not added twice). Returns
    (delivered to every notifier in this run, still pending, failures). A notifier that
    fails gets the notice again next run; the others are not asked twice.
    """
    with app.store.shared_state(PENDING) as state:
        pending = _add(_load_pending(state), actions, app, now)
        state.save(pending)
        ready = [n for n in pending if datetime.fromisoformat(n["deliver_after"]) <= now]
        failures = []
        for plugin in app.host.implementers("cstool_notify"):
            todo = [n for n in ready if plugin not in n["delivered_to"]]
            if not todo:
                continue
            shown = [{k: v for k, v in n.items() if k not in ("deliver_after", "delivered_to")} for n in todo]
            answer = app.host.call_plugin(
                "cstool_notify", plugin, actions=shown, policy=app.policy, workspace=app.workspace, store=app.store
            )
            if isinstance(answer, Exception):  # one notifier failing must not stop the others
                failures.append(NotifierFailure(plugin, f"{type(answer).__name__}: {answer}"))
                continue
            for notice in todo:
                notice["delivered_to"].append(plugin)
            state.save(pending)  # what each notifier took, before the next one
        everyone = set(app.host.implementers("cstool_notify"))
        delivered = [n for n in ready if everyone <= set(n["delivered_to"])]
        waiting = [n for n in pending if not everyone <= set(n["delivered_to"])]
        state.save(waiting)
    strip = ("deliver_after", "delivered_to")
    return [{k: v for k, v in n.items() if k not in strip} for n in delivered], waiting, failures


def _load_pending(state: SharedState) -> list[dict]:
    return state.load() or []


def _add(pending: list[dict], notices: list[dict], app, now: datetime) -> list[dict]:
    known = {_key(n) for n in pending}
    fresh = [n for n in notices if _key(n) not in known]
    if fresh:
        calendar_name = app.policy.get("notify.calendar")
        calendar = app.sla.calendars.get(calendar_name) if calendar_name else None
        opens = format_datetime((calendar.next_open(now) if calendar else now).astimezone(app.tz))
        pending = [*pending, *({**n, "deliver_after": opens, "delivered_to": []} for n in fresh)]
    for notice in pending:
        notice.setdefault("delivered_to", [])  # kept by an older cstool
    return pending
