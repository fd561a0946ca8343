"""``cstool store``: where the records live, and moving them to another store."""

from __future__ import annotations

from pathlib import Path

import click

from cstool.core.errors import CstoolError
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
    if "://" in target:
        click.echo(_("run `cstool store index` there to put them in the search index"), err=True)
    for kind, count in copied.items():
        if count:
            click.echo(f"  {kind}: {count}")


@store_group.command("grant")
@click.argument("role", metavar="ROLE")
@click.option(
    "--as",
    "as_role",
    type=click.Choice(["agent", "supervisor", "manager", "auditor", "administrator"]),
    help="The cstool role (else the staff directory's for the person whose logins name ROLE).",
)
@click.option("--department", metavar="NAME", help="Its department (else the directory's).")
@click.pass_obj
def grant_command(app, role, as_role, department):
    """Give the database role ROLE what its cstool role needs on the shared store, and no
    more: a clerk appends to trails but cannot edit, delete or reorder them, nor take an id
    counter back; with [privacy] own_department_only it sees only its department's rows."""
    from cstool.stores.base import GrantsRoles

    app.require("grant")
    store = app.store
    where = store.description
    if not isinstance(store, GrantsRoles):
        raise CstoolError(
            _("the folder store has no database roles: who may read and write it is its files' permissions")
        )
    person = app.directory.find(role)
    as_role = as_role or (person.role if person is not None else None)
    if as_role is None:
        raise CstoolError(_("{role} is not in the staff directory: say which role with --as").format(role=role))
    department = department or (person.department if person is not None else None)
    if department and department not in (app.policy.get("departments") or {}):
        raise CstoolError(_("{name!r} is not a department").format(name=department))
    sees_all = "see_other_departments" in app.directory.roles.get(as_role, frozenset())
    store.grant(role, as_role, department, sees_all)
    store.own_department_only(bool(app.policy.get("privacy.own_department_only")))
    click.echo(
        _("{role}: {as_role} of {department} on {store}").format(
            role=role, as_role=as_role, department=app.shown(department) if department else "-", store=where
        )
    )


@store_group.command("watch")
@click.option("--for", "seconds", type=float, metavar="SECONDS", help="Stop after this long (else run until Ctrl-C).")
@click.option("--changes", type=int, metavar="N", help="Stop after N changes.")
@click.pass_obj
def watch_command(app, seconds, changes):
    """Print a line of JSON each time records change, from any desk: {"at", "kinds"}.
    For scripts that act on new work (the desk and the worker use the same feed)."""
    import sys
    import time

    import orjson

    from cstool.core.timeutil import format_datetime
    from cstool.stores.base import FeedsChanges

    store = app.store
    if not isinstance(store, FeedsChanges):
        raise CstoolError(_("the store at {store} tells nobody what changes").format(store=store.description))
    feed = store.watch()
    deadline = None if seconds is None else time.monotonic() + seconds
    seen = 0
    try:
        while (deadline is None or time.monotonic() < deadline) and (changes is None or seen < changes):
            wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            kinds = feed.wait(wait)
            if kinds:
                seen += 1
                line = {"at": format_datetime(app.now()), "kinds": sorted(kinds)}
                sys.stdout.buffer.write(orjson.dumps(line) + b"\n")
                sys.stdout.flush()
    finally:
        feed.close()


@store_group.command("index")
@click.pass_obj
def index_command(app):
    """Put the records a bulk write (an import, a copy) left out into the search index, in
    batches: until then `search` of a Chinese word reads those records whole."""
    from cstool.stores.base import SearchesText

    store = app.store
    if not isinstance(store, SearchesText):
        raise CstoolError(_("the store at {store} keeps no search index").format(store=store.description))
    click.echo(_("{count} records indexed for search").format(count=store.index_pending()))
