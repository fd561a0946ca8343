"""Shared by the benchmark scripts: timing, a workspace, synthetic complaint rows."""

from __future__ import annotations

import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
# As a user runs it: bytecode cached (a development shell may forbid writing it).
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "CSTOOL_LOAD_ENTRYPOINTS": os.environ.get("CSTOOL_LOAD_ENTRYPOINTS", "1"),
    "CSTOOL_USER": "bench",
}
CSTOOL = [sys.executable, "-m", "cstool"]

TEXTS = [
    "电水壶用了三天就漏水，要求退换。",
    "订单承诺三天送达，已经过去十天还没收到货。",
    "I was charged twice for the same order and nobody answers my emails.",
    "The blender stopped working after one week, I want an exchange.",
    "客服电话里态度恶劣，直接挂断了我的电话。",
    "The parcel was marked delivered but never arrived.",
]
MAP_COLUMNS = {
    "ref": "external_id",
    "received": "created_at",
    "name": "customer_name",
    "phone": "contact_phone",
    "how": "channel",
    "text": "content",
}
MAP = "[columns]\n" + "".join(f'{column} = "{key}"\n' for column, key in MAP_COLUMNS.items())


FLOOR_LOAD = """
import gc, sys
from pathlib import Path
import orjson
gc.disable()
data, kind = Path(sys.argv[1]) / "data", sys.argv[2]
single = data / f"{kind}.json"
paths = [single] if single.exists() else sorted((data / kind).glob("*.json"))
records = [record for path in paths for record in orjson.loads(path.read_bytes())[kind].values()]
"""


def floor_process(then: str, *workspace_and_kind) -> Callable[..., None]:
    """A floor measured as cstool is: a process of its own (so both pay for starting Python)
    running ``then``. Given a workspace and a kind, ``then`` runs after a plain orjson load of
    the kind's files (one, or one per month), the collector paused as cstool pauses it; else
    the returned function takes the process's arguments."""
    code = (FLOOR_LOAD if workspace_and_kind else "import sys, orjson\n") + then

    def floor(*args) -> None:
        subprocess.run(
            [sys.executable, "-c", code, *map(str, workspace_and_kind or args)],
            check=True,
            capture_output=True,
            env=ENV,
        )

    return floor


def first_id(workspace: Path, kind: str = "complaint") -> str:
    done = subprocess.run(
        [sys.executable, "-c", FLOOR_LOAD + "print(records[0]['id'])", str(workspace), kind],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def timed(fn, repeat: int = 3) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs after one warm-up, in seconds."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([*CSTOOL, *args], capture_output=True, env=env or ENV)
    if check and done.returncode != 0:
        raise SystemExit(f"cstool {' '.join(args)} failed: {done.stderr.decode()}")
    return done


def fresh_workspace(name: str) -> Path:
    path = WORK / name
    if path.exists():
        shutil.rmtree(path)
    WORK.mkdir(exist_ok=True)
    run("init", str(path))
    return path


def write_csv_once(path: Path, header: list[str], rows) -> Path:
    """Write a generated CSV the first time only; later runs reuse it."""
    if not path.exists():
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return path


def imported_workspace(name: str, source: Path, map_path: Path, kind: str = "complaint") -> Path:
    """A fresh workspace holding ``source`` imported as ``kind``."""
    workspace = fresh_workspace(name)
    run("--workspace", str(workspace), "import", kind, str(source), "--map", str(map_path))
    return workspace


def complaint_csv(rows: int) -> tuple[Path, Path]:
    """A CSV of ``rows`` complaints and its map file (made once, reused)."""
    WORK.mkdir(exist_ok=True)
    map_path = WORK / "complaints-map.toml"
    map_path.write_text(MAP, encoding="utf-8")
    rng = random.Random(rows)
    generated = (
        [
            f"B{i}",
            f"2026-{1 + i % 10:02d}-{1 + i % 28:02d} {9 + i % 8:02d}:{i % 60:02d}",
            f"客户{i}",
            f"138{rng.randint(10000000, 99999999)}",
            rng.choice(["phone", "web", "email"]),
            rng.choice(TEXTS),
        ]
        for i in range(rows)
    )
    header = ["ref", "received", "name", "phone", "how", "text"]
    return write_csv_once(WORK / f"complaints-{rows}.csv", header, generated), map_path


def verdict(name: str, seconds: float, floor: float, target: float) -> bool:
    ratio = seconds / floor
    ok = ratio <= target
    print(
        f"{name:<40} {seconds:8.3f} s   floor {floor:8.3f} s   ratio {ratio:5.2f}   target <= {target:g}   {'ok' if ok else 'MISSED'}"
    )
    return ok


def first_run(name: str, workspace: Path, fn, floor: float) -> None:
    """Print (no target) ``fn``'s time with no remembered clocks, as after a policy edit or on
    a new machine: ``timed`` medians runs after a warm-up, which finds them remembered."""
    times = []
    for _ in range(2):
        shutil.rmtree(workspace / ".cache", ignore_errors=True)
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    seconds = min(times)
    print(
        f"{'  first run: ' + name:<40} {seconds:8.3f} s   floor {floor:8.3f} s   ratio {seconds / floor:5.2f}   (no target: clocks computed and kept)"
    )


def measured(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one process, its own peak (wait4), not its siblings'."""
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed: {process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024
