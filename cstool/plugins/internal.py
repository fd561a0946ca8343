"""Internal customer service (内部客户服务): service agreements between departments (who
serves whom, with what, how fast), internal requests timed against them by the same SLA
clocks, mutual evaluation (部门互评), and satisfaction decay along the workflow chain.

Every department is the customer of the one before it in the workflow; satisfaction
multiplies along the chain (99% x 99% x 99% ≈ 97%), so the weakest link is named.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

REQUEST = "internal_request"
EVALUATION = "dept_evaluation"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

INTERNAL_REQUEST = Kind(
    name=REQUEST,
    prefix="IR",
    label=label("Internal request", "内部服务请求"),
    fields=(
        Field(
            "agreement",
            "choice",
            required=True,
            choices_from="internal.agreements",
            label=label("Service agreement", "服务协议"),
        ),
        Field(
            "item",
            "text",
            required=True,
            choices_from="internal.agreements.{agreement}.items",  # offered once the agreement is chosen
            label=label("Service item", "服务内容"),
        ),
        Field("requested_by", "text", required=True, label=label("Requested by", "申请人")),
        Field("subject", "text", required=True, label=label("Subject", "事项")),
        Field("details", "text", multiline=True, label=label("Details", "详细说明")),
        Field("customer_department", "text", ask=False, label=label("Customer department", "需求部门")),
        # service between positions (部门内岗位间服务): the agreement's positions, when it names them
        Field("provider_position", "text", ask=False, label=label("Serving position", "服务岗位")),
        Field("customer_position", "text", ask=False, label=label("Served position", "服务对象岗位")),
        Field("period", "text", ask=False, label=label("Period delivered for (YYYY-MM)", "交付期间")),
        Field(
            "evaluation_score",
            "int",
            ask=False,
            min=1,
            max=5,
            label=label("Requester's score (1-5)", "需求方评分（1-5）"),
        ),
    ),
    statuses=(
        Status("submitted", "open", label("Submitted", "已提交")),
        Status("accepted", "open", label("Accepted", "已受理")),
        Status("waiting", "pending", label("Waiting for the requester", "等待需求方")),
        Status("done", "resolved", label("Done", "已完成")),
        Status("closed", "closed", label("Closed", "已关闭")),
        Status("reopened", "open", label("Reopened", "重新处理")),
    ),
    list_columns=("agreement", "item", "requested_by", "subject"),
    transitions={
        "submitted": ("accepted", "waiting", "done", "closed"),
        "accepted": ("waiting", "done", "closed"),
        "waiting": ("accepted", "done", "closed"),
        "done": ("closed", "reopened"),
        "closed": ("reopened",),
        "reopened": ("accepted", "waiting", "done", "closed"),
    },
)

DEPT_EVALUATION = Kind(
    name=EVALUATION,
    prefix="DEV",
    label=label("Department evaluation", "部门互评"),
    fields=(
        Field(
            "evaluator",
            "choice",
            required=True,
            choices_from="departments",
            label=label("Evaluating department", "评价部门"),
        ),
        Field(
            "evaluated",
            "choice",
            required=True,
            choices_from="departments",
            label=label("Evaluated department", "被评价部门"),
        ),
        Field("month", "text", required=True, label=label("Month (YYYY-MM)", "月份（YYYY-MM）")),
        Field(
            "accuracy",
            "int",
            required=True,
            min=1,
            max=5,
            label=label("Accuracy of information passed on (1-5)", "信息传递准确性（1-5）"),
        ),
        Field("initiative", "int", required=True, min=1, max=5, label=label("Initiative (1-5)", "主动性（1-5）")),
        Field("comment", "text", label=label("Comment", "意见")),
    ),
    statuses=(Status("submitted", "closed", label("Submitted", "已提交")),),
    list_columns=("evaluator", "evaluated", "month", "accuracy", "initiative"),
    transitions={"submitted": ()},
)


@hookimpl
def cstool_kinds():
    return [INTERNAL_REQUEST, DEPT_EVALUATION]


@hookimpl
def cstool_validate_records(kind, records, policy):
    refused = []
    if kind.name == REQUEST:
        for index, record in enumerate(records):
            served = customers_of(policy.get(("internal", "agreements", record["agreement"])) or {})
            asked = record.get("customer_department")
            if len(served) > 1 and asked not in served:
                refused.append(
                    (
                        index,
                        "customer_department",
                        _("agreement {agreement} serves {served}: say which asks, customer_department=…").format(
                            agreement=record["agreement"], served=", ".join(served)
                        ),
                    )
                )
            items = policy.get(("internal", "agreements", record["agreement"], "items")) or {}
            if record["item"] not in items:
                refused.append(
                    (
                        index,
                        "item",
                        _("{item!r} is not in agreement {agreement}; items: {items}").format(
                            item=record["item"], agreement=record["agreement"], items=", ".join(items) or _("none")
                        ),
                    )
                )
    elif kind.name == EVALUATION:
        for index, record in enumerate(records):
            if record["evaluator"] == record["evaluated"]:
                refused.append((index, "evaluated", _("a department does not evaluate itself")))
            if not _MONTH.match(record["month"]):
                refused.append((index, "month", _("{month!r} is not a month (YYYY-MM)").format(month=record["month"])))
    return refused


@hookimpl
def cstool_enrich_records(kind, records, policy):
    """The provider serves the request (its department); the agreement's customer asked."""
    if kind.name != REQUEST:
        return
    for record in records:
        agreement = policy.get(("internal", "agreements", record["agreement"])) or {}
        record["department"] = agreement.get("provider")
        for key in ("provider_position", "customer_position"):
            if agreement.get(key):
                record[key] = agreement[key]
        served = customers_of(agreement)
        if len(served) == 1 or record.get("customer_department") not in served:
            record["customer_department"] = served[0] if served else None


