"""Rendering records and figures as table, JSON, CSV or Markdown (spec section 5).

JSON is one UTF-8 document on stdout with keys as stored. CSV cells that a spreadsheet
would run as formulas are neutralised. Personal fields are masked unless revealed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from cstool.core.i18n import _
from cstool.core.text import printable

FORMATS = ("table", "json", "csv")
REPORT_FORMATS = ("table", "json", "csv", "md")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CELL_WIDTH = 40
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


class FormatChoice(click.Choice):
    """``--format``: the command's own formats, or a format a plugin registered
    (``cstool_output_formats``), written to stdout as its file would be."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value not in self.choices and value in plugin_formats():
            return value
        return super().convert(value, param, ctx)


FILE_SUFFIXES = ("csv", "xlsx", "html", "md", "json")  # the core's file formats (cli/output_files.py)


def plugin_formats(taken: set[str] | None = None) -> dict[str, Any]:
    """The formats the command's plugins add (``cstool_output_formats``), by suffix; one whose
    suffix is ``taken`` (by the core, or an earlier plugin) is refused with a warning."""
    context = click.get_current_context(silent=True)
    app = context.find_root().obj if context is not None else None
    if app is None:
        return {}
    taken = set(FILE_SUFFIXES if taken is None else taken)
    found: dict[str, Any] = {}
    for declared in app.hook.cstool_output_formats():
        for added in declared or []:
            if added.suffix in taken or added.suffix in found:
                said = _("output format .{suffix} is declared twice; the first is kept").format(suffix=added.suffix)
                if said not in app.warnings:  # asked for more than once a command
                    app.warn(said)
            else:
                found[added.suffix] = added
    return found


def format_option(choices: Sequence[str] = FORMATS) -> Callable:
    return click.option(
        "--format", "fmt", type=FormatChoice(list(choices)), default="table", show_default=True, help="Output format."
    )


def reveal_option() -> Callable:
    return click.option("--reveal", is_flag=True, help="Show personal data unmasked (recorded in each record's trail).")


def emit_json(value: Any) -> None:
    import orjson

    # Bytes go to the binary stream as they are: decoding 100 MB to text for the text
    # stream to encode it again cost more than building it (1.2 s of a 100,000-record list).
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))


def json_item(value: Any) -> bytes:
    """One item of a list ``emit_json_with_items`` writes, as ``emit_json`` would indent it."""
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).replace(b"\n", b"\n    ")


def emit_json_with_items(head: dict, key: str, items: list[bytes]) -> None:
    """``emit_json({**head, key: [...]})`` byte for byte (``head`` not empty), from items
    made by ``json_item``: a long list is held as its output, not as the objects it came from."""
    import sys

    import orjson

    sys.stdout.flush()
    out = sys.stdout.buffer
    out.write(orjson.dumps(head, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)[:-2])  # without its "\n}"
    out.write(b",\n  " + orjson.dumps(key) + b": ")
    if not items:
        out.write(b"[]\n}\n")
        out.flush()
        return
    out.write(b"[\n    ")
    for index, item in enumerate(items):  # written piece by piece: never a second copy of them all
        out.write(item if index == 0 else b",\n    " + item)
    out.write(b"\n  ]\n}\n")
    out.flush()


def cell(value: Any, width: int | None = CELL_WIDTH) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # for people, in their language (CSV keeps yes and no)
        return _("yes") if value else _("no")
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:g}" if abs(value) >= 1e15 else f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
        if _INSTANT.match(text):  # for people: 2026-11-24 10:00, not 2026-11-24T10:00:00+08:00
            text = text[:16].replace("T", " ")
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
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = cell(value, width=None)
    # A spreadsheet skips leading blanks and line breaks before it looks for a formula.
    if text and text.lstrip(" \t\r\n").startswith(FORMULA_STARTS) and not _is_number(text):
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


def rows_as_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_csv_cell(v) for v in row])
    return buffer.getvalue()


def rows_as_markdown(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def escape(value: Any) -> str:
        return cell(value, width=None).replace("|", "\\|")

    lines = ["| " + " | ".join(escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def emit_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    click.echo(rows_as_csv(headers, rows), nl=False)


def emit_markdown(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    click.echo(rows_as_markdown(headers, rows))


def emit_rows(
    fmt: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, width: int | None = CELL_WIDTH
) -> None:
    if fmt not in ("table", "csv", "md", "json"):  # a plugin's format (FormatChoice let it through)
        from cstool.cli.blocks import Block

        rendered = plugin_formats()[fmt].render("", [Block("", headers, rows)], None)
        click.echo(rendered.decode("utf-8"), nl=False)
        return
    if fmt == "csv":
        emit_csv(headers, rows)
    elif fmt == "md":
        emit_markdown(headers, rows)
    else:
        emit_table(headers, rows, width=width)
