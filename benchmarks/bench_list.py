"""`cstool list complaint --format json` on N records: target <= 2x (orjson load, then dumps)."""

from __future__ import annotations

import sys

import orjson

from _common import load_records, complaint_csv, imported_workspace, run, timed, verdict


def main(rows: int) -> bool:
    data_file = imported_workspace("list", *complaint_csv(rows))
    workspace = data_file.parent.parent

    def floor():
        orjson.dumps(load_records(data_file), option=orjson.OPT_INDENT_2)

    base = timed(floor)
    spent = timed(lambda: run("--workspace", str(workspace), "list", "complaint", "--format", "json"))
    return verdict(f"list {rows:,} complaints as JSON", spent, base, 2)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
