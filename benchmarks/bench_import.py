"""Import N complaint rows from CSV: target <= 3x (csv.DictReader, then orjson.dumps to a file)."""

from __future__ import annotations

import csv
import sys

import orjson

from _common import WORK, complaint_csv, fresh_workspace, run, timed, verdict


def floor(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    (WORK / "floor.json").write_bytes(orjson.dumps(rows))


def main(rows: int) -> bool:
    source, map_path = complaint_csv(rows)
    base = timed(lambda: floor(source))

    def once():
        workspace = fresh_workspace("import")
        run("--workspace", str(workspace), "import", "complaint", str(source), "--map", str(map_path), "--format", "json")

    # fresh_workspace costs one `cstool init`; subtract it so only the import is measured.
    init = timed(lambda: fresh_workspace("import"))
    spent = timed(once, repeat=3) - init
    return verdict(f"import {rows:,} complaint rows", spent, base, 3)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
