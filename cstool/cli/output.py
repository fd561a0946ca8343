"""Rendering records and figures as table, JSON, CSV or Markdown (spec section 5).

JSON is one UTF-8 document on stdout with keys as stored. CSV cells that a spreadsheet
would run as formulas are neutralised. Personal fields are masked unless revealed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from cstool.core.text import printable

FORMATS = ("table", "json", "csv")
REPORT_FORMATS = ("table", "json", "csv", "md")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CELL_WIDTH = 40


def format_option(choices: Sequence[str] = FORMATS) -> Callable:
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default="table", show_default=True, help="Output format."
    )


def reveal_option() -> Callable:
    return click.option("--reveal", is_flag=True, help="Show personal data unmasked (recorded in each record's trail).")


def emit_json(value: Any) -> None:
    import orjson

    # Bytes go to the binary stream as they are: decoding 100 MB to text for the text
    # stream to encode it again cost more than building it (1.2 s of a 100,000-record list).
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))


def cell(value: Any, width: int | None = CELL_WIDTH) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:g}" if abs(value) >= 1e15 else f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    text = printable(text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def safe_csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will show as text, never run as a formula (OWASP), and
    that no reader splits into rows: a line break inside is kept as a newline, which the
    writer quotes (a lone carriage return it would not)."""
    if isinstance(value, str):
        text = printable(value.replace("\r\n", "\n").replace("\r", "\n"))
    else:
        text = cell(value, width=None)
    if text and text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def emit_table(
    headers: Sequence[str] | None, rows: Iterable[Sequence[Any]], *, width: int | None = CELL_WIDTH, err: bool = False
) -> None:
    """A table aligned for CJK text (tabulate measures width with wcwidth); no headers: label/value pairs."""
    from tabulate import tabulate  # heavy: only commands that print tables pay for it

    body = [[cell(v, width) for v in row] for row in rows]
    if headers is None:
        click.echo(tabulate(body, tablefmt="plain", disable_numparse=True), err=err)
    else:
        click.echo(tabulate(body, headers=list(headers), tablefmt="simple", disable_numparse=True), err=err)


def emit_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_csv_cell(v) for v in row])
    click.echo(buffer.getvalue(), nl=False)


def emit_markdown(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    def escape(value: Any) -> str:
        return cell(value, width=None).replace("|", "\\|")

    lines = ["| " + " | ".join(escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(v) for v in row) + " |" for row in rows]
    click.echo("\n".join(lines))


def emit_rows(fmt: str, headers: Sequence[str], rows: list[Sequence[Any]], *, width: int | None = CELL_WIDTH) -> None:
    if fmt == "csv":
        emit_csv(headers, rows)
    elif fmt == "md":
        emit_markdown(headers, rows)
    else:
        emit_table(headers, rows, width=width)
