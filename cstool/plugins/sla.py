"""The SLA report: compliance per clock, and business minutes to first response and resolution.

Compliance % = met / (met + breached) x 100; running clocks that have not breached are
left out, and those that have count as breached (``breached_open`` says how many). Mean, median and p90 are over clocks that have stopped (the actual times);
clocks stopped at an unknown time (imported without it) are counted as ``unknown`` only.
"""

from __future__ import annotations

from collections import defaultdict

from cstool import api
from cstool.api import hookimpl, label

GROUPS = ("kind", "department", "priority", "owner")
COLUMNS = (
    "clock",
    "count",
    "met",
    "breached",
    "breached_open",
    "running",
    "unknown",
    "compliance_pct",
    "mean_minutes",
    "median_minutes",
    "p90_minutes",
    "closed_without_reply",
)
LABELS = {
    "clock": label("Clock", "时钟"),
    "count": label("Clocks", "数量"),
    "met": label("Met", "达标"),
    "breached": label("Breached", "超时"),
    "breached_open": label("of which still open", "其中仍未结"),
    "running": label("Running", "计时中"),
    "unknown": label("Unknown", "未知"),
    "compliance_pct": label("Compliance %", "达标率 %"),
    "mean_minutes": label("Mean min", "平均(分钟)"),
    "median_minutes": label("Median min", "中位数(分钟)"),
    "p90_minutes": label("P90 min", "P90(分钟)"),
    "closed_without_reply": label("Closed without reply", "未答复即关闭"),
    "kind": label("Kind", "记录类型"),
    "department": label("Department", "部门"),
    "priority": label("Priority", "优先级"),
    "owner": label("Owner", "负责人"),
}


def _figures(tally):
    met, breached = tally["met"], tally["breached"]
    return {
        "count": met + breached + tally["running"] + tally["unknown"],
        "met": met,
        "breached": breached,
        "breached_open": tally["breached_open"],
        "running": tally["running"],
        "unknown": tally["unknown"],
        "compliance_pct": api.pct(met, met + breached),
        **api.summary(tally["minutes"]),
        "closed_without_reply": tally["closed_without_reply"],
    }


def _tally():
    return {
        "met": 0,
        "breached": 0,
        "breached_open": 0,
        "running": 0,
        "unknown": 0,
        "closed_without_reply": 0,
        "minutes": [],
    }


def sla_report(request):
    by = request.by or "kind"
    default_priority = request.policy.default_priority
    groups: defaultdict[tuple, dict] = defaultdict(_tally)
    for kind in request.kinds:
        counted, rest = request.clock_tally(kind.name, by)
        for key, figures in counted.items():  # what the store judged itself (a database)
            tally = groups[key]
            for name in ("met", "breached", "breached_open", "running", "unknown", "closed_without_reply"):
                tally[name] += figures[name]
            tally["minutes"] += figures["minutes"]
        for record in rest:
            _, clocks = request.clocks(record, detail="figures")
            group = (record.get("priority") or default_priority) if by == "priority" else (record.get(by) or "—")
            for clock in clocks:
                tally = groups[(group, clock.name)]
                tally["running" if clock.state == "warning" else clock.state] += 1
                if clock.stopped_at is not None:
                    tally["minutes"].append(clock.elapsed)
                elif clock.state == "breached":  # past due and still open: counted, and said how many
                    tally["breached_open"] += 1
                if clock.name == "first_response" and api.closed_without_reply(record):
                    tally["closed_without_reply"] += 1
    totals: defaultdict[str, dict] = defaultdict(_tally)
    for (_group, name), tally in groups.items():
        total = totals[name]
        for key in ("met", "breached", "breached_open", "running", "unknown", "closed_without_reply"):
            total[key] += tally[key]
        total["minutes"] += tally["minutes"]
    rows = [{by: group, "clock": name, **_figures(tally)} for (group, name), tally in sorted(groups.items())]
    return api.ReportResult(
        [by, *COLUMNS],
        rows,
        {name: {"clock": name, **_figures(tally)} for name, tally in sorted(totals.items())},
        LABELS,
        label("SLA compliance", "服务时限达标情况"),
        api.Chart(
            "bar",
            x=by,
            y=("compliance_pct",),
            series="clock",
            target=request.policy.get("reports.compliance_target_pct"),
        ),
    )


BREACH_COLUMNS = ("id", "kind", "clock", "department", "owner", "priority", "due_at", "over_minutes", "still_open")
BREACH_LABELS = {
    "id": label("Record", "编号"),
    "kind": label("Kind", "记录类型"),
    "clock": label("Clock", "时钟"),
    "department": label("Department", "部门"),
    "owner": label("Owner", "负责人"),
    "priority": label("Priority", "优先级"),
    "due_at": label("Due", "应完成时间"),
    "over_minutes": label("Over by (working min)", "超时(工作分钟)"),
    "still_open": label("Still open", "仍未完成"),
    "count": label("Breached clocks", "超时时钟数"),
    "records": label("Records", "记录数"),
}


def breaches(request):
    """服务时限超时清单: every clock of the period's records that breached (met late, or
    past due and still running), most overdue first."""
    rows = []
    kinds_timed = set(request.policy.get("sla") or {})

    def take(record):
        _, clocks = request.clocks(record, detail="due")
        for clock in clocks:
            if clock.state != "breached":
                continue
            rows.append(
                {
                    "id": record["id"],
                    "kind": record["kind"],
                    "clock": clock.name,
                    "department": record.get("department"),
                    "owner": record.get("owner"),
                    "priority": record.get("priority") or request.policy.default_priority,
                    "due_at": _minute(clock.due_at),
                    "over_minutes": round(clock.elapsed - clock.target_minutes),
                    "still_open": clock.stopped_at is None,
                }
            )

    yield api.RecordPass(tuple(kind.name for kind in request.kinds if kind.name in kinds_timed), take)
    rows.sort(key=lambda row: (-row["over_minutes"], row["id"], row["clock"]))
    totals = {"count": len(rows), "records": len({row["id"] for row in rows})}
    return api.ReportResult(list(BREACH_COLUMNS), rows, totals, BREACH_LABELS, label("What breached", "超时清单"))


def _minute(instant):
    return instant.isoformat(timespec="minutes") if instant else None


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "sla",
            label("SLA compliance per clock", "服务时限达标情况"),
            sla_report,
            by=GROUPS,
            monthly=("department", "priority"),
        ),
        api.Report(
            "sla-breaches", label("What breached, record by record", "服务时限超时清单"), breaches, monthly=(None,)
        ),
    ]
