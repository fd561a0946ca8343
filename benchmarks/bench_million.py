"""The 1,000,000-record size, within a few minutes: each operation timed once after one
warm-up (the import once, from a fresh workspace), against the same floors as the other
scripts. Not part of `benchmarks/run` (it needs ~8 GB of memory and ~5 minutes):

    .venv/bin/python benchmarks/bench_million.py [ROWS]
"""

from __future__ import annotations

import sys
import time

from _common import WORK, complaint_csv, first_id, floor_process, fresh_workspace, run, timed, verdict
from bench_import import FLOOR as IMPORT_FLOOR


def main(rows: int) -> bool:
    source, map_path = complaint_csv(rows)
    base_import = timed(lambda: floor_process(IMPORT_FLOOR)(source, WORK / "floor.json"), repeat=1)
    folder = fresh_workspace("million")
    start = time.perf_counter()
    run("--workspace", str(folder), "import", "complaint", str(source), "--map", str(map_path), "--format", "json")
    results = [verdict(f"import {rows:,} complaint rows", time.perf_counter() - start, base_import, 3)]
    workspace, some_id = str(folder), first_id(folder)
    load_pass = timed(
        floor_process("sum(1 for r in records if r['status'] == 'registered')", folder, "complaint"), repeat=1
    )
    dump = timed(
        floor_process(
            "sys.stdout.buffer.write(orjson.dumps(records, option=orjson.OPT_INDENT_2))", folder, "complaint"
        ),
        repeat=1,
    )
    results.append(
        verdict(
            f"show one of {rows:,}",
            timed(lambda: run("--workspace", workspace, "show", some_id, "--format", "json"), repeat=1),
            load_pass,
            2,
        )
    )
    update = timed(
        lambda: run("--workspace", workspace, "update", some_id, "--set", "remedy=x", "--format", "json"), repeat=3
    )
    print(
        f"{'update one of ' + format(rows, ','):<40} {update:8.3f} s   target <= 0.5 s median{'':>22}{'ok' if update <= 0.5 else 'MISSED'}"
    )
    results.append(update <= 0.5)
    results.append(
        verdict(
            f"list {rows:,} complaints as JSON",
            timed(lambda: run("--workspace", workspace, "list", "complaint", "--format", "json"), repeat=1),
            dump,
            2,
        )
    )
    for name in ("complaints", "dashboard", "complaint-tracking"):
        spent = timed(
            lambda name=name: run(
                "--workspace", workspace, "report", name, "--format", "json", "--now", "2026-11-01 10:00"
            ),
            repeat=1,
        )
        results.append(verdict(f"report {name}, {rows:,}", spent, load_pass, 2))
    return all(results)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000) else 1)
