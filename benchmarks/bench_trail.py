"""What sealing trails (the hash chain, cstool.core.trail) costs `import` and `record`:
target <= 10 % of each command.

Both commands are timed as a user runs them; then the sealing they did is timed on its
own, in one process, over the very records they stored (each record's chain from its
first event, as an import or a new record seals it). `audit verify`, which walks every
chain again, is timed too, against a plain orjson load of the same files (the floor).
"""

from __future__ import annotations

import sys
import time

from _common import (
    FLOOR_LOAD,
    complaint_csv,
    floor_process,
    fresh_workspace,
    imported_workspace,
    run,
    timed,
)

SEAL = (
    FLOOR_LOAD
    + """
import time
from cstool.core.trail import seal
for record in records:
    record.pop("trail", None)
start = time.perf_counter()
for record in records:
    seal(record)
print(time.perf_counter() - start)
"""
)


def sealing_seconds(workspace) -> float:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", SEAL, str(workspace), "complaint"], check=True, capture_output=True, text=True
    )
    return float(done.stdout.strip())


def main(rows: int) -> bool:
    source, map_path = complaint_csv(rows)
    init = timed(lambda: fresh_workspace("trail"))

    def imported():
        return imported_workspace("trail", source, map_path)

    spent = timed(imported, repeat=2) - init
    workspace = imported()
    sealing = sealing_seconds(workspace)
    share = sealing / spent
    print(f"{'import ' + format(rows, ',') + ' rows':<40} {spent:8.3f} s   sealing {sealing:8.3f} s   {share:6.1%}")

    one = fresh_workspace("trail-one")
    args = ("--workspace", str(one), "--no-input", "record", "complaint", "--set", "customer_name=张伟")
    args += ("--set", "channel=phone", "--set", "content=电水壶漏水", "--set", "contact_phone=13812341234")
    recorded = timed(lambda: run(*args), repeat=5)
    from cstool.core.trail import seal  # a new record's sealing, in this process: too quick to time once

    record = {"id": "CMP-20261201-0001", "kind": "complaint", "events": [{"at": "x", "by": "y", "type": "created"}]}
    start = time.perf_counter()
    for _ in range(10_000):
        seal(record)
    per_record = (time.perf_counter() - start) / 10_000
    print(
        f"{'record one complaint':<40} {recorded:8.3f} s   sealing {per_record:8.6f} s   {per_record / recorded:6.3%}"
    )

    floor = floor_process("", workspace, "complaint")
    base = timed(lambda: floor())
    verify = timed(lambda: run("--workspace", str(workspace), "audit", "verify", "complaint"), repeat=2)
    print(
        f"{'audit verify ' + format(rows, ',') + ' records':<40} {verify:8.3f} s   floor {base:8.3f} s   ratio {verify / base:5.2f}"
    )
    ok = share <= 0.10 and per_record / recorded <= 0.10
    print("  sealing within 10 % of import and record" if ok else "  MISSED: sealing costs more than 10 %")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000) else 1)
