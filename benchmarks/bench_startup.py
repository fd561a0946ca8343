"""What the start-up tricks still save, each beside the library's own way, in fresh processes.

Every command pays for them before it does any work, so they are measured as a user meets
them: a new Python process, the median of many runs.

    .venv/bin/python benchmarks/bench_startup.py

- installed entry points: cstool's reader of ``*.dist-info/entry_points.txt``
  (core/host.py ``installed_entry_points``) against ``importlib.metadata.entry_points``;
- the plugin API: ``import cstool.api`` with its lazy names against importing every module
  those names come from;
- the floor: an empty Python process.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 21
CASES = {
    "python, nothing imported (floor)": "pass",
    # both beside the plugin host, which every command imports anyway
    "entry points: importlib.metadata": "import cstool.core.host, importlib.metadata as m; m.entry_points(group='cstool')",
    "entry points: cstool's reader": "import cstool.core.host as h; h.installed_entry_points('cstool')",
    "plugin API: lazy names (cstool.api)": "import cstool.api",
    "plugin API: every module imported": "import cstool.api; [getattr(cstool.api, n) for n in cstool.api._LAZY]",
}


def median_ms(code: str) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    results = {name: median_ms(code) for name, code in CASES.items()}
    floor = results["python, nothing imported (floor)"]
    print(f"{'case':45} {'ms':>7} {'over floor':>11}")
    for name, ms in results.items():
        print(f"{name:45} {ms:7.1f} {ms - floor:+10.1f}")
    saved = results["entry points: importlib.metadata"] - results["entry points: cstool's reader"]
    lazy = results["plugin API: every module imported"] - results["plugin API: lazy names (cstool.api)"]
    print(f"\nthe entry-point reader saves {saved:.1f} ms a command; the lazy API names save {lazy:.1f} ms")


if __name__ == "__main__":
    main()
