"""Key customers and visit plans (重点客户, 按分级定期访问): policy says how often each customer
grade is visited or called; `cstool visits` lists the customers due or overdue, and a
logged visit (`cstool record visit`) or an outbound call linked to the customer completes it.

    [customers.visits]          # days between two contacts, per grade
    VIP = 30
    "重点客户" = 90
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

KIND = "visit"
CUSTOMER = "customer"
CALL = "call"
METHODS = ("visit", "phone", "video")

VISIT = Kind(
    name=KIND,
    prefix="VIS",
    label=label("Customer visit", "客户拜访"),
    department="customer_service",
    fields=(
        Field("method", "choice", required=True, choices=METHODS, label=label("How", "方式")),
        Field("visited_by", "text", required=True, label=label("Visited by", "拜访人")),
        Field("purpose", "text", label=label("Purpose", "目的")),
        Field("notes", "text", multiline=True, label=label("Notes", "记录")),
    ),
    statuses=(Status("logged", "closed", label("Logged", "已记录")),),
    list_columns=("customer_id", "method", "visited_by", "purpose"),
    transitions={"logged": ()},
    requires=("customer_id",),  # a visit is to a customer (one that exists: the customers plugin checks)
)
HEADINGS = {
    "customer_id": label("Customer", "客户编号"),
    "name": label("Name", "名称"),
    "grade": label("Grade", "等级"),
    "owner": label("Owner", "负责人"),
    "last_contact": label("Last contact", "上次联系"),
    "due": label("Due", "应联系日期"),
    "overdue_days": label("Days overdue", "逾期天数"),
}


def visits_due(customers, visits, calls, every_days: dict, tz, day: date) -> list[dict]:
    """The customers whose grade sets a visit frequency and whose last contact (a visit, an
    outbound call linked to them; else their registration) is that many days before ``day``
    or more: the next due first. Pure: the records are given."""
    last: dict[str, datetime] = {}

    def contact(customer_id, created_at):
        when = datetime.fromisoformat(created_at)
        if customer_id and (customer_id not in last or when > last[customer_id]):
            last[customer_id] = when

    for visit in visits:
        contact(visit.get("customer_id"), visit["created_at"])
    for call in calls:
        if call.get("direction") == "outbound":
            contact(call.get("linked_record") or call.get("customer_id"), call["created_at"])
    rows = []
    for customer in customers:
        days = every_days.get(customer.get("grade") or "")
        if not days or customer.get("status") != "active":
            continue
        since = last.get(customer["id"]) or datetime.fromisoformat(customer["created_at"])
        due = since.astimezone(tz).date() + timedelta(days=int(days))
        if due <= day:
            rows.append(
                {
                    "customer_id": customer["id"],
                    "name": customer.get("name"),
                    "grade": customer.get("grade"),
                    "owner": customer.get("owner"),
                    "last_contact": last[customer["id"]].astimezone(tz).date().isoformat()
                    if customer["id"] in last
                    else None,
                    "due": due.isoformat(),
                    "overdue_days": (day - due).days,
                }
            )
    rows.sort(key=lambda row: (row["due"], row["customer_id"]))
    return rows


@hookimpl
def cstool_kinds():
    return [VISIT]


@hookimpl
def cstool_check_policy(policy):
    table = policy.get("customers.visits")
    if table is None:
        return []
    if not isinstance(table, dict):
        return [api.Problem(("customers", "visits"), _("must be a table of grade = days, such as VIP = 30"))]
    grades = {grade.get("name") for grade in policy.get("customers.grades") or [] if isinstance(grade, dict)}
    problems = []
    for grade, days in table.items():
        if grade not in grades:
            problems.append(api.Problem(("customers", "visits", grade), _("is not a grade of [[customers.grades]]")))
        elif isinstance(days, bool) or not isinstance(days, int) or days < 1:
            problems.append(api.Problem(("customers", "visits", grade), _("must be a whole number of days, 1 or more")))
    return problems


@hookimpl
def cstool_policy_keys():
    return ["customers.visits"]


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import emit_json, format_option, output_option, parse_day, records_for_output, show_rows

    @cli.command("visits")
    @click.option("--date", "day_text", metavar="D", help="Due on or before this day (default today).")
    @click.option("--owner", metavar="NAME", help="Only the customers this person looks after.")
    @format_option()
    @output_option
    @click.pass_obj
    def visits(app, day_text, owner, fmt, output, force):
        """按分级定期访问: customers due (or overdue) a visit or call by their grade's frequency
        ([customers.visits]); `cstool record visit` or an outbound call linked to the customer
        completes one."""
        day = parse_day(day_text, "--date", today=app.now().date()) or app.now().date()
        customers = records_for_output(app, app.kinds.get(CUSTOMER), app.store.records(CUSTOMER))
        calls = app.store.records(CALL) if CALL in app.kinds.names() else []
        every_days = app.policy.get("customers.visits") or {}
        rows = visits_due(customers, app.store.records(KIND), calls, every_days, app.tz, day)
        rows = [row for row in rows if owner is None or row["owner"] == owner]
        payload = {"date": day.isoformat(), "count": len(rows), "visits": rows}
        if fmt == "json" and output is None:
            emit_json(payload)
            return
        headers = [HEADINGS[key].get(app.lang) or key for key in HEADINGS]
        table = [[app.shown(row[key]) for key in HEADINGS] for row in rows]
        title = _("visits due by {day}").format(day=day.isoformat())
        show_rows(fmt, headers, table, output=output, force=force, title=title, json_value=payload)


@hookimpl
def cstool_demo_records(rng, now, policy):
    """A visit or call to some customers now and then: enough that `cstool visits` shows
    both the ones visited lately and the ones overdue."""
    records = []
    for number in range(6):
        when = now - timedelta(days=rng.randint(3, 80), hours=rng.randint(0, 6))
        records.append(
            api.DemoRecord(
                KIND,
                {
                    "method": rng.choice(METHODS),
                    "visited_by": rng.choice(["王经理", "李主管", "小张"]),
                    "purpose": rng.choice(["季度回访", "key-account review", "新品介绍"]),
                    "customer_id": api.DemoLink(CUSTOMER, number * 2),
                    "created_at": when.isoformat(),
                },
            )
        )
    return records
