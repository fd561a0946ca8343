"""Rows written to a file a person opens (``--output FILE``): the suffix picks the format.

``.csv`` is UTF-8 with a byte-order mark, which Excel on Chinese Windows needs to read it
as UTF-8 (without one it reads GBK: mojibake); stdout stays BOM-less for pipelines.
``.xlsx`` has a frozen, filterable header row; ``.html`` is one self-contained page;
``.md`` and ``.json`` are what ``--format md|json`` print. Files are 0600, never written
through a symbolic link nor over an existing file without ``--force``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cstool.cli.blocks import Block
from cstool.core.i18n import _


def output_option(command: Callable) -> Callable:
    """``--output FILE`` and ``--force`` (to replace an existing FILE)."""
    command = click.option("--force", is_flag=True, help="Replace FILE of --output when it exists.")(command)
    return click.option(
        "--output",
        "output",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to FILE instead, by its suffix: .csv (UTF-8 with BOM, for Excel), .xlsx, .html, .md, .json.",
    )(command)


def check_suffix(path: Path) -> None:
    suffixes = [f".{suffix}" for suffix in registered_formats()]
    if path.suffix.lower() not in suffixes:
        raise click.BadParameter(
            _("{path}: the suffix says the format; use one of {suffixes}").format(
                path=path, suffixes=", ".join(suffixes)
            ),
            param_hint="--output",
        )


def save_rows(
    path: Path,
    *,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    json_value: Any,
    force: bool = False,
    totals: int = 0,
) -> None:
    """Write ``rows`` (the last ``totals`` of them a totals row) as ``path``'s suffix says;
    ``.json`` writes ``json_value``, what ``--format json`` prints."""
    save_blocks(path, title=title, blocks=[Block(title, headers, rows, totals)], json_value=json_value, force=force)


def show_rows(
    fmt: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    output: Path | None = None,
    force: bool = False,
    title: str = "",
    json_value: Any = None,
) -> None:
    """Rows on stdout as ``--format`` says, or into ``--output FILE`` as its suffix says:
    what every command that prints rows does with its ``output_option``."""
    if output is not None:
        save_rows(output, title=title, headers=headers, rows=rows, json_value=json_value, force=force)
        return
    from cstool.cli.output import emit_rows

    emit_rows(fmt, headers, list(rows))


def save_blocks(path: Path, *, title: str, blocks: Sequence[Block], json_value: Any, force: bool = False) -> None:
    """Write ``blocks`` (tables, each with its chart) as ``path``'s suffix says."""
    from cstool.core.files import write_new_file

    check_suffix(path)
    write_new_file(path, render(path.suffix.lower()[1:], title, blocks, json_value), replace=force)
    click.echo(_("written: {output}").format(output=path), err=True)


def render(fmt: str, title: str, blocks: Sequence[Block], json_value: Any, subtitle: str = "") -> bytes:
    """``blocks`` in format ``fmt`` (a suffix: csv, md, html, xlsx, json, or one a plugin
    registered) as the bytes of a file."""
    if fmt == "html":  # the one format with a subtitle (the report's period)
        return page_html(title, blocks, subtitle).encode("utf-8")
    if fmt == "md" and subtitle:
        return _markdown(title, blocks, subtitle)
    return registered_formats()[fmt].render(title, blocks, json_value)


def _csv(title: str, blocks: Sequence[Block], json_value: Any) -> bytes:
    """A BOM for Excel; several tables one after another, each under its title."""
    from cstool.cli.output import rows_as_csv

    single = len(blocks) == 1
    text = "\n".join(
        ("" if single else rows_as_csv([block.title], [])) + rows_as_csv(block.headers, block.rows) for block in blocks
    )
    return "\ufeff".encode() + text.encode("utf-8")


def _markdown(title: str, blocks: Sequence[Block], subtitle: str = "") -> bytes:
    from cstool.cli.output import rows_as_markdown

    parts = [f"# {title}\n"] + ([subtitle + "\n"] if subtitle else [])
    for block in blocks:
        if len(blocks) > 1:
            parts.append(f"## {block.title}\n")
        parts.append(rows_as_markdown(block.headers, block.rows) + "\n")
        parts += [f"{note}  " for note in block.notes]
    return "\n".join(parts).encode("utf-8")


