"""`cstool record call --no-input` with 100,000 calls from earlier months: target <= 2x the
same command on an empty workspace. Calls are stored one file per month, so logging a call
rewrites this month's file only."""

from __future__ import annotations

import sys

from _common import WORK, fresh_workspace, imported_workspace, run, timed, verdict, write_csv_once

MAP = """
[columns]
ref = "external_id"
at = "created_at"
outcome = "outcome"
direction = "direction"
wait = "queue_seconds"
talk = "talk_seconds"
"""
LOG = (
    "record",
    "call",
    "--no-input",
    "--set",
    "direction=inbound",
    "--set",
    "outcome=answered",
    "--set",
    "topic=benchmark",
    "--format",
    "json",
)


def main(rows: int) -> bool:
    WORK.mkdir(exist_ok=True)
    map_path = WORK / "calls-map.toml"
    map_path.write_text(MAP, encoding="utf-8")
    generated = (
        [
            f"C{i}",
            f"2026-{1 + i % 10:02d}-{1 + i % 28:02d} {8 + i % 10:02d}:{i % 60:02d}:00",
            "answered" if i % 7 else "abandoned",
            "inbound",
            i % 90,
            60 + i % 400,
        ]
        for i in range(rows)
    )
    source = write_csv_once(
        WORK / f"calls-{rows}.csv", ["ref", "at", "outcome", "direction", "wait", "talk"], generated
    )
    busy = imported_workspace("calls", source, map_path, kind="call")
    empty = fresh_workspace("calls-empty")
    base = timed(lambda: run("--workspace", str(empty), *LOG), repeat=7)
    spent = timed(lambda: run("--workspace", str(busy), *LOG), repeat=7)
    return verdict(f"record call, {rows:,} earlier calls", spent, base, 2)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
