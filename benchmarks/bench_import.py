"""Import N complaint rows from CSV: target <= 3x (csv.DictReader, then orjson.dumps to a file).

Also printed, with no target: the least Python that writes the same records (every key of
a record cstool stored, ids per day, a file per month, written atomically) and checks,
parses and classifies nothing. It shows how much of the ratio any CPython import pays
for the record's shape alone."""

from __future__ import annotations

import sys

import orjson
from _common import MAP_COLUMNS, WORK, complaint_csv, floor_process, fresh_workspace, run, timed, verdict

FLOOR = """
import csv
with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
with open(sys.argv[2], "wb") as out:
    out.write(orjson.dumps(rows))
"""

SHAPE = """
import csv, gc, os
from datetime import datetime, timedelta, timezone
gc.disable()
template, columns, folder = orjson.loads(sys.argv[3]), orjson.loads(sys.argv[4]), sys.argv[2]
zone, user, parse = timezone(timedelta(hours=8)), "bench", datetime.fromisoformat
with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
months, per_day = {}, {}
for row in rows:
    record = dict(template)
    for column, key in columns.items():
        record[key] = row[column]
    stamp = parse(row["received"]).replace(tzinfo=zone).isoformat()
    day = stamp[:10]
    count = per_day[day] = per_day.get(day, 0) + 1
    month = months.setdefault(day[:7], {})
    record.update({"id": f"CMP-{day.replace('-', '')}-{count:04d}", "kind": "complaint", "status": "registered",
                   "created_at": stamp, "updated_at": stamp, "owner": user, "tags": [],
                   "events": [{"at": stamp, "by": user, "type": "created"}]})
    month[str(len(month) + 1)] = record
os.makedirs(folder, exist_ok=True)
for name, records in months.items():
    path = os.path.join(folder, name + ".json")
    with open(path + ".tmp", "wb") as out:
        out.write(orjson.dumps({"complaint": records}))
        out.flush()
        os.fsync(out.fileno())
    os.replace(path + ".tmp", path)
"""


def stored_keys(workspace) -> dict:
    """Every key of a record cstool stored, valued None: the shape the SHAPE script writes."""
    first = min((workspace / "data" / "complaint").glob("*.json"))
    record = next(iter(orjson.loads(first.read_bytes())["complaint"].values()))
    return dict.fromkeys(record)


def main(rows: int) -> bool:
    source, map_path = complaint_csv(rows)
    floor = floor_process(FLOOR)
    base = timed(lambda: floor(source, WORK / "floor.json"))

    def once():
        workspace = fresh_workspace("import")
        run(
            "--workspace",
            str(workspace),
            "import",
            "complaint",
            str(source),
            "--map",
            str(map_path),
            "--format",
            "json",
        )
        return workspace

    # fresh_workspace costs one `cstool init`; subtract it so only the import is measured.
    init = timed(lambda: fresh_workspace("import"))
    spent = timed(once, repeat=3) - init
    ok = verdict(f"import {rows:,} complaint rows", spent, base, 3)
    template = orjson.dumps(stored_keys(once())).decode()
    columns = orjson.dumps({column: key for column, key in MAP_COLUMNS.items() if key != "created_at"}).decode()
    least = floor_process(SHAPE)
    shape = timed(lambda: least(source, WORK / "shape", template, columns))
    print(
        f"{'  the same records, nothing checked':<40} {shape:8.3f} s   floor {base:8.3f} s   ratio {shape / base:5.2f}"
        "   (no target: what the record's shape alone costs)"
    )
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
