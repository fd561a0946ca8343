"""Phone staff (电话专员): call logs (呼入/呼出记录表), the callback plan (电话访谈计划表),
and the phone report (service level, abandonment, ASA, AHT, callbacks on time).

How calls are counted (policy [phone]):
- offered = calls that reached the agents' queue: answered calls, and abandoned calls
  that waited in the queue (queue_seconds > 0);
- a call hung up before the queue (abandoned with no queue time: a VRU/IVR-only
  hang-up) is self-service, not offered, and not abandoned;
- ``phantom`` calls (the switch's own artefacts) are counted nowhere;
- service level = answered within ``service_level_seconds`` / (answered + abandoned
  after ``short_abandon_seconds``) x 100; abandonment = abandoned / offered x 100;
- ASA = mean queue seconds of answered calls; AHT = mean talk + after-call work seconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

KIND = "call"
OUTCOMES = ("answered", "abandoned", "callback_requested", "phantom")

CALL = Kind(
    name=KIND,
    prefix="CALL",
    label=label("Call", "通话记录"),
    department="customer_service",
    fields=(
        Field(
            "direction",
            "choice",
            required=True,
            choices=("inbound", "outbound"),
            label=label("Direction", "呼入 / 呼出"),
        ),
        Field("number", "phone", personal=True, label=label("Phone number", "电话号码")),
        Field("caller_name", "text", personal=True, label=label("Caller's name", "来电人姓名")),
        Field("address", "text", personal=True, label=label("Address", "地址")),
        Field("outcome", "choice", required=True, choices=OUTCOMES, label=label("Outcome", "结果")),
        Field("agent", "choice", choices_from="phone.agents", label=label("Agent", "话务员")),
        Field("topic", "text", label=label("Topic", "主题")),
        Field("linked_record", "text", link=True, label=label("About case (id)", "关联案件编号")),
        Field("notes", "text", multiline=True, label=label("Notes", "备注")),
        Field("queued_at", "datetime", ask=False, label=label("Queued at", "排队时间")),
        Field("answered_at", "datetime", ask=False, label=label("Answered at", "接听时间")),
        Field("ended_at", "datetime", ask=False, label=label("Ended at", "结束时间")),
        Field("queue_seconds", "int", ask=False, min=0, label=label("Queue wait (s)", "排队秒数")),
        Field("talk_seconds", "int", ask=False, min=0, label=label("Talk (s)", "通话秒数")),
        Field("acw_seconds", "int", ask=False, min=0, label=label("After-call work (s)", "话后处理秒数")),
    ),
    statuses=(Status("logged", "closed", label("Logged", "已记录")),),
    list_columns=("direction", "outcome", "agent", "topic", "linked_record"),
    transitions={"logged": ()},
    script="scripts/call.md",
    high_volume=True,  # thousands a day: logging one must not rewrite the whole history
)


CALLBACK_KIND = "callback"
PURPOSES = ("requested", "survey", "credit_reminder", "key_account", "other")
CALLBACK = Kind(
    name=CALLBACK_KIND,
    prefix="CB",
    label=label("Planned call", "电话访谈计划"),
    department="customer_service",
    fields=(
        Field("customer", "text", required=True, personal=True, label=label("Customer", "客户")),
        Field("phone", "phone", required=True, personal=True, label=label("Phone", "电话")),
        Field("agent", "choice", required=True, choices_from="phone.agents", label=label("Agent", "话务员")),
        Field("purpose", "choice", required=True, choices=PURPOSES, label=label("Purpose", "目的")),
        Field("linked_record", "text", link=True, label=label("About (id)", "关联记录编号")),
        Field("notes", "text", multiline=True, label=label("Notes", "备注")),
    ),
    statuses=(
        Status("planned", "open", label("Planned", "待回访")),
        Status("done", "resolved", label("Done", "已回访")),
        Status("cancelled", "closed", label("Cancelled", "已取消")),
    ),
    list_columns=("customer", "agent", "purpose", "promised_at"),
    transitions={"planned": ("done", "cancelled"), "done": (), "cancelled": ()},
    requires=("promised_at",),  # when to call: its own clock ([sla.callback] escalate_promised)
)
MESSAGE = Kind(
    name="phone_message",
    prefix="MSG",
    label=label("Phone message", "电话记录表"),
    department="customer_service",
    fields=(
        Field("for_person", "text", required=True, label=label("For", "留言对象")),
        Field("caller", "text", required=True, personal=True, label=label("Caller", "来电人")),
        Field("phone", "phone", personal=True, label=label("Phone", "电话")),
        Field("message", "text", required=True, multiline=True, label=label("Message", "留言内容")),
    ),
    statuses=(
        Status("taken", "open", label("Taken", "已记录")),
        Status("passed_on", "open", label("Passed on", "已转达")),
        Status("acknowledged", "resolved", label("Acknowledged", "已确认")),
    ),
    list_columns=("for_person", "caller", "message"),
    transitions={"taken": ("passed_on", "acknowledged"), "passed_on": ("acknowledged",), "acknowledged": ()},
)


def _at(text):
    return datetime.fromisoformat(text) if text else None


@hookimpl
def cstool_kinds():
    return [CALL, CALLBACK, MESSAGE]


@hookimpl
def cstool_validate_records(kind, records, policy, lookup):
    if kind.name == CALLBACK_KIND:
        return [
            (index, "promised_at", _("a callback due before it was asked for ({created_at})").format(
                created_at=record["created_at"][:16].replace("T", " ")))
            for index, record in enumerate(records)
            if record.get("promised_at") and _at(record["promised_at"]) < _at(record["created_at"])
        ]  # fmt: skip
    if kind.name != KIND:
        return None
    refused = []
    for index, record in enumerate(records):
        start, queued, answered, ended = (
            _at(record.get(k)) for k in ("created_at", "queued_at", "answered_at", "ended_at")
        )
        order = [("queued_at", queued), ("answered_at", answered), ("ended_at", ended)]
        previous = ("created_at", start)
        for name, value in order:
            if value is None:
                continue
            if value < previous[1]:
                refused.append(
                    (
                        index,
                        name,
                        f"{value:%Y-%m-%d %H:%M:%S} is before {previous[0]}: the call ends before it starts"
                        if name == "ended_at"
                        else f"{value:%Y-%m-%d %H:%M:%S} is before {previous[0]}",
                    )
                )
            previous = (name, value)
        if record.get("linked_record"):
            linked = record["linked_record"]
            if not any(lookup.get(k, linked) for k in policy.get("phone.link_kinds", [])):
                refused.append(
                    (index, "linked_record", _("no case {linked_record}").format(linked_record=record["linked_record"]))
                )
    return refused


@hookimpl
def cstool_enrich_records(kind, records, policy):
    """Durations from the call's instants, when they were not given."""
    if kind.name != KIND:
        return
    for record in records:
        queued, answered, ended = (_at(record.get(k)) for k in ("queued_at", "answered_at", "ended_at"))
        if record.get("queue_seconds") is None and queued and (answered or ended):
            record["queue_seconds"] = int(((answered or ended) - queued).total_seconds())
        if record.get("talk_seconds") is None and answered and ended:
            record["talk_seconds"] = int((ended - answered).total_seconds())


