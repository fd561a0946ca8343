"""``cstool report NAME``: the reports plugins declare."""

from __future__ import annotations

from typing import Any

import click

from cstool.cli.common import parse_day, parse_instant
from cstool.cli.completion import complete_report
from cstool.cli.output import REPORT_FORMATS, emit_json, emit_rows, format_option
from cstool.cli.output_files import check_suffix, output_option, save_blocks
from cstool.core.errors import CstoolError
from cstool.core.i18n import N_, _
from cstool.core.timeutil import month_period, quarter_period

PAGE_FORMATS = (*REPORT_FORMATS, "html", "xlsx")


def register(cli: click.Group) -> None:
    cli.add_command(report_command)


@click.command("report")
@click.argument("name", required=False, shell_complete=complete_report)
@click.option("--since", metavar="D", help="From this date (YYYY-MM-DD), inclusive.")
@click.option("--until", metavar="D", help="To this date, inclusive.")
@click.option("--month", metavar="M", help="The month YYYY-MM (or last-month): --since and --until at once.")
@click.option("--quarter", metavar="Q", help="The quarter YYYYQn (or last-quarter): --since and --until at once.")
@click.option("--by", metavar="FIELD", help="Group rows by this field (each report lists what it accepts).")
@click.option("--now", "now_text", metavar="T", help="Evaluate as of this instant.")
@click.option("--send", is_flag=True, help="Send the report as a file to its recipients (policy [reports.send]).")
@format_option(PAGE_FORMATS)
@output_option
@click.pass_obj
def report_command(app, name, since, until, month, quarter, by, now_text, send, fmt, output, force):
    """Run report NAME, or list the reports. `report monthly --month 2026-11` is the 月报 of
    every department; --format html draws charts, --format xlsx (with --output) makes a workbook."""
    from cstool.core.reports import ReportRequest

    if output is not None:
        check_suffix(output)  # before the work, not after it
    if fmt == "xlsx" and output is None and not send:
        raise click.BadParameter(_("a workbook is a file: give --output FILE.xlsx"), param_hint="--format")

    reports = app.reports()
    lang = app.lang
    if name is None:
        rows = [[r.name, r.title.get(lang, r.name), ", ".join(r.by), r.plugin] for r in reports.values()]
        if fmt == "json":
            emit_json(
                {"reports": [{"name": r[0], "title": r[1], "by": list(reports[r[0]].by), "plugin": r[3]} for r in rows]}
            )
        else:
            headers = [_("report"), _("title"), "--by", _("plugin")]
            emit_rows(fmt if fmt in REPORT_FORMATS else "table", headers, rows)
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
    now = parse_instant(app, now_text, "--now") or app.now()
    first, last = _period(app, name, since, until, month, quarter, now.astimezone(app.tz).date())
    request = ReportRequest(
        stored=app.store.records,
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
        reports=reports,
        viewer=app.user if app.store_url is not None else None,
    )
    from cstool.core.files import collector_paused

    app.prepare_clocks()
    with collector_paused():  # reports build many short-lived objects and no cycles
        result = request.run(name, by)
    notes = _holiday_notes(app, first, last, now.astimezone(app.tz).date())
    payload = {
        "report": name,
        "since": first and first.isoformat(),
        "until": last and last.isoformat(),
        "columns": result.columns,
        "rows": result.rows,
        "totals": result.totals,
        **({"sections": [_section_json(s, lang) for s in result.sections]} if result.sections else {}),
        **({"notes": notes} if notes else {}),
    }
    title = result.title.get(lang) or report.title.get(lang, name)
    period = f"{first or '…'} – {last or '…'}" if first or last else ""
    if send:
        from cstool.cli.report_sending import send_report

        send_report(app, name, title, period, _blocks(app, result, fmt, True), payload, fmt, output, force)
    elif output is not None:  # a file for people, totals included (stdout CSV stays rows only, for scripts)
        heading = f"{title} ({period})" if period else title
        save_blocks(output, title=heading, blocks=_blocks(app, result, "file", True), json_value=payload, force=force)
    elif fmt == "json":
        emit_json(payload)
    elif fmt not in REPORT_FORMATS:  # a page, or a plugin's format: the file it would write, on stdout
        from cstool.cli.output_files import render

        blocks = _blocks(app, result, fmt, True)
        click.echo(render(fmt, title, blocks, payload, period).decode("utf-8"), nl=False)
    else:
        _print(app, result, title, period, fmt)
    for note in notes:  # beside the rows, not in them: stdout may be a file or a pipe
        click.echo(_("warning: {message}").format(message=note), err=True)


