"""`cstool report monthly` for a department of N complaints (default 100,000, over ten
months: about 10,000 in the month reported), as a page, a workbook and JSON: the time, the
peak memory of the process and the size of each file, beside the floor (a plain orjson
load of the records and one pass over them) in the same run.

    .venv/bin/python benchmarks/bench_monthly.py [ROWS]

Aim (issue 22): the page <= 1.5 MB for a month of a 100,000-record department.
"""

from __future__ import annotations

import sys

from _common import CSTOOL, WORK, floor_process, imported_workspace, measured, timed
from bench_sla import NOW, dataset

MONTH = "2026-10"
PAGE_AIM_BYTES = 1_500_000


def main(rows: int) -> bool:
    workspace = imported_workspace("monthly", *dataset(rows))
    floor = timed(floor_process("sum(1 for r in records if r['created_at'][:7] == '2026-10')", workspace, "complaint"))
    common = ["--workspace", str(workspace), "report", "monthly", "--month", MONTH, "--now", NOW]
    measured([*CSTOOL, *common, "--format", "json"])  # the clocks remembered, as after any earlier command
    print(f"\nreport monthly --month {MONTH}, {rows:,} complaints (floor: load and one pass {floor:.3f} s)")
    ok = True
    for fmt in ("json", "html", "xlsx"):
        target = WORK / f"monthly.{fmt}"
        target.unlink(missing_ok=True)
        seconds, rss = measured([*CSTOOL, *common, "--format", fmt, "--output", str(target), "--force"])
        size = target.stat().st_size
        aim = ""
        if fmt == "html":
            ok = size <= PAGE_AIM_BYTES
            aim = f"  aim <= {PAGE_AIM_BYTES / 1e6:.1f} MB {'met' if ok else 'MISSED'}"
        print(
            f"  --format {fmt:5s} {seconds:6.2f} s  {rss:6.0f} MB peak  {size / 1e6:6.2f} MB  {seconds / floor:5.1f}x{aim}"
        )
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