@dataclass(frozen=True)
class OutputFormat:
    """A file format for ``--output FILE`` (chosen by the file's suffix): ``render(title,
    blocks, json_value)`` returns the file's bytes; ``blocks`` are the tables (``Block``:
    title, headers, rows, totals, notes, plot), ``json_value`` what ``--format json`` prints."""

    suffix: str  # without the dot
    label: Mapping[str, str]
    render: Callable[[str, Sequence[Block], Any], bytes]


BUILT_IN_FORMATS = (
    OutputFormat("csv", {"en": "CSV (UTF-8 with BOM, for Excel)", "zh": "CSV（带 BOM 的 UTF-8，供 Excel 打开）"}, _csv),
    OutputFormat("xlsx", {"en": "Excel workbook", "zh": "Excel 工作簿"}, lambda t, blocks, j: workbook(blocks)),
    OutputFormat(
        "html", {"en": "a page that opens offline", "zh": "可离线打开的网页"}, lambda t, b, j: page_html(t, b).encode()
    ),
    OutputFormat("md", {"en": "Markdown", "zh": "Markdown"}, lambda t, b, j: _markdown(t, b)),
    OutputFormat(
        "json", {"en": "JSON, as --format json prints", "zh": "JSON（与 --format json 相同）"}, lambda t, b, j: _json(j)
    ),
)


def registered_formats() -> dict[str, OutputFormat]:
    """The core's formats and those the command's plugins add (``cstool_output_formats``);
    a plugin's format never replaces one already there."""
    from cstool.cli.output import plugin_formats

    found = {f.suffix: f for f in BUILT_IN_FORMATS}
    for suffix, added in plugin_formats(taken=set(found)).items():
        found[suffix] = added
    return found


def _json(value: Any) -> bytes:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


PAGE_ROWS = 200  # a page is read, not searched: past this a table shows its first rows and says so


STYLE = """
body { font-family: {fonts}; margin: 2em; color: #222; }
div.table { overflow-x: auto; max-width: 100%; margin: .5em 0 1em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; }
th { background: #f3f3f3; position: sticky; top: 0; word-break: keep-all; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.totals td { font-weight: bold; border-top: 2px solid #888; }
section { margin-bottom: 2.5em; }
figure { margin: .5em 0; max-width: 860px; }
figure svg { width: 100%; height: auto; }
nav ol { columns: 2; }
p.note { margin: .2em 0; }
p.empty { color: #777; }
"""


def page_html(title: str, blocks: Sequence[Block], subtitle: str = "") -> str:
    """One self-contained page: styles inline, charts inline SVG drawn here, nothing
    fetched from anywhere when it is opened; every value escaped, never run."""
    from html import escape

    from cstool.cli.charts import FONTS
    from cstool.core.i18n import language

    parts = [f"<h1>{escape(title)}</h1>"]
    if subtitle:
        parts.append(f"<p>{escape(subtitle)}</p>")
    several = len(blocks) > 1
    if several:
        items = "".join(f'<li><a href="#s{i}">{escape(b.title)}</a></li>' for i, b in enumerate(blocks, start=1))
        parts.append(f"<nav><ol>{items}</ol></nav>")
    for index, block in enumerate(blocks, start=1):
        heading = f"<h2>{escape(block.title)}</h2>" if several else ""
        parts.append(f'<section id="s{index}">{heading}{_block_html(block)}</section>')
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if language() == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE.replace('{fonts}', FONTS)}</style></head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def _block_html(block: Block) -> str:
    from html import escape

    from cstool.cli.charts import svg
    from cstool.cli.output import cell

    def td(value: Any) -> str:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return (
            f'<td class="number">{escape(cell(value, None))}</td>'
            if number
            else f"<td>{escape(cell(value, None))}</td>"
        )

    html = []
    if block.plot is not None:
        html.append(f'<figure class="chart">{svg(block.plot, block.title)}</figure>')
    if block.rows:
        body = []
        count = len(block.rows) - block.totals
        shown = [*block.rows[: min(count, PAGE_ROWS)], *block.rows[count:]]
        for index, row in enumerate(shown):
            css = ' class="totals"' if index >= len(shown) - block.totals else ""
            body.append(f"<tr{css}>" + "".join(td(v) for v in row) + "</tr>")
        head = "".join(f"<th>{escape(str(h))}</th>" for h in block.headers)
        html.append(  # a wide table (the staff assessment) scrolls sideways inside its own box
            f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>\n'
            + "\n".join(body)
            + "\n</tbody></table></div>"
        )
    else:
        html.append(f'<p class="empty">{escape(_("nothing in this period"))}</p>')
    html += [f'<p class="note">{escape(note)}</p>' for note in block.notes]
    if len(block.rows) - block.totals > PAGE_ROWS:
        left = _("the first {shown} of {count} rows; every row is in the workbook (.xlsx) and the JSON")
        html.append(f'<p class="note">{escape(left.format(shown=PAGE_ROWS, count=len(block.rows) - block.totals))}</p>')
    return "\n".join(html)


