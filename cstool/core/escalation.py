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

PENDING_FILE = "notices-pending.json"


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
            for r in app.store.records(kind.name)
            if _may_run(r, phases, now) and (actions := actions_for(app, r, now))
        ]
        if not pending:
            continue
        if dry_run:
            found += [action for _, actions in pending for action in actions]
            continue
        for partition, ids in app.book.ids_by_partition(kind, [record_id for record_id, _ in pending]).items():
            with app.store.transaction(kind.name, partition) as tx:
                changed = []
                for record_id in ids:
                    record = copy.deepcopy(tx.get(record_id))
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
                        changed.append(record)
                        found += actions
                tx.replace(changed)
    return found


def deliver(app, actions: list[dict], now: datetime) -> tuple[list[dict], list[dict], list[NotifierFailure]]:
    """Hand ready notices to every notifier; hold them while the notify calendar is closed.

    Returns (delivered, held, failures). Notices held by an earlier run are delivered
    once the calendar opens.
    """
    from cstool.core.files import locked

    path = app.workspace.root / PENDING_FILE
    with locked(path.with_name(path.name + ".lock")):
        return _deliver(app, path, actions, now)


def _deliver(app, path, actions: list[dict], now: datetime):
    import orjson

    from cstool.core.files import atomic_write, load_json_file

    held = load_json_file(path) or []
    calendar_name = app.policy.get("notify.calendar")
    calendar = app.sla.calendars.get(calendar_name) if calendar_name else None
    opens = calendar.next_open(now) if calendar else now
    for action in actions:
        held.append({**action, "deliver_after": format_datetime(opens.astimezone(app.tz))})
    ready = [a for a in held if datetime.fromisoformat(a["deliver_after"]) <= now]
    waiting = [a for a in held if datetime.fromisoformat(a["deliver_after"]) > now]
    failures = []
    if ready:
        answers = app.host.call_each(
            "cstool_notify", isolate=True, actions=ready, policy=app.policy, workspace=app.workspace
        )
        for plugin, answer in answers:  # one notifier failing must not stop the others
            if isinstance(answer, Exception):
                failures.append(NotifierFailure(plugin, f"{type(answer).__name__}: {answer}"))
    if held or path.exists():
        atomic_write(path, orjson.dumps(waiting))
    return ready, waiting, failures
