"""Key accounts (重点客户): a monthly statistical statement for each (为客户提供月度统计分析表).

- ``cstool report key-accounts --month M``: one row per customer of a key grade
  (``[customers] key_grades``): complaints, after-sales cases and inquiries of the month,
  how many were finished and how many of those within their resolution target, calls
  with them, and what they bought.
- ``cstool statement CUSTOMER-ID --month M [--output F.html]``: that customer's own
  statement, case by case, to send them; personal data as any output shows it (masked
  unless revealed).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from cstool import api
from cstool.api import _, hookimpl, label

CASES = ("complaint", "aftersales", "inquiry")
FIGURES = ("complaint", "aftersales", "inquiry", "finished", "on_time", "late", "calls", "sales_amount")
LABELS = {
    "customer_id": label("Customer", "客户编号"),
    "name": label("Name", "客户名称"),
    "grade": label("Grade", "等级"),
    "complaint": label("Complaints", "投诉"),
    "aftersales": label("After-sales cases", "售后服务"),
    "inquiry": label("Inquiries", "咨询"),
    "finished": label("Finished", "已办结"),
    "on_time": label("Finished on time", "按时办结"),
    "late": label("Late", "超时"),
    "on_time_pct": label("On time %", "按时办结率 %"),
    "calls": label("Calls", "通话"),
    "sales_amount": label("Sales", "销售额"),
}


def tally_case(counts: Counter, kind_name: str, record: dict, clocks) -> None:
    """One case of a customer counted: its kind, finished, on time (its resolution clock met)."""
    counts[kind_name] += 1
    resolution = next((clock for clock in clocks if clock.name == "resolution"), None)
    if record.get("resolved_at") or record.get("closed_at"):
        counts["finished"] += 1
    if resolution is not None and resolution.state in ("met", "breached"):
        counts["on_time" if resolution.state == "met" else "late"] += 1


def _any_of(request, kind_name: str, customers) -> bool:
    """Whether the period holds a record of ``kind_name`` for one of ``customers``: counted
    where the records are, so a month without any is not read record by record."""
    if kind_name not in request.kinds.names():
        return False
    return any(customer in customers for (customer,) in request.tally(kind_name, ("customer_id",)))


def key_accounts(request):
    """重点客户月度统计: the period's cases, calls and sales of each key customer."""
    grades = set(request.policy.get("customers.key_grades") or ["VIP"])
    customers = {
        c["id"]: c for c in request.records("customer") if c.get("grade") in grades and c.get("status") != "void"
    }
    counts: dict[str, Counter] = {cid: Counter() for cid in customers}
    figure_of = {"call": "calls", "sale": "sales_amount"}

    def take(record):
        customer = record.get("customer_id")
        if customer not in counts:
            return
        kind_name = record["kind"]
        if kind_name in figure_of:
            counts[customer][figure_of[kind_name]] += record.get("amount") or 0 if kind_name == "sale" else 1
        else:
            tally_case(counts[customer], kind_name, record, request.clocks(record)[1])

    # a kind whose period holds no key customer's record is not read record by record
    yield api.RecordPass(tuple(k for k in (*CASES, *figure_of) if _any_of(request, k, counts)), take)
    rows: list[dict[str, Any]] = []
    for cid, customer in sorted(customers.items()):
        figures = counts[cid]
        rows.append(
            {
                "customer_id": cid,
                "name": customer.get("name"),
                "grade": customer.get("grade"),
                **{key: figures[key] for key in FIGURES},
                "on_time_pct": api.pct(figures["on_time"], figures["on_time"] + figures["late"]),
            }
        )
    totals: dict[str, Any] = {key: sum(row[key] for row in rows) for key in FIGURES}
    totals["on_time_pct"] = api.pct(totals["on_time"], totals["on_time"] + totals["late"])
    totals["customers"] = len(rows)
    return api.ReportResult(
        ["customer_id", "name", "grade", *FIGURES, "on_time_pct"],
        rows,
        totals,
        {**LABELS, "customers": label("Key customers", "重点客户数")},
        label("Key accounts: monthly statistics", "重点客户月度统计分析表"),
    )


