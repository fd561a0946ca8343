"""Finding work: ``cstool search TEXT`` across every kind, and ``cstool queue``, the open
work of every kind ordered by what is due first."""

from __future__ import annotations

import os
import sys

import click

from cstool.cli.common import personal_fields, short_time, status_title
from cstool.cli.output import emit_json, emit_rows, format_option
from cstool.cli.output_files import check_suffix, output_option, save_rows
from cstool.core.i18n import _
from cstool.stores.base import EVERYTHING, SearchesText

MOST_SHOWN = 200  # a search that finds more says how many, and shows the first


def register(cli: click.Group) -> None:
    cli.add_command(search_command)
    cli.add_command(queue_command)


@click.command("search")
@click.argument("text")
@click.option("--kind", "kind_names", multiple=True, metavar="KIND", help="Only these kinds (repeat for more).")
@format_option()
@output_option
@click.pass_obj
def search_command(app, text, kind_names, fmt, output, force):
    """Find records of every kind by a word of their text, an id, an external id, or a
    whole name, phone (138 1234 1234, +86…) or e-mail. Personal values are shown masked."""
    from cstool.core.search import hits

    if output is not None:
        check_suffix(output)
    kinds = [app.kinds.get(name) for name in kind_names] if kind_names else list(app.kinds)
    found: list = []
    looked_up: dict[str, tuple] = {}
    indexed = app.store if isinstance(app.store, SearchesText) else None
    for kind in kinds:
        text_fields = [f.name for f in kind.fields if f.type == "text" and not f.personal]
        personal = dict(personal_fields(kind))
        wanted = app.visible(EVERYTHING)
        candidates = indexed.search(kind.name, text, wanted) if indexed is not None else None
        for record in candidates if candidates is not None else app.store.stream(kind.name, wanted):
            matched = hits(record, text_fields, personal, text)
            if not matched:
                continue
            # what the results show, not the record: a word common to 90,000 records held
            # them all (17 s and 960 MB at 100,000 narratives)
            found.append(
                (
                    kind,
                    {
                        "id": record["id"],
                        "kind": kind.name,
                        "status": record.get("status"),
                        "created_at": record.get("created_at"),
                        "matched": [hit.field for hit in matched],
                        "snippet": next((hit.snippet for hit in matched if hit.snippet), ""),
                    },
                )
            )
            personal_hits = [hit.field for hit in matched if hit.personal]
            if personal_hits:
                looked_up.setdefault(kind.name, (kind, set(), []))[1].update(personal_hits)
                looked_up[kind.name][2].append(record["id"])
    for kind, fields, ids in looked_up.values():  # a match confirms a guessed phone or name: audited
        app.book.record_reveal(kind, ids, sorted(fields), via="search")
    found.sort(key=lambda item: item[1]["created_at"] or "", reverse=True)  # newest first
    rows = [row for _kind, row in found]
    payload = {"query": text, "count": len(rows), "results": rows}
    if fmt == "json" and output is None:
        emit_json(payload)
        return
    lang = app.lang
    headers = [_("id"), _("kind"), _("status"), _("created"), _("matched in"), _("text")]
    table = [
        [
            row["id"],
            kind.title(lang),
            status_title(kind, row["status"], lang),
            short_time(row["created_at"]),
            ", ".join(_field_title(kind, name, lang) for name in row["matched"]),
            row["snippet"],
        ]
        for kind, row in found
    ]
    if output is not None:
        save_rows(
            output,
            title=_("search: {text}").format(text=text),
            headers=headers,
            rows=table,
            json_value=payload,
            force=force,
        )
        return
    emit_rows(fmt, headers, table[:MOST_SHOWN] if fmt == "table" else table)
    if fmt == "table":
        counted = _("{count} found").format(count=len(table))
        if len(table) > MOST_SHOWN:
            counted += " (" + _("the first {shown} shown").format(shown=MOST_SHOWN) + ")"
        click.echo("\n" + counted, err=True)


def _field_title(kind, name: str, lang: str) -> str:
    if name == "events":
        return _("trail")
    field = kind.field(name)
    return field.title(lang) if field is not None else name


@click.command("queue")
@click.option("--owner", metavar="NAME", help="Only work this person owns.")
@click.option("--mine", is_flag=True, help="Only my work (--owner the current user).")
@click.option("--department", metavar="D", help="Only work of this department.")
@click.option("--kind", "kind_names", multiple=True, metavar="KIND", help="Only these kinds (repeat for more).")
@format_option()
@output_option
@click.pass_obj
def queue_command(app, owner, mine, department, kind_names, fmt, output, force):
    """Open work of every kind with service levels, what is due first at the top: breached
    (most overdue first), then by due time; work without a clock last."""
    if output is not None:
        check_suffix(output)
    if mine:
        owner = app.user
    if department:
        department = app.names.id_of(department) or department  # 客户服务部 as well as customer_service
    from cstool.core.work import open_work

    now = app.now()
    items = open_work(app, now, owner=owner, department=department, kind_names=kind_names)
    rows = [item.as_row() for item in items]
    payload = {"now": now.isoformat(timespec="seconds"), "count": len(rows), "queue": rows}
    if fmt == "json" and output is None:
        emit_json(payload)
        return
    lang = app.lang
    headers = [_("due"), _("state"), _("clock"), _("id"), _("kind"), _("status"), _("owner"), _("department")]
    table = [
        [
            short_time(row["due_at"]),
            app.shown(row["state"]) if row["state"] else "",
            app.shown(row["clock"]) if row["clock"] else "",
            row["id"],
            kind.title(lang),
            status_title(kind, row["status"], lang),
            row["owner"],
            app.shown(row["department"]),
        ]
        for kind, row in ((item.kind, row) for item, row in zip(items, rows))
    ]
    if output is not None:
        save_rows(output, title=_("queue"), headers=headers, rows=table, json_value=payload, force=force)
        return
    if fmt == "table" and _colour_wanted():
        table = [_coloured(line, row["state"]) for line, row in zip(table, rows)]
    emit_rows(fmt, headers, table)
    if fmt == "table":
        breached = sum(row["state"] == "breached" for row in rows)
        click.echo("\n" + _("{count} open, {breached} breached").format(count=len(rows), breached=breached), err=True)


def _colour_wanted() -> bool:
    """Colour on a terminal only, and never with NO_COLOR set (no-color.org)."""
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _coloured(line: list, state: str | None) -> list:
    colour = {"breached": "red", "warning": "yellow"}.get(state or "")
    return [click.style(str(cell), fg=colour) for cell in line] if colour else line
