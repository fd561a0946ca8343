"""``cstool import``: batch-load another system's export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cstool.cli.completion import complete_kind
from cstool.cli.output import emit_json, emit_rows, format_option
from cstool.core.duplicates import ON_DUPLICATE
from cstool.core.errors import CstoolError
from cstool.core.i18n import N_, _

SHOWN_ERRORS = 50


def register(cli: click.Group) -> None:
    cli.add_command(import_command)


def find_map(app, name: str) -> Path:
    """A map file by path, or by name from the workspace's (else the bundled) templates/import/."""
    path = Path(name)
    if path.is_file():
        return path
    stem = name if name.endswith(".toml") else f"{name}.toml"
    candidate = app.template(f"import/{stem}")
    if candidate.is_file():
        return candidate
    raise CstoolError(_("{name}: no such map file (nor templates/import/{stem})").format(name=name, stem=stem))


class RowCounter:
    """The rows checked so far, on the terminal's stderr while an import runs (it reads the
    file as it goes, so how many rows there are is known only at the end)."""

    label = "checking rows / 校验中"

    def __init__(self) -> None:
        self.done = 0

    def __enter__(self) -> RowCounter:
        return self

    def update(self, rows: int) -> None:
        self.done += rows
        click.echo(f"\r{self.label}: {self.done:,}", nl=False, err=True)

    def __exit__(self, *_exc) -> None:
        if self.done:
            click.echo(err=True)


@click.command("import")
@click.argument("kind_name", metavar="KIND", shell_complete=complete_kind)
@click.argument("file", metavar="FILE|SOURCE")
@click.option(
    "--map", "map_name", metavar="MAP.toml", help="Column and value map (a path, or a name in templates/import/)."
)
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Write the valid rows and list the refused ones.")
@click.option(
    "--on-duplicate",
    type=click.Choice(ON_DUPLICATE),
    default="skip",
    show_default=True,
    help="A row whose external_id is already stored.",
)
@click.option(
    "--encoding", metavar="NAME", help="The file's encoding (default UTF-8 with or without BOM; e.g. gb18030)."
)
@format_option()
@click.pass_obj
def import_command(app, kind_name, file, map_name, dry_run, skip_invalid, on_duplicate, encoding, fmt):
    """Import records of KIND from CSV, JSON (an array) or JSON Lines, or from a source a plugin adds.

    Every row is checked before anything is written; re-importing a file changes nothing.
    """
    from cstool.core.importer import ImportMap, load_map

    kind = app.kinds.get(kind_name)
    mapping = load_map(find_map(app, map_name)) if map_name else ImportMap()
    import_file(
        app,
        kind,
        file,
        mapping,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        on_duplicate=on_duplicate,
        encoding=encoding,
        fmt=fmt,
    )


# The import summary's lines, in the chosen language (JSON keeps these keys).
COUNT_WORDS = {
    "read": N_("read"),
    "imported": N_("imported"),
    "updated": N_("updated"),
    "duplicates": N_("duplicates"),
    "skipped": N_("skipped"),
}


def import_file(
    app,
    kind,
    file: Path | str,
    mapping,
    *,
    dry_run: bool,
    skip_invalid: bool,
    on_duplicate: str,
    encoding: str | None,
    fmt: str,
) -> None:
    """Import ``file`` (or a record source's location) as ``kind`` with ``mapping`` and print
    the outcome; exit 1 when refused."""
    from cstool.core.importer import FILES, run_import

    if FILES.accepts(str(file)) and not Path(str(file).removeprefix("file://")).is_file():
        raise CstoolError(_("{file}: no such file").format(file=file))
    outcome = run_import(
        app,
        kind,
        file,
        mapping,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        on_duplicate=on_duplicate,
        encoding=encoding,
        progress=RowCounter if sys.stderr.isatty() else None,
    )
    result = outcome.as_dict()
    refused = bool(outcome.errors) and not skip_invalid
    _hint_search_index(app, outcome.imported + outcome.updated)
    if fmt == "json":
        emit_json(result)
    else:
        counts = [[_(COUNT_WORDS[key]), result[key]] for key in COUNT_WORDS]
        emit_rows(fmt, ["", kind.title(app.lang)], counts)
        if outcome.errors:
            click.echo(err=True)
            errors = [[e["row"], e["line"], e["field"], e["message"]] for e in result["errors"][:SHOWN_ERRORS]]
            headers = [_("row"), _("line"), _("field"), _("message")]
            emit_rows(fmt if fmt != "csv" else "table", headers, errors, width=None)
            if len(result["errors"]) > SHOWN_ERRORS:
                click.echo(
                    _("… and {more} more (use --format json for all)").format(
                        more=len(result["errors"]) - SHOWN_ERRORS
                    ),
                    err=True,
                )
    if refused:
        first = outcome.errors[0]
        where = (
            _("row {row} (line {line})").format(row=first.row, line=first.line)
            if first.row
            else _("line {line}").format(line=first.line)
        )
        raise CstoolError(
            _(
                "{file}: {errors_count} error(s), first at {where}, field {field}: {message}; nothing was written"
            ).format(file=file, errors_count=len(outcome.errors), where=where, field=first.field, message=first.message)
        )
    if dry_run:
        click.echo(_("dry run: nothing was written"), err=True)


def _hint_search_index(app, written: int) -> None:
    """A bulk write leaves its records out of the search index: say how to put them in."""
    from cstool.stores.base import SearchesText

    store = app.store
    if written > 0 and isinstance(store, SearchesText):
        waiting = store.unindexed()
        if waiting:
            app.warn(
                _(
                    "{count} records wait for the search index: run `cstool store index` (search reads them whole till then)"
                ).format(count=waiting)
            )