@hookimpl
def cstool_check_policy(policy):
    section = policy.get("phone")
    if section is None:
        return []
    problems = []
    for key in ("service_level_seconds", "short_abandon_seconds"):
        value = section.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(api.Problem(("phone", key), _("must be a whole number of seconds")))
    target = section.get("service_level_target_pct", 0)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 <= target <= 100:
        problems.append(api.Problem(("phone", "service_level_target_pct"), _("must be a percentage, 0 to 100")))
    agents = section.get("agents", [])
    if not (isinstance(agents, list) and all(isinstance(a, str) for a in agents)):
        problems.append(api.Problem(("phone", "agents"), _("must be a list of agent names")))
    callbacks = section.get("callbacks", {})
    if callbacks:
        try:
            api.parse_target(callbacks.get("within"))
        except ValueError as exc:
            problems.append(api.Problem(("phone", "callbacks", "within"), str(exc)))
        if callbacks.get("calendar") not in (policy.get("calendars") or {}):
            problems.append(api.Problem(("phone", "callbacks", "calendar"), _("names a missing calendar")))
    return problems


# ---- the callback plan ------------------------------------------------------------


def callback_plan(select, kinds, policy, due_from=None, due_before=None):
    """Every callback to make: the ``callback`` records (a call a customer asked for at a
    time, or one a supervisor planned), and one per closed case of the kinds policy lists,
    due within ``phone.callbacks.within`` of its closing; each done by an outbound call
    linked to it. ``select(kind, selection)`` reads records; with ``due_from`` /
    ``due_before`` (instants), only the records that can hold a callback due from one to
    the other are read (a month's plan of a store of a million cases reads that month's
    closings, not every case); the caller keeps the entries due in its period."""
    settings = policy.get("phone.callbacks") or {}
    plan = _planned_calls(select, kinds, due_from, due_before)
    if not settings:
        return plan
    sla = api.SlaPolicy(policy)
    calendar = sla.calendars[settings["calendar"]]
    target = api.parse_target(settings["within"])

    def due_of(closed):
        return calendar.add_minutes(closed, target.minutes(calendar, closed))

    closed_from = earliest_closing(due_of, due_from) if due_from is not None else None
    calls = defaultdict(list)
    outbound = api.Selection(created_from=closed_from, equals=(("direction", "outbound"),))
    for call in select(KIND, outbound):
        if call.get("direction") == "outbound" and call.get("linked_record"):
            calls[call["linked_record"]].append(call)
    closed = api.Selection(between=(("closed_at", closed_from, due_before),))
    for kind_name in settings.get("kinds", []):
        if kind_name not in kinds.names():
            continue
        for case in select(kind_name, closed):
            closed_at = _at(case.get("closed_at"))
            if closed_at is None:
                continue
            due = due_of(closed_at).astimezone(policy.timezone)
            made = sorted(_at(c["created_at"]) for c in calls.get(case["id"], []) if _at(c["created_at"]) >= closed_at)
            plan.append(
                {
                    "id": case["id"],
                    "kind": kind_name,
                    "agent": case.get("owner"),
                    "customer": case.get("customer_name"),
                    "phone": case.get("contact_phone"),
                    "closed_at": closed_at,
                    "due": due,
                    "done_at": made[0] if made else None,
                }
            )
    return plan


