"""``cstool attach ID FILE…`` and ``cstool attachment save ID N --output F``."""

from __future__ import annotations

from pathlib import Path

import click

from cstool.cli.output import emit_json, format_option
from cstool.core.errors import CstoolError
from cstool.core.i18n import _


def register(cli: click.Group) -> None:
    cli.add_command(attach_command)
    cli.add_command(attachment_group)


@click.command("attach")
@click.argument("record_id", metavar="ID")
@click.argument("files", metavar="FILE…", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@format_option(("table", "json"))
@click.pass_obj
def attach_command(app, record_id, files, fmt):
    """附件: add files to a record (an invoice photo, a picture of the fault): each checked
    against [attachments] (type, size; its content must be what its name says), kept once by
    its content, listed on the record and in its trail. All or none."""
    from cstool.core.attachments import attach, listed

    loaded = []
    for path in files:
        try:
            loaded.append((path.name, _read_plain_file(path), None))
        except OSError as exc:
            raise CstoolError(
                _("{path}: cannot read ({reason})").format(path=path, reason=exc.strerror or exc)
            ) from None
    record = attach(app, record_id, loaded)
    if fmt == "json":
        emit_json({"id": record["id"], "attachments": record.get("attachments") or []})
        return
    click.echo("\n".join(listed(record)))


def _read_plain_file(path: Path) -> bytes:
    import os

    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(handle, "rb") as opened:
        return opened.read()


@click.group("attachment")
def attachment_group():
    """附件: a record's attachments (cstool attach adds them)."""


@attachment_group.command("list")
@click.argument("record_id", metavar="ID")
@format_option(("table", "json"))
@click.pass_obj
def attachment_list(app, record_id, fmt):
    """A record's attachments, numbered as `attachment save` takes them."""
    from cstool.core.attachments import as_dicts, listed

    _kind, record = app.book.get(record_id)
    app.require_to_see(record)
    if fmt == "json":
        emit_json({"id": record["id"], "attachments": as_dicts(record)})
        return
    click.echo("\n".join(listed(record)) or _("{id} has no attachments").format(id=record["id"]))


@attachment_group.command("save")
@click.argument("record_id", metavar="ID")
@click.argument("number", metavar="N", type=int)
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write.",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.pass_obj
def attachment_save(app, record_id, number, output, force):
    """Save attachment N of a record to a file, as it was kept (never opened or run); it
    needs the permission to reveal personal data, and is written in the record's trail."""
    from cstool.core.attachments import read
    from cstool.core.files import write_new_file

    kind, record = app.book.get(record_id)
    app.require_to_see(record)
    entry, data = read(app, record, number)
    # an invoice or a photo holds a customer's name and address: saved as a reveal is, by
    # a person who may reveal, and written in the record's trail before the file is
    app.book.record_reveal(kind, [record["id"]], ["attachments"])
    write_new_file(output, data, replace=force)
    click.echo(
        _("{name} ({size} bytes) saved to {output}").format(name=entry["name"], size=len(data), output=output), err=True
    )
