"""``cstool audit`` (the trails checked, who saw a person's data), ``cstool privacy purge``
(retention) and ``cstool roles`` (who may do what)."""

from __future__ import annotations

import click

from cstool.cli.completion import complete_id, complete_kind
from cstool.cli.output import emit_json, emit_rows, format_option
from cstool.core.i18n import _


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
    cli.add_command(privacy_group)
    cli.add_command(roles_command)


@click.group("audit")
def audit_group():
    """Audit (审计): prove the trails, and tell who saw a person's data."""


@audit_group.command("verify")
@click.argument("kinds", nargs=-1, metavar="[KIND]...", shell_complete=complete_kind)
@format_option(("table", "json"))
@click.pass_obj
def verify_command(app, kinds, fmt):
    """Re-walk every record's sealed trail: name each record whose events were changed,
    removed, added or reordered outside cstool, and each id handed out whose record is gone.
    Exit 1 when any is found."""
    from cstool.core.audit import verify

    app.require("audit")
    names = [app.kinds.get(name).name for name in kinds] or app.kinds.names()
    found = verify(app, names)
    tampered = [p for p in found["problems"] if p["problem"] != "unsealed"]
    if fmt == "json":
        emit_json(found)
    else:
        click.echo(
            _("{checked} records checked, {sealed} sealed; {count} with a trail that fails").format(
                checked=found["checked"], sealed=found["sealed"], count=len(tampered)
            )
        )
        if found["problems"]:
            rows = [[p["id"], app.shown(p["kind"]), p["problem"], p["detail"]] for p in found["problems"]]
            emit_rows("table", [_("id"), _("kind"), _("problem"), _("detail")], rows)
    if tampered:
        raise click.exceptions.Exit(1)


@audit_group.command("who-saw")
@click.argument("record_id", metavar="CUSTOMER", shell_complete=complete_id)
@format_option(("table", "json"))
@click.pass_obj
def who_saw_command(app, record_id, fmt):
    """Every reveal, unmasked export, lookup, search and data request that showed the
    personal data of CUSTOMER or of a record linked to it: who, when, how (PIPL Art. 19)."""
    from cstool.core.audit import who_saw

    app.require("audit")
    app.book.get(record_id)  # a clear refusal for an id that is not there
    seen = who_saw(app, record_id)
    if fmt == "json":
        emit_json({"id": record_id.upper(), "seen": seen})
        return
    if not seen:
        click.echo(_("nobody has seen the personal data of {id}").format(id=record_id.upper()))
        return
    emit_rows(
        "table",
        [_("at"), _("by"), _("record"), _("fields"), _("how"), _("command")],
        [
            [
                row["at"][:16].replace("T", " "),
                app.shown(row["by"]),
                row["record"],
                ", ".join(row["fields"]),
                row["how"],
                row["command"] or "",
            ]
            for row in seen
        ],
    )


@click.group("privacy")
def privacy_group():
    """Personal data past its retention period (PIPL Art. 47)."""


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Name the records, change nothing.")
@format_option(("table", "json"))
@click.pass_obj
def purge_command(app, dry_run, fmt):
    """Anonymise the personal data of records closed longer ago than [privacy]
    retain_closed_days (at least 180): the records stay and reports count them as before."""
    from cstool.core.retention import purge

    app.require("purge")
    found = purge(app, app.now(), dry_run)
    if fmt == "json":
        emit_json({"dry_run": dry_run, "records": found})
        return
    total = sum(len(ids) for ids in found.values())
    message = _("{count} records would be anonymised") if dry_run else _("{count} records anonymised")
    click.echo(message.format(count=total))
    for name, ids in found.items():
        click.echo(f"  {app.shown(name)}: {', '.join(ids)}")


@click.command("roles")
@format_option(("table", "json"))
@click.pass_obj
def roles_command(app, fmt):
    """Who you are, each role's permissions, and the staff directory ([people], [roles])."""
    from cstool.core.access import role_title

    directory = app.directory
    me = app.person
    people = [
        {
            "name": person.key,
            "shown": person.shown(app.lang),
            "logins": list(person.logins),
            "department": person.department,
            "role": person.role,
        }
        for person in directory.people.values()
    ]
    roles = {name: sorted(grants) for name, grants in directory.roles.items()}
    if fmt == "json":
        emit_json(
            {
                "you": {"name": me.key, "role": me.role, "department": me.department, "listed": me.listed},
                "roles": roles,
                "permissions": directory.permissions,
                "people": people,
            }
        )
        return
    department = app.shown(me.department) if me.department else _("no department")
    click.echo(
        _("you: {name} ({role}, {department})").format(
            name=me.shown(app.lang), role=role_title(me.role), department=department
        )
    )
    click.echo()
    emit_rows(
        "table",
        [_("permission"), _("allows"), _("roles")],
        [
            [
                name,
                _(text) if text else "",
                ", ".join(role_title(role) for role, grants in roles.items() if name in grants),
            ]
            for name, text in directory.permissions.items()
        ],
    )
    if people:
        click.echo()
        emit_rows(
            "table",
            [_("name"), _("logins"), _("department"), _("role")],
            [
                [
                    p["shown"],
                    ", ".join(p["logins"]),
                    app.shown(p["department"]) if p["department"] else "",
                    role_title(p["role"]),
                ]
                for p in people
            ],
        )
