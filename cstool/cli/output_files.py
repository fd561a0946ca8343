"""Rows written to a file a person opens (``--output FILE``): the suffix picks the format.

``.csv`` is UTF-8 with a byte-order mark, which Excel on Chinese Windows needs to read it
as UTF-8 (without one it reads GBK: mojibake); stdout stays BOM-less for pipelines.
``.xlsx`` has a frozen, filterable header row; ``.html`` is one self-contained page;
``.md`` and ``.json`` are what ``--format md|json`` print. Files are 0600, never written
through a symbolic link nor over an existing file without ``--force``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from cstool.core.i18n import _

SUFFIXES = (".csv", ".xlsx", ".html", ".md", ".json")


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
    if path.suffix.lower() not in SUFFIXES:
        raise click.BadParameter(
            _("{path}: the suffix says the format; use one of {suffixes}").format(
                path=path, suffixes=", ".join(SUFFIXES)
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
    from cstool.cli.output import rows_as_csv, rows_as_markdown
    from cstool.core.files import write_new_file

    check_suffix(path)
    build = {
        ".csv": lambda: "\ufeff".encode() + rows_as_csv(headers, rows).encode("utf-8"),
        ".md": lambda: (f"# {title}\n\n" + rows_as_markdown(headers, rows) + "\n").encode("utf-8"),
        ".html": lambda: rows_as_html(title, headers, rows, totals).encode("utf-8"),
        ".xlsx": lambda: rows_as_xlsx(title, headers, rows, totals),
        ".json": lambda: _json(json_value),
    }[path.suffix.lower()]
    write_new_file(path, build(), replace=force)
    click.echo(_("written: {output}").format(output=path), err=True)


def _json(value: Any) -> bytes:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: .3em .6em; text-align: left; }}
th {{ background: #f3f3f3; position: sticky; top: 0; }}
td.number {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.totals td {{ font-weight: bold; border-top: 2px solid #888; }}
</style></head>
<body><h1>{title}</h1>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table></body></html>
"""


def rows_as_html(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], totals: int = 0) -> str:
    """One page, nothing fetched from anywhere: every value escaped, never run."""
    from html import escape

    from cstool.cli.output import cell
    from cstool.core.i18n import language

    def td(value: Any) -> str:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return (
            f'<td class="number">{escape(cell(value, None))}</td>'
            if number
            else f"<td>{escape(cell(value, None))}</td>"
        )

    body = []
    for index, row in enumerate(rows):
        css = ' class="totals"' if index >= len(rows) - totals else ""
        body.append(f"<tr{css}>" + "".join(td(v) for v in row) + "</tr>")
    return PAGE.format(
        lang="zh-CN" if language() == "zh" else "en",
        title=escape(title),
        head="".join(f"<th>{escape(h)}</th>" for h in headers),
        body="\n".join(body),
    )


def rows_as_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], totals: int = 0) -> bytes:
    """One sheet: the header frozen and filterable, numbers as numbers, text as text (a
    cell starting with = is never a formula), columns about as wide as their contents."""
    import io

    import xlsxwriter
    from wcwidth import wcswidth

    from cstool.cli.output import cell

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(_sheet_name(title))
    bold = book.add_format({"bold": True, "bg_color": "#F3F3F3", "border": 1})
    total_format = book.add_format({"bold": True, "top": 2})
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
            else:
                text = cell(value, None)
                sheet.write_string(index, column, text, style)
                if column < len(widths):
                    widths[column] = max(widths[column], min(60, _width(wcswidth, text)))
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width + 2)
    sheet.freeze_panes(1, 0)
    if headers:
        sheet.autofilter(0, 0, max(len(rows) - totals, 1), len(headers) - 1)
    book.close()
    return buffer.getvalue()


SHEET_NAME_FORBIDDEN = "[]:*?/\\"


def _sheet_name(title: str) -> str:
    """Excel refuses some characters in a sheet's name and more than 31 of them."""
    name = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in title).strip() or "cstool"
    return name[:31]


def _width(wcswidth, text: str) -> int:
    measured = wcswidth(str(text))
    return measured if measured >= 0 else len(str(text))
