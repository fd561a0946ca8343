"""The monthly report (月报): every department's month in one report, for a manager to read
and send upward.

    cstool report monthly --month 2026-11 --format html --output 月报.html
    cstool report monthly --quarter 2026Q4 --format xlsx --output 季报.xlsx
    cstool report monthly --send                      # last month, to [reports.send]

Its own sections are the volumes (the trend of the months before, and per day or per
week); every other section is a report of its own (``Report.monthly`` says which and
grouped how), run over the same period as it would be alone, so each section's figures
are that report's, and a plugin's report joins by declaring ``monthly=(None,)``.
"""

from __future__ import annotations

from datetime import date, timedelta

from cstool import api
from cstool.api import hookimpl, label

TREND_MONTHS = 6  # the months the volume trend shows, the period's last month included
TITLE = label("Monthly report", "月报")


def monthly_report(request):
    sections = [volume_trend(request), volume_by_day(request)]
    for report in request.reports.values():
        for by in report.monthly:
            sections.append(api.Section(report.name, by, report.title, request.run(report.name, by)))
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
    rows = [{"day": start, **figures, "total": sum(figures.values())} for start, figures in buckets.items()]
    title = label("Volume per week", "每周记录量") if weekly else label("Volume per day", "每日记录量")
    labels = {
        "day": label("Week from", "周起始") if weekly else label("Day", "日期"),
        "total": label("All records", "合计"),
        **{k.name: k.label for k in kinds},
    }
    totals = {"total": sum(row["total"] for row in rows), **{k.name: sum(r[k.name] for r in rows) for k in kinds}}
    chart = api.Chart("line", x="day", y=("total", *(k.name for k in kinds)))
    return api.Section(
        "volume-by-day",
        None,
        title,
        api.ReportResult(["day", *(k.name for k in kinds), "total"], rows, totals, labels, title, chart),
    )


@hookimpl
def cstool_reports():
    return [api.Report("monthly", label("Monthly report (all departments)", "月报（全部门）"), monthly_report)]
