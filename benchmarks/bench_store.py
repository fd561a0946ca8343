"""Single-record and whole-store operations on N complaints: show, one update (target
<= 0.5 s median at 100,000), classify --all, and each complaint report (target <= 2x an
orjson load plus one pass)."""

from __future__ import annotations

import sys

from _common import complaint_csv, first_id, first_run, floor_process, imported_workspace, run, timed, verdict

REPORTS = (
    "complaints",
    "complaint-causes",
    "complaint-trend",
    "complaint-resolution",
    "complaint-tracking",
    "complaint-summary",
    "complaint-repeats",
    "dashboard",
)
CLOCK_REPORTS = ("complaint-tracking",)  # clocks are remembered between runs: time the first too


def main(rows: int) -> bool:
    folder = imported_workspace("store", *complaint_csv(rows))
    workspace, some_id = str(folder), first_id(folder)
    base = timed(floor_process("sum(1 for r in records if r['status'] == 'registered')", folder, "complaint"))
    results = [
        verdict(
            f"show one of {rows:,}",
            timed(lambda: run("--workspace", workspace, "show", some_id, "--format", "json")),
            base,
            2,
        )
    ]
    update = timed(
        lambda: run("--workspace", workspace, "update", some_id, "--set", "remedy=x", "--format", "json"), repeat=5
    )
    ok = update <= 0.5
    print(
        f"{'update one of ' + format(rows, ','):<40} {update:8.3f} s   target <= 0.5 s median{'':>22}{'ok' if ok else 'MISSED'}"
    )
    results.append(ok)
    results.append(
        verdict(
            f"classify --all, {rows:,}",
            timed(
                lambda: run("--workspace", workspace, "classify", "--all", "--kind", "complaint", "--format", "json"),
                repeat=2,
            ),
            base,
            2,
        )
    )
    for name in REPORTS:

        def report(name=name):
            return run("--workspace", workspace, "report", name, "--format", "json", "--now", "2026-11-01 10:00")

        results.append(verdict(f"report {name}, {rows:,}", timed(report, repeat=2), base, 2))
        if name in CLOCK_REPORTS:
            first_run(f"report {name}", folder, report, base)
    return all(results)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