def earliest_closing(due_of, due_from: datetime) -> datetime:
    """The earliest closing whose callback can fall due at ``due_from`` or later, to the
    minute (a closing before it is due earlier). ``due_of`` never goes back as the closing
    moves on (a later closing is never due sooner), so the answer is found by halving a
    span reaching back far enough: twice as far each time until a closing in it is due
    before ``due_from``."""
    from datetime import timedelta

    span = timedelta(days=31)
    while due_of(due_from - span) >= due_from:
        if span > timedelta(days=3660 * 2):  # beyond the longest target (ten years)
            return due_from - span
        span *= 2
    early, late = due_from - span, due_from  # due_of(early) < due_from <= due_of(late)
    while late - early > timedelta(minutes=1):
        middle = early + (late - early) / 2
        if due_of(middle) >= due_from:
            late = middle
        else:
            early = middle
    return early


def _planned_calls(select, kinds, due_from=None, due_before=None) -> list[dict]:
    """The ``callback`` records as plan entries: due when the customer asked, done when
    the call linked to it was logged."""
    if CALLBACK_KIND not in kinds.names():
        return []
    return [
        {
            "id": planned["id"],
            "kind": CALLBACK_KIND,
            "agent": planned.get("agent"),
            "customer": planned.get("customer"),
            "phone": planned.get("phone"),
            "closed_at": None,
            "due": _at(planned["promised_at"]),
            "done_at": _at(planned.get("resolved_at")),
        }
        for planned in select(CALLBACK_KIND, api.Selection(between=(("promised_at", due_from, due_before),)))
        if planned.get("status") != "cancelled"
    ]


@hookimpl
def cstool_records_stored(kind, records, app):
    """An outbound call linked to a planned call completes it, at the call's time."""
    if kind.name != KIND:
        return
    for call in records:
        linked = call.get("linked_record") or ""
        if call.get("direction") != "outbound" or not linked.upper().startswith(CALLBACK.prefix + "-"):
            continue
        planned = app.store.get(CALLBACK_KIND, linked.upper())
        if planned is None or planned["status"] != "planned":
            continue
        try:
            app.book.set_status(planned["id"], "done", _at(call["created_at"]), call["id"])
        except api.CstoolError as exc:  # a call logged before the callback was planned: said, not fatal
            app.warn(str(exc))


CALLBACK_HEADINGS = {
    "agent": label("Agent", "话务员"),
    "id": label("Case", "案件"),
    "kind": label("Kind", "记录类型"),
    "customer": label("Customer", "客户"),
    "phone": label("Phone", "电话"),
    "closed_at": label("Closed at", "结案时间"),
    "due": label("Call by", "应回访时间"),
    "overdue": label("Overdue", "已逾期"),
}


