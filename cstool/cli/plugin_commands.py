"""``cstool plugins`` (what is loaded) and ``cstool plugin new`` (start a plugin of your own)."""

from __future__ import annotations

from pathlib import Path

import click

from cstool.cli.output import emit_json, format_option
from cstool.cli.output_files import output_option, show_rows
from cstool.core.i18n import N_, _


def register(cli: click.Group) -> None:
    cli.add_command(plugins_command)
    cli.add_command(plugin_group)


# Where a plugin came from, for people (JSON keeps these words; an entry point or a file is named as it is).
SOURCE_WORDS = {"bundled": N_("bundled"), "unknown": N_("unknown")}


@click.command("plugins")
@format_option()
@output_option
@click.pass_obj
def plugins_command(app, fmt, output, force):
    """The loaded plugins: name, where each came from, the hooks it implements."""
    rows = app.host.describe()
    if fmt == "json" and output is None:
        emit_json({"plugins": rows})
        return
    table = [[r["name"], _(SOURCE_WORDS[r["source"]]) if r["source"] in SOURCE_WORDS else r["source"], _hooks_cell(r)]
             for r in rows]  # fmt: skip
    headers = [_("plugin"), _("source"), _("hooks")]
    show_rows(fmt, headers, table, output=output, force=force, title=_("plugins"), json_value={"plugins": rows})


def _hooks_cell(row: dict) -> str:
    if row["blocked"]:
        return "BLOCKED"
    if row["error"]:
        return f"FAILED: {row['error']}"
    return ", ".join(h.removeprefix("cstool_") for h in row["hooks"])


@click.group("plugin")
def plugin_group():
    """Write plugins of your own (see docs/plugins.md)."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the package into (default: ./cstool-NAME).",
)
@click.option("--prefix", help="Id prefix of the new record kind (default: the name's initials).")
@click.option("--title", help="English name of the record kind (default: from NAME).")
@click.option("--title-zh", help="Chinese name of the record kind (default: the English one).")
@click.pass_obj
def plugin_new_command(app, name, output, prefix, title, title_zh):
    """Scaffold a plugin package NAME: a record kind, a classify rule, a report and tests.

    The package installs with `pip install -e DIR` and loads through its `cstool` entry point.
    """
    from cstool import __version__
    from cstool.core.errors import CstoolError
    from cstool.core.resources import templates_dir
    from cstool.core.scaffold import plugin_names, render

    try:
        names = plugin_names(name, prefix=prefix, title=title, title_zh=title_zh)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME or --prefix") from None
    for kind in app.kinds:
        if names.kind == kind.name or names.prefix == kind.prefix:
            raise CstoolError(
                _(
                    "the kind {name!r} (prefix {prefix}) of plugin {plugin!r} is loaded already: choose another NAME or --prefix"
                ).format(name=kind.name, prefix=kind.prefix, plugin=kind.plugin)
            )
    output = output or Path(names.dist)
    own = app.workspace_path / "templates" / "plugin" if app.workspace_path else None
    template = own if own is not None and own.is_dir() else templates_dir() / "plugin"
    written = render(template, output, names, __version__)
    click.echo(
        _("wrote {written_count} files to {output}/ (plugin {plugin}, kind {kind}, ids {prefix}-…)").format(
            written_count=len(written), output=output, plugin=names.plugin, kind=names.kind, prefix=names.prefix
        )
    )
    click.echo(_("next: pip install -e '{output}[test]' && cstool plugins && pytest {output}").format(output=output))
