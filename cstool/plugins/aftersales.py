"""After-sales (售后): registration (售后服务登记表), warranty entitlement (三包), outlets
(网点), and the returns, evaluation and outlet-load reports.

Entitlement, counted from the purchase date (day 0) to the registration date, with the
product line's windows from policy: return within ``return_days``, exchange within
``exchange_days``, repair within ``warranty_days``, paid repair after. The customer
gets the service asked for when its window is open, else the best one still open.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

KIND = "aftersales"
SERVICES = ("return", "exchange", "repair", "consultation")
ENTITLEMENTS = ("return", "exchange", "repair", "paid_repair", "consultation")
WINDOWS = (("return", "return_days"), ("exchange", "exchange_days"), ("repair", "warranty_days"))
NAMES = {
    "return": ("return", "退货"),
    "exchange": ("exchange", "换货"),
    "repair": ("free repair", "免费维修"),
    "paid_repair": ("paid repair", "付费维修"),
    "consultation": ("consultation", "咨询"),
}

AFTERSALES = Kind(
    name=KIND,
    prefix="AS",
    label=label("After-sales case", "售后服务"),
    department="after_sales",
    fields=(
        Field("customer_name", "text", required=True, personal=True, label=label("Customer", "客户姓名")),
        Field("contact_phone", "phone", personal=True, label=label("Contact phone", "联系电话")),
        Field("address", "text", personal=True, label=label("Address", "地址")),
        Field("region", "text", label=label("Region", "地区")),
        Field(
            "product_line",
            "choice",
            required=True,
            choices_from="aftersales.product_lines",
            label=label("Product line", "产品线"),
        ),
        Field("product", "text", required=True, label=label("Product", "产品名称")),
        Field("model", "text", label=label("Model", "型号")),
        Field("serial_number", "text", label=label("Serial number", "序列号")),
        Field("batch_number", "text", label=label("Batch number", "批次号")),
        Field("purchase_date", "date", required=True, label=label("Purchase date", "购买日期")),
        Field("fault", "text", required=True, multiline=True, label=label("Fault description", "故障描述")),
        Field("service", "choice", required=True, choices=SERVICES, label=label("Service requested", "申请服务")),
        Field("outlet", "choice", choices_from="aftersales.outlets", label=label("Service outlet", "服务网点")),
        # 维修人员去之前会提前给您打电话通知: the appointment, and the call before it
        Field("technician", "text", ask=False, label=label("Technician", "维修人员")),
        Field("visit_at", "datetime", ask=False, label=label("Visit booked for", "预约上门时间")),
        Field(
            "visit_call_at", "datetime", ask=False, label=label("Customer phoned before the visit", "上门前电话通知")
        ),
        Field("entitlement", "choice", choices=ENTITLEMENTS, ask=False, label=label("Entitled to", "三包权益")),
        Field("entitlement_reason", "text", ask=False, label=label("Why", "依据")),
        Field("earlier_repairs", "list", ask=False, label=label("Earlier repairs of this unit", "此前三包维修")),
        Field("override_reason", "text", ask=False, label=label("Override reason", "例外处理原因")),
        Field(
            "evaluation_score",
            "int",
            ask=False,
            min=1,
            max=5,
            label=label("Customer evaluation (1-5)", "客户评价（1-5分）"),
        ),
        Field("evaluation_comment", "text", ask=False, label=label("Evaluation comment", "评价意见")),
    ),
    statuses=(
        Status("registered", "open", label("Registered", "已登记")),
        Status("inspecting", "open", label("Inspecting", "检测中")),
        Status("awaiting_parts", "pending", label("Waiting for parts", "等待配件")),
        Status("awaiting_customer", "pending", label("Waiting for the customer", "等待客户")),
        Status("in_service", "open", label("In service", "处理中")),
        Status("completed", "resolved", label("Completed", "已完成")),
        Status("closed", "closed", label("Closed", "已关闭")),
        Status("reopened", "open", label("Reopened", "重新处理")),
    ),
    list_columns=("customer_name", "product", "service", "entitlement", "outlet"),
    transitions={
        "registered": ("inspecting", "in_service", "awaiting_customer", "completed", "closed"),
        "inspecting": ("awaiting_parts", "awaiting_customer", "in_service", "completed", "closed"),
        "awaiting_parts": ("in_service", "closed"),
        "awaiting_customer": ("inspecting", "in_service", "completed", "closed"),
        "in_service": ("awaiting_parts", "awaiting_customer", "completed"),
        "completed": ("closed", "reopened"),
        "closed": ("reopened",),
        "reopened": ("inspecting", "in_service", "completed", "closed"),
    },
)


@dataclass(frozen=True)
class Repair:
    """An earlier repair of the same unit (same serial number): its case and the days it
    took, registration to completion (still open: to the new case's registration)."""

    case: str
    days: int


def entitlement(
    windows: dict,
    purchased: date,
    registered: date,
    requested: str,
    repairs: tuple[Repair, ...] = (),
    repairs_before_exchange: int = 2,
) -> tuple[str, dict[str, str]]:
    """What the customer is entitled to, and why (in each language), under the product line's
    windows. ``repairs``: the unit's earlier repairs under 三包, whose days do not count
    toward the windows (修理占用和待修的时间不计入三包有效期), and after
    ``repairs_before_exchange`` of them a unit still failing may be exchanged or returned
    (两次修理仍不能正常使用的，可以调换或者退货)."""
    extension = sum(repair.days for repair in repairs)
    day = (registered - purchased).days - extension
    if requested == "consultation":
        return "consultation", {"en": "Consultation only: no warranty decision.", "zh": "咨询服务，无需三包判断。"}
    cases = "、".join(repair.case for repair in repairs)
    if repairs_before_exchange and len(repairs) >= repairs_before_exchange and day <= windows.get("warranty_days", 0):
        granted = "return" if requested == "return" else "exchange"
        return granted, {
            "en": f"Repaired {len(repairs)} times already ({cases}) and failing again: {NAMES[granted][0]} allowed.",
            "zh": f"已修理 {len(repairs)} 次（{cases}）仍不能正常使用：可{NAMES[granted][1]}。",
        }
    opened = [name for name, key in WINDOWS if day <= windows.get(key, 0)]
    order = [name for name, _ in WINDOWS]
    allowed = [name for name in order[order.index(requested) :] if name in opened] if requested in order else opened
    granted = allowed[0] if allowed else "paid_repair"
    limits = ", ".join(f"{NAMES[name][0]} ≤ {windows.get(key, 0)} days" for name, key in WINDOWS)
    limits_zh = "，".join(f"{NAMES[name][1]}{windows.get(key, 0)}天内" for name, key in WINDOWS)
    if granted == requested:
        why = f"Day {day} after purchase: {NAMES[granted][0]} allowed ({limits})."
        why_zh = f"购买后第{day}天：可{NAMES[granted][1]}（{limits_zh}）。"
    else:
        why = (
            f"Day {day} after purchase: {NAMES[requested][0]} is no longer allowed; {NAMES[granted][0]} is ({limits})."
        )
        why_zh = f"购买后第{day}天：已超过{NAMES[requested][1]}期限，可{NAMES[granted][1]}（{limits_zh}）。"
    if extension:
        why += f" {extension} days of earlier repairs ({cases}) do not count."
        why_zh += f"此前维修 {extension} 天（{cases}）不计入三包期。"
    return granted, {"en": why, "zh": why_zh}


REPAIRED = ("repair", "paid_repair")


def earlier_repairs(record: dict, cases: list[dict], policy) -> tuple[Repair, ...]:
    """The unit's repairs under 三包 registered before ``record`` (same product line and
    serial number), each with its days from registration to completion."""
    serial = (record.get("serial_number") or "").strip().upper()
    if not serial:
        return ()
    registered = _registered_on(record, policy)
    found = []
    for case in cases:
        if (
            case.get("id") != record.get("id")
            and case.get("status") != "void"
            and case.get("entitlement") == "repair"
            and (case.get("serial_number") or "").strip().upper() == serial
            and case.get("product_line") == record.get("product_line")
            and datetime.fromisoformat(case["created_at"]) < datetime.fromisoformat(record["created_at"])
        ):
            finished = case.get("resolved_at") or case.get("closed_at")
            until = _day(finished, policy) if finished else registered
            found.append(Repair(case["id"], max(0, (min(until, registered) - _registered_on(case, policy)).days)))
    return tuple(sorted(found, key=lambda repair: repair.case))


def _day(instant: str, policy) -> date:
    return datetime.fromisoformat(instant).astimezone(policy.timezone).date()


def _registered_on(record, policy) -> date:
    return datetime.fromisoformat(record["created_at"]).astimezone(policy.timezone).date()


def _rule(record, policy, repairs: tuple[Repair, ...] = ()):
    """The 三包 rule for ``record``, given the unit's earlier repairs (``earlier_repairs``)."""
    windows = policy.get(("aftersales", "product_lines", record.get("product_line") or ""))
    if not isinstance(windows, dict) or not record.get("purchase_date") or not record.get("service"):
        return None
    return entitlement(
        windows,
        date.fromisoformat(record["purchase_date"]),
        _registered_on(record, policy),
        record["service"],
        repairs,
        policy.get("aftersales.repairs_before_exchange", 2),
    )


def _stored_cases(records, lookup) -> list[dict]:
    """The stored cases of the units the records name (by serial number), asked of the store
    unit by unit: a repair's history, never the whole kind."""
    serials = {r["serial_number"].strip() for r in records if r and (r.get("serial_number") or "").strip()}
    return [case for serial in sorted(serials) for case in lookup.where(KIND, "serial_number", serial)]


@hookimpl
def cstool_kinds():
    return [AFTERSALES]


@hookimpl
def cstool_validate_records(kind, records, policy, lookup):
    if kind.name != KIND:
        return None
    refused = []
    cases = _stored_cases(records, lookup)
    for index, record in enumerate(records):
        if record.get("purchase_date") and date.fromisoformat(record["purchase_date"]) > _registered_on(record, policy):
            refused.append((index, "purchase_date", _("is after the registration date")))
            continue
        if record.get("visit_call_at") and record.get("visit_at") and record["visit_call_at"] > record["visit_at"]:
            refused.append((index, "visit_call_at", _("is after the visit: the customer is phoned before it")))
        if record.get("visit_call_at") and not record.get("visit_at"):
            refused.append((index, "visit_at", _("is needed: the call tells the customer when the technician comes")))
        rule = _rule(record, policy, earlier_repairs(record, cases, policy))
        given = record.get("entitlement")
        if rule and given and given != rule[0] and not record.get("override_reason"):
            refused.append(
                (
                    index,
                    "override_reason",  # what is missing: a prompt asks for the reason of the override
                    _("{given} differs from the 三包 rule ({rule}); give override_reason").format(
                        given=api.name_of(policy, given, api.language()),
                        rule=api.name_of(policy, rule[0], api.language()),
                    ),
                )
            )
    return refused


@hookimpl
def cstool_enrich_records(kind, records, policy, lookup):
    if kind.name != KIND:
        return
    outlets = policy.get("aftersales.outlets") or {}
    cases = _stored_cases(records, lookup)
    for record in records:
        repairs = earlier_repairs(record, cases, policy)
        rule = _rule(record, policy, repairs)
        if repairs:
            record["earlier_repairs"] = [repair.case for repair in repairs]
        if rule:
            if not record.get("entitlement") or (
                record["entitlement"] == rule[0] and not record.get("override_reason")
            ):
                record["entitlement"] = rule[0]
            # Written in the workspace's language, as staff write the rest of the case.
            override = {
                "en": f"Override of the rule ({api.name_of(policy, rule[0], 'en')}): {record.get('override_reason')}",
                "zh": f"例外处理（三包规定为{api.name_of(policy, rule[0], 'zh')}）：{record.get('override_reason')}",
            }
            reasons = rule[1] if record["entitlement"] == rule[0] else override
            record["entitlement_reason"] = reasons.get(policy.language) or reasons["en"]
        if not record.get("outlet") and record.get("region"):
            region = record["region"].strip().lower()
            record["outlet"] = next(
                (name for name, entry in outlets.items() if region in [r.lower() for r in entry.get("regions", [])]),
                None,
            )
        if record.get("department") == AFTERSALES.department and policy.get("aftersales.department"):
            record["department"] = policy.get("aftersales.department")


@hookimpl
def cstool_record_notes(kind, record, policy, lang):
    if kind.name != KIND:
        return None
    notes = []
    if record.get("entitlement"):
        title = "三包权益" if lang == "zh" else "Entitlement (三包)"
        name = NAMES.get(record["entitlement"], (record["entitlement"],) * 2)[0 if lang == "en" else 1]
        notes.append((title, f"{name}: {record.get('entitlement_reason') or ''}"))
    outlet = (policy.get("aftersales.outlets") or {}).get(record.get("outlet") or "")
    if isinstance(outlet, dict) and (outlet.get("address") or outlet.get("phone")):
        where = " · ".join(str(outlet[key]) for key in ("address", "phone") if outlet.get(key))
        notes.append(("服务网点" if lang == "zh" else "Outlet", f"{record['outlet']}: {where}"))
    if record.get("visit_at"):
        visit = record["visit_at"][:16].replace("T", " ")
        called = record.get("visit_call_at")
        if called:
            text = (
                (f"{visit}，已于 {called[:16].replace('T', ' ')} 电话通知客户")
                if lang == "zh"
                else (f"{visit}; the customer was phoned at {called[:16].replace('T', ' ')}")
            )
        else:
            text = (
                f"{visit}，上门前请先电话通知客户" if lang == "zh" else f"{visit}; phone the customer before the visit"
            )
        notes.append(("预约上门" if lang == "zh" else "Technician's visit", text))
    return notes or None


VISIT_CALL_HOURS = 24  # a visit this close with no call yet is a reminder at the desk


@hookimpl
def cstool_reminders(kind, record, app):
    """维修人员去之前会提前给您打电话通知: a booked visit within a day, the customer not yet phoned."""
    if kind.name != KIND or not record.get("visit_at") or record.get("visit_call_at"):
        return None
    if record.get("owner") != app.user:
        return None
    visit = datetime.fromisoformat(record["visit_at"])
    now = app.now()
    if now <= visit <= now + timedelta(hours=VISIT_CALL_HOURS):
        return [
            (
                f"visit-call:{record['id']}:{record['visit_at']}",
                _("{id}: phone the customer before the technician's visit at {at}").format(
                    id=record["id"], at=visit.astimezone(app.tz).strftime("%m-%d %H:%M")
                ),
            )
        ]
    return None


@hookimpl
def cstool_check_policy(policy, kinds):
    section = policy.get("aftersales")
    if section is None:
        return []
    if not isinstance(section, dict):
        return [api.Problem(("aftersales",), _("must be a table"))]
    problems = []
    lines = section.get("product_lines", {})
    if not isinstance(lines, dict) or not lines:
        problems.append(api.Problem(("aftersales", "product_lines"), _("must hold one table per product line")))
        lines = {}
    for name, windows in lines.items():
        here = ("aftersales", "product_lines", name)
        if not isinstance(windows, dict):
            problems.append(api.Problem(here, _("must be a table of return_days, exchange_days, warranty_days")))
            continue
        for key in ("return_days", "exchange_days", "warranty_days"):
            value = windows.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(api.Problem((*here, key), _("must be a whole number of days (0 or more)")))
        if all(isinstance(windows.get(k), int) for k in ("return_days", "exchange_days", "warranty_days")) and not (
            windows["return_days"] <= windows["exchange_days"] <= windows["warranty_days"]
        ):
            problems.append(api.Problem(here, _("needs return_days <= exchange_days <= warranty_days")))
    for key in ("repair_limit_days", "parts_limit_days", "repairs_before_exchange"):
        value = section.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(api.Problem(("aftersales", key), _("must be a whole number (0 or more)")))
    outlets = section.get("outlets", {})
    if not isinstance(outlets, dict):
        problems.append(api.Problem(("aftersales", "outlets"), _("must hold one table per outlet, with regions")))
        outlets = {}
    for name, entry in outlets.items():
        regions = entry.get("regions") if isinstance(entry, dict) else None
        if not (isinstance(regions, list) and all(isinstance(r, str) for r in regions)):
            problems.append(
                api.Problem(("aftersales", "outlets", name, "regions"), _("must be a list of region names"))
            )
        for key in ("address", "phone"):
            if isinstance(entry, dict) and key in entry and not (isinstance(entry[key], str) and entry[key]):
                problems.append(api.Problem(("aftersales", "outlets", name, key), _("must be text in quotes")))
    return problems


# ---- reports ----------------------------------------------------------------------


def _records(request):
    return list(request.each(KIND))


def returns_summary(request):
    """退换货汇总表: returns and exchanges granted, by product and reason (category)."""
    cases = _records(request)
    counts = Counter(
        (r.get("product_line"), r.get("product"), r.get("entitlement"), r.get("category") or "—")
        for r in cases
        if r.get("entitlement") in ("return", "exchange")
    )
    rows = [
        {"product_line": line, "product": product, "entitlement": granted, "reason": reason, "count": n}
        for (line, product, granted, reason), n in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    ]
    totals = {
        "count": sum(counts.values()),
        "returns": sum(n for key, n in counts.items() if key[2] == "return"),
        "exchanges": sum(n for key, n in counts.items() if key[2] == "exchange"),
        "overrides": sum(1 for r in cases if r.get("override_reason")),  # 三包 decided otherwise
    }
    return api.ReportResult(
        ["product_line", "product", "entitlement", "reason", "count"],
        rows,
        totals,
        {
            "product_line": label("Product line", "产品线"),
            "product": label("Product", "产品"),
            "entitlement": label("Granted", "处理方式"),
            "reason": label("Reason", "原因"),
            "count": label("Cases", "数量"),
            "returns": label("Returns", "退货"),
            "exchanges": label("Exchanges", "换货"),
            "overrides": label("三包 overrides (decided otherwise, with a reason)", "三包例外处理"),
        },
        label("Returns and exchanges", "退换货汇总表"),
    )


def evaluation(request):
    """评价表: customers' scores (1-5) per outlet: CSAT % = 4-5 / answers; response rate over
    finished cases. A survey answer about the case wins over the case's own score field."""
    kind = request.kinds.get(KIND)
    finished = {s.name for s in kind.statuses if s.phase in ("resolved", "closed")}
    surveyed = {
        s["for_record"]: s["csat"]
        for s in (request.records("survey") if "survey" in request.kinds.names() else [])
        if s.get("for_record") and s.get("csat") is not None
    }
    groups: defaultdict[str, dict[str, Any]] = defaultdict(lambda: {"finished": 0, "scores": []})
    for record in _records(request):
        if record["status"] not in finished:
            continue
        group = groups[record.get("outlet") or "—"]
        group["finished"] += 1
        score = surveyed.get(record["id"], record.get("evaluation_score"))
        if score is not None:
            group["scores"].append(score)

    def figures(finished_count, scores):
        return {
            "finished": finished_count,
            "answers": len(scores),
            "response_rate_pct": api.pct(len(scores), finished_count),
            "csat_pct": api.pct(sum(s >= 4 for s in scores), len(scores)),
            "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
        }

    rows = [{"outlet": name, **figures(g["finished"], g["scores"])} for name, g in sorted(groups.items())]
    everything = [s for g in groups.values() for s in g["scores"]]
    totals = figures(sum(g["finished"] for g in groups.values()), everything)
    return api.ReportResult(
        ["outlet", "finished", "answers", "response_rate_pct", "csat_pct", "mean_score"],
        rows,
        totals,
        {
            "outlet": label("Outlet", "网点"),
            "finished": label("Finished cases", "已完成"),
            "answers": label("Answers", "评价数"),
            "response_rate_pct": label("Response rate %", "回复率 %"),
            "csat_pct": label("CSAT %", "满意率 %"),
            "mean_score": label("Mean score", "平均分"),
        },
        label("After-sales evaluation", "售后服务评价表"),
    )


def outlet_load(request):
    """网点负荷: cases received per outlet in the period, open now, and the age of the open ones."""
    kind = request.kinds.get(KIND)
    open_statuses = {s.name for s in kind.statuses if s.phase in ("open", "pending")}
    groups: defaultdict[str, dict[str, Any]] = defaultdict(
        lambda: {"received": 0, "ages": [], "visits": 0, "phoned": 0}
    )
    for record in _records(request):
        group = groups[record.get("outlet") or "—"]
        group["received"] += 1
        if record.get("visit_at"):
            group["visits"] += 1
            group["phoned"] += bool(record.get("visit_call_at"))
        if record["status"] in open_statuses:
            group["ages"].append((request.now - datetime.fromisoformat(record["created_at"])) / timedelta(days=1))
    rows = [
        {
            "outlet": name,
            "received": g["received"],
            "open": len(g["ages"]),
            "mean_open_age_days": round(sum(g["ages"]) / len(g["ages"]), 1) if g["ages"] else None,
            "oldest_open_days": round(max(g["ages"]), 1) if g["ages"] else None,
            "visits": g["visits"],
            "phoned_before_pct": api.pct(g["phoned"], g["visits"]),
        }
        for name, g in sorted(groups.items(), key=lambda item: -len(item[1]["ages"]))
    ]
    visits = sum(g["visits"] for g in groups.values())
    return api.ReportResult(
        ["outlet", "received", "open", "mean_open_age_days", "oldest_open_days", "visits", "phoned_before_pct"],
        rows,
        {
            "received": sum(r["received"] for r in rows),
            "open": sum(r["open"] for r in rows),
            "visits": visits,
            "phoned_before_pct": api.pct(sum(g["phoned"] for g in groups.values()), visits),
        },
        {
            "outlet": label("Outlet", "网点"),
            "received": label("Received", "受理"),
            "open": label("Open", "未完成"),
            "mean_open_age_days": label("Mean age (days)", "平均天数"),
            "oldest_open_days": label("Oldest (days)", "最长天数"),
            "visits": label("Technician visits booked", "预约上门"),
            "phoned_before_pct": label("Customer phoned before %", "上门前电话通知率 %"),
        },
        label("Outlet load", "网点负荷"),
    )


def days_in_status(record: dict, status: str, until: datetime) -> float:
    """Days (real time) ``record`` has spent in ``status``, up to ``until``."""
    spent, since = 0.0, None
    for event in record.get("events", []):
        if event.get("type") != "status" or not event.get("to"):
            continue
        at = datetime.fromisoformat(event["at"])
        if at > until:
            break
        if since is not None:
            spent += (at - since) / timedelta(days=1)
            since = None
        if event["to"] == status:
            since = at
    if since is not None:
        spent += max(0.0, (until - since) / timedelta(days=1))
    return spent


def repair_limits(request):
    """三包时限: free repairs (三包) of the period that took, or have taken so far, longer than
    ``[aftersales] repair_limit_days`` from registration to completion (修理期限), or waited
    longer than ``parts_limit_days`` for parts; and how many units were exchanged or returned
    after failed repairs."""
    repair_limit = request.policy.get("aftersales.repair_limit_days", 30)
    parts_limit = request.policy.get("aftersales.parts_limit_days", 90)
    rows: list[dict[str, Any]] = []
    totals: Counter = Counter()
    for record in _records(request):
        if record.get("status") == "void":
            continue
        if record.get("entitlement") in ("exchange", "return") and len(record.get("earlier_repairs") or ()) >= (
            request.policy.get("aftersales.repairs_before_exchange", 2) or len(record.get("earlier_repairs") or ()) + 1
        ):
            totals["after_failed_repairs"] += 1
        if record.get("entitlement") != "repair":
            continue
        totals["repairs"] += 1
        finished = record.get("resolved_at") or record.get("closed_at")
        if finished and datetime.fromisoformat(finished) > request.now:
            finished = None  # as of --now, still in repair
        end = datetime.fromisoformat(finished) if finished else request.now
        repair_days = (end.date() - datetime.fromisoformat(record["created_at"]).date()).days
        parts_days = days_in_status(record, "awaiting_parts", end)
        over = [
            name for name, late in (("repair", repair_days > repair_limit), ("parts", parts_days > parts_limit)) if late
        ]
        for name in over:
            totals[f"over_{name}"] += 1
        if over:
            rows.append(
                {
                    "id": record["id"],
                    "product": record.get("product"),
                    "serial_number": record.get("serial_number"),
                    "registered": record["created_at"][:10],
                    "finished": finished[:10] if finished else None,
                    "repair_days": repair_days,
                    "parts_days": round(parts_days, 1),
                    "over": ", ".join(over),
                }
            )
    return api.ReportResult(
        ["id", "product", "serial_number", "registered", "finished", "repair_days", "parts_days", "over"],
        rows,
        {key: totals[key] for key in ("repairs", "over_repair", "over_parts", "after_failed_repairs")},
        {
            "id": label("Case", "单号"),
            "product": label("Product", "产品"),
            "serial_number": label("Serial number", "序列号"),
            "registered": label("Registered", "送修日期"),
            "finished": label("Finished", "修复日期"),
            "repair_days": label("Days in repair", "维修天数"),
            "parts_days": label("Days waiting for parts", "待配件天数"),
            "over": label("Over the limit", "超出时限"),
            "repairs": label("Free repairs", "三包维修"),
            "over_repair": label(f"Repair over {repair_limit} days", f"维修超过 {repair_limit} 天"),
            "over_parts": label(f"Parts over {parts_limit} days", f"待配件超过 {parts_limit} 天"),
            "after_failed_repairs": label("Exchanged or returned after failed repairs", "多次修理后换货或退货"),
        },
        label("三包 time limits", "三包时限"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "aftersales-returns",
            label("Returns and exchanges by product and reason", "退换货汇总表"),
            returns_summary,
            monthly=(None,),
        ),
        api.Report("aftersales-evaluation", label("After-sales evaluation", "售后服务评价表"), evaluation),
        api.Report("aftersales-outlets", label("Outlet load", "网点负荷"), outlet_load),
        api.Report("aftersales-limits", label("三包 time limits", "三包时限"), repair_limits, monthly=(None,)),
    ]


# ---- demo data --------------------------------------------------------------------

_PRODUCTS = [
    ("appliances", "电水壶 K-200", "不加热"),
    ("large_appliances", "空调 AC-35", "制冷效果差"),
    ("electronics", "蓝牙耳机 B3", "左耳无声音"),
    ("electronics", "充电器 P-10", "充电时发烫"),
    ("appliances", "Blender X1", "motor stopped"),
    ("electronics", "Heater H-7", "no power"),
]
_NAMES = ["陈静", "杨磊", "赵敏", "黄涛", "周丽", "Emma Wilson", "David Lee"]


@hookimpl
def cstool_demo_records(rng, now, policy):
    regions = [
        region for entry in (policy.get("aftersales.outlets") or {}).values() for region in entry.get("regions", [])
    ]
    staff = policy.get("departments.after_sales.members") or ["小陈"]
    records = []
    for _record in range(90):
        line, product, fault = rng.choice(_PRODUCTS)
        created = (now - timedelta(days=rng.randint(0, 80))).replace(
            hour=rng.choice([9, 10, 14, 16]), minute=0, second=0, microsecond=0
        )
        if created > now:  # an hour later today than now: yesterday instead
            created -= timedelta(days=1)
        values = {
            "customer_name": rng.choice(_NAMES),
            "contact_phone": f"139{rng.randint(10000000, 99999999)}",
            "region": rng.choice(regions) if regions else None,
            "product_line": line,
            "product": product,
            "model": product.split()[-1],
            "serial_number": f"SN{rng.randint(100000, 999999)}",
            "purchase_date": (created.date() - timedelta(days=rng.choice([2, 6, 10, 14, 40, 200, 500]))).isoformat(),
            "fault": fault,
            "service": rng.choice(["return", "exchange", "repair", "repair", "consultation"]),
            "created_at": created.isoformat(),
            "owner": rng.choice(staff),
        }
        age = (now - created).total_seconds() / 60
        steps = [("respond", 60), ("status", "inspecting", 120)]
        if age > 6000:
            steps += [("status", "completed", 4000)]
            if rng.random() < 0.7:
                values["evaluation_score"] = rng.choice([5, 5, 4, 4, 3, 2])
                steps.append(("status", "closed", 5000))
        records.append(api.DemoRecord(KIND, values, [s for s in steps if s[-1] < age]))
    base = {
        "customer_name": "周丽",
        "contact_phone": "13900002222",
        "region": regions[0] if regions else None,
        "product_line": "large_appliances",
        "product": "空调 AC-35",
        "model": "AC-35",
        "fault": "压缩机不启动",
        "service": "repair",
    }
    waiting = (now - timedelta(days=40)).replace(hour=10, minute=0, second=0, microsecond=0)
    records.append(  # 三包时限: a repair waiting for parts for more than 30 days
        api.DemoRecord(
            KIND,
            {
                **base,
                "serial_number": "SN-AC35-0042",
                "purchase_date": (waiting.date() - timedelta(days=300)).isoformat(),
                "created_at": waiting.isoformat(),
            },
            [("respond", 30), ("status", "inspecting", 60), ("status", "awaiting_parts", 60 * 24)],
        )
    )
    visit = (now + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    for number, called in enumerate((None, now - timedelta(hours=1))):  # 预约上门, one phoned before it
        booked = (now - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        records.append(
            api.DemoRecord(
                KIND,
                {
                    **base,
                    "product_line": "appliances",
                    "product": "洗衣机 W-8",
                    "fault": "不排水",
                    "serial_number": f"SN-W8-00{number}",
                    "purchase_date": (booked.date() - timedelta(days=90)).isoformat(),
                    "technician": "张师傅",
                    "visit_at": visit.isoformat(),
                    **({"visit_call_at": called.isoformat()} if called else {}),
                    "created_at": booked.isoformat(),
                    "owner": staff[0],
                },
                [("respond", 20)],
            )
        )
    return records


@hookimpl
def cstool_commitments(policy):
    """三包: the return, exchange and free-repair windows of each product line."""
    lines = []
    for name, line in sorted((policy.get("aftersales.product_lines") or {}).items()):
        if isinstance(line, dict):
            r, e, w = line.get("return_days"), line.get("exchange_days"), line.get("warranty_days")
            en, zh = api.name_of(policy, name, "en"), api.name_of(policy, name, "zh")
            lines.append(
                label(
                    f"{en}: return within {r} days, exchange within {e} days, free repair within {w} days of purchase",
                    f"{zh}：购买之日起 {r} 天内可退货，{e} 天内可换货，{w} 天内免费维修",
                )
            )
    sections = [(label("Returns, exchanges and repairs (三包)", "三包服务"), lines)] if lines else []
    outlets = [  # 合理设置维修网点，公开服务电话
        label(
            f"{name}: {entry.get('address', '')} · {entry.get('phone', '')}".rstrip(" ·"),
            f"{name}：{entry.get('address', '')} · {entry.get('phone', '')}".rstrip(" ·"),
        )
        for name, entry in sorted((policy.get("aftersales.outlets") or {}).items())
        if isinstance(entry, dict) and (entry.get("address") or entry.get("phone"))
    ]
    if outlets:
        sections.append((label("Service outlets", "服务网点与电话"), outlets))
    return sections or None


@hookimpl
def cstool_policy_keys():
    return [
        "aftersales.department",
        "aftersales.outlets",
        "aftersales.parts_limit_days",
        "aftersales.product_lines",
        "aftersales.repair_limit_days",
        "aftersales.repairs_before_exchange",
    ]
