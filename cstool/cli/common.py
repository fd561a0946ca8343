"""Small helpers shared by the commands: option values, instants, record rendering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import click

from cstool.cli.output import emit_json, emit_rows, emit_table
from cstool.core.i18n import N_, _, language
from cstool.core.kinds import ENVELOPE_FIELDS, Kind
from cstool.core.privacy import masked_record
from cstool.core.timeutil import parse_date, parse_datetime, relative_day

ENVELOPE_LABELS = {f.name: f.label for f in ENVELOPE_FIELDS} | {
    "id": {"en": "Id", "zh": "编号"},
    "kind": {"en": "Kind", "zh": "记录类型"},
    "status": {"en": "Status", "zh": "状态"},
    "updated_at": {"en": "Updated at", "zh": "更新时间"},
}


def parse_sets(pairs: tuple[str, ...], option: str = "--set") -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(_("{pair!r} is not FIELD=VALUE").format(pair=pair), param_hint=option)
        values[name.strip()] = value
    return values


def parse_instant(app, text: str | None, option: str) -> datetime | None:
    """A --at / --now value in the workspace time zone; a usage error when it does not parse."""
    if text is None:
        return None
    try:
        return parse_datetime(text, app.tz, now=app.now())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def parse_day(text: str | None, option: str, *, today: date | None = None, end: bool = False) -> date | None:
    """A date option: ISO (2026-11-23), or, given ``today``, a relative name (today,
    yesterday, this-week, last-week, this-month, last-month; 今天 本月 …) as its period's
    first day, or its last with ``end`` (for --until)."""
    if text is None:
        return None
    if today is not None:
        found = relative_day(text, today, end)
        if found is not None:
            return found
    try:
        return parse_date(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def personal_fields(kind: Kind, record: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """(name, type) of the kind's personal fields, those a record makes public left out."""
    return [
        (f.name, f.type)
        for f in kind.fields
        if f.personal
        and not (record is not None and f.public_when and all(record.get(k) == v for k, v in f.public_when.items()))
    ]


def records_for_output(app, kind: Kind, records: list[dict], reveal: bool = False) -> list[dict]:
    """Records as they may be shown: masked, or (``reveal``) whole, with the reveal written
    to each record's trail as an event (who, when)."""
    personal = personal_fields(kind)
    if not personal:
        return records
    if reveal:
        app.book.record_reveal(kind, [r["id"] for r in records], [name for name, _ in personal])
        return records
    if not any(f.public_when for f in kind.fields if f.personal):
        return [masked_record(r, personal) for r in records]
    return [masked_record(r, personal_fields(kind, r)) for r in records]


def field_title(kind: Kind, name: str, lang: str) -> str:
    field = kind.field(name)
    if field is not None:
        return field.title(lang)
    titles = ENVELOPE_LABELS.get(name)
    return titles.get(lang, name) if titles else name


def status_title(kind: Kind, name: str, lang: str) -> str:
    status = kind.status(name)
    return status.title(lang) if status else name


def short_time(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else ""


def show_record(app, kind: Kind, record: dict, fmt: str, *, reveal: bool = False, prepared: bool = False) -> None:
    """One record, its personal data masked unless ``reveal`` (audited): JSON as stored; a
    table of labelled values and its events otherwise. ``prepared``: the caller already
    masked or revealed it (``records_for_output``)."""
    if not prepared:
        record = records_for_output(app, kind, [record], reveal)[0]
    if fmt == "json":
        emit_json(record)
        return
    lang = app.lang
    names = [n for n in record if n not in ("events", "classified", "trail")]
    rows = []
    for name in names:
        value = record[name]
        if name == "status":
            value = f"{status_title(kind, value, lang)} ({value})"
        elif isinstance(value, str | list) and app.shown(value) != value:  # an id with a name: both
            shown = app.shown(value)
            value = f"{shown} ({value})" if isinstance(value, str) else ", ".join(shown)
        rows.append([field_title(kind, name, lang), value])
    if fmt == "csv":
        emit_rows("csv", ["field", "value"], [[n, record[n]] for n in names])
        return
    emit_table(None, rows, width=None)
    if record.get("attachments"):
        from cstool.core.attachments import listed

        click.echo(f"\n【{_('Attachments')}】\n" + "\n".join(listed(record)))
    for notes in app.hook.cstool_record_notes(kind=kind, record=record, policy=app.policy, lang=lang):
        for title, text in notes or []:
            click.echo(f"\n【{title}】\n{text}")
    click.echo()
    events = [
        [short_time(e.get("at")), app.shown(e.get("by")), app.shown(e.get("type")), _event_details(e, kind, app.shown)]
        for e in record.get("events", [])
    ]
    emit_table([_("At"), _("By"), _("Event"), _("Details")], events, width=None)


def _plain(value: Any, named=lambda value: value, kind: Kind | None = None) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_plain(v, named, kind) for v in value)
    if isinstance(value, dict):  # field=value pairs (what a rule set): each field by its title
        return "; ".join(
            f"{field_title(kind, k, language()) if kind else k}={_plain(v, named, kind)}" for k, v in value.items()
        )
    return "" if value is None else str(named(value))


# The words of a trail's details, as a person reads them (the keys stay ids in JSON).
DETAIL_WORDS = {
    "from": N_("from"),
    "to": N_("to"),
    "note": N_("note"),
    "fields": N_("fields seen"),
    "via": N_("via"),
    "rules": N_("rules"),
    "set": N_("set"),
    "clock": N_("clock"),
    "level": N_("level"),
    "notify": N_("notify"),
    "recipients": N_("recipients"),
    "department": N_("department"),
    "undone": N_("undone"),
    "voided": N_("voided"),
    "closed_without_reply": N_("closed without reply"),
    "inbox": N_("inbox"),
    "received_at": N_("received"),
    "subject": N_("subject"),
}


def _event_details(item: dict[str, Any], kind: Kind | None = None, named=lambda value: value) -> str:
    """An event's details on one line: its words in the chosen language, statuses by their
    titles and ids by their names (``named``)."""

    def shown(key: str, value: Any) -> str:
        status = kind.status(value) if key in ("from", "to") and kind is not None and isinstance(value, str) else None
        if status is not None:
            return status.title(language())
        return _plain(value, named, kind)

    parts = []
    for key, value in item.items():
        if key in ("at", "by", "type", "undo"):  # undo: what `cstool undo` needs, not for reading
            continue
        word = _(DETAIL_WORDS[key]) if key in DETAIL_WORDS else key
        if key == "changes" and isinstance(value, dict):
            parts.append(
                "; ".join(
                    f"{field_title(kind, k, language()) if kind else k}: "
                    f"{_plain(old, named) or '∅'} → {_plain(new, named) or '∅'}"
                    for k, (old, new) in value.items()
                )
            )
        else:
            parts.append(f"{word}: {shown(key, value)}")
    return " | ".join(parts)
