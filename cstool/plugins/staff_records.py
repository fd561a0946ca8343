"""What the documents ask staff to keep beyond cases: the daily work report (员工日工作报表:
根据当天的工作情况……以工作报表的形式进行登记，并向部门经理汇报), commendations (公开表彰、
奖金、外出培训) and training (就培训内容设置题库……每日一练).

    cstool record work_log --set day=2026-11-16 --set contacts=23 --set summary="…"
    cstool status WL-… read                       # the manager has read it
    cstool report work-logs --month 2026-11       # who reported which working day, who owes one
    cstool record commendation --set agent=小王 --set form=public_praise --set reason="…"
    cstool record training --set agent=小王 --set topic=三包规定 --set questions=5 --set correct=4
    cstool report training --month 2026-11        # 每日一练: days practised, questions, correct %

A work report is the writer's own (its ``agent`` is who writes it); a commendation is given
by a supervisor or manager of the policy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

WORK_LOG = "work_log"
COMMENDATION = "commendation"
TRAINING = "training"
FORMS = ("public_praise", "bonus", "training_trip")  # 公开表彰, 奖金, 外出培训

WORK_LOG_KIND = Kind(
    name=WORK_LOG,
    prefix="WL",
    label=label("Daily work report", "员工日工作报表"),
    department="customer_service",
    fields=(
        Field("agent", "text", ask=False, label=label("Written by", "填报人")),
        Field("day", "date", required=True, label=label("Day", "日期")),
        Field("contacts", "int", required=True, min=0, label=label("Customers contacted", "接触客户数")),
        Field("cases_handled", "int", min=0, label=label("Cases handled", "处理案件数")),
        Field("summary", "text", required=True, multiline=True, label=label("What was done", "当日工作情况")),
        Field("problems", "text", multiline=True, label=label("Problems met", "遇到的问题")),
        Field("plan", "text", multiline=True, label=label("Plan for tomorrow", "次日工作安排")),
    ),
    statuses=(
        Status("submitted", "open", label("Submitted", "已提交")),
        Status("read", "resolved", label("Read by the manager", "经理已阅")),
    ),
    list_columns=("agent", "day", "contacts", "cases_handled"),
    transitions={"submitted": ("read",), "read": ()},
)

COMMENDATION_KIND = Kind(
    name=COMMENDATION,
    prefix="CMD",
    label=label("Commendation", "表彰奖励"),
    department="customer_service",
    fields=(
        Field("agent", "text", required=True, label=label("Who", "受表彰人")),
        Field("form", "choice", required=True, choices=FORMS, label=label("Form", "形式")),
        Field("reason", "text", required=True, multiline=True, label=label("For", "事由")),
        Field("amount", "decimal", min=0, label=label("Bonus amount", "奖金金额")),
    ),
    statuses=(Status("given", "closed", label("Given", "已发放")),),
    list_columns=("agent", "form", "reason"),
    transitions={"given": ()},
)

TRAINING_KIND = Kind(
    name=TRAINING,
    prefix="TRN",
    label=label("Training and daily practice", "培训与每日一练"),
    department="customer_service",
    fields=(
        Field("agent", "text", required=True, label=label("Who", "员工")),
        Field("topic", "text", required=True, label=label("Topic", "培训内容")),
        Field("questions", "int", required=True, min=1, label=label("Questions", "题数")),
        Field("correct", "int", required=True, min=0, label=label("Answered right", "答对")),
    ),
    statuses=(Status("done", "closed", label("Done", "已完成")),),
    list_columns=("agent", "topic", "questions", "correct"),
    transitions={"done": ()},
)


@hookimpl
def cstool_kinds():
    return [WORK_LOG_KIND, COMMENDATION_KIND, TRAINING_KIND]


@hookimpl
def cstool_enrich_records(kind, records):
    if kind.name == WORK_LOG:
        for record in records:
            record["agent"] = record.get("agent") or record.get("owner")


@hookimpl
def cstool_validate_records(kind, records, policy):
    refused = []
    if kind.name == WORK_LOG:
        for index, record in enumerate(records):
            if record.get("agent") and record["agent"] != record.get("owner"):
                refused.append(
                    (index, "agent", _("a work report is its writer's own: --as {agent}").format(agent=record["agent"]))
                )
    elif kind.name == TRAINING:
        for index, record in enumerate(records):
            if (record.get("correct") or 0) > (record.get("questions") or 0):
                refused.append((index, "correct", _("is more than questions")))
    elif kind.name == COMMENDATION:
        leaders = api.department_leaders(policy)
        for index, record in enumerate(records):
            if leaders and record.get("owner") not in leaders:
                refused.append(
                    (
                        index,
                        "owner",
                        _("a commendation is given by a supervisor or manager ({names}); --as names who").format(
                            names=", ".join(sorted(leaders))
                        ),
                    )
                )
    return refused or None


def _working_days(policy, first: date, last: date) -> list[date]:
    """The days with open hours on the complaints' calendar (office hours: holidays off,
    make-up workdays on); every weekday where the policy has none."""
    name = policy.get("sla.complaint.calendar") or "office"
    calendar = api.SlaPolicy(policy).calendars.get(name)
    days = []
    day = first
    while day <= last:
        if calendar.hours_on(day) if calendar is not None else day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def work_logs(request):
    """员工日工作报表汇总: per person, the working days of the period reported, read by the
    manager, and owed (a working day before today without a report); the customers
    contacted and cases handled they reported. People are those of ``[phone] agents`` and
    whoever wrote a report."""
    today = request.now.astimezone(request.policy.timezone).date()
    last = min(request.until or today, today - timedelta(days=1))
    first = request.since or last.replace(day=1)
    days = set(_working_days(request.policy, first, last)) if first <= last else set()
    reported: dict[str, dict[date, dict]] = defaultdict(dict)
    for record in request.records(WORK_LOG):
        if record.get("status") != "void" and record.get("day"):
            reported[record.get("agent") or record.get("owner")][date.fromisoformat(record["day"])] = record
    people = sorted(set(reported) | set(request.policy.get("phone.agents") or []))
    rows: list[dict[str, Any]] = []
    for person in people:
        mine = {day: r for day, r in reported.get(person, {}).items() if first <= day <= (request.until or today)}
        owed = sorted(day for day in days if day not in mine)
        rows.append(
            {
                "agent": person,
                "reported": len(mine),
                "read": sum(1 for r in mine.values() if r.get("status") == "read"),
                "owed": len(owed),
                "owed_days": ", ".join(day.isoformat()[5:] for day in owed[:10]) + (" …" if len(owed) > 10 else ""),
                "contacts": sum(r.get("contacts") or 0 for r in mine.values()),
                "cases_handled": sum(r.get("cases_handled") or 0 for r in mine.values()),
            }
        )
    totals = {key: sum(row[key] for row in rows) for key in ("reported", "read", "owed", "contacts", "cases_handled")}
    return api.ReportResult(
        ["agent", "reported", "read", "owed", "owed_days", "contacts", "cases_handled"],
        rows,
        {**totals, "working_days": len(days)},
        {
            "agent": label("Who", "员工"),
            "reported": label("Days reported", "已填报天数"),
            "read": label("Read by the manager", "经理已阅"),
            "owed": label("Days owed", "未填报天数"),
            "owed_days": label("Which days", "未填报日期"),
            "contacts": label("Customers contacted", "接触客户数"),
            "cases_handled": label("Cases handled", "处理案件数"),
            "working_days": label("Working days", "工作日数"),
        },
        label("Daily work reports", "员工日工作报表汇总"),
    )


def training_report(request):
    """每日一练: per person, the days practised, questions answered and the share right, and
    the commendations of the period by form."""
    practice: dict[str, Counter] = defaultdict(Counter)
    days: dict[str, set] = defaultdict(set)
    for record in request.each(TRAINING):
        counts = practice[record["agent"]]
        counts["questions"] += record.get("questions") or 0
        counts["correct"] += record.get("correct") or 0
        days[record["agent"]].add(record["created_at"][:10])
    praised: dict[str, Counter] = defaultdict(Counter)
    for record in request.each(COMMENDATION):
        praised[record["agent"]][record.get("form") or ""] += 1
    rows = [
        {
            "agent": person,
            "days_practised": len(days[person]),
            "questions": practice[person]["questions"],
            "correct": practice[person]["correct"],
            "correct_pct": api.pct(practice[person]["correct"], practice[person]["questions"]),
            **{form: praised[person][form] for form in FORMS},
        }
        for person in sorted(set(practice) | set(praised))
    ]
    totals: dict[str, Any] = {
        key: sum(row[key] for row in rows) for key in ("days_practised", "questions", "correct", *FORMS)
    }
    totals["correct_pct"] = api.pct(totals["correct"], totals["questions"])
    return api.ReportResult(
        ["agent", "days_practised", "questions", "correct", "correct_pct", *FORMS],
        rows,
        totals,
        {
            "agent": label("Who", "员工"),
            "days_practised": label("Days practised", "练习天数"),
            "questions": label("Questions", "题数"),
            "correct": label("Right", "答对"),
            "correct_pct": label("Right %", "正确率 %"),
            "public_praise": label("Public praise", "公开表彰"),
            "bonus": label("Bonuses", "奖金"),
            "training_trip": label("Training trips", "外出培训"),
        },
        label("Training and commendations", "培训与表彰"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report("work-logs", label("Daily work reports", "员工日工作报表汇总"), work_logs, monthly=(None,)),
        api.Report("training", label("Training and commendations", "培训与表彰"), training_report, monthly=(None,)),
    ]


@hookimpl
def cstool_demo_records(rng, now, policy):
    """The phone agents' work reports of the last working days, some practice and a commendation."""
    agents = list(policy.get("phone.agents") or [])
    records = []
    for back in range(1, 8):
        day = (now - timedelta(days=back)).date()
        if day.weekday() >= 5:
            continue
        for agent in agents:
            if rng.random() < 0.85:  # now and then one is not written: the report shows it owed
                records.append(
                    api.DemoRecord(
                        WORK_LOG,
                        {
                            "day": day.isoformat(),
                            "contacts": rng.randint(12, 40),
                            "cases_handled": rng.randint(3, 12),
                            "summary": "接听来电，处理投诉回访，更新客户档案。",
                            "plan": "跟进未结案件。",
                            "owner": agent,
                            "created_at": (now - timedelta(days=back)).replace(hour=17, minute=40).isoformat(),
                        },
                        [("status", "read", 60 * 16)] if back > 1 else [],
                    )
                )
            records.append(
                api.DemoRecord(
                    TRAINING,
                    {
                        "agent": agent,
                        "topic": rng.choice(["三包规定", "投诉处理话术", "电话礼仪", "产品知识"]),
                        "questions": 5,
                        "correct": rng.randint(3, 5),
                        "created_at": (now - timedelta(days=back)).replace(hour=8, minute=50).isoformat(),
                    },
                    [],
                )
            )
    manager = policy.get("departments.customer_service.manager")
    if agents and manager:
        records.append(
            api.DemoRecord(
                COMMENDATION,
                {
                    "agent": agents[0],
                    "form": "public_praise",
                    "reason": "本月客户满意度第一，三次获客户表扬信。",
                    "owner": manager,
                    "created_at": (now - timedelta(days=3)).replace(hour=10, minute=0).isoformat(),
                },
                [],
            )
        )
    return records
