"""``cstool export KIND``: every field of every record of a kind, as a file `cstool import`
reads back with no map (the columns are the field names; a list is comma-separated)."""

from __future__ import annotations

import click

from cstool.cli.common import records_for_output
from cstool.cli.completion import complete_kind
from cstool.cli.output import emit_json, reveal_option
from cstool.cli.output_files import check_suffix, output_option, show_rows
from cstool.core.i18n import _
from cstool.stores.base import EVERYTHING


def register(cli: click.Group) -> None:
    cli.add_command(export_command)


def export_columns(kind) -> list[str]:
    """What an import takes back: the status, then every field a person may set."""
    return ["status", *(field.name for field in kind.all_fields())]


def export_row(record: dict, columns: list[str]) -> dict:
    """One record as an import row. Its id becomes the external id when it has none, so
    the copy knows where it came from and importing it twice changes nothing."""
    row = {name: record.get(name) for name in columns}
    if not row.get("external_id"):
        row["external_id"] = record["id"]
    return row


@click.command("export")
@click.argument("kind_name", metavar="KIND", shell_complete=complete_kind)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@reveal_option()
@output_option
@click.pass_obj
def export_command(app, kind_name, fmt, reveal, output, force):
    """Every field of every record of KIND, masked unless --reveal (written in each record's
    trail); `cstool import KIND FILE` reads the file back with no map. The trail stays
    behind: `store copy` and `backup` move whole histories."""
    kind = app.kinds.get(kind_name)
    app.require("export")
    if output is not None:
        check_suffix(output)
    columns = export_columns(kind)
    records = records_for_output(app, kind, list(app.store.stream(kind.name, app.visible(EVERYTHING))), reveal)
    rows = [export_row(record, columns) for record in records]
    if fmt == "json" and output is None:
        emit_json(rows)
        return
    table = [[_cell(row[name]) for name in columns] for row in rows]
    title = _("{kind}: every record").format(kind=kind.title(app.lang))
    show_rows("csv", columns, table, output=output, force=force, title=title, json_value=rows)


def _cell(value):
    """A list as the importer splits it (comma-separated); the rest as it is."""
    return ", ".join(map(str, value)) if isinstance(value, list) else value
