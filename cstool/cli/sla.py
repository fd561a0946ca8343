"""``cstool sla ID`` and ``cstool escalate``."""

from __future__ import annotations

import click

from cstool.cli.common import parse_instant
from cstool.cli.completion import complete_id
from cstool.cli.output import emit_json, emit_rows, format_option
from cstool.cli.output_files import output_option, show_rows
from cstool.core.i18n import N_, _
from cstool.core.timeutil import format_datetime

CLOCK_HEADERS = (
    N_("clock"),
    N_("target"),
    N_("started"),
    N_("stopped"),
    N_("elapsed min"),
    N_("paused min"),
    N_("due"),
    N_("state"),
    N_("level"),
)
# Clock states and names as the catalogue knows them (JSON keeps the spec's English values).


def register(cli: click.Group) -> None:
    cli.add_command(sla_command)
    cli.add_command(escalate_command)


def _short(text):
    return text[:16].replace("T", " ") if text else ""


@click.command("sla")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@click.option("--now", "now_text", metavar="T", help="Evaluate as of this instant (events after it are ignored).")
@format_option()
@click.pass_obj
def sla_command(app, record_id, now_text, fmt):
    """The record's clocks, due times and how they were reached."""
    now = parse_instant(app, now_text, "--now") or app.now()
    kind, record = app.book.get(record_id)
    calendar, clocks = app.clocks(record, now, detail="explain")
    status = kind.status(record["status"])
    paused = status is not None and status.phase == "pending"  # for a person: not 计时中 while it is not
    result = {
        "id": record["id"],
        "calendar": calendar,
        "now": format_datetime(now),
        "clocks": [c.as_dict() for c in clocks],
        "explain": [f"{app.shown(c.name)}: {line}" for c in clocks for line in c.explain],
    }
    if fmt == "json":
        emit_json(result)
        return
    rows = [
        [
            app.shown(c["name"]),
            app.shown(c["target"]),  # a promised clock's target is the promise itself
            _short(c["started_at"]),
            _short(c["stopped_at"]),
            c["elapsed_minutes"],
            c["paused_minutes"],
            _short(c["due_at"]),
            app.shown(
                "paused" if paused and c["state"] in ("running", "warning") and c["name"] != "promised" else c["state"]
            ),
            app.shown(c["level"]),
        ]
        for c in result["clocks"]
    ]
    emit_rows(fmt, [_(header) for header in CLOCK_HEADERS], rows)
    if fmt == "table":
        if not clocks:
            click.echo(
                "\n"
                + _("{id}: no SLA targets for {title} at this priority (policy [sla.{kind}])").format(
                    id=record["id"], title=kind.title(app.lang), kind=kind.name
                )
            )
        for line in result["explain"]:
            click.echo(f"  · {line}")


@click.command("escalate")
@click.option("--now", "now_text", metavar="T", help="Evaluate as of this instant.")
@click.option("--dry-run", is_flag=True, help="Show what would escalate; write and send nothing.")
@format_option()
@output_option
@click.pass_obj
def escalate_command(app, now_text, dry_run, fmt, output, force):
    """Pass running clocks up the escalation ladder and notify (each level once per clock)."""
    from cstool.core.escalation import deliver, escalate
    from cstool.core.files import collector_paused

    now = parse_instant(app, now_text, "--now") or app.now()
    if not dry_run and now > app.now():  # events dated ahead would fire levels not yet passed (SPEC 11)
        raise click.BadParameter(
            _("{now} is later than now: escalate to a later instant only with --dry-run").format(
                now=format_datetime(now)
            ),
            param_hint="--now",
        )
    today = now.astimezone(app.tz).date()
    for gap in app.sla.holiday_gaps(today, today, today=today):  # run from cron: its mail is where this is read
        app.warn(gap)
    app.prepare_clocks()
    with collector_paused():
        actions = escalate(app, now, dry_run)
    # escalate() kept its notices pending inside its transaction: deliver what is pending and due
    # (handing ``actions`` again would re-add notices another desk has delivered meanwhile)
    delivered, held, failures = ([], [], []) if dry_run else deliver(app, [], now)
    for failure in failures:
        click.echo(
            _("warning: notifier {plugin!r} failed: {error}").format(plugin=failure.plugin, error=failure.error),
            err=True,
        )
    payload = {"now": format_datetime(now), "actions": actions, "delivered": len(delivered), "held": len(held)}
    if fmt == "json" and output is None:
        emit_json(payload)
        return
    rows = [
        [a["id"], app.shown(a["clock"]), app.shown(a["level"]), _short(a["at"]), ", ".join(a["recipients"])]
        for a in actions
    ]
    headers = [_("id"), _("clock"), _("level"), _("passed at"), _("recipients")]
    show_rows(fmt, headers, rows, output=output, force=force, title=_("escalations"), json_value=payload)
    if fmt == "table" and output is None:
        summary = (
            _("{count} would escalate; nothing was written or sent")
            if dry_run
            else _("{count} escalated; {delivered} notices delivered, {held} held until open hours")
        )
        click.echo("\n" + summary.format(count=len(actions), delivered=len(delivered), held=len(held)), err=True)
