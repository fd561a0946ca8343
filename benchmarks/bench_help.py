"""`cstool --help`: target <= 3x `python -c "import click"` (both whole processes)."""

from __future__ import annotations

import subprocess
import sys

from _common import CSTOOL, ENV, timed, verdict


def main() -> bool:
    base = timed(lambda: subprocess.run([sys.executable, "-c", "import click"], check=True, env=ENV), repeat=15)
    spent = timed(lambda: subprocess.run([*CSTOOL, "--help"], check=True, capture_output=True, env=ENV), repeat=15)
    return verdict("cstool --help", spent, base, 3)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
