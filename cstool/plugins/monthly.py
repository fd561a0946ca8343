"""The monthly report (月报): every department's month in one report, for a manager to read
and send upward.

    cstool report monthly --month 2026-11 --format html --output 月报.html
    cstool report monthly --quarter 2026Q4 --format xlsx --output 季报.xlsx
    cstool report monthly --send                      # last month, to [reports.send]

Its own sections are the volumes (the trend of the months before, and per day or per
week); every other section is a report of its own (``Report.monthly`` says which and
grouped how), run over the same period as it would be alone, so each section's figures
are that report's, and a plugin's report joins by declaring ``monthly=(None,)``. Sections
that read the month record by record (``api.RecordPass``) share one read of each kind.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cstool import api
from cstool.api import hookimpl, label

TREND_MONTHS = 6  # the months the volume trend shows, the period's last month included
TITLE = label("Monthly report", "月报")


def monthly_report(request):
    sections = [volume_trend(request), volume_by_day(request)]
    chosen = [(report, by) for report in request.reports.values() for by in report.monthly]
    results = request.run_together([(report.name, by) for report, by in chosen])  # the month read once
    sections += [api.Section(report.name, by, report.title, result) for (report, by), result in zip(chosen, results)]
    sections.insert(0, headline(request))
    totals = {"since": request.since.isoformat(), "until": request.until.isoformat(), "sections": len(sections)}
    return api.ReportResult([], [], totals, {}, _title(request), sections=sections)


def _title(request):
    first, last = request.since, request.until
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    whole = first.day == 1 and last == _month_end(last)
    if whole and months == 1:
        return {"en": f"Monthly report {first:%Y-%m}", "zh": f"{first.year}年{first.month}月 月报"}
    if whole and months == 3 and first.month % 3 == 1:
        quarter = first.month // 3 + 1
        return {"en": f"Quarterly report {first.year} Q{quarter}", "zh": f"{first.year}年第{quarter}季度 季报"}
    return {"en": f"Report {first} – {last}", "zh": f"报告 {first} 至 {last}"}


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _months_before(last: date, count: int) -> list[str]:
    months, year, month = [], last.year, last.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


# The figures a manager sends upward, each from the report that reckons it: (figure, report,
# how to read it from that report's totals, the policy key of its target, higher is better).
HEADLINE = (
    ("volume", None, None, None, None),
    (
        "first_response_compliance_pct",
        "sla",
        ("first_response", "compliance_pct"),
        "reports.compliance_target_pct",
        True,
    ),
    ("resolution_compliance_pct", "sla", ("resolution", "compliance_pct"), "reports.compliance_target_pct", True),
    ("breached_clocks", "sla", None, None, False),
    (
        "complaint_resolution_pct",
        "complaint-resolution",  # as the summary's (resolved or closed / received), without its other counts
        ("resolution_rate_pct",),
        "complaints.resolution_target_pct",
        True,
    ),
    ("csat_pct", "surveys", ("csat_pct",), "reports.csat_target_pct", True),
    ("phone_service_level_pct", "phone", ("service_level_pct",), "phone.service_level_target_pct", True),
)
HEADLINE_TITLES = {
    "volume": label("Records received", "受理记录数"),
    "first_response_compliance_pct": label("First response on time %", "首次响应达标率 %"),
    "resolution_compliance_pct": label("Resolution on time %", "解决时限达标率 %"),
    "breached_clocks": label("Clocks breached", "超时次数"),
    "complaint_resolution_pct": label("Complaints resolved %", "投诉解决率 %"),
    "csat_pct": label("Customers satisfied %", "客户满意率 %"),
    "phone_service_level_pct": label("Calls answered in time %", "电话服务水平 %"),
}


def headline(request) -> api.Section:
    """The period at a glance, first on the page: each headline figure against its target
    (policy) and the period before (of the same length), each read from the report that
    reckons it, so it is the same figure as that report's."""
    length = request.until - request.since
    before_until = request.since - timedelta(days=1)
    before = request.for_period(before_until - length, before_until)
    whole_months = request.since.day == 1 and request.until == _month_end(request.until)
    if whole_months:  # a month is compared with the month before, whatever their lengths
        months = (request.until.year - request.since.year) * 12 + request.until.month - request.since.month + 1
        first = request.since
        for _ in range(months):
            first = (first - timedelta(days=1)).replace(day=1)
        before = request.for_period(first, before_until)
    ran: dict[tuple[int, str], dict] = {}

    def totals(which: int, report: str) -> dict:
        if (which, report) not in ran:
            asked = request if which == 0 else before
            ran[which, report] = asked.run(report).totals if report in request.reports else {}
        return ran[which, report]

    def figure(which: int, name: str, report, path) -> float | int | None:
        if name == "volume":
            return _received(request if which == 0 else before)
        figures = totals(which, report)
        if name == "breached_clocks":
            counted = [v.get("breached") for v in figures.values() if isinstance(v, dict)]
            return sum(n for n in counted if n is not None) if counted else None
        found: Any = figures
        for key in path:
            found = found.get(key) if isinstance(found, dict) else None
        return found

    rows = []
    for name, report, path, target_key, higher in HEADLINE:
        if report is not None and report not in request.reports:
            continue
        now, then = figure(0, name, report, path), figure(1, name, report, path)
        target = request.policy.get(target_key) if target_key else None
        met = None if target is None or now is None else (now >= target if higher else now <= target)
        rows.append(
            {
                "figure": name,
                "title": HEADLINE_TITLES[name].get(request.lang, name),
                "this_period": now,
                "previous_period": then,
                "change": round(now - then, 2) if now is not None and then is not None else None,
                "target": target,
                "met": met,
            }
        )
    labels = {
        "title": label("Figure", "指标"),
        "this_period": label("This period", "本期"),
        "previous_period": label("Period before", "上期"),
        "change": label("Change", "变化"),
        "target": label("Target", "目标"),
        "met": label("Target met", "是否达标"),
    }
    title = label("At a glance", "本期要点")
    columns = ["title", "this_period", "previous_period", "change", "target", "met"]
    missed = sum(row["met"] is False for row in rows)
    return api.Section(
        "headline",
        None,
        title,
        api.ReportResult(
            columns,
            rows,
            {"targets_missed": missed},
            {**labels, "targets_missed": label("Targets missed", "未达标指标数")},
            title,
        ),
    )