def position_problems(policy, here: tuple, agreement: dict, customers: list) -> list:
    """``provider_position`` / ``customer_position`` name a ``[positions.ID]`` of the
    agreement's provider / customer department (总部人力部经理 serves 总经理)."""
    positions = policy.get("positions") or {}
    problems = []
    for key, departments in (("provider_position", [agreement.get("provider")]), ("customer_position", customers)):
        position = agreement.get(key)
        if position is None:
            continue
        entry = positions.get(position) if isinstance(position, str) else None
        if not isinstance(entry, dict):
            problems.append(
                api.Problem(
                    (*here, key),
                    _("no position {position!r} in [positions]; positions: {known}").format(
                        position=position, known=", ".join(positions) or "—"
                    ),
                )
            )
        elif (department := entry.get("department")) not in departments:
            expected = ", ".join(map(str, departments))
            problems.append(
                api.Problem(
                    (*here, key),
                    _("position {position} is in {department}, not in {expected}").format(
                        position=position, department=department, expected=expected
                    ),
                )
            )
    return problems


def recurring_problems(here: tuple, targets: Any) -> list:
    """A recurring deliverable: ``every = "month"`` and ``due_day = 1-28``, both or neither."""
    if not isinstance(targets, dict) or ("every" not in targets and "due_day" not in targets):
        return []
    if targets.get("every") != "month":
        return [api.Problem((*here, "every"), _('must be "month" (a deliverable due each month)'))]
    day = targets.get("due_day")
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
        return [api.Problem((*here, "due_day"), _("must be the day of the month it is due, 1 to 28"))]
    return []


def customers_of(agreement: dict) -> list[str]:
    """The departments an agreement serves: ``customer = "finance"`` or ``["finance", "it"]``."""
    customer = agreement.get("customer")
    return [customer] if isinstance(customer, str) else [c for c in customer or [] if isinstance(c, str)]


@hookimpl
def cstool_check_policy(policy):
    section = policy.get("internal")
    if section is None:
        return []
    departments = policy.get("departments") or {}
    problems = []
    for name, agreement in (section.get("agreements") or {}).items():
        here = ("internal", "agreements", name)
        if not isinstance(agreement, dict):
            problems.append(api.Problem(here, _("must be a table with provider, customer and items")))
            continue
        provider = agreement.get("provider")
        if provider not in departments:
            message = _("must name a department in [departments]; not {value!r}").format(value=provider)
            problems.append(api.Problem((*here, "provider"), message))
        customer = agreement.get("customer")
        named = [customer] if isinstance(customer, str) else customer if isinstance(customer, list) else [customer]
        unknown = [value for value in named if value not in departments] or ([] if named else [None])
        for value in unknown:
            problems.append(
                api.Problem(
                    (*here, "customer"),
                    _("must name a department in [departments] (or a list of them); not {value!r}").format(value=value),
                )
            )
        problems += position_problems(policy, here, agreement, named)
        items = agreement.get("items")
        if not isinstance(items, dict) or not items:
            problems.append(api.Problem((*here, "items"), _("must hold one table per service item with its targets")))
            continue
        for item, targets in items.items():
            problems += recurring_problems((*here, "items", item), targets)
            for clock, text in targets.items() if isinstance(targets, dict) else ():
                if clock in ("calendar", "every", "due_day"):
                    continue
                try:
                    api.parse_target(text)
                except ValueError as exc:
                    problems.append(api.Problem((*here, "items", item, clock), str(exc)))
    for name, entry in (policy.get("positions") or {}).items():
        if not (isinstance(entry, dict) and entry.get("department") in departments):
            problems.append(
                api.Problem(("positions", name, "department"), _("must name a department in [departments]"))
            )
    for index, department in enumerate(section.get("chain", [])):
        if department not in departments:
            problems.append(
                api.Problem(
                    ("internal", "chain", index),
                    _("{department!r} is not in [departments]").format(department=department),
                )
            )
    return problems