@hookimpl
def cstool_reports():
    return [api.Report("key-accounts", label("Key accounts", "重点客户月度统计分析表"), key_accounts, monthly=(None,))]


@hookimpl
def cstool_policy_keys():
    return ["customers.key_grades"]


@hookimpl
def cstool_check_policy(policy):
    grades = policy.get("customers.key_grades")
    if grades is None:
        return []
    known = [g.get("name") for g in policy.get("customers.grades") or [] if isinstance(g, dict)]
    if not (isinstance(grades, list) and all(isinstance(g, str) for g in grades)):
        return [api.Problem(("customers", "key_grades"), _("must be a list of grade names"))]
    return [
        api.Problem(("customers", "key_grades"), _("{grade!r} is not a grade of [[customers.grades]]").format(grade=g))
        for g in grades
        if g not in known
    ]


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import emit_json, format_option, output_option, reveal_option

    @cli.command("statement")
    @click.argument("customer_id", metavar="CUSTOMER-ID")
    @click.option("--month", required=True, metavar="M", help="The month YYYY-MM (or last-month).")
    @reveal_option()
    @format_option()
    @output_option
    @click.pass_obj
    def statement(app, customer_id, month, reveal, fmt, output, force):
        """为客户提供月度统计分析表: a customer's own cases of a month, each with where it stands
        and whether it was finished in time, to send them."""
        from cstool.api import CstoolError, Selection, records_for_output, show_rows

        customer = app.book.lookup.get("customer", customer_id)
        if customer is None:
            raise CstoolError(_("no customer {id}").format(id=customer_id))
        now = app.now()
        try:
            first, last = api.month_period(month, now.astimezone(app.tz).date())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--month") from None
        selection = Selection(
            created_from=datetime.combine(first, time(), app.tz),
            created_before=datetime.combine(last + timedelta(days=1), time(), app.tz),
            equals=(("customer_id", customer["id"]),),
            excluded=frozenset(["void"]),
        )
        rows: list[list[Any]] = []
        counts: Counter = Counter()
        for kind_name in CASES:
            if kind_name not in app.kinds.names():
                continue
            kind = app.kinds.get(kind_name)
            found = app.store.select(kind_name, selection)
            for record, shown in zip(found, records_for_output(app, kind, found, reveal)):
                clocks = app.clocks(record, now)[1]
                tally_case(counts, kind_name, record, clocks)
                resolution = next((c for c in clocks if c.name == "resolution"), None)
                status = kind.status(record["status"])
                rows.append(
                    [
                        record["id"],
                        kind.title(app.lang),
                        record["created_at"][:10],
                        shown.get("subject") or shown.get("product") or shown.get("question") or shown.get("content"),
                        status.title(app.lang) if status else record["status"],
                        (record.get("resolved_at") or record.get("closed_at") or "")[:10] or None,
                        app.shown(resolution.state) if resolution is not None else None,
                    ]
                )
        title = _("Monthly statement for {name}, {month}").format(
            name=records_for_output(app, app.kinds.get("customer"), [customer], reveal)[0].get("name"),
            month=first.strftime("%Y-%m"),
        )
        headers = [_("id"), _("kind"), _("registered"), _("about"), _("status"), _("finished"), _("on time")]
        payload = {
            "customer_id": customer["id"],
            "month": first.strftime("%Y-%m"),
            "cases": [dict(zip(("id", "kind", "created", "about", "status", "finished", "on_time"), r)) for r in rows],
            "figures": {
                key: counts[key] for key in ("complaint", "aftersales", "inquiry", "finished", "on_time", "late")
            },
        }
        if fmt == "json" and output is None:
            emit_json(payload)
            return
        show_rows(fmt, headers, rows, output=output, force=force, title=title, json_value=payload)
        if fmt == "table" and output is None:
            click.echo(
                "\n"
                + _("{cases} cases, {finished} finished, {on_time} on time, {late} late").format(
                    cases=len(rows), finished=counts["finished"], on_time=counts["on_time"], late=counts["late"]
                ),
                err=True,
            )