def _received(request) -> int:
    return sum(sum(request.tally(kind.name, (api.MONTH,)).values()) for kind in request.kinds)


def volume_trend(request):
    """Records received per kind in each of the last months, the period's last included."""
    months = _months_before(request.until, TREND_MONTHS)
    earlier = request.for_period(date.fromisoformat(months[0] + "-01"), request.until)
    kinds = list(request.kinds)
    counts = {kind.name: earlier.tally(kind.name, (api.MONTH,)) for kind in kinds}
    rows = [{"month": month, **{k.name: counts[k.name].get((month,), 0) for k in kinds}} for month in months]
    for row in rows:
        row["total"] = sum(row[k.name] for k in kinds)
    this, before = rows[-1]["total"], rows[-2]["total"]
    totals = {"this_month": this, "previous_month": before, "change_pct": api.pct(this - before, before)}
    labels = {
        "month": label("Month", "月份"),
        "total": label("All records", "合计"),
        "this_month": label("This month", "本月"),
        "previous_month": label("Previous month", "上月"),
        "change_pct": label("Change %", "环比 %"),
        **{k.name: k.label for k in kinds},
    }
    columns = ["month", *(k.name for k in kinds), "total"]
    chart = api.Chart("line", x="month", y=tuple(k.name for k in kinds))
    return api.Section(
        "volume-trend",
        None,
        label("Volume over the months", "各类记录月度趋势"),
        api.ReportResult(columns, rows, totals, labels, label("Volume over the months", "各类记录月度趋势"), chart),
    )


def volume_by_day(request):
    """Records received per kind on each day of the period (each week, for a longer one)."""
    kinds = list(request.kinds)
    counts = {kind.name: request.tally(kind.name, (api.DAY,)) for kind in kinds}
    weekly = (request.until - request.since).days > 31
    buckets: dict[str, dict[str, int]] = {}
    day = request.since
    while day <= request.until:
        start = day - timedelta(days=day.weekday()) if weekly else day
        bucket = buckets.setdefault(max(start, request.since).isoformat(), dict.fromkeys((k.name for k in kinds), 0))
        for kind in kinds:
            bucket[kind.name] += counts[kind.name].get((day.isoformat(),), 0)
        day += timedelta(days=1)
    rows: list[dict[str, Any]] = [
        {"day": start, **figures, "total": sum(figures.values())} for start, figures in buckets.items()
    ]
    title = label("Volume per week", "每周记录量") if weekly else label("Volume per day", "每日记录量")
    labels = {
        "day": label("Week from", "周起始") if weekly else label("Day", "日期"),
        "total": label("All records", "合计"),
        **{k.name: k.label for k in kinds},
    }
    totals: dict[str, int] = {"total": sum(row["total"] for row in rows)}
    totals.update({k.name: sum(r[k.name] for r in rows) for k in kinds})
    chart = api.Chart("line", x="day", y=("total", *(k.name for k in kinds)))
    return api.Section(
        "volume-by-day",
        None,
        title,
        api.ReportResult(["day", *(k.name for k in kinds), "total"], rows, totals, labels, title, chart),
    )


@hookimpl
def cstool_policy_keys():
    return ["reports.csat_target_pct"]


@hookimpl
def cstool_reports():
    return [api.Report("monthly", label("Monthly report (all departments)", "月报（全部门）"), monthly_report)]


@hookimpl
def cstool_worker_jobs():
    # on the 1st (the first run in a month), last month's report to [reports.send]
    return [api.WorkerJob("monthly", ("report", "monthly", "--month", "{month}", "--send"), "monthly")]