# ---- reports ----------------------------------------------------------------------


def compliance_matrix(request):
    """Provider x customer: requests, resolution compliance and median resolution minutes."""
    import statistics  # here, not at plugin load: every command loads the plugin

    cells: defaultdict[tuple, dict[str, Any]] = defaultdict(
        lambda: {"requests": 0, "met": 0, "breached": 0, "minutes": []}
    )
    for record in request.each(REQUEST):
        cell = cells[
            (
                record.get("provider_position") or record.get("department"),
                record.get("customer_position") or record.get("customer_department"),
            )
        ]
        cell["requests"] += 1
        for clock in request.clocks(record, detail="figures")[1]:
            if clock.name != "resolution":
                continue
            if clock.state in ("met", "breached"):
                cell[clock.state] += 1
            if clock.stopped_at is not None:
                cell["minutes"].append(clock.elapsed)
    rows = [
        {
            "provider": p,
            "customer": c,
            "requests": v["requests"],
            "met": v["met"],
            "breached": v["breached"],
            "compliance_pct": api.pct(v["met"], v["met"] + v["breached"]),
            "median_minutes": round(statistics.median(v["minutes"]), 2) if v["minutes"] else None,
        }
        for (p, c), v in sorted(cells.items(), key=lambda item: tuple(map(str, item[0])))
    ]
    met, breached = sum(r["met"] for r in rows), sum(r["breached"] for r in rows)
    return api.ReportResult(
        ["provider", "customer", "requests", "met", "breached", "compliance_pct", "median_minutes"],
        rows,
        {
            "requests": sum(r["requests"] for r in rows),
            "met": met,
            "breached": breached,
            "compliance_pct": api.pct(met, met + breached),
        },
        {
            "provider": label("Provider", "服务部门"),
            "customer": label("Customer", "需求部门"),
            "requests": label("Requests", "请求数"),
            "met": label("Met", "达标"),
            "breached": label("Breached", "超时"),
            "compliance_pct": label("Compliance %", "达标率 %"),
            "median_minutes": label("Median min", "解决中位数(分钟)"),
        },
        label("Internal service agreements: compliance", "内部服务协议达标矩阵"),
    )


def _score(evaluation) -> float:
    return (evaluation["accuracy"] + evaluation["initiative"]) / 2


def _evaluations(request):
    since = request.since.strftime("%Y-%m") if request.since else None
    until = request.until.strftime("%Y-%m") if request.until else None
    return [
        e
        for e in request.records(EVALUATION)
        if (since is None or e["month"] >= since) and (until is None or e["month"] <= until)
    ]


def mutual_evaluation(request):
    """部门互评: per evaluated department and month, the mean scores it received."""
    import statistics

    groups = defaultdict(list)
    for evaluation in _evaluations(request):
        groups[(evaluation["evaluated"], evaluation["month"])].append(evaluation)
    rows = [
        {
            "department": dept,
            "month": month,
            "answers": len(group),
            "accuracy": round(statistics.fmean(e["accuracy"] for e in group), 2),
            "initiative": round(statistics.fmean(e["initiative"] for e in group), 2),
            "satisfaction_pct": round(100 * statistics.fmean(_score(e) for e in group) / 5, 2),
        }
        for (dept, month), group in sorted(groups.items())
    ]
    return api.ReportResult(
        ["department", "month", "answers", "accuracy", "initiative", "satisfaction_pct"],
        rows,
        {"answers": sum(r["answers"] for r in rows)},
        {
            "department": label("Evaluated department", "被评价部门"),
            "month": label("Month", "月份"),
            "answers": label("Evaluations", "评价数"),
            "accuracy": label("Accuracy (1-5)", "准确性"),
            "initiative": label("Initiative (1-5)", "主动性"),
            "satisfaction_pct": label("Satisfaction %", "满意度 %"),
        },
        label("Mutual evaluation between departments", "部门互评"),
    )


