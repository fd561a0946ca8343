"""The dashboard report: every kind's records by phase, and how many are resolved."""

from __future__ import annotations

from collections import Counter

from cstool import api
from cstool.api import hookimpl, label

PHASE_COLUMNS = ("open", "pending", "resolved", "closed")


def dashboard(request):
    rows = []
    for kind in request.kinds:
        phases = {s.name: s.phase for s in kind.statuses}
        counts: Counter = Counter()
        for (status,), count in request.tally(kind.name, ("status",)).items():  # counted where the records are
            counts[phases.get(status, "open")] += count
        received = sum(counts.values())
        done = counts["resolved"] + counts["closed"]
        rows.append(
            {
                "kind": kind.name,
                "title": kind.title(request.lang),
                "count": received,
                **{phase: counts[phase] for phase in PHASE_COLUMNS},
                "resolution_rate_pct": api.pct(done, received),
            }
        )
    totals = {"count": sum(r["count"] for r in rows), **{p: sum(r[p] for r in rows) for p in PHASE_COLUMNS}}
    labels = {
        "title": label("Kind", "类别"),
        "count": label("Records", "记录数"),
        "open": label("Open", "处理中"),
        "pending": label("Pending", "等待中"),
        "resolved": label("Resolved", "已解决"),
        "closed": label("Closed", "已关闭"),
        "resolution_rate_pct": label("Resolved %", "解决率 %"),
    }
    return api.ReportResult(
        ["title", "count", *PHASE_COLUMNS, "resolution_rate_pct"],
        rows,
        totals,
        labels,
        label("Dashboard", "工作总览"),
        api.Chart("stacked", x="title", y=tuple(PHASE_COLUMNS)),  # the backlog: what is in each phase
    )


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "dashboard",
            label("Dashboard: records by phase", "工作总览：各类记录的处理阶段"),
            dashboard,
            monthly=(None,),
        )
    ]
