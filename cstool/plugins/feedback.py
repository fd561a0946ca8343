"""Inquiries, opinions, suggestions and proposals (咨询、意见建议、提案): what the department's
documents ask to be collected, reviewed, assessed, carried out and counted by type.

- ``inquiry`` (咨询): a question from a customer, timed like a complaint by ``[sla.inquiry]``
  (the answer is its response; "answered" resolves it), counted by topic.
- ``suggestion`` (意见建议/提案): an opinion, a suggestion or a proposal, from a customer, an
  employee or a department; it moves 收集 collected → 审核 under review → 评估 assessed →
  采纳 adopted → 实施 carried out, or 不采纳 declined; counted by type and outcome.

    [inquiries]
    topics = ["product_info", "order_status", "delivery", "warranty_terms", "billing", "usage", "other"]
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from cstool import api
from cstool.api import CUSTOMER_GRADE, Field, Kind, Status, hookimpl, label

INQUIRY = "inquiry"
SUGGESTION = "suggestion"
TYPES = ("opinion", "advice", "proposal")  # 意见, 建议, 提案
SOURCES = ("customers", "employees", "departments")

INQUIRY_KIND = Kind(
    name=INQUIRY,
    prefix="INQ",
    label=label("Inquiry", "咨询"),
    department="customer_service",
    fields=(
        Field("customer_name", "text", required=True, personal=True, label=label("Asked by", "咨询人")),
        Field("contact_phone", "phone", personal=True, label=label("Contact phone", "联系电话")),
        Field("contact_email", "email", personal=True, label=label("E-mail", "电子邮箱")),
        Field("channel", "choice", required=True, choices_from="complaints.channels", label=label("Channel", "渠道")),
        Field("topic", "choice", choices_from="inquiries.topics", label=label("Topic", "咨询类别")),
        CUSTOMER_GRADE,
        Field("question", "text", required=True, multiline=True, label=label("Question", "咨询内容")),
        Field("answer", "text", multiline=True, ask=False, label=label("Answer", "答复内容")),
    ),
    statuses=(
        Status("received", "open", label("Received", "已受理")),
        Status("answered", "resolved", label("Answered", "已答复")),
        Status("closed", "closed", label("Closed", "已结束")),
        Status("reopened", "open", label("Reopened", "重新处理")),
    ),
    list_columns=("customer_name", "channel", "topic", "question"),
    transitions={
        "received": ("answered", "closed"),
        "answered": ("closed", "reopened"),
        "closed": ("reopened",),
        "reopened": ("answered", "closed"),
    },
)

SUGGESTION_KIND = Kind(
    name=SUGGESTION,
    prefix="SUG",
    label=label("Opinion, suggestion or proposal", "意见建议"),
    department="customer_service",
    fields=(
        Field("suggestion_type", "choice", required=True, choices=TYPES, label=label("Type", "类型")),
        Field("source", "choice", required=True, choices=SOURCES, label=label("From", "来源")),
        Field("submitted_by", "text", required=True, personal=True, label=label("Submitted by", "提出人")),
        Field("content", "text", required=True, multiline=True, label=label("Content", "内容")),
        Field("concerns", "text", label=label("Concerns (department, product, process)", "涉及部门/产品/流程")),
        Field("assessment", "text", multiline=True, ask=False, label=label("Assessment", "评估意见")),
        Field("action", "text", multiline=True, ask=False, label=label("What is done", "实施措施")),
        Field("carried_out_on", "date", ask=False, label=label("Carried out on", "实施日期")),
    ),
    statuses=(
        Status("collected", "open", label("Collected", "已收集")),
        Status("reviewing", "open", label("Under review", "审核中")),
        Status("assessed", "pending", label("Assessed", "已评估")),
        Status("adopted", "resolved", label("Adopted", "已采纳")),
        Status("carried_out", "closed", label("Carried out", "已实施")),
        Status("declined", "closed", label("Declined", "不采纳")),
    ),
    list_columns=("suggestion_type", "source", "concerns", "content"),
    transitions={
        "collected": ("reviewing", "declined"),
        "reviewing": ("assessed", "declined"),
        "assessed": ("adopted", "declined"),
        "adopted": ("carried_out",),
        "carried_out": (),
        "declined": ("reviewing",),
    },
)

OUTCOMES = ("open", "adopted", "carried_out", "declined")
SUGGESTION_LABELS = {
    "suggestion_type": label("Type", "类型"),
    "received": label("Received", "收到"),
    "open": label("Being handled", "处理中"),
    "adopted": label("Adopted (not yet carried out)", "已采纳（待实施）"),
    "carried_out": label("Carried out", "已实施"),
    "declined": label("Declined", "不采纳"),
    "adoption_pct": label("Adopted %", "采纳率 %"),
}
INQUIRY_LABELS = {
    "topic": label("Topic", "咨询类别"),
    "received": label("Received", "受理"),
    "answered": label("Answered", "已答复"),
    "open": label("Open", "未答复"),
    "answered_in_time": label("Answered in time", "按时答复"),
    "late": label("Late", "超时"),
    "in_time_pct": label("In time %", "按时答复率 %"),
}


def outcome_of(record: dict) -> str:
    status = record.get("status")
    if status in ("adopted", "carried_out", "declined"):
        return status
    return "open"


def suggestion_counts(records) -> dict[str, Counter]:
    """Per type, how many came and where each stands."""
    counts: dict[str, Counter] = {kind: Counter() for kind in TYPES}
    for record in records:
        counts.setdefault(record.get("suggestion_type") or "", Counter())[outcome_of(record)] += 1
    return counts


def suggestions_report(request):
    """意见建议统计: opinions, suggestions and proposals of the period by type, and how each
    ended: adopted, carried out, declined, still being handled."""
    counts = suggestion_counts(request.each(SUGGESTION))
    rows: list[dict[str, Any]] = []
    for kind, outcomes in counts.items():
        received = sum(outcomes.values())
        decided = outcomes["adopted"] + outcomes["carried_out"] + outcomes["declined"]
        rows.append(
            {
                "suggestion_type": kind,
                "received": received,
                **{outcome: outcomes[outcome] for outcome in OUTCOMES},
                "adoption_pct": api.pct(outcomes["adopted"] + outcomes["carried_out"], decided),
            }
        )
    totals: dict[str, Any] = {key: sum(row[key] for row in rows) for key in ("received", *OUTCOMES)}
    decided = totals["adopted"] + totals["carried_out"] + totals["declined"]
    totals["adoption_pct"] = api.pct(totals["adopted"] + totals["carried_out"], decided)
    return api.ReportResult(
        ["suggestion_type", "received", *OUTCOMES, "adoption_pct"],
        rows,
        totals,
        SUGGESTION_LABELS,
        label("Opinions, suggestions and proposals", "意见建议统计"),
        api.Chart("bar", x="suggestion_type", y=("received", "carried_out", "declined")),
    )


def inquiries_report(request):
    """咨询统计: inquiries of the period by topic (or ``--by channel``): how many, answered,
    and answered within the resolution target of ``[sla.inquiry]``."""
    by = request.by or "topic"
    groups: dict[str, Counter] = {}
    for record in request.each(INQUIRY):
        counts = groups.setdefault(str(record.get(by) or ""), Counter())
        counts["received"] += 1
        if record.get("resolved_at"):
            counts["answered"] += 1
        _calendar, clocks = request.clocks(record)
        resolution = next((clock for clock in clocks if clock.name == "resolution"), None)
        if resolution is not None and resolution.state == "met":
            counts["answered_in_time"] += 1
        elif resolution is not None and resolution.state == "breached":
            counts["late"] += 1
    rows: list[dict[str, Any]] = [
        {
            by: group,
            "received": counts["received"],
            "answered": counts["answered"],
            "open": counts["received"] - counts["answered"],
            "answered_in_time": counts["answered_in_time"],
            "late": counts["late"],
            "in_time_pct": api.pct(counts["answered_in_time"], counts["answered_in_time"] + counts["late"]),
        }
        for group, counts in sorted(groups.items())
    ]
    totals = {
        key: sum(row[key] for row in rows) for key in ("received", "answered", "open", "answered_in_time", "late")
    }
    totals["in_time_pct"] = api.pct(totals["answered_in_time"], totals["answered_in_time"] + totals["late"])
    return api.ReportResult(
        [by, "received", "answered", "open", "answered_in_time", "late", "in_time_pct"],
        rows,
        totals,
        {**INQUIRY_LABELS, "channel": label("Channel", "渠道")},
        label("Inquiries", "咨询统计"),
        api.Chart("bar", x=by, y=("received", "answered_in_time", "late")),
    )


@hookimpl
def cstool_kinds():
    return [INQUIRY_KIND, SUGGESTION_KIND]


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "inquiries", label("Inquiries", "咨询统计"), inquiries_report, by=("topic", "channel"), monthly=(None,)
        ),
        api.Report(
            "suggestions",
            label("Opinions, suggestions and proposals", "意见建议统计"),
            suggestions_report,
            monthly=(None,),
        ),
    ]


@hookimpl
def cstool_policy_keys():
    return ["inquiries.topics"]


@hookimpl
def cstool_demo_records(rng, now, policy):
    from datetime import timedelta

    topics = list(policy.get("inquiries.topics") or ["other"])
    questions = [
        "三包期是多久？",
        "我的订单什么时候发货？",
        "How do I descale the kettle?",
        "发票怎么开？",
        "可以上门安装吗？",
    ]
    records = []
    for _ in range(12):
        when = now - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 8))
        minutes = rng.choice([20, 90, 300, 2000])  # most the same day, some late
        answered = [("respond", minutes), ("status", "answered", minutes)] if rng.random() < 0.8 else []
        records.append(
            api.DemoRecord(
                INQUIRY,
                {
                    "customer_name": rng.choice(["张先生", "李女士", "Ms Wang", "赵先生"]),
                    "contact_phone": f"139{rng.randint(10_000_000, 99_999_999)}",
                    "channel": rng.choice(["phone", "email", "web"]),
                    "topic": rng.choice(topics),
                    "question": rng.choice(questions),
                    "created_at": when.isoformat(),
                    **({"answer": "已电话答复。"} if answered else {}),
                },
                answered,
            )
        )
    contents = [
        "建议延长客服热线服务时间到晚上九点。",
        "投诉登记表可以增加照片上传。",
        "Offer callbacks in English.",
        "售后配件库存应按季节调整。",
    ]
    for _ in range(8):
        when = now - timedelta(days=rng.randint(1, 60))
        path = rng.choice(
            [[], ["reviewing"], ["reviewing", "declined"], ["reviewing", "assessed", "adopted", "carried_out"]]
        )
        values = {
            "suggestion_type": rng.choice(TYPES),
            "source": rng.choice(SOURCES),
            "submitted_by": rng.choice(["小王", "李主管", "客户张先生"]),
            "content": rng.choice(contents),
            "created_at": when.isoformat(),
        }
        if len(path) > 1:
            values["assessment"] = "成本与收益已评估。"
        if "carried_out" in path:
            values["action"] = "已纳入下月流程。"
        # the submitter is told the outcome (the response) before it is closed
        steps: list[tuple] = [("status", status, 60 * 24 * (n + 1)) for n, status in enumerate(path)]
        if len(path) > 1:
            steps.insert(1, ("respond", 60 * 24 + 30))
        records.append(api.DemoRecord(SUGGESTION, values, steps))
    return records