def chain_decay(request):
    """Satisfaction along [internal] chain: each link is how the next department rates the one
    before it; end to end is their product; the weakest link is named."""
    import statistics

    chain = request.policy.get("internal.chain") or []
    evaluations = _evaluations(request)
    rows = []
    for provider, customer in zip(chain, chain[1:]):
        scores = [_score(e) for e in evaluations if e["evaluator"] == customer and e["evaluated"] == provider]
        rows.append(
            {
                "link": f"{provider} → {customer}",
                "provider": provider,
                "customer": customer,
                "answers": len(scores),
                "satisfaction_pct": round(100 * statistics.fmean(scores) / 5, 2) if scores else None,
            }
        )
    rated = [r for r in rows if r["satisfaction_pct"] is not None]
    end_to_end = None
    if rows and len(rated) == len(rows):
        end_to_end = 100.0
        for row in rows:
            end_to_end *= row["satisfaction_pct"] / 100
        end_to_end = round(end_to_end, 2)
    weakest_row = min(rated, key=lambda r: r["satisfaction_pct"]) if rated else None
    weakest = [weakest_row["provider"], weakest_row["customer"]] if weakest_row else None
    return api.ReportResult(
        ["provider", "customer", "answers", "satisfaction_pct"],
        rows,
        {"end_to_end_pct": end_to_end, "weakest_link": weakest, "links": len(rows)},
        {
            "link": label("Link (provider → customer)", "环节（服务方 → 需求方）"),
            "provider": label("Provider", "服务方"),
            "customer": label("Customer (rating)", "需求方（评价方）"),
            "answers": label("Evaluations", "评价数"),
            "satisfaction_pct": label("Satisfaction %", "满意度 %"),
            "end_to_end_pct": label("End to end %", "端到端满意度 %"),
            "weakest_link": label("Weakest link (provider, customer)", "最弱环节（服务方，需求方）"),
            "links": label("Links", "环节数"),
        },
        label("Satisfaction along the workflow chain", "内部服务链满意度衰减"),
        api.Chart("bar", x="provider", y=("satisfaction_pct",)),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "internal-matrix",
            label("Agreement compliance: provider x customer", "内部服务协议达标矩阵"),
            compliance_matrix,
        ),
        api.Report("internal-evaluation", label("Mutual evaluation by month", "部门互评（月度）"), mutual_evaluation),
        api.Report(
            "internal-chain",
            label("Satisfaction decay along the chain", "内部服务链满意度衰减"),
            chain_decay,
            monthly=(None,),
        ),
    ]


# ---- demo data --------------------------------------------------------------------


@hookimpl
def cstool_demo_records(rng, now, policy):
    from datetime import timedelta

    agreements = policy.get("internal.agreements") or {}
    chain = policy.get("internal.chain") or []
    records = []
    for _record in range(80):
        name = rng.choice(sorted(agreements))
        item = rng.choice(sorted(agreements[name].get("items", {})))
        created = (now - timedelta(days=rng.randint(1, 60))).replace(
            hour=rng.choice([9, 10, 14, 15]), minute=0, second=0, microsecond=0
        )
        steps = [("status", "accepted", rng.randint(10, 240))]
        if rng.random() < 0.8:
            steps.append(("status", "done", rng.randint(300, 6000)))
        age = (now - created).total_seconds() / 60
        records.append(
            api.DemoRecord(
                REQUEST,
                {
                    "agreement": name,
                    "item": item,
                    "requested_by": rng.choice(["刘会计", "陈专员", "周经理"]),
                    "subject": f"{api.name_of(policy, item, 'zh')}申请",
                    "created_at": created.isoformat(),
                },
                [s for s in steps if s[-1] < age],
            )
        )
    for months_back in range(3):
        month = (now.replace(day=1) - timedelta(days=28 * months_back)).strftime("%Y-%m")
        for provider, customer in zip(chain, chain[1:]):
            records.append(
                api.DemoRecord(
                    EVALUATION,
                    {
                        "evaluator": customer,
                        "evaluated": provider,
                        "month": month,
                        "accuracy": rng.choice([4, 5, 5]),
                        "initiative": rng.choice([3, 4, 5]),
                        "created_at": now.isoformat(),
                    },
                )
            )
    return records


@hookimpl
def cstool_policy_keys():
    return [
        "internal.agreements",
        "internal.chain",
        "positions",
    ]
