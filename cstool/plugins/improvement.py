"""The improvement loop (整改): what the documents ask after a complaint is answered, as data.

- On a complaint: root cause (原因分析), the nature of the problem (商品质量 / 使用不当 /
  服务), the responsible party and whether the company is at fault, the corrective action
  (整改措施) with its due date and its verification, a referral to the inspection
  department (质检评断) and its judgement. Checked here: a verification needs a corrective
  action, a judgement a referral; and a reply that apologises where the company is not at
  fault is refused (如果不是本公司的责任，决不要说出致歉的话语).
- ``quality_check`` (自查 / 抽查): each section's monthly self-check and the company's spot
  checks of the service standards: who checked what, how many items, how many met them,
  what was found and what was corrected.
- ``cstool report improvements``: complaints by the nature of the problem, at fault or not,
  corrective actions set, verified, overdue, referrals judged; ``cstool report
  quality-checks``: checks by department and month, and the departments that owe a
  self-check (各科室每月进行一次自查).

    [improvement]
    apology_words = ["道歉", "致歉", "抱歉", "对不起", "sorry", "apologi"]
    self_check_departments = ["customer_service", "after_sales"]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

CHECK = "quality_check"
CHECK_TYPES = ("self_check", "spot_check", "quarterly_check")  # 自查, 抽查, 季度检查
APOLOGY_WORDS = ("道歉", "致歉", "抱歉", "对不起", "sorry", "apologi")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

QUALITY_CHECK = Kind(
    name=CHECK,
    prefix="QC",
    label=label("Quality check", "服务规范检查"),
    department="customer_service",
    fields=(
        Field("check_type", "choice", required=True, choices=CHECK_TYPES, label=label("Check", "检查类型")),
        Field(
            "checked_department",
            "choice",
            required=True,
            choices_from="departments",
            label=label("Department checked", "受检部门"),
        ),
        Field("month", "text", required=True, label=label("Month (YYYY-MM)", "月份（YYYY-MM）")),
        Field("checked_by", "text", required=True, label=label("Checked by", "检查人")),
        Field("items_checked", "int", required=True, min=1, label=label("Items checked", "检查项数")),
        Field("items_met", "int", required=True, min=0, label=label("Items meeting the standard", "达标项数")),
        Field("findings", "text", multiline=True, label=label("Findings", "发现的问题")),
        Field("corrective_action", "text", multiline=True, label=label("Corrective action", "整改措施")),
        Field("verified_on", "date", ask=False, label=label("Correction verified on", "整改验证日期")),
    ),
    statuses=(
        Status("recorded", "open", label("Recorded", "已记录")),
        Status("corrected", "resolved", label("Corrected", "已整改")),
        Status("verified", "closed", label("Verified", "已验证")),
    ),
    list_columns=("check_type", "checked_department", "month", "items_checked", "items_met"),
    transitions={"recorded": ("corrected", "verified"), "corrected": ("verified", "recorded"), "verified": ()},
)


@hookimpl
def cstool_kinds():
    return [QUALITY_CHECK]


def apologises(text: str | None, words) -> bool:
    lowered = (text or "").lower()
    return any(word.lower() in lowered for word in words)


@hookimpl
def cstool_check_reply(kind, record, policy, reply):
    if kind.name != "complaint" or record.get("company_at_fault") is not False:
        return None
    if apologises(reply, policy.get("improvement.apology_words") or APOLOGY_WORDS):
        return _(
            "{id}: the company is not at fault (company_at_fault = false), and the reply apologises: "
            "the documents say never to apologise then, lest the customer take the fault to be ours"
        ).format(id=record["id"])
    return None


@hookimpl
def cstool_validate_records(kind, records):
    refused = []
    if kind.name == "complaint":
        for index, record in enumerate(records):
            if record.get("verified_on") and not record.get("corrective_action"):
                refused.append((index, "verified_on", _("verifies no corrective action: set corrective_action")))
            if record.get("inspection_result") and not record.get("inspection_referred_on"):
                refused.append(
                    (index, "inspection_result", _("judges no referral: set inspection_referred_on (the date)"))
                )
    elif kind.name == CHECK:
        for index, record in enumerate(records):
            if not _MONTH.match(record.get("month") or ""):
                refused.append(
                    (index, "month", _("{month!r} is not a month (YYYY-MM)").format(month=record.get("month")))
                )
            if (record.get("items_met") or 0) > (record.get("items_checked") or 0):
                refused.append((index, "items_met", _("is more than items_checked")))
    return refused or None


@hookimpl
def cstool_record_notes(kind, record, policy, lang):
    """Where the complaint's improvement loop stands, on `show` and at the desk."""
    if kind.name != "complaint" or not (record.get("corrective_action") or record.get("company_at_fault") is not None):
        return None
    zh = lang == "zh"
    parts = []
    if record.get("company_at_fault") is True:
        parts.append("本公司责任：应诚恳致歉" if zh else "the company is at fault: apologise")
    elif record.get("company_at_fault") is False:
        parts.append("非本公司责任：不致歉，婉转说明" if zh else "not the company's fault: explain, do not apologise")
    if record.get("corrective_action"):
        if record.get("verified_on"):
            parts.append(("整改已验证 " if zh else "correction verified ") + record["verified_on"])
        else:
            due = record.get("corrective_due")
            parts.append(("整改待验证" if zh else "correction not yet verified") + (f" ({due})" if due else ""))
    return [("整改" if zh else "Improvement", "; ".join(parts))]