def _period(app, name, since, until, month, quarter, today):
    """The period asked for: --month, --quarter or --since/--until (one way at a time);
    the monthly report without one is the last whole month (what a cron line on the 1st wants)."""
    given = [option for option, value in (("--month", month), ("--quarter", quarter)) if value is not None]
    if len(given) > 1 or (given and (since or until)):
        raise click.UsageError(_("give one period: --month, --quarter, or --since/--until"))
    try:
        if month is not None:
            return month_period(month, today)
        if quarter is not None:
            return quarter_period(quarter, today)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=given[0]) from None
    if name == "monthly" and since is None and until is None:
        return month_period("last-month", today)
    first, last = parse_day(since, "--since", today=today), parse_day(until, "--until", today=today, end=True)
    if first and last and first > last:
        raise click.BadParameter(
            _("--since {since} is after --until {until}: the period is empty").format(since=since, until=until),
            param_hint="--since",
        )
    return first, last


def _section_json(section, lang: str) -> dict:
    result = section.result
    return {
        "report": section.name,
        "by": section.by,
        "title": result.title.get(lang) or section.title.get(lang, section.name),
        "columns": result.columns,
        "rows": result.rows,
        "totals": result.totals,
    }


def _parts(result, lang: str) -> list[tuple[str, Any]]:
    """(title, result) of each table: the sections of a report made of others, else itself."""
    if not result.sections:
        return [("", result)]
    parts = []
    for section in result.sections:
        title = section.result.title.get(lang) or section.title.get(lang, section.name)
        if section.by:
            title += " · " + section.result.labels.get(section.by, {}).get(lang, section.by)
        parts.append((title, section.result))
    return parts


def _blocks(app, result, fmt: str, with_totals: bool):
    """Each table of ``result`` as a ``Block``: headings in the chosen language, ids shown
    by their names (but in CSV on stdout, which a script reads), totals rows, the figures
    of the whole that are no column, and its chart for a page or a workbook."""
    from cstool.cli.blocks import Block

    lang = app.lang
    named = app.shown if fmt != "csv" else (lambda value: value)
    blocks = []
    for title, part in _parts(result, lang):

        def heading(column, part=part):
            given = part.labels.get(column, {}).get(lang)
            if given:
                return given
            common = COMMON_HEADINGS.get(column)
            return _(common) if common else str(app.shown(column))

        plot = None
        if part.chart is not None and fmt in ("html", "xlsx", "file"):
            from cstool.cli.charts import plot_of

            plot = plot_of(part.chart, part.rows, heading, named)
        totals = _totals_rows(part) if with_totals and part.totals else []
        rows = [[named(row.get(c)) for c in part.columns] for row in part.rows] + [
            [named(value) for value in row] for row in totals
        ]
        remarks = [
            f"{heading(key)}: {_remark(named(value))}"
            for key, value in part.totals.items()
            if key not in part.columns and not isinstance(value, dict)
        ]
        blocks.append(
            Block(
                title or (part.title.get(lang) or ""),
                [heading(c) for c in part.columns],
                rows,
                len(totals),
                remarks,
                plot,
            )
        )
    return blocks


# Headings of figures many reports give, for a report that names none of them.
COMMON_HEADINGS = {"count": N_("count"), "total": N_("total"), "records": N_("records")}


def _remark(value) -> str:
    if value is None or value == []:
        return "—"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _print(app, result, title: str, period: str, fmt: str) -> None:
    """A report on the terminal (table, md) or as CSV rows for a script (no totals)."""
    blocks = _blocks(app, result, fmt, fmt != "csv")
    if fmt in ("table", "md"):
        click.echo(f"{title}  ({period})" if period else title)
        click.echo()
    for index, block in enumerate(blocks):
        if result.sections:
            click.echo(("\n" if index else "") + (f"## {block.title}" if fmt == "md" else block.title))
            if fmt != "csv":
                click.echo()
        if block.rows or not result.sections:
            emit_rows(fmt, block.headers, block.rows)
        else:
            click.echo(_("nothing in this period"))
        if fmt in ("table", "md"):  # figures of the whole that are no column (end to end, the weakest link)
            for remark in block.notes:
                click.echo(remark)


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


def _holiday_notes(app, first, last, today):
    """Warnings for the years the report counts with no holidays in a calendar: from its
    first day (for an open start, the month of the oldest record of a kind with service
    levels) to its last (or today); and next year's, in December, when it reaches today."""
    from datetime import date

    from cstool.stores.base import EVERYTHING, MONTH

    if first is None:
        months = [
            month
            for kind in (app.policy.get("sla") or {})
            if kind in app.kinds.names()
            for (month,) in app.store.tally(kind, EVERYTHING, (MONTH,), app.tz)
            if month
        ]
        first = date.fromisoformat(min(months) + "-01") if months else today
    reaches_today = last is None or last >= today
    return app.sla.holiday_gaps(first, last or today, today=today if reaches_today else None)