# What a call gives the record it becomes: the new kind's field ← the call's.
FROM_CALL = {
    "customer_name": "caller_name",
    "submitted_by": "caller_name",
    "contact_phone": "number",
    "address": "address",
    "question": "notes",
    "content": "notes",
    "customer_id": "customer_id",
}


def from_call(call: dict, kind) -> dict:
    """The values a new record of ``kind`` takes from ``call`` (as text, as typed in)."""
    fields = {f.name for f in kind.fields} | {"customer_id"}
    values = {name: call[source] for name, source in FROM_CALL.items() if name in fields and call.get(source)}
    if "channel" in fields:
        values["channel"] = "phone"
    if "source" in fields:
        values["source"] = "customers"
    if "suggestion_type" in fields:
        values["suggestion_type"] = "opinion"
    values["created_at"] = call.get("answered_at") or call["created_at"]
    if call.get("agent"):
        values["owner"] = call["agent"]
    return values


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import emit_json, format_option, output_option, parse_day, show_rows

    @cli.command("call-to")
    @click.argument("call_id", metavar="CALL-ID")
    @click.argument("kind_name", metavar="KIND", type=click.Choice(["inquiry", "complaint", "suggestion"]))
    @click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A field of the new record; repeat.")
    @format_option()
    @click.pass_obj
    def call_to(app, call_id, kind_name, sets, fmt):
        """A call becomes an inquiry (咨询), a complaint or a suggestion: the new record takes the
        caller, number, address and time of the call, and the call links to it."""
        from cstool.api import CstoolError, parse_sets

        kind = app.kinds.get(kind_name)
        call_kind, call = app.book.get(call_id)
        if call_kind.name != KIND:
            raise CstoolError(_("{id} is not a call").format(id=call_id))
        if call.get("linked_record"):
            raise CstoolError(_("{id} is already about {linked}").format(id=call["id"], linked=call["linked_record"]))
        if kind_name not in (app.policy.get("phone.link_kinds") or []):  # refused before anything is made
            raise CstoolError(
                _("a call may not link to a {kind}: add it to [phone] link_kinds in policy.toml").format(kind=kind_name)
            )
        values = from_call(call, kind)
        values.update(parse_sets(sets))
        made = app.book.create(kind, values)
        app.book.update(call["id"], {"linked_record": made["id"]}, None)
        if fmt == "json":
            emit_json(made)
        else:
            click.echo(_("{call} → {id}").format(call=call["id"], id=made["id"]))

    @cli.command("callbacks")
    @click.option("--date", "day_text", metavar="D", help="Due on or before this day (default today).")
    @click.option("--agent", help="Only this agent's callbacks.")
    @click.option("--reveal", is_flag=True, help="Show phone numbers unmasked.")
    @format_option()
    @output_option
    @click.pass_obj
    def callbacks(app, day_text, agent, reveal, fmt, output, force):
        """电话访谈计划: callbacks due (or overdue) by a day, per agent. Log the call to complete one:
        cstool record call --set direction=outbound --set linked_record=ID …"""
        now = app.now()
        day = parse_day(day_text, "--date", today=now.date()) or now.date()
        plan = [
            p
            for p in callback_plan(app.store.select, app.kinds, app.policy)
            if p["done_at"] is None
            and p["due"].astimezone(app.tz).date() <= day
            and (agent is None or p["agent"] == agent)
        ]
        plan.sort(key=lambda p: (p["agent"] or "", p["due"]))
        rows = [
            {
                "agent": p["agent"],
                "id": p["id"],
                "kind": p["kind"],
                "customer": p["customer"] if reveal else api.mask(p["customer"]),
                "phone": p["phone"] if reveal else api.mask(p["phone"], "phone"),
                "closed_at": p["closed_at"].isoformat(timespec="minutes") if p["closed_at"] else None,
                "due": p["due"].isoformat(timespec="minutes"),
                "overdue": p["due"] < now,  # the promised instant has passed, whatever the day asked about
            }
            for p in plan
        ]
        payload = {"date": day.isoformat(), "count": len(rows), "callbacks": rows}
        if fmt == "json" and output is None:
            emit_json(payload)
            return
        headings = [str(CALLBACK_HEADINGS[name].get(app.lang)) for name in CALLBACK_HEADINGS]
        table = [[app.shown(row[name]) for name in CALLBACK_HEADINGS] for row in rows]
        title = _("callbacks due by {day}").format(day=day.isoformat())
        show_rows(fmt, headings, table, output=output, force=force, title=title, json_value=payload)