IMPROVEMENT_COLUMNS = (
    "complaints",
    "root_cause",
    "at_fault",
    "not_at_fault",
    "corrective_actions",
    "verified",
    "overdue",
    "referred",
    "judged",
)


def improvements(request):
    """整改跟踪: the period's complaints by the nature of the problem: how many have a root
    cause, at fault or not, corrective actions set, verified and overdue (due before today
    and not verified), referrals to inspection and judgements."""
    today = request.now.astimezone(request.policy.timezone).date()
    groups: dict[str, Counter] = defaultdict(Counter)

    def take(record):
        counts = groups[record.get("fault_nature") or ""]
        counts["complaints"] += 1
        counts["root_cause"] += bool(record.get("root_cause"))
        counts["at_fault"] += record.get("company_at_fault") is True
        counts["not_at_fault"] += record.get("company_at_fault") is False
        if record.get("corrective_action"):
            counts["corrective_actions"] += 1
            if record.get("verified_on"):
                counts["verified"] += 1
            elif record.get("corrective_due") and date.fromisoformat(record["corrective_due"]) < today:
                counts["overdue"] += 1
        counts["referred"] += bool(record.get("inspection_referred_on"))
        counts["judged"] += bool(record.get("inspection_result"))

    yield api.RecordPass(("complaint",), take)
    rows: list[dict[str, Any]] = [
        {"fault_nature": nature, **{key: counts[key] for key in IMPROVEMENT_COLUMNS}}
        for nature, counts in sorted(groups.items())
    ]
    totals: dict[str, Any] = {key: sum(row[key] for row in rows) for key in IMPROVEMENT_COLUMNS}
    totals["verified_pct"] = api.pct(totals["verified"], totals["corrective_actions"])
    return api.ReportResult(
        ["fault_nature", *IMPROVEMENT_COLUMNS],
        rows,
        totals,
        {
            "fault_nature": label("Nature of the problem", "问题性质"),
            "complaints": label("Complaints", "投诉数"),
            "root_cause": label("Root cause found", "已分析原因"),
            "at_fault": label("Company at fault", "本公司责任"),
            "not_at_fault": label("Not at fault", "非本公司责任"),
            "corrective_actions": label("Corrective actions", "整改措施"),
            "verified": label("Verified", "已验证"),
            "overdue": label("Overdue", "逾期未验证"),
            "referred": label("Referred to inspection", "提交质检"),
            "judged": label("Judged", "已评断"),
            "verified_pct": label("Verified %", "整改验证率 %"),
        },
        label("Improvement loop", "整改跟踪"),
        api.Chart("bar", x="fault_nature", y=("complaints", "corrective_actions", "verified")),
    )


