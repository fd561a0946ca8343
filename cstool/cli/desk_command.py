"""``cstool desk`` (工作台): the full-screen workbench for a working day."""

from __future__ import annotations

import sys

import click

from cstool.core.errors import CstoolError
from cstool.core.i18n import _


def register(cli: click.Group) -> None:
    cli.add_command(desk_command)


@click.command("desk")
@click.pass_obj
def desk_command(app):
    """工作台 · the desk: your queue live, cases, search by a phone's last digits, new records.

    Full screen; ? shows every key. Changes made elsewhere appear within two seconds.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CstoolError(_("the desk needs a terminal; for scripts use queue, show and record"))
    app.workspace  # noqa: B018 - a missing workspace is said before the screen is drawn
    app.person  # noqa: B018
    from cstool.desk.app import DeskApp

    DeskApp(app).run()
