"""`cstool list complaint --format json` on N records: target <= 2x (orjson load, then dumps)."""

from __future__ import annotations

import sys

from _common import complaint_csv, floor_process, imported_workspace, run, timed, verdict


def main(rows: int) -> bool:
    workspace = imported_workspace("list", *complaint_csv(rows))
    base = timed(
        floor_process(
            "sys.stdout.buffer.write(orjson.dumps(records, option=orjson.OPT_INDENT_2))", workspace, "complaint"
        )
    )
    spent = timed(lambda: run("--workspace", str(workspace), "list", "complaint", "--format", "json"))
    return verdict(f"list {rows:,} complaints as JSON", spent, base, 2)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