# ---- the phone report -------------------------------------------------------------


def _tally():
    return {
        "offered": 0,
        "answered": 0,
        "abandoned": 0,
        "in_service_level": 0,
        "short_abandons": 0,
        "waits": [],
        "handles": [],
        "callbacks": 0,
        "callbacks_on_time": 0,
    }


def phone_report(request):
    """Per agent or hour: offered, answered, abandoned, service level, abandonment, ASA, AHT,
    and (per agent) callbacks done on time."""
    by = request.by or "agent"
    threshold = request.policy.get("phone.service_level_seconds", 20)
    short = request.policy.get("phone.short_abandon_seconds", 5)
    tz = request.policy.timezone
    groups: defaultdict[str, dict] = defaultdict(_tally)
    everyone = _tally()

    def take(call):
        if call.get("direction") != "inbound":
            return
        outcome, wait = call.get("outcome"), call.get("queue_seconds") or 0
        if outcome == "phantom" or (outcome == "abandoned" and wait <= 0):
            return  # a switch artefact, or a hang-up before the queue: not offered
        key = (
            (call.get("agent") or "—")
            if by == "agent"
            else datetime.fromisoformat(call["created_at"]).astimezone(tz).strftime("%H:00")
        )
        for tally in (groups[key], everyone):
            tally["offered"] += 1
            if outcome == "abandoned":
                tally["abandoned"] += 1
                tally["short_abandons"] += wait <= short
            else:
                tally["answered"] += 1
                tally["in_service_level"] += wait <= threshold
                tally["waits"].append(wait)
                tally["handles"].append((call.get("talk_seconds") or 0) + (call.get("acw_seconds") or 0))

    yield api.RecordPass((KIND,), take)
    if by == "agent":
        period = request.period
        for item in callback_plan(
            request.select, request.kinds, request.policy, period.created_from, period.created_before
        ):
            due_day = item["due"].astimezone(tz).date()
            if (request.since and due_day < request.since) or (request.until and due_day > request.until):
                continue  # a callback counts in the period it was due in
            for tally in (groups[item["agent"] or "—"], everyone):
                tally["callbacks"] += 1
                tally["callbacks_on_time"] += item["done_at"] is not None and item["done_at"] <= item["due"]

    def figures(t):
        counted = t["answered"] + t["abandoned"] - t["short_abandons"]
        return {
            "offered": t["offered"],
            "answered": t["answered"],
            "abandoned": t["abandoned"],
            "service_level_pct": api.pct(t["in_service_level"], counted),
            "abandonment_pct": api.pct(t["abandoned"], t["offered"]),
            "asa_seconds": round(sum(t["waits"]) / len(t["waits"]), 2) if t["waits"] else None,
            "aht_seconds": round(sum(t["handles"]) / len(t["handles"]), 2) if t["handles"] else None,
            "callbacks": t["callbacks"],
            "callbacks_on_time_pct": api.pct(t["callbacks_on_time"], t["callbacks"]),
        }

    rows = [{by: key, **figures(t)} for key, t in sorted(groups.items())]
    columns = [
        by,
        "offered",
        "answered",
        "abandoned",
        "service_level_pct",
        "abandonment_pct",
        "asa_seconds",
        "aht_seconds",
    ]
    if by == "agent":
        columns += ["callbacks", "callbacks_on_time_pct"]
    labels = {
        "agent": label("Agent", "话务员"),
        "hour": label("Hour", "时段"),
        "offered": label("Offered", "呼入量"),
        "answered": label("Answered", "接通"),
        "abandoned": label("Abandoned", "放弃"),
        "service_level_pct": label(f"Service level % ({threshold}s)", f"服务水平 %（{threshold}秒）"),
        "abandonment_pct": label("Abandoned %", "放弃率 %"),
        "asa_seconds": label("ASA (s)", "平均应答(秒)"),
        "aht_seconds": label("AHT (s)", "平均处理(秒)"),
        "callbacks": label("Callbacks", "回访"),
        "callbacks_on_time_pct": label("On time %", "按时回访 %"),
    }
    target = request.policy.get("phone.service_level_target_pct")
    chart = api.Chart("gauge" if by == "agent" else "bar", x=by, y=("service_level_pct",), target=target)
    return api.ReportResult(columns, rows, figures(everyone), labels, label("Phone service", "电话服务统计"), chart)


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "phone",
            label("Calls per agent or hour: service level, ASA, AHT", "电话服务统计"),
            phone_report,
            by=("agent", "hour"),
            monthly=("agent",),
        )
    ]


