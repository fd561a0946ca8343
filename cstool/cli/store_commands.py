"""``cstool store``: where the records live, and moving them to another store."""

from __future__ import annotations

from pathlib import Path

import click

from cstool.core.i18n import _


def register(cli: click.Group) -> None:
    cli.add_command(store_group)


@click.group("store")
def store_group():
    """Where the records live: the workspace folder or a shared PostgreSQL database."""


@store_group.command("info")
@click.pass_obj
def info_command(app):
    """Name the store and count each kind's records in it."""
    from tabulate import tabulate

    store = app.store
    click.echo(_("store: {store}").format(store=store.description))
    rows = [[kind.name, kind.title(app.lang), len(store.records(kind.name))] for kind in app.kinds]
    click.echo(tabulate(rows, headers=[_("kind"), _("name"), _("records")]))


@store_group.command("copy")
@click.option("--to", "target", required=True, metavar="URL|DIR", help="A postgresql:// URL or a workspace folder.")
@click.pass_obj
def copy_command(app, target):
    """Copy every record, event and id sequence (and the pending notices and the outbox)
    into an empty store, whole or not at all.

    Afterwards `list --format json` and every report give the same bytes from either store.
    Point the workspace at the copy with `[workspace] store` or CSTOOL_STORE_URL.
    """
    from cstool.stores.copying import copy_to_folder, copy_workspace

    if "://" in target:
        destination = app.open_store(target)
        try:
            copied = copy_workspace(app.store, destination, app.kinds.names())
        finally:
            destination.close()
        where = destination.description
    else:
        folder, copied = copy_to_folder(app, Path(target))
        where = str(folder)
    total = sum(copied.values())
    click.echo(_("copied {total} records into {where}").format(total=total, where=where))
    for kind, count in copied.items():
        if count:
            click.echo(f"  {kind}: {count}")