def _months(since: date | None, until: date) -> list[str]:
    first = since or until.replace(day=1)
    months, year, month = [], first.year, first.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def quality_checks(request):
    """服务规范检查: the checks of the period's months by department: self-checks (each section
    every month), spot checks and quarterly checks, items met of items checked; a row for
    each department of ``[improvement] self_check_departments`` that owes a month's
    self-check (a completed month without one)."""
    today = request.now.astimezone(request.policy.timezone).date()
    checks = request.records(CHECK)
    since = request.since
    if since is None:  # no period asked: from the first month any check was recorded for
        recorded = [r["month"] for r in checks if _MONTH.match(r.get("month") or "")]
        since = date.fromisoformat(min(recorded) + "-01") if recorded else None
    months = _months(since, request.until or today)
    groups: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for record in checks:  # by the month checked, not the day it was written down
        if record.get("month") not in months or record.get("status") == "void":
            continue
        counts = groups[(record["month"], record["checked_department"])]
        counts[record["check_type"]] += 1
        counts["items_checked"] += record.get("items_checked") or 0
        counts["items_met"] += record.get("items_met") or 0
    owed = 0
    current = f"{today.year:04d}-{today.month:02d}"
    for department in request.policy.get("improvement.self_check_departments") or []:
        for month in months:
            if month < current and not groups[(month, department)]["self_check"]:
                owed += 1
                groups[(month, department)]["owed"] = 1
    rows = [
        {
            "month": month,
            "department": department,
            **{kind: counts[kind] for kind in CHECK_TYPES},
            "items_checked": counts["items_checked"],
            "items_met": counts["items_met"],
            "met_pct": api.pct(counts["items_met"], counts["items_checked"]),
            "self_check_owed": bool(counts["owed"]),
        }
        for (month, department), counts in sorted(groups.items())
    ]
    totals: dict[str, Any] = {
        key: sum(row[key] for row in rows) for key in (*CHECK_TYPES, "items_checked", "items_met")
    }
    totals["met_pct"] = api.pct(totals["items_met"], totals["items_checked"])
    totals["self_check_owed"] = owed
    return api.ReportResult(
        ["month", "department", *CHECK_TYPES, "items_checked", "items_met", "met_pct", "self_check_owed"],
        rows,
        totals,
        {
            "month": label("Month", "月份"),
            "department": label("Department", "部门"),
            "self_check": label("Self-checks", "自查"),
            "spot_check": label("Spot checks", "抽查"),
            "quarterly_check": label("Quarterly checks", "季度检查"),
            "items_checked": label("Items checked", "检查项数"),
            "items_met": label("Items met", "达标项数"),
            "met_pct": label("Met %", "达标率 %"),
            "self_check_owed": label("Self-check owed", "未自查"),
        },
        label("Quality checks of the service standards", "服务规范检查"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report("improvements", label("Improvement loop", "整改跟踪"), improvements, monthly=(None,)),
        api.Report("quality-checks", label("Quality checks of the service standards", "服务规范检查"), quality_checks),
    ]


@hookimpl
def cstool_policy_keys():
    return ["improvement.apology_words", "improvement.self_check_departments"]


@hookimpl
def cstool_check_policy(policy):
    problems = []
    words = policy.get("improvement.apology_words")
    if words is not None and not (isinstance(words, list) and all(isinstance(w, str) and w for w in words)):
        problems.append(api.Problem(("improvement", "apology_words"), _("must be a list of words in quotes")))
    departments = policy.get("improvement.self_check_departments")
    known = policy.get("departments") or {}
    if departments is not None:
        if not isinstance(departments, list):
            problems.append(
                api.Problem(("improvement", "self_check_departments"), _("must be a list of department ids"))
            )
        else:
            problems += [
                api.Problem(
                    ("improvement", "self_check_departments"),
                    _("no department {department!r} in policy").format(department=name),
                )
                for name in departments
                if name not in known
            ]
    return problems


@hookimpl
def cstool_demo_records(rng, now, policy):
    """Last months' self-checks and a spot check, one owed."""
    from datetime import timedelta

    records = []
    month = now.replace(day=1)
    departments = list(policy.get("improvement.self_check_departments") or [])
    checker = policy.get("departments.customer_service.supervisor") or "李主管"
    for back in (1, 2):
        month = (month - timedelta(days=1)).replace(day=1)
        for department in departments[: 2 if back == 2 else 1]:
            checked = rng.randint(18, 24)
            records.append(
                api.DemoRecord(
                    CHECK,
                    {
                        "check_type": "self_check",
                        "checked_department": department,
                        "month": month.strftime("%Y-%m"),
                        "checked_by": checker,
                        "items_checked": checked,
                        "items_met": checked - rng.randint(0, 3),
                        "findings": "个别来电未在三声内接听；一份登记表缺客户签名。",
                        "corrective_action": "排班增加午间人手；登记表增加签名核对。",
                        "created_at": (month + timedelta(days=27, hours=10)).isoformat(),
                    },
                    [("status", "corrected", 60 * 24 * 2)],
                )
            )
    loops = [  # complaints whose loop is filled in: at fault and corrected, misuse, an open referral
        {
            "content": "新买的电水壶底座漏电，家里跳闸。",
            "fault_nature": "product_quality",
            "company_at_fault": True,
            "root_cause": "同批次底座密封圈装配不到位。",
            "responsible_party": "生产部（装配线二）",
            "corrective_action": "该批次全部返检，装配工序增加密封检查。",
            "corrective_due": 20,
            "verified_on": 12,
            "verification": "抽检 200 台无漏电。",
        },
        {
            "content": "水壶用了两次就坏了，要求退货。",
            "fault_nature": "misuse",
            "company_at_fault": False,
            "root_cause": "干烧导致温控器损坏（使用不当）。",
            "responsible_party": "客户",
        },
        {
            "content": "空调制冷差，认为是质量问题，双方各执一词。",
            "fault_nature": "product_quality",
            "root_cause": "待质检评断。",
            "inspection_referred_on": 5,
            "corrective_action": "如判定为质量问题，更换压缩机。",
            "corrective_due": -3,
        },
    ]
    for index, loop in enumerate(loops):
        created = (now - timedelta(days=25 - 5 * index)).replace(hour=10, minute=0, second=0, microsecond=0)
        values: dict[str, Any] = {"customer_name": ["刘洋", "郑红", "Mr Zhao"][index], "channel": "phone"}
        for key, value in loop.items():  # days after the complaint, for the dates
            values[key] = (
                (created + timedelta(days=value)).date().isoformat()
                if isinstance(value, int) and not isinstance(value, bool)
                else value
            )
        if values.get("corrective_due") and values["corrective_due"] > now.date().isoformat():
            values["corrective_due"] = (now - timedelta(days=3)).date().isoformat()
        values["created_at"] = created.isoformat()
        records.append(api.DemoRecord("complaint", values, [("respond", 90)]))
    records.append(
        api.DemoRecord(
            CHECK,
            {
                "check_type": "spot_check",
                "checked_department": departments[0] if departments else "customer_service",
                "month": month.strftime("%Y-%m"),
                "checked_by": policy.get("departments.customer_service.manager") or "王经理",
                "items_checked": 10,
                "items_met": 9,
                "findings": "一次答复未使用规范用语。",
                "created_at": (month + timedelta(days=14, hours=15)).isoformat(),
            },
            [],
        )
    )
    return records
