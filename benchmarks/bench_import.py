"""Import N complaint rows from CSV: target <= 3x (csv.DictReader, then orjson.dumps to a file)."""

from __future__ import annotations

import sys

from _common import WORK, complaint_csv, floor_process, fresh_workspace, run, timed, verdict

FLOOR = """
import csv
with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
with open(sys.argv[2], "wb") as out:
    out.write(orjson.dumps(rows))
"""


def main(rows: int) -> bool:
    source, map_path = complaint_csv(rows)
    floor = floor_process(FLOOR)
    base = timed(lambda: floor(source, WORK / "floor.json"))

    def once():
        workspace = fresh_workspace("import")
        run("--workspace", str(workspace), "import", "complaint", str(source), "--map", str(map_path), "--format", "json")

    # fresh_workspace costs one `cstool init`; subtract it so only the import is measured.
    init = timed(lambda: fresh_workspace("import"))
    spent = timed(once, repeat=3) - init
    return verdict(f"import {rows:,} complaint rows", spent, base, 3)


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
