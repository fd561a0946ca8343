"""Recurring deliverables between departments and positions (每月提交人力分析报告…): an agreement
item with ``every = "month"`` and ``due_day = N`` is owed each month by that day.

    cstool deliverables [--month M]     # each one owed: due, its request, where it stands, on time
    cstool deliverables --open          # open this month's requests not yet open (the worker, daily)

The month's request is an ordinary ``internal_request`` (so its clocks, escalation, the desk
and the reports treat it as any other), with ``period`` = the month, ``promised_at`` = the
due day's close on the agreement's calendar (the promised clock judges it), and an
``external_id`` of ``deliverable:AGREEMENT:ITEM:MONTH``, which keeps it one per month
however often, and by however many desks, ``--open`` runs.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from cstool import api
from cstool.api import _, hookimpl

REQUEST = "internal_request"


def owed(policy, month: str) -> list[dict[str, Any]]:
    """The recurring items of every agreement, as owed in ``month`` (YYYY-MM)."""
    found = []
    for name, agreement in sorted((policy.get("internal.agreements") or {}).items()):
        if not isinstance(agreement, dict):
            continue
        for item, targets in sorted((agreement.get("items") or {}).items()):
            if isinstance(targets, dict) and targets.get("every") == "month" and targets.get("due_day"):
                year, number = map(int, month.split("-"))
                found.append(
                    {
                        "agreement": name,
                        "item": item,
                        "provider": agreement.get("provider_position") or agreement.get("provider"),
                        "customer": agreement.get("customer_position") or agreement.get("customer"),
                        "due": date(year, number, int(targets["due_day"])),
                        "external_id": f"deliverable:{name}:{item}:{month}",
                    }
                )
    return found


def due_instant(policy, day: date) -> datetime:
    """The close of the due day on the internal requests' calendar (18:00 where it has no
    hours that day; 23:59 on a 24-hour one)."""
    calendar = api.SlaPolicy(policy).calendars.get(policy.get("sla.internal_request.calendar") or "office")
    hours = calendar.hours_on(day) if calendar is not None else ()
    closes = min(max((end for _start, end in hours), default=18 * 60), 23 * 60 + 59)
    tz = calendar.tz if calendar is not None else policy.timezone
    return datetime.combine(day, time(closes // 60, closes % 60), tz)


@hookimpl
def cstool_demo_records(rng, now, policy):
    """The last two months' deliverables: one delivered by its day, one late."""
    from datetime import timedelta

    records = []
    month = now.replace(day=1)
    for back, late in ((2, False), (1, True)):
        first = month
        for _month in range(back):
            first = (first - timedelta(days=1)).replace(day=1)
        period = first.strftime("%Y-%m")
        for entry in owed(policy, period):
            due = due_instant(policy, entry["due"])
            opened = datetime.combine(first, time(9, 0), due.tzinfo)
            done = (due - opened).total_seconds() / 60 + (60 * 24 * 2 if late else -60 * 24)
            records.append(
                api.DemoRecord(
                    REQUEST,
                    {
                        "agreement": entry["agreement"],
                        "item": entry["item"],
                        "requested_by": "总经理",
                        "subject": f"{api.name_of(policy, entry['item'], 'zh')} {period}",
                        "period": period,
                        "promised_at": due.isoformat(),
                        "external_id": entry["external_id"],
                        "created_at": opened.isoformat(),
                    },
                    [("status", "accepted", 30), ("status", "done", done)],
                )
            )
    return records


@hookimpl
def cstool_worker_jobs():
    return [
        api.WorkerJob(
            "deliverables",
            ("deliverables", "--open", "--format", "json"),
            "1d",
            lambda shown: _("{opened} deliverables opened").format(opened=len(shown.get("opened", []))),
        )
    ]


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import emit_json, format_option, output_option, show_rows

    @cli.command("deliverables")
    @click.option("--month", metavar="M", help="The month YYYY-MM (default this month).")
    @click.option("--open", "open_them", is_flag=True, help="Open the month's requests not yet open.")
    @format_option()
    @output_option
    @click.pass_obj
    def deliverables(app, month, open_them, fmt, output, force):
        """Recurring deliverables (every = "month" items of internal agreements): due, opened, done on time."""
        from cstool.api import CstoolError, Selection

        now = app.now()
        today = now.astimezone(app.tz).date()
        try:
            first, _last = api.month_period(month or today.strftime("%Y-%m"), today)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--month") from None
        period = first.strftime("%Y-%m")
        items = owed(app.policy, period)
        opened: list[str] = []
        if open_them:
            if first > today:
                raise CstoolError(_("{month} has not begun: nothing is owed yet").format(month=period))
            opened = open_requests(app, items, period)
        requests = {
            r.get("external_id"): r
            for r in app.store.select(REQUEST, Selection(equals=(("period", period),)))
            if r.get("external_id")
        }
        kind = app.kinds.get(REQUEST)
        rows = []
        for entry in items:
            request = requests.get(entry["external_id"])
            clocks = app.clocks(request, now)[1] if request else []
            promised = next((c for c in clocks if c.name == "promised"), None)
            status = kind.status(request["status"]) if request else None
            rows.append(
                {
                    "agreement": entry["agreement"],
                    "item": entry["item"],
                    "provider": entry["provider"],
                    "customer": entry["customer"],
                    "due": entry["due"].isoformat(),
                    "id": request["id"] if request else None,
                    "status": request["status"] if request else None,
                    "status_shown": status.title(app.lang) if status else None,
                    "on_time": promised.state if promised else None,
                }
            )
        if fmt == "json" and output is None:
            emit_json({"month": period, "opened": opened, "deliverables": rows})
            return
        headers = [_("agreement"), _("item"), _("serves"), _("for"), _("due"), _("id"), _("status"), _("on time")]
        table = [
            [
                r["agreement"],
                app.shown(r["item"]),
                app.shown(r["provider"]),
                app.shown(r["customer"]),
                r["due"],
                r["id"],
                r["status_shown"],
                app.shown(r["on_time"]) if r["on_time"] else None,
            ]
            for r in rows
        ]
        title = _("Recurring deliverables, {month}").format(month=period)
        show_rows(fmt, headers, table, output=output, force=force, title=title, json_value={"deliverables": rows})
        if opened and fmt == "table" and output is None:
            click.echo(_("opened: {ids}").format(ids=", ".join(opened)), err=True)


def open_requests(app, items: list[dict], period: str) -> list[str]:
    """The month's request of each item not yet opened, through an import (one transaction;
    ``external_id`` keeps each once): the ids opened."""
    from cstool.api import ImportMap, RecordSource, SourceRow, run_import

    rows = [
        SourceRow(
            n,
            n,
            {
                "agreement": entry["agreement"],
                "item": entry["item"],
                "requested_by": app.user,
                "subject": _("{item} for {month}").format(
                    item=api.name_of(app.policy, entry["item"], app.lang), month=period
                ),
                "period": period,
                "promised_at": due_instant(app.policy, entry["due"]).isoformat(),
                "external_id": entry["external_id"],
            },
        )
        for n, entry in enumerate(items, 1)
    ]
    if not rows:
        return []
    fields = list(rows[0].values)
    source = RecordSource("deliverables", lambda _location: True, lambda *_args: (fields, iter(rows)))
    outcome = run_import(
        app,
        app.kinds.get(REQUEST),
        "deliverables:" + period,
        ImportMap(columns={name: name for name in fields}),
        on_duplicate="skip",
        source=source,
    )
    return list(outcome.added)
