"""Complaint reports beyond the statistics table: analysis (分析表), resolution rate
against target (投诉解决率), case tracking (案件追踪表) and the period summary (总结表)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime
from operator import itemgetter
from typing import Any

from cstool import api
from cstool.api import hookimpl, label

KIND = "complaint"
DONE = ("resolved", "closed")


def _month(record, tz):
    return datetime.fromisoformat(record["created_at"]).astimezone(tz).strftime("%Y-%m")


def _in_period(request):
    return request.each(KIND)  # one at a time: a month of a large store is never held whole


def _done(request):
    phases = {s.name: s.phase for s in request.kinds.get(KIND).statuses}
    return lambda record: phases.get(record["status"]) in DONE


def _done_statuses(request) -> set[str]:
    return {s.name for s in request.kinds.get(KIND).statuses if s.phase in DONE}


def _people(request) -> Counter:
    """Complaints per complainant (``complainant_key``), counted where the records are."""
    people: Counter = Counter()
    for (customer, phone), n in request.tally(KIND, ("customer_id", "contact_phone")).items():
        if customer or phone:
            people[customer or phone] += n
    return people


def _complaints_of(request, people: frozenset[str]) -> list[dict]:
    """The period's complaints of ``people`` (complainant keys), read alone: those linked
    to one of them as a customer, then those of no customer by one of them as a phone."""
    if not people:
        return []
    by_customer = replace(request.period, among=(("customer_id", people),))
    by_phone = replace(request.period, equals=(("customer_id", ""),), among=(("contact_phone", people),))
    return [*request.select(KIND, by_customer), *request.select(KIND, by_phone)]


def complainant_key(record):
    """Who complained: the linked customer, else the phone. A name alone identifies nobody:
    two people share 张伟, and an import's map may give every row the same placeholder
    (which made one "person" of 6,623 CFPB complaints)."""
    return record.get("customer_id") or record.get("contact_phone")


def causes(request):
    """Top causes: complaints per category, with their share (counted where the records are)."""
    counts: Counter = Counter()
    for (category,), n in request.tally(KIND, ("category",)).items():
        counts[category or "—"] += n
    total = sum(counts.values())
    rows = [{"category": name, "count": n, "share_pct": api.pct(n, total)} for name, n in counts.most_common()]
    return api.ReportResult(
        ["category", "count", "share_pct"],
        rows,
        {"count": total},
        {
            "category": label("Cause (category)", "原因（类别）"),
            "count": label("Complaints", "投诉数"),
            "share_pct": label("Share %", "占比 %"),
        },
        label("Top causes", "投诉原因排行"),
        api.Chart("bar", x="category", y=("count",)),
    )


def repeats(request):
    """Repeat complainants: people with more than one complaint in the period (names masked).
    Who repeats is counted where the records are; only their complaints are then read."""
    repeated = frozenset(key for key, n in _people(request).items() if n > 1)
    by_person = defaultdict(list)
    for record in _complaints_of(request, repeated):
        key = complainant_key(record)
        if key in repeated:
            by_person[key].append(record)
    rows = []
    for group in sorted(by_person.values(), key=lambda g: (-len(g), g[0]["created_at"])):
        if len(group) < 2:
            continue
        first = group[0]
        rows.append(
            {
                "customer": api.mask(first.get("customer_name")),
                "phone": api.mask(first.get("contact_phone"), "phone"),
                "count": len(group),
                "first": min(r["created_at"] for r in group)[:10],
                "last": max(r["created_at"] for r in group)[:10],
                "categories": sorted({r.get("category") or "—" for r in group}),  # ids; shown by their names
                "ids": ", ".join(r["id"] for r in group),
            }
        )
    return api.ReportResult(
        ["customer", "phone", "count", "first", "last", "categories", "ids"],
        rows,
        {"count": len(rows)},
        {
            "customer": label("Complainant", "投诉人"),
            "phone": label("Phone", "电话"),
            "count": label("Complaints", "投诉次数"),
            "first": label("First", "首次"),
            "last": label("Last", "最近"),
            "categories": label("Categories", "类别"),
            "ids": label("Cases", "案件"),
        },
        label("Repeat complainants", "重复投诉客户"),
    )


def trend(request):
    """Trend by month: received, resolved, resolution rate, and the most common cause."""
    done = _done_statuses(request)
    months: defaultdict[str, list] = defaultdict(lambda: [0, 0, Counter()])
    for (month, status, category), n in request.tally(KIND, (api.MONTH, "status", "category")).items():
        figures = months[month]
        figures[0] += n
        figures[1] += n if status in done else 0
        figures[2][category or "—"] += n
    rows = []
    for month in sorted(months):
        received, resolved, causes_of_month = months[month]
        rows.append(
            {
                "month": month,
                "received": received,
                "resolved": resolved,
                "resolution_rate_pct": api.pct(resolved, received),
                "top_cause": min(causes_of_month.items(), key=lambda item: (-item[1], item[0]))[0],
            }
        )
    return api.ReportResult(
        ["month", "received", "resolved", "resolution_rate_pct", "top_cause"],
        rows,
        _rate_totals(rows),
        _RATE_LABELS | {"month": label("Month", "月份"), "top_cause": label("Top cause", "主要原因")},
        label("Complaint trend by month", "投诉月度趋势"),
        api.Chart("line", x="month", y=("received", "resolved")),
    )


_RATE_LABELS = {
    "received": label("Received", "受理数"),
    "resolved": label("Resolved", "已解决"),
    "resolution_rate_pct": label("Resolution rate %", "投诉解决率 %"),
    "target_pct": label("Target %", "目标 %"),
    "meets_target": label("Meets target", "是否达标"),
}


def _rate_totals(rows):
    received = sum(r["received"] for r in rows)
    resolved = sum(r["resolved"] for r in rows)
    return {"received": received, "resolved": resolved, "resolution_rate_pct": api.pct(resolved, received)}


def resolution_rate(request):
    """投诉解决率 = resolved or closed / received in the period, per month, against the policy target."""
    tz = request.policy.timezone
    target = request.policy.get("complaints.resolution_target_pct")
    done = _done_statuses(request)
    months: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (month, status), n in request.tally(KIND, (api.MONTH, "status")).items():
        months[month][0] += n
        months[month][1] += n if status in done else 0
    # closed without a reply: only a finished case that never had one can be (read just those)
    unanswered = replace(request.period, statuses=frozenset(done), equals=(("first_response_at", ""),))
    for record in request.select(KIND, unanswered):
        months[_month(record, tz)][2] += api.closed_without_reply(record)
    rows = []
    for month in sorted(months):
        received, resolved, unanswered = months[month]
        rate = api.pct(resolved, received)
        rows.append(
            {
                "month": month,
                "received": received,
                "resolved": resolved,
                "resolution_rate_pct": rate,
                "closed_without_reply": unanswered,
                "target_pct": target,
                "meets_target": None if target is None else rate >= target,
            }
        )
    totals = _rate_totals(rows)
    totals["closed_without_reply"] = sum(r["closed_without_reply"] for r in rows)
    totals["target_pct"] = target
    totals["meets_target"] = (
        None if target is None or totals["resolution_rate_pct"] is None else totals["resolution_rate_pct"] >= target
    )
    return api.ReportResult(
        ["month", "received", "resolved", "resolution_rate_pct", "closed_without_reply", "target_pct", "meets_target"],
        rows,
        totals,
        _RATE_LABELS
        | {"month": label("Month", "月份"), "closed_without_reply": label("Closed without reply", "未答复即关闭")},
        label("Resolution rate against target", "投诉解决率（对照目标）"),
        api.Chart("bar", x="month", y=("resolution_rate_pct",), target=target),
    )


def tracking(request):
    """案件追踪表: open cases with their age and the next due time of their running clocks."""
    kind = request.kinds.get(KIND)
    phases = {s.name: s.phase for s in kind.statuses}
    now = request.now
    rows: list[dict] = []
    undated: list[dict] = []
    for record in _in_period(request):
        if phases.get(record["status"]) in DONE:
            continue
        nearest, state = None, None
        for clock in request.clocks(record, detail="due")[1]:
            if clock.stopped_at is not None or clock.stop_unknown:
                continue
            if nearest is None or clock.due_at < nearest.due_at:
                nearest = clock
            if state is None or _SEVERITY[clock.state] > _SEVERITY[state]:
                state = clock.state
        age = (now - datetime.fromisoformat(record["created_at"])).total_seconds() / 86400
        (rows if nearest else undated).append(
            {
                "id": record["id"],
                "status": record["status"],
                "owner": record.get("owner"),
                "category": record.get("category"),
                "age_days": round(age, 1),
                "next_due": nearest.due_at.isoformat(timespec="minutes") if nearest else None,
                "clock": nearest.name if nearest else None,
                "state": state,
            }
        )
    rows.sort(key=itemgetter("next_due"))
    rows += undated
    return api.ReportResult(
        ["id", "status", "owner", "category", "age_days", "next_due", "clock", "state"],
        rows,
        {"count": len(rows), "breached": sum(r["state"] == "breached" for r in rows)},  # headed by common names
        {
            "id": label("Case", "案件"),
            "status": label("Status", "状态"),
            "owner": label("Owner", "负责人"),
            "category": label("Category", "类别"),
            "age_days": label("Age (days)", "已用天数"),
            "next_due": label("Next due", "下一到期"),
            "clock": label("Clock", "时钟"),
            "state": label("Clock state", "时限状态"),
        },
        label("Case tracking", "案件追踪表"),
    )


_SEVERITY = {"running": 0, "warning": 1, "breached": 2}


def summary(request):
    """总结表: the period in figures (counted where the records are)."""
    done = _done_statuses(request)
    received = resolved = 0
    categories: Counter = Counter()
    for (status, category), n in request.tally(KIND, ("status", "category")).items():
        received += n
        resolved += n if status in done else 0
        categories[category or "—"] += n
    top = sorted(categories.items(), key=lambda item: (-item[1], item[0]))[:3]
    people = _people(request)
    figures = {
        "received": received,
        "resolved": resolved,
        "resolution_rate_pct": api.pct(resolved, received),
        "target_pct": request.policy.get("complaints.resolution_target_pct"),
        "open": received - resolved,
        "repeat_complainants": sum(1 for n in people.values() if n > 1),
        "top_causes": [name for name, _n in top],  # the three most frequent categories, ids; shown by their names
    }
    names = {
        "received": label("Received", "受理投诉"),
        "resolved": label("Resolved", "已解决"),
        "resolution_rate_pct": label("Resolution rate %", "投诉解决率 %"),
        "target_pct": label("Target %", "目标 %"),
        "open": label("Still open", "未结案件"),
        "repeat_complainants": label("Repeat complainants", "重复投诉客户"),
        "top_causes": label("Top causes", "主要原因"),
    }
    rows = [
        {"metric": key, "title": names[key].get(request.lang, key), "value": value} for key, value in figures.items()
    ]
    return api.ReportResult(
        ["title", "value"],
        rows,
        figures,
        {"title": label("Figure", "指标"), "value": label("Value", "数值"), **names},
        label("Complaint summary", "投诉总结表"),
    )


TIMELINESS_GROUPS = ("subject", "category")  # the company, the product (as the CFPB map fills them)


def timeliness(request):
    """The source system's own promise: share of complaints it judged answered in time, per
    company (``subject``) or product (``category``); rows without that judgement are left out."""
    by = request.by or "subject"
    groups: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in _in_period(request):
        if record.get("timely_response") is None:
            continue
        tally = groups[record.get(by) or "—"]
        tally[0] += 1
        tally[1] += bool(record["timely_response"])
    rows: list[dict[str, Any]] = [
        {by: name, "count": count, "timely": timely, "untimely": count - timely, "timely_pct": api.pct(timely, count)}
        for name, (count, timely) in sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))
    ]
    count, timely = sum(r["count"] for r in rows), sum(r["timely"] for r in rows)
    return api.ReportResult(
        [by, "count", "timely", "untimely", "timely_pct"],
        rows,
        {"count": count, "timely": timely, "untimely": count - timely, "timely_pct": api.pct(timely, count)},
        {
            "subject": label("Company", "企业"),
            "category": label("Product", "产品"),
            "count": label("Complaints", "投诉数"),
            "timely": label("Timely", "及时"),
            "untimely": label("Not timely", "不及时"),
            "timely_pct": label("Timely %", "及时率 %"),
        },
        label("Timely response as the source judged it", "来源系统判定的及时答复率"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "complaint-causes", label("Top complaint causes", "投诉原因排行（分析表）"), causes, monthly=(None,)
        ),
        api.Report(
            "complaint-repeats", label("Repeat complainants", "重复投诉客户（分析表）"), repeats, monthly=(None,)
        ),
        api.Report("complaint-trend", label("Complaint trend by month", "投诉月度趋势（分析表）"), trend),
        api.Report(
            "complaint-resolution",
            label("Resolution rate against target", "投诉解决率"),
            resolution_rate,
            monthly=(None,),
        ),
        api.Report("complaint-tracking", label("Open cases: age and next due time", "案件追踪表"), tracking),
        api.Report("complaint-summary", label("Complaint summary for a period", "投诉总结表"), summary),
        api.Report(
            "complaint-timeliness",
            label("Timely response by company or product (source)", "及时答复率（来源系统）"),
            timeliness,
            by=TIMELINESS_GROUPS,
        ),
    ]