def workbook(blocks: Sequence[Block]) -> bytes:
    """One sheet per block: the header frozen and filterable, numbers as numbers, text as
    text (a cell starting with = is never a formula), columns about as wide as their
    contents, and a native Excel chart where the block has one."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    names: set[str] = set()
    for block in blocks:
        _sheet(book, block, _sheet_name(block.title, names))
    book.close()
    return buffer.getvalue()


def _sheet(book, block: Block, name: str) -> None:
    from wcwidth import wcswidth

    from cstool.cli.charts import add_to_sheet
    from cstool.cli.output import cell

    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True, "bg_color": "#F3F3F3", "border": 1})
    total_format = book.add_format({"bold": True, "top": 2})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    headers, rows, totals = block.headers, block.rows, block.totals
    widths = [max(8, _width(wcswidth, h)) for h in headers]
    for column, header in enumerate(headers):
        sheet.write_string(0, column, str(header), bold)
    for index, row in enumerate(rows, start=1):
        style = total_format if index > len(rows) - totals else None
        for column, value in enumerate(row):
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(index, column, value, style)
            elif value is None:
                sheet.write_blank(index, column, None, style)
            elif (when := _calendar_value(value)) is not None:  # a date a spreadsheet can sort and count
                sheet.write_datetime(index, column, when, day_format if len(value) == 10 else time_format)
                widths[column] = max(widths[column], 16) if column < len(widths) else 16
            else:
                text = cell(value, None)
                sheet.write_string(index, column, text, style)
                if column < len(widths):
                    widths[column] = max(widths[column], min(60, _width(wcswidth, text)))
    below = len(rows) + 2
    for offset, note in enumerate(block.notes):
        sheet.write_string(below + offset, 0, note)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width + 2)
    sheet.freeze_panes(1, 0)
    if headers:
        sheet.autofilter(0, 0, max(len(rows) - totals, 1), len(headers) - 1)
    if block.plot is not None:  # the chart's data under the table, the chart beside it
        data_row = below + len(block.notes) + 1
        add_to_sheet(book, sheet, block.plot, block.title, data_row, _cell_name(0, len(headers) + 1))


_DAY_OR_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?$")


def _calendar_value(value: Any):
    """A date or an instant written as text (ISO 8601), as the wall-clock value a workbook
    shows (instants are stored in the workspace's zone), else None."""
    from datetime import date, datetime

    if not isinstance(value, str) or not _DAY_OR_INSTANT.match(value):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


def _cell_name(row: int, column: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, column)


SHEET_NAME_FORBIDDEN = "[]:*?/\\"


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel refuses some characters in a sheet's name, more than 31 of them, and two
    sheets of one name (compared without case)."""
    name = ("".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in title).strip() or "cstool")[:31]
    number = 1
    while name.lower() in taken:
        number += 1
        name = f"{name[: 31 - len(str(number)) - 1]}~{number}"
    taken.add(name.lower())
    return name


def _width(wcswidth, text: str) -> int:
    measured = wcswidth(str(text))
    return measured if measured >= 0 else len(str(text))
