"""One table of output as every format receives it (the terminal's, a file's, a plugin's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cstool.cli.charts import Plot


@dataclass(frozen=True)
class Block:
    """One table of a page or workbook: its title, headings and rows (the last ``totals``
    of them a totals row), figures of the whole that are no column (``notes``), and the
    chart of its rows, if any."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    totals: int = 0
    notes: Sequence[str] = ()
    plot: Plot | None = None
