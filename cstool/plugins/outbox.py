"""The bundled notifier: every escalation notice appended to the store's outbox log
(``outbox.jsonl`` in a folder workspace; a table every desk reads on PostgreSQL), and
``cstool outbox`` to read it."""

from __future__ import annotations

from datetime import UTC

from cstool.api import _, hookimpl

OUTBOX = "outbox"


def message(action: dict, policy) -> str:
    """A notice as a person reads it, in the workspace's language: the clock and the level by their names."""
    from cstool.api import language, name_of

    if action["clock"] == "reported_up":  # 上报 (cstool report-up), not a clock's level
        return _("{id} reported up by {by} at {at}, for {recipients}: {reason}").format(
            id=action["id"],
            by=action.get("by") or "",
            at=action["at"][:16].replace("T", " "),
            recipients=", ".join(action.get("recipients") or []),
            reason=action.get("note") or "",
        )
    return _("{id}: {clock} passed escalation level {level} at {at}; for {recipients}").format(
        id=action["id"],
        clock=name_of(policy, action["clock"], language()),
        level=name_of(policy, action["level"], language()),
        at=action["at"][:16].replace("T", " "),
        recipients=", ".join(action.get("recipients") or []) or _("nobody (no one holds the role)"),
    )


@hookimpl
def cstool_notify(actions, policy, store):
    from cstool.api import now_in

    stamp = now_in(UTC).isoformat(timespec="seconds")
    entries = [{**action, "message": message(action, policy), "delivered_at": stamp} for action in actions]
    store.append_log(OUTBOX, entries)


@hookimpl(trylast=True)
def cstool_send_report(path, title, recipients, store):
    from cstool.api import now_in

    stamp = now_in(UTC).isoformat(timespec="seconds")
    entry = {
        "at": stamp,  # every outbox entry has one: `cstool outbox --since` reads it
        "report": title,
        "file": str(path),
        "recipients": list(recipients),
        "message": _("{title}: {path}, for {recipients}").format(
            title=title, path=path, recipients=", ".join(recipients)
        ),
        "delivered_at": stamp,
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
            if (record_id is None or n.get("id") == record_id)
            and (first is None or _day_of(n, app.tz) >= first.isoformat())
        ]
        payload = {"count": len(notices), "notices": notices}
        if fmt == "json" and output is None:
            emit_json(payload)
            return
        show_rows(
            fmt,
            [_("at"), _("id"), _("clock"), _("level"), _("recipients")],
            [
                [
                    _shown_time(n, app.tz),
                    n.get("id") or n.get("report"),  # a report sent with --send names itself
                    app.shown(n.get("clock")),
                    app.shown(n.get("level")),
                    ", ".join(n.get("recipients") or []),
                ]
                for n in notices
            ],
            output=output,
            force=force,
            title=_("outbox"),
            json_value=payload,
        )


def _when(entry: dict):
    """The moment of an outbox entry: raised (a notice), else delivered (an entry of an older
    cstool that kept no ``at``)."""
    from datetime import datetime

    text = entry.get("at") or entry.get("delivered_at")
    return datetime.fromisoformat(text) if text else None


def _day_of(entry: dict, tz) -> str:
    when = _when(entry)
    return when.astimezone(tz).date().isoformat() if when else ""


def _shown_time(entry: dict, tz) -> str:
    when = _when(entry)
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else ""
