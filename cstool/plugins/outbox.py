"""The bundled notifier: every escalation notice appended to the store's outbox log
(``outbox.jsonl`` in a folder workspace; a table every desk reads on PostgreSQL), and
``cstool outbox`` to read it."""

from __future__ import annotations

from datetime import UTC

from cstool.api import _, hookimpl

OUTBOX = "outbox"


def message(action: dict) -> str:
    """A notice as a person reads it, in the workspace's language."""
    return _("{id}: {clock} passed escalation level {level} at {at}; for {recipients}").format(
        id=action["id"],
        clock=action["clock"],
        level=action["level"],
        at=action["at"][:16].replace("T", " "),
        recipients=", ".join(action.get("recipients") or []) or _("nobody (no one holds the role)"),
    )


@hookimpl
def cstool_notify(actions, store):
    from cstool.api import now_in

    stamp = now_in(UTC).isoformat(timespec="seconds")
    store.append_log(OUTBOX, [{**action, "message": message(action), "delivered_at": stamp} for action in actions])


@hookimpl(trylast=True)
def cstool_send_report(path, title, recipients, store):
    from cstool.api import now_in

    entry = {
        "report": title,
        "file": str(path),
        "recipients": list(recipients),
        "message": _("{title}: {path}, for {recipients}").format(
            title=title, path=path, recipients=", ".join(recipients)
        ),
        "delivered_at": now_in(UTC).isoformat(timespec="seconds"),
    }
    store.append_log(OUTBOX, [entry])
    return _("kept in the outbox for {recipients} (no [notify.smtp] to mail it)").format(
        recipients=", ".join(recipients)
    )


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import emit_json, format_option, output_option, parse_day, show_rows

    @cli.command("outbox")
    @click.option("--since", metavar="D", help="Only notices raised on or after this day.")
    @click.option("--id", "record_id", metavar="ID", help="Only the notices of this record.")
    @format_option()
    @output_option
    @click.pass_obj
    def outbox(app, since, record_id, fmt, output, force):
        """发件箱: the escalation notices (and reports sent with --send) the bundled notifier
        kept, oldest first."""
        first = parse_day(since, "--since", today=app.now().date())
        notices = [
            n
            for n in app.store.read_log(OUTBOX)
            if (record_id is None or n.get("id") == record_id) and (first is None or n["at"][:10] >= first.isoformat())
        ]
        payload = {"count": len(notices), "notices": notices}
        if fmt == "json" and output is None:
            emit_json(payload)
            return
        show_rows(
            fmt,
            [_("at"), _("id"), _("clock"), _("level"), _("recipients")],
            [
                [n["at"][:16].replace("T", " "), n["id"], n["clock"], n["level"], ", ".join(n["recipients"])]
                for n in notices
            ],
            output=output,
            force=force,
            title=_("outbox"),
            json_value=payload,
        )
