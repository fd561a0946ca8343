"""``cstool report NAME``: the reports plugins declare."""

from __future__ import annotations

import click

from cstool.cli.common import parse_day, parse_instant
from cstool.cli.output import REPORT_FORMATS, emit_json, emit_rows, format_option
from cstool.cli.output_files import check_suffix, output_option, save_rows
from cstool.core.errors import CstoolError
from cstool.core.i18n import _


def register(cli: click.Group) -> None:
    cli.add_command(report_command)


@click.command("report")
@click.argument("name", required=False)
@click.option("--since", metavar="D", help="From this date (YYYY-MM-DD), inclusive.")
@click.option("--until", metavar="D", help="To this date, inclusive.")
@click.option("--by", metavar="FIELD", help="Group rows by this field (each report lists what it accepts).")
@click.option("--now", "now_text", metavar="T", help="Evaluate as of this instant.")
@format_option(REPORT_FORMATS)
@output_option
@click.pass_obj
def report_command(app, name, since, until, by, now_text, fmt, output, force):
    """Run report NAME, or list the reports."""
    from cstool.core.reports import ReportRequest

    if output is not None:
        check_suffix(output)  # before the work, not after it

    reports = app.reports()
    lang = app.lang
    if name is None:
        rows = [[r.name, r.title.get(lang, r.name), ", ".join(r.by), r.plugin] for r in reports.values()]
        if fmt == "json":
            emit_json(
                {"reports": [{"name": r[0], "title": r[1], "by": list(reports[r[0]].by), "plugin": r[3]} for r in rows]}
            )
        else:
            emit_rows(fmt, ["report", "title", "--by", "plugin"], rows)
        return
    report = reports.get(name)
    if report is None:
        raise CstoolError(
            _("unknown report {name!r}; reports: {reports}").format(name=name, reports=", ".join(reports))
        )
    if by is not None and by not in report.by:
        accepted = ", ".join(report.by) or "no --by"
        raise click.BadParameter(
            _("report {name} groups by {accepted}, not {by!r}").format(name=name, accepted=accepted, by=by),
            param_hint="--by",
        )
    today = app.now().date()
    first, last = parse_day(since, "--since", today=today), parse_day(until, "--until", today=today, end=True)
    if first and last and first > last:
        raise click.BadParameter(
            _("--since {since} is after --until {until}: the period is empty").format(since=since, until=until),
            param_hint="--since",
        )
    now = parse_instant(app, now_text, "--now") or app.now()
    request = ReportRequest(
        records=app.store.records,
        policy=app.policy,
        since=first,
        until=last,
        by=by,
        now=now,
        lang=lang,
        kinds=app.kinds,
        clock_source=app.clocks,
        store=app.store,
        clock_tally_source=app.clock_tally,
    )
    from cstool.core.files import collector_paused

    app.prepare_clocks()
    with collector_paused():  # reports build many short-lived objects and no cycles
        result = report.run(request)
    notes = app.sla.holiday_gaps(first or now.astimezone(app.tz).date(), last or now.astimezone(app.tz).date())
    payload = {
        "report": name,
        "since": since and first.isoformat(),
        "until": until and last.isoformat(),
        "columns": result.columns,
        "rows": result.rows,
        "totals": result.totals,
        **({"notes": notes} if notes else {}),
    }
    if fmt == "json" and output is None:
        emit_json(payload)
        return
    headers = [result.labels.get(c, {}).get(lang, c) for c in result.columns]
    rows = [[row.get(c) for c in result.columns] for row in result.rows]
    totals = _totals_rows(result) if result.totals and (fmt != "csv" or output is not None) else []
    rows += totals
    if output is not None:  # a file for people, totals included (stdout CSV stays rows only, for scripts)
        title = f"{result.title.get(lang, name)}" + (f" ({since or '…'} – {until or '…'})" if since or until else "")
        save_rows(output, title=title, headers=headers, rows=rows, json_value=payload, force=force, totals=len(totals))
        return
    if fmt in ("table", "md"):
        click.echo(
            f"{result.title.get(lang, name)}" + (f"  ({since or '…'} – {until or '…'})" if since or until else "")
        )
        click.echo()
    emit_rows(fmt, headers, rows)
    if fmt in ("table", "md"):  # figures of the whole that are no column (end to end, the weakest link)
        for key, value in result.totals.items():
            if key not in result.columns and not isinstance(value, dict | list):
                click.echo(f"{result.labels.get(key, {}).get(lang, key)}: {value if value is not None else '—'}")
    for note in notes:  # beside the rows, not in them: stdout may be a file or a pipe
        click.echo(_("warning: {message}").format(message=note), err=True)


def _totals_rows(result) -> list[list]:
    """The totals as rows under the table: one figure set, or one per clock (or other
    sub-group) as nested objects; a summary's totals are its rows already."""
    total = _("Total")
    nested = all(isinstance(v, dict) for v in result.totals.values())
    return [
        [total if i == 0 else figures.get(c, "") for i, c in enumerate(result.columns)]
        for figures in (result.totals.values() if nested else [result.totals])
        if any(c in figures for c in result.columns[1:])
    ]