# ---- demo data --------------------------------------------------------------------


@hookimpl
def cstool_demo_records(rng, now, policy):
    from datetime import timedelta

    agents = policy.get("phone.agents") or []
    topics = ["账单查询", "订单状态", "投诉跟进", "维修预约", "发票开具", "物流查询"]
    records = []
    for _record in range(400):
        start = (now - timedelta(days=rng.randint(0, 29), minutes=rng.randint(1, 1439))).replace(
            second=0, microsecond=0
        )
        wait = int(rng.expovariate(1 / 25))
        outcome = rng.choices(["answered", "abandoned", "callback_requested"], weights=[80, 15, 5])[0]
        values = {
            "direction": "inbound",
            "number": f"13{rng.randint(100000000, 999999999)}",
            "outcome": outcome,
            "agent": rng.choice(agents) if outcome != "abandoned" and agents else None,
            "topic": rng.choice(topics),
            "queue_seconds": wait,
            "talk_seconds": rng.randint(60, 600) if outcome != "abandoned" else 0,
            "acw_seconds": rng.randint(10, 90) if outcome != "abandoned" else 0,
            "created_at": start.isoformat(),
        }
        records.append(api.DemoRecord(KIND, values))
    for number in range(8):  # callbacks customers asked for: some done by now, some late, some ahead
        asked = now - timedelta(hours=rng.randint(2, 72))
        due = asked + timedelta(hours=rng.choice([2, 4, 24, 48, 96]))
        records.append(
            api.DemoRecord(
                CALLBACK_KIND,
                {
                    "customer": rng.choice(["张伟", "李娜", "Sarah Chen"]),
                    "phone": f"13{rng.randint(100000000, 999999999)}",
                    "agent": rng.choice(agents) if agents else None,
                    "purpose": rng.choice(PURPOSES),
                    "promised_at": due.isoformat(),
                    "created_at": asked.isoformat(),
                },
                [("status", "done", 90)] if number % 3 == 0 else [],
            )
        )
    for number in range(3):
        records.append(
            api.DemoRecord(
                MESSAGE.name,
                {
                    "for_person": rng.choice(["李主管", "王经理"]),
                    "caller": rng.choice(["王先生", "刘女士"]),
                    "message": rng.choice(["请回电，关于退款", "询问发票开具进度", "想约时间上门维修"]),
                    "created_at": (now - timedelta(hours=rng.randint(1, 30))).isoformat(),
                },
                [("status", "passed_on", 20)] if number else [],
            )
        )
    # a question taken by phone that became an inquiry (cstool call-to CALL-ID inquiry)
    records.append(
        api.DemoRecord(
            KIND,
            {
                "direction": "inbound",
                "number": "13912345678",
                "caller_name": "王女士",
                "outcome": "answered",
                "agent": agents[0] if agents else None,
                "topic": "三包期",
                "notes": "问电水壶三包期多久",
                "queue_seconds": 8,
                "talk_seconds": 95,
                "linked_record": api.DemoLink("inquiry", 0),
                "created_at": (now - timedelta(days=1)).replace(hour=10, minute=5).isoformat(),
            },
        )
    )
    return records


@hookimpl
def cstool_commitments(policy):
    """The callback every closed case gets."""
    callbacks = policy.get("phone.callbacks") or {}
    if not callbacks.get("within"):
        return None
    when = callbacks["within"]
    return [
        (
            label("Callbacks", "回访"),
            [
                label(
                    f"We call you back within {when} (working days: wd) of closing your case",
                    f"结案后 {when}（wd 为工作日）内回访",
                )
            ],
        )
    ]


@hookimpl
def cstool_policy_keys():
    return [
        "phone.agents",
        "phone.callbacks",
        "phone.link_kinds",
        "phone.service_level_seconds",
        "phone.service_level_target_pct",
        "phone.short_abandon_seconds",
    ]
