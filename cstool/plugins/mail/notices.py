"""Notices to customers on events of their case, as policy asks:

    [[notify.customer]]
    on = "registered"        # registered (受理回执) | resolved (处理结果) | closed (回访邀请)
    template = "ack"         # templates/replies/ack.zh.txt / ack.en.txt
    kinds = ["complaint"]    # optional: else every kind of case (one that has a resolved status)

A change that brings a case to the event queues its notice (``cstool_records_stored``: only
for an event of the last day, so importing years of history writes to nobody); ``cstool mail
notify`` (the worker's ``notices`` job) sends what is queued, each notice once per case (the
trail's ``customer_notified`` says it went), never to a case without an address or whose
customer is deregistered."""

from __future__ import annotations

from datetime import datetime, timedelta

from cstool.api import CstoolError, _

from .intake import remember_thread
from .outgoing import Letter, compose, customer_address, event_details, fill, send, sender_of, template_text, values_of

QUEUE = "customer-notices"
EVENTS = ("registered", "resolved", "closed")
RECENT = timedelta(days=1)
NOTIFIED = "customer_notified"


def rules(policy, kind=None) -> list[dict]:
    found = policy.get("notify.customer") or []
    if not isinstance(found, list):
        return []
    return [rule for rule in found if isinstance(rule, dict) and (kind is None or _applies(rule, kind))]


def _applies(rule: dict, kind) -> bool:
    """A rule names its kinds, or applies to every kind of case: one whose records are
    resolved (a complaint, a repair), not a profile (a customer)."""
    if rule.get("kinds"):
        return kind.name in rule["kinds"]
    return any(status.phase == "resolved" for status in kind.statuses)


def reached_at(record: dict, on: str) -> str | None:
    """When the case reached ``on`` (its stamp), or None."""
    return record.get({"registered": "created_at", "resolved": "resolved_at", "closed": "closed_at"}[on])


def notified(record: dict) -> set[str]:
    return {e.get("on") for e in record.get("events") or [] if e.get("type") == NOTIFIED}


def queue(app, kind, records: list[dict]) -> None:
    """Queue the notices these stored records are due (each (case, event) once)."""
    wanted = rules(app.policy, kind)
    if not wanted:
        return
    since = app.now() - RECENT
    due = []
    for record in records:
        if customer_address(kind, record) is None:
            continue
        done = notified(record)
        for rule in wanted:
            on = rule.get("on")
            at = reached_at(record, on) if on in EVENTS else None
            if on not in done and at and datetime.fromisoformat(at) >= since:
                due.append({"id": record["id"], "kind": kind.name, "on": on, "template": rule.get("template")})
    if not due:
        return
    with app.store.shared_state(QUEUE) as state:
        waiting = state.load() or []
        known = {(n["id"], n["on"]) for n in waiting}
        state.save(waiting + [n for n in due if (n["id"], n["on"]) not in known])


def deliver(app, *, dry_run: bool = False) -> dict:
    """Send the queued notices: ``{"sent": [...], "dropped": [...], "failed": [...]}``; one that
    fails stays queued for the next run."""
    sent: list[dict] = []
    dropped: list[dict] = []
    failed: list[dict] = []
    waiting = app.store.read_state(QUEUE) or []
    for notice in waiting:
        try:
            outcome = _deliver_one(app, notice, dry_run)
        except CstoolError as exc:
            failed.append({**notice, "error": str(exc)})
            continue
        (sent if outcome is None else dropped).append(notice if outcome is None else {**notice, "reason": outcome})
    if not dry_run and (sent or dropped):
        finished = {(n["id"], n["on"]) for n in sent + dropped}
        with app.store.shared_state(QUEUE) as state:
            state.save([n for n in state.load() or [] if (n["id"], n["on"]) not in finished])
    return {"dry_run": dry_run, "sent": sent, "dropped": dropped, "failed": failed}


def _deliver_one(app, notice: dict, dry_run: bool) -> str | None:
    """Send one notice; None when sent, else why it never will be."""
    kind = app.kinds.get(notice["kind"])
    record = app.store.get(kind.name, notice["id"])
    if record is None:
        return _("no record {id}").format(id=notice["id"])
    if notice["on"] in notified(record):
        return _("already sent")
    to = customer_address(kind, record)
    if to is None:
        return _("no e-mail address (or the customer is deregistered)")
    path, text = template_text(app, notice["template"] or notice["on"], app.lang)
    subject, body = fill(path, text, values_of(app, kind, record, app.lang))
    message = compose(sender_of(app.policy), Letter(to, subject, body), record, automatic=True, now=app.now())
    if dry_run:
        return None
    send(app.policy, message)

    def add(_kind, stored: dict, when: str) -> None:
        details = event_details(message, body, notice["template"])
        stored["events"].append({"type": NOTIFIED, "at": when, "by": app.user, "on": notice["on"], **details})

    app.book.change(record["id"], None, add, not_before_status=False)
    remember_thread(app, str(message["Message-ID"]), record["id"])
    return None
