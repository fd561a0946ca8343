"""Issue 34's measures, side by side in one run, at one or several sizes (how each cost grows):
importing a CSV of complaints with ~1,500-character narratives into PostgreSQL and into the
folder, beside `psql \\copy` of the same file into a plain table (the floor) and sqlite-utils
(what a user might pick instead, when installed); the monthly report of one month and the
first `report sla` after every remembered clock was forgotten (as after a policy change),
beside the same counts in SQL. Each row: time, peak memory (RSS) of the process.

    .venv/bin/python benchmarks/bench_scale.py [ROWS ...]      # default: 10000 100000

Needs a PostgreSQL server (CSTOOL_BENCH_PG, default postgresql://postgres@127.0.0.1/test);
each size gets a schema of its own (cstool_scale_ROWS), made afresh by the import.
Goals (issue 34): peak memory of an import <= 300 MB whatever its size; the monthly page
<= 5 s and <= 300 MB; `report sla` never slower than 2x its remembered time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from _common import CSTOOL, ENV, WORK, first_id, fresh_workspace, measured
from bench_postgresql import narratives_csv

SERVER = os.environ.get("CSTOOL_BENCH_PG", "postgresql://postgres@127.0.0.1/test")
NOW = "2026-11-01 10:00"
MONTH = "2026-05"


def line(name: str, seconds: float, rss: float | None, beside: str = "", verdict: bool | None = None) -> None:
    memory = f"{rss:6.0f} MB" if rss is not None else "         "
    mark = "" if verdict is None else ("ok" if verdict else "MISSED")
    print(f"{name:<46} {seconds:8.2f} s {memory}   {beside:<40} {mark}")


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, capture_output=True)


def median_run(args: list[str], env: dict) -> tuple[float, float]:
    runs = sorted(measured(args, env) for _ in range(3))
    return runs[1][0], max(rss for _seconds, rss in runs)


def one_record_commands(folder, env: dict) -> bool:
    """`show` and `update` of a record of the busiest day against `record` (the floor a
    one-record command has): the folder reads one part of at most a thousand records."""
    some = first_id(folder)
    ws = [*CSTOOL, "--workspace", str(folder)]
    made = [*ws, "record", "complaint", "--set", "customer_name=张三", "--set", "content=测试"]
    floor = median_run([*made, "--set", "channel=letter", "--at", "2026-01-01 10:00"], env)
    line("  floor: record one complaint (folder)", *floor)
    ok = True
    for name, args in (("show", ["show", some]), ("update", ["update", some, "--set", "remedy=换货"])):
        seconds, rss = median_run([*ws, *args, "--format", "json"], env)
        ratio = seconds / floor[0]
        line(f"  {name} {some} (folder)", seconds, rss, f"{ratio:.1f}x record; <= 2x", ratio <= 2)
        ok = ok and ratio <= 2
    return ok


# The desk's lookup of a caller by a phone's last four digits, as `cstool desk` runs it.
TAIL_LOOKUP = """
import sys
from pathlib import Path
from cstool.core.context import Context
from cstool.core.host import build_host
from cstool.core.work import find_by_phone_tail
workspace = Path(sys.argv[1])
app = Context(build_host(workspace, entry_points=False), workspace)
print(len(find_by_phone_tail(app, sys.argv[2], list(app.kinds))))
app.finish()
"""


def tail_lookup(workspace, url: str, env: dict) -> None:
    """A caller found by the last four digits of a phone (the search index's tail tokens on
    PostgreSQL; `cstool store index` first), beside the same match in SQL over the facets."""
    subprocess.run([*CSTOOL, "--workspace", str(workspace), "store", "index"], env=env, check=True, capture_output=True)
    seconds, rss = measured([sys.executable, "-c", TAIL_LOOKUP, str(workspace), "5867"], env)
    floor = measured(
        ["psql", "-q", url, "-c", "SELECT id FROM cstool_records WHERE facets->>'contact_phone' LIKE '%5867'"]
    )[0]
    line("desk: a caller by a phone's last 4 digits", seconds, rss, f"SQL LIKE over the facets {floor:.2f} s")


def main(sizes: list[int]) -> bool:
    try:
        import psycopg

        psycopg.connect(SERVER, connect_timeout=3).close()
    except Exception as exc:  # no driver or no server: nothing to measure here
        print(f"scale benchmark skipped: {' '.join(str(exc).split())[:120]}")
        return True
    results = []
    for rows in sizes:
        source, map_path = narratives_csv(rows)
        schema = f"cstool_scale_{rows}"
        url = f"{SERVER}?options=-csearch_path%3D{schema}"
        psql(SERVER, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        print(f"\n{rows:,} complaints, {source.stat().st_size / 1e6:.0f} MB of CSV")

        psql(url, "CREATE TABLE plain (ref text, received text, name text, phone text, how text, text text)")
        copy = measured(["psql", "-q", url, "-c", f"\\copy plain FROM '{source}' WITH (FORMAT csv, HEADER true)"])
        line("floor: psql \\copy into a plain table", copy[0], None)
        sqlite_utils = shutil.which("sqlite-utils") or shutil.which(
            "sqlite-utils", path=os.path.dirname(sys.executable)
        )
        if sqlite_utils:
            database = WORK / f"scale-{rows}.db"
            database.unlink(missing_ok=True)
            peer = measured([sqlite_utils, "insert", str(database), "complaints", str(source), "--csv"])
            line("peer: sqlite-utils insert --csv", *peer)

        workspace = fresh_workspace(f"scale-{rows}")
        imported = [*CSTOOL, "--workspace", str(workspace), "import", "complaint", str(source), "--map", str(map_path)]
        seconds, rss = measured(imported, {**ENV, "CSTOOL_STORE_URL": url})
        line("cstool import into PostgreSQL", seconds, rss, f"{seconds / copy[0]:.1f}x \\copy; <= 300 MB", rss <= 300)
        results.append(rss <= 300)
        folder = fresh_workspace(f"scale-folder-{rows}")
        folder_env = {**ENV, "CSTOOL_STORE_URL": ""}
        seconds, rss = measured([*imported[:4], str(folder), *imported[5:]], folder_env)
        line("cstool import into the folder", seconds, rss, "<= 300 MB", rss <= 300)
        results.append(rss <= 300)
        results.append(one_record_commands(folder, folder_env))

        pg_env = {**ENV, "CSTOOL_STORE_URL": url}
        monthly = [*CSTOOL, "--workspace", str(workspace), "report", "monthly", "--month", MONTH, "--now", NOW]
        monthly += ["--format", "json"]
        measured(monthly, pg_env)  # the first run remembers the clocks it judges
        seconds, rss = measured(monthly, pg_env)
        floor = measured(
            [
                "psql", "-q", url, "-c",
                "SELECT facets->>'channel', facets->>'category', status, count(*) FROM cstool_records "
                f"WHERE kind = 'complaint' AND to_char(created_at, 'YYYY-MM') = '{MONTH}' GROUP BY 1, 2, 3",
            ]
        )[0]  # fmt: skip
        ok = seconds <= 5 and rss <= 300
        line(f"report monthly --month {MONTH} (PostgreSQL)", seconds, rss, f"month's GROUP BY {floor:.2f} s", ok)
        results.append(ok)

        tail_lookup(workspace, url, pg_env)

        sla = [*CSTOOL, "--workspace", str(workspace), "report", "sla", "--format", "json", "--now", NOW]
        measured(sla, pg_env)  # remembers every clock
        remembered = measured(sla, pg_env)
        psql(url, "UPDATE cstool_records SET clocks = NULL, clock_key = NULL")
        psql(url, "VACUUM cstool_records")
        first = measured(sla, pg_env)
        line("report sla, clocks remembered", *remembered)
        line("report sla, nothing remembered", *first, f"{first[0] / remembered[0]:.1f}x remembered")
    return all(results)


if __name__ == "__main__":
    WORK.mkdir(exist_ok=True)
    chosen = [int(arg) for arg in sys.argv[1:]] or [10_000, 100_000]
    sys.exit(0 if main(chosen) else 1)
