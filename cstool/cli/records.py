"""Commands on records: record, list, show, update, respond, status, assign, kinds, classify."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import click

from cstool.cli.common import (
    field_title,
    parse_day,
    parse_instant,
    parse_sets,
    records_for_output,
    short_time,
    show_record,
    status_title,
)
from cstool.cli.completion import complete_id, complete_kind
from cstool.cli.output import emit_json, emit_json_with_items, emit_rows, format_option, json_item, reveal_option
from cstool.cli.output_files import check_suffix, output_option, save_rows, show_rows
from cstool.core.errors import CstoolError
from cstool.core.i18n import _
from cstool.core.timeutil import format_datetime
from cstool.stores.base import Selection

at_option = click.option("--at", metavar="T", help="When it happened (ISO 8601; default now). For back-dated entries.")
no_input_option = click.option("--no-input", "no_input_here", is_flag=True, help="Never prompt.")
set_option = click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A field value; repeat for more.")


def register(cli: click.Group) -> None:
    for command in (
        record_command,
        list_command,
        show_command,
        update_command,
        respond_command,
        status_command,
        assign_command,
        report_up_command,
        void_command,
        undo_command,
        kinds_command,
        classify_command,
    ):
        cli.add_command(command)


@click.command("record")
@click.argument("kind_name", metavar="KIND", shell_complete=complete_kind)
@set_option
@at_option
@no_input_option
@click.option("--resume", is_flag=True, help="Continue your unfinished entry of KIND (kept on Ctrl-C or a crash).")
@format_option()
@reveal_option()
@click.pass_obj
def record_command(app, kind_name, sets, at, no_input_here, resume, fmt, reveal):
    """Register a new record of KIND; prompts for what is missing on a terminal."""
    kind = app.kinds.get(kind_name)
    values: dict = parse_sets(sets)
    when = parse_instant(app, at, "--at")
    if when is not None:
        if when > app.now():
            raise click.BadParameter(_("{at} is in the future").format(at=format_datetime(when)), param_hint="--at")
        values["created_at"] = format_datetime(when)
    from cstool.cli import prompts

    prompting = prompts.can_prompt(app, no_input_here)
    if prompting:
        values = prompts.fill_record(app, kind, values, resume=resume)
    record = app.book.create(kind, values)
    if prompting:
        prompts.forget_draft(app, kind)
    show_record(app, kind, record, fmt, reveal=reveal)


def selection(app, kind, statuses, first, last, conditions) -> Selection:
    """What ``list`` keeps, for the store to find: a status may be named by its Chinese
    title in ``--where status=…``, a choice by its display name (``channel=电话``); a day
    range becomes instants of the workspace zone."""
    tz = app.tz
    equals = []
    for name, wanted in conditions.items():
        field = kind.field(name)
        if name == "status":
            wanted = next((s.name for s in kind.statuses if status_title(kind, s.name, "zh") == wanted), wanted)
        elif field is not None:
            wanted = app.aliases(field).get(wanted.strip().lower()) or app.names.id_of(wanted) or wanted
        else:  # an envelope value without choices (a department, a category a rule set): by its name too
            wanted = app.names.id_of(wanted) or wanted
        equals.append((name, wanted))
    wanted = Selection(
        statuses=frozenset(statuses) if statuses is not None else None,
        created_from=datetime.combine(first, time.min, tz) if first else None,
        created_before=datetime.combine(last + timedelta(days=1), time.min, tz) if last else None,
        equals=tuple(equals),
    )
    return app.visible(wanted)


@click.command("list")
@click.argument("kind_name", metavar="KIND", shell_complete=complete_kind)
@click.option(
    "--where", multiple=True, metavar="FIELD=VALUE", help="Keep records whose FIELD equals VALUE (tags: contains)."
)
@click.option("--status", "status_name", metavar="S", help="A status or a phase (open, pending, resolved, closed).")
@click.option("--since", metavar="D", help="Created on or after this date (YYYY-MM-DD, today, this-week, last-month…).")
@click.option("--until", metavar="D", help="Created on or before this date (the end of this-week, last-month…).")
@click.option("--sort", "sort_by", metavar="FIELD", help="Order by FIELD (-FIELD: descending; empty values last).")
@format_option()
@reveal_option()
@output_option
@click.pass_obj
def list_command(app, kind_name, where, status_name, since, until, sort_by, fmt, reveal, output, force):
    """List records of KIND, filtered."""
    kind = app.kinds.get(kind_name)
    if output is not None:
        check_suffix(output)
    if (
        sort_by
        and kind.field(sort_by.lstrip("-")) is None
        and sort_by.lstrip("-") not in ("id", "status", "updated_at")
    ):
        raise click.BadParameter(
            _("unknown field {name!r} for kind {kind}").format(name=sort_by.lstrip("-"), kind=kind.name),
            param_hint="--sort",
        )
    conditions = parse_sets(where, "--where")
    for name in conditions:
        if kind.field(name) is None and name not in ("id", "status", "updated_at"):
            raise click.BadParameter(
                _("unknown field {name!r} for kind {kind}").format(name=name, kind=kind.name), param_hint="--where"
            )
    today = app.now().date()
    first, last = parse_day(since, "--since", today=today), parse_day(until, "--until", today=today, end=True)
    statuses = None
    if status_name:
        phases = {s.name: s.phase for s in kind.statuses}
        statuses = {n for n, p in phases.items() if status_name in (n, p)} or (
            {kind.status(status_name).name} if kind.status(status_name) else None
        )
        if not statuses:
            raise click.BadParameter(
                _("{status_name!r} is neither a status of {name} nor a phase").format(
                    status_name=status_name, name=kind.name
                ),
                param_hint="--status",
            )
    wanted = selection(app, kind, statuses, first, last, conditions)
    looked_up = sorted(name for name in conditions if (found := kind.field(name)) is not None and found.personal)
    if (
        fmt == "json" and not sort_by and output is None
    ):  # one record at a time: memory holds the output, not the records
        _list_json(app, kind, app.store.stream(kind.name, wanted), looked_up, reveal)
        return
    chosen = app.store.select(kind.name, wanted)
    if sort_by:
        name = sort_by.lstrip("-")
        present = [r for r in chosen if r.get(name) not in (None, "", [])]
        present.sort(key=lambda r: str(r[name]), reverse=sort_by.startswith("-"))
        chosen = present + [r for r in chosen if r.get(name) in (None, "", [])]
    if looked_up and chosen and not reveal:  # a match confirms a guessed phone or id number: audited
        app.book.record_reveal(kind, [r["id"] for r in chosen], looked_up, via="--where")
    shown = records_for_output(app, kind, chosen, reveal)
    listed = {"kind": kind.name, "count": len(shown), "records": shown}
    if fmt == "json" and output is None:
        emit_json(listed)
        return
    columns = ["id", "status", "created_at", "priority", "category", "owner", *kind.list_columns]
    lang = app.lang
    headers = [field_title(kind, c, lang) for c in columns]
    # people read names (a table, a file); a script reading CSV on stdout gets the ids
    named = app.shown if fmt != "csv" or output is not None else (lambda value: value)
    rows = [
        [
            status_title(kind, r["status"], lang)
            if c == "status"
            else short_time(r[c])
            if c == "created_at"
            else named(r.get(c))
            for c in columns
        ]
        for r in shown
    ]
    if output is not None:
        save_rows(output, title=kind.title(lang), headers=headers, rows=rows, json_value=listed, force=force)
        return
    emit_rows(fmt, headers, rows)
    if fmt == "table":
        click.echo(f"\n{len(shown)} {kind.title(lang)}", err=True)


def _list_json(app, kind, records, looked_up: list[str], reveal: bool) -> None:
    """``list --format json`` as each record arrives: masked and written to bytes, then
    dropped. The reveals are written after the last record (a store may be busy sending)."""
    shown, ids = [], []
    for record in records:
        ids.append(record["id"])
        shown.append(json_item(record if reveal else records_for_output(app, kind, [record])[0]))
    if reveal:
        records_for_output(app, kind, [app.store.get(kind.name, record_id) for record_id in ids], reveal=True)
    elif looked_up and ids:  # a match confirms a guessed phone or id number: audited
        app.book.record_reveal(kind, ids, looked_up, via="--where")
    emit_json_with_items({"kind": kind.name, "count": len(shown)}, "records", shown)


@click.command("show")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@format_option()
@reveal_option()
@click.pass_obj
def show_command(app, record_id, fmt, reveal):
    """Show one record with its audit trail."""
    from cstool.core.trail import broken

    kind, record = app.book.get(record_id)
    app.require_to_see(record)
    flaw = broken(record, kind.name)
    if flaw is not None and flaw[0] != "unsealed":
        app.warn(
            _("{id}: its trail fails its seal: {detail} (cstool audit verify)").format(id=record["id"], detail=flaw[1])
        )
    if reveal:
        records_for_output(app, kind, [record], True)
        kind, record = app.book.get(record_id)  # with the reveal in its trail
    else:
        record = records_for_output(app, kind, [record])[0]
    history = _history(app, kind, record)
    if history is not None and fmt == "json":
        record = {**record, "history": history}
    show_record(app, kind, record, fmt, prepared=True)
    if history and fmt == "table":
        click.echo()
        lang = app.lang
        emit_rows(
            "table",
            [field_title(kind, name, lang) for name in ("id", "kind", "status", "created_at", "category", "owner")],
            [
                [
                    h["id"],
                    app.kinds.get(h["kind"]).title(lang),
                    status_title(app.kinds.get(h["kind"]), h["status"], lang),
                    short_time(h["created_at"]),
                    app.shown(h["category"]),
                    h["owner"],
                ]
                for h in history
            ],
        )


def _history(app, kind, record) -> list[dict] | None:
    """Records of every kind that point to this one: a customer's complaints, cases and
    calls (the kind's ``history_field``), and a call, survey or request whose link field
    (``Field(link=True)``) names it."""
    pointers = [(other, kind.history_field) for other in app.kinds if kind.history_field]
    pointers += [
        (other, f.name) for other in app.kinds for f in other.fields if f.link and f.name != kind.history_field
    ]
    if not pointers:
        return None
    found = []
    for other, name in pointers:
        wanted = Selection(equals=((name, record["id"]),))
        found += [r for r in app.store.select(other.name, wanted) if r.get(name) == record["id"]]
    found = list({r["id"]: r for r in found}.values())
    found.sort(key=lambda r: r["created_at"])
    return [{key: r.get(key) for key in ("id", "kind", "status", "created_at", "category", "owner")} for r in found]


@click.command("update")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@set_option
@at_option
@no_input_option
@format_option()
@click.pass_obj
def update_command(app, record_id, sets, at, no_input_here, fmt):
    """Change fields of a record (status, owner and clock stamps have their own commands)."""
    if not sets:
        raise click.UsageError(_("nothing to change: give --set FIELD=VALUE"))
    record = app.book.update(record_id, parse_sets(sets), parse_instant(app, at, "--at"))
    kind = app.kinds.get(record["kind"])
    show_record(app, kind, record, fmt)


@click.command("respond")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@at_option
@click.option("--note", metavar="TEXT", help="What was said.")
@format_option()
@click.pass_obj
def respond_command(app, record_id, at, note, fmt):
    """Record a reply or contact; the first one stops the first-response clock."""
    record = app.book.respond(record_id, parse_instant(app, at, "--at"), note)
    kind = app.kinds.get(record["kind"])
    show_record(app, kind, record, fmt)


@click.command("status")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@click.argument("status_name", metavar="STATUS")
@at_option
@click.option("--note", metavar="TEXT")
@format_option()
@click.pass_obj
def status_command(app, record_id, status_name, at, note, fmt):
    """Move a record to STATUS (pending pauses, resolved/closed stop the resolution clock)."""
    record = app.book.set_status(record_id, status_name, parse_instant(app, at, "--at"), note)
    kind = app.kinds.get(record["kind"])
    show_record(app, kind, record, fmt)


@click.command("void")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@click.option("--reason", required=True, metavar="TEXT", help="Why it was entered in error (kept in the trail).")
@format_option()
@click.pass_obj
def void_command(app, record_id, reason, fmt):
    """Void a record entered in error: out of every figure and queue, its clocks stopped,
    still findable (list --status void, show, search). `undo` takes it back."""
    record = app.book.void(record_id, reason)
    show_record(app, app.kinds.get(record["kind"]), record, fmt)


@click.command("undo")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@format_option()
@click.pass_obj
def undo_command(app, record_id, fmt):
    """Take back your own last change to a record (an update, a reply, a status, a
    hand-over, a void), if nothing has happened to it since."""
    record, taken = app.book.undo(record_id)
    if fmt != "json":
        undone = ", ".join(f"{e['type']} ({short_time(e['at'])})" for e in taken)
        click.echo(_("undone: {events}").format(events=undone), err=True)
    show_record(app, app.kinds.get(record["kind"]), record, fmt)


@click.command("assign")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@click.argument("owner", metavar="OWNER")
@click.option("--department", metavar="D", help="Hand over to another department too.")
@at_option
@format_option()
@click.pass_obj
def assign_command(app, record_id, owner, department, at, fmt):
    """Hand a record over to OWNER (首问负责制: the only way the owner changes)."""
    if department is not None and department not in (app.policy.get("departments") or {}):
        known = ", ".join(app.policy.get("departments") or {}) or "none"
        raise CstoolError(
            _("unknown department {department!r}; departments in policy: {known}").format(
                department=department, known=known
            )
        )
    staff = _staff(app.policy.get("departments") or {})
    if staff and owner not in staff:
        raise CstoolError(
            _("{owner!r} is in no department of the policy (manager, supervisor or members); staff: {known}").format(
                owner=owner, known=", ".join(sorted(staff))
            )
        )
    record = app.book.assign(record_id, owner, department, parse_instant(app, at, "--at"))
    kind = app.kinds.get(record["kind"])
    show_record(app, kind, record, fmt)


@click.command("report-up")
@click.argument("record_id", metavar="ID", shell_complete=complete_id)
@click.option("--reason", required=True, metavar="TEXT", help="Why it cannot wait (written in the trail).")
@click.option(
    "--to",
    "role",
    type=click.Choice(["supervisor", "manager"]),
    default="supervisor",
    show_default=True,
    help="Whom of the case's department to tell.",
)
@at_option
@format_option()
@click.pass_obj
def report_up_command(app, record_id, reason, role, at, fmt):
    """上报: put a case before the supervisor (or manager) now, without waiting for its clocks;
    the owner keeps it (首问负责到底)."""
    from cstool.core.escalation import deliver, keep_pending

    record, notice = app.book.report_up(record_id, role, reason, parse_instant(app, at, "--at"))
    now = app.now()
    keep_pending(app, [notice], now)
    _delivered, held, failures = deliver(app, [], now)
    for failure in failures:
        click.echo(
            _("warning: notifier {plugin!r} failed: {error}").format(plugin=failure.plugin, error=failure.error),
            err=True,
        )
    if fmt != "json":
        told = ", ".join(notice["recipients"])
        click.echo(_("{id} reported up to {names}").format(id=record["id"], names=told), err=True)
    show_record(app, app.kinds.get(record["kind"]), record, fmt)


def _staff(departments: dict) -> set[str]:
    """Everyone the policy names in a department: managers, supervisors, members."""
    found: set[str] = set()
    for table in departments.values():
        if isinstance(table, dict):
            found |= {table[role] for role in ("manager", "supervisor") if isinstance(table.get(role), str)}
            found |= {m for m in table.get("members") or [] if isinstance(m, str)}
    return found


def kind_description(kind, app) -> dict:
    return {
        "name": kind.name,
        "prefix": kind.prefix,
        "plugin": kind.plugin,
        "label": dict(kind.label),
        "statuses": [{"name": s.name, "phase": s.phase, "label": dict(s.label)} for s in kind.statuses],
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "required": f.required,
                "choices": app.choices(f),
                "personal": f.personal,
                "label": {"en": f.title("en"), "zh": f.title("zh")},
                **({"min": f.min, "max": f.max} if f.min is not None or f.max is not None else {}),
            }
            for f in kind.fields
        ],
    }


@click.command("kinds")
@click.argument("kind_name", metavar="[KIND]", required=False)
@format_option()
@output_option
@click.pass_obj
def kinds_command(app, kind_name, fmt, output, force):
    """The kinds of record, their statuses and fields."""
    kinds = [app.kinds.get(kind_name)] if kind_name else list(app.kinds)
    described = [kind_description(k, app) for k in kinds]
    if fmt == "json" and output is None:
        emit_json({"kinds": described})
        return
    lang = app.lang
    if kind_name:
        kind = kinds[0]
        rows = [
            [
                f["name"],
                f["label"][lang],
                f["type"],
                "*" if f["required"] else "",
                _("personal") if f["personal"] else "",
                ", ".join(map(str, app.shown(f["choices"] or []))),
            ]
            for f in described[0]["fields"]
        ]
        headers = [_("field"), _("label"), _("type"), _("required"), _("privacy"), _("choices")]
        show_rows(fmt, headers, rows, output=output, force=force, title=kind.title(lang), json_value=described)
        if fmt == "table" and output is None:
            click.echo("\n" + "  ".join(f"{s.name} ({s.title(lang)}, {s.phase})" for s in kind.statuses))
        return
    rows = [
        [
            d["name"],
            d["prefix"],
            d["label"].get(lang, d["name"]),
            d["plugin"],
            len(d["fields"]),
            ", ".join(app.kinds.get(d["name"]).status(s["name"]).title(lang) for s in d["statuses"]),
        ]
        for d in described
    ]
    headers = [_("kind"), _("prefix"), _("label"), _("plugin"), _("fields"), _("statuses")]
    show_rows(fmt, headers, rows, output=output, force=force, title=_("kinds"), json_value={"kinds": described})


@click.command("classify")
@click.argument("record_ids", metavar="[ID]...", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every record (of --kind, or of every kind).")
@click.option("--kind", "kind_name", metavar="KIND", help="With --all: only this kind.")
@format_option()
@click.pass_obj
def classify_command(app, record_ids, everything, kind_name, fmt):
    """Run the classification rules again; values set by hand are kept."""
    if bool(record_ids) == everything:
        raise click.UsageError(_("give record ids or --all (not both)"))
    changed = []
    if everything:
        kinds = [app.kinds.get(kind_name)] if kind_name else list(app.kinds)
        for kind in kinds:
            changed += app.book.reclassify(kind, None)
    else:
        by_kind: dict = {}
        for record_id in record_ids:
            by_kind.setdefault(app.kinds.kind_of_id(record_id).name, []).append(record_id)
        for name, ids in by_kind.items():
            changed += app.book.reclassify(app.kinds.get(name), ids)
    results = [
        {"id": r["id"], "set": r["events"][-1].get("set"), "rules": r["events"][-1].get("rules")} for r in changed
    ]
    if fmt == "json":
        emit_json({"classified": len(results), "changes": results})
        return
    rows = [[r["id"], "; ".join(f"{k}={v}" for k, v in r["set"].items()), ", ".join(r["rules"])] for r in results]
    emit_rows(fmt, ["id", "set", "rules"], rows)
    if fmt == "table":
        click.echo("\n" + _("{count} records changed").format(count=len(results)), err=True)
