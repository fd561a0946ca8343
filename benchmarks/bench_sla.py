"""`cstool escalate` and `cstool report sla` over N records: target <= 2x (orjson load, one pass).

The records are complaints created over ten months, nine in ten of them closed, the
rest still open (running clocks); `escalate --dry-run` is timed so every run does the
same work (a real run writes events the first time only). Clocks are remembered between
commands (core/clockcache.py): the timed runs follow a warm-up, and a "first run" line
shows each with nothing remembered.
"""

from __future__ import annotations

import random
import sys

from _common import WORK, first_run, floor_process, imported_workspace, run, timed, verdict, write_csv_once

MAP = """
[columns]
ref = "external_id"
received = "created_at"
closed = "closed_at"
name = "customer_name"
how = "channel"
text = "content"
"""
NOW = "2026-11-01 10:00"


def dataset(rows: int):
    WORK.mkdir(exist_ok=True)
    map_path = WORK / "sla-map.toml"
    map_path.write_text(MAP, encoding="utf-8")
    rng = random.Random(rows)

    def generated():
        for i in range(rows):
            month, day, hour = 1 + i % 10, 1 + i % 28, 8 + i % 11
            created = f"2026-{month:02d}-{day:02d} {hour:02d}:{i % 60:02d}"
            closed = (
                ""
                if rng.random() < 0.1
                else (
                    f"2026-{month:02d}-{min(28, day + rng.randint(0, 6)):02d} {min(23, hour + rng.randint(1, 4)):02d}:{i % 60:02d}"
                )
            )
            yield [f"S{i}", created, closed, f"客户{i}", "phone", "订单问题"]

    header = ["ref", "received", "closed", "name", "how", "text"]
    return write_csv_once(WORK / f"sla-{rows}.csv", header, generated()), map_path


def main(rows: int) -> bool:
    workspace = imported_workspace("sla", *dataset(rows))
    base = timed(floor_process("sum(1 for r in records if r['status'] == 'closed')", workspace, "complaint"))
    escalate = timed(
        lambda: run("--workspace", str(workspace), "escalate", "--dry-run", "--now", NOW, "--format", "json")
    )
    report = timed(lambda: run("--workspace", str(workspace), "report", "sla", "--now", NOW, "--format", "json"))
    ok = verdict(f"escalate --dry-run, {rows:,} records", escalate, base, 2)
    first_run(
        "escalate --dry-run",
        workspace,
        lambda: run("--workspace", str(workspace), "escalate", "--dry-run", "--now", NOW, "--format", "json"),
        base,
    )
    ok = verdict(f"report sla, {rows:,} records", report, base, 2) and ok
    first_run(
        "report sla",
        workspace,
        lambda: run("--workspace", str(workspace), "report", "sla", "--now", NOW, "--format", "json"),
        base,
    )
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
