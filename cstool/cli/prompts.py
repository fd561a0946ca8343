"""Interactive entry at questionary prompts, for staff at a terminal.

questionary (and prompt_toolkit under it) is imported only when a prompt is drawn.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cstool.core.fields import parse_value
from cstool.core.i18n import _
from cstool.core.kinds import Field, Kind
from cstool.core.work import CUSTOMER_KIND, TAIL_DIGITS, contact_values, find_customers

SKIP = "—"


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def can_prompt(app, no_input_here: bool = False) -> bool:
    return not (app.no_input or no_input_here) and stdin_is_terminal()


def _validator(app, kind: Kind | None, field: Field, answers: dict[str, Any], required: bool):
    """Each answer checked when Enter is pressed: its own value, and (given the kind) what
    the plugins say of it beside the answers before it, so a link to a record that does not
    exist is refused there and then, not after the whole entry."""
    choices = app.choices(field, answers)

    def validate(text: str) -> bool | str:
        if not text.strip():
            return True if not required else _("required")
        try:
            parse_value(field, text, tz=app.tz, choices=choices, aliases=app.aliases(field))
        except ValueError as exc:
            return str(exc)
        if kind is not None:
            problems = app.book.answer_problems(kind, {**answers, field.name: text}, field.name)
            if problems:
                return "; ".join(problems)
        return True

    return validate


def choose(message: str, choices: list, default: Any = None) -> Any:
    """A list to pick one from, its hint in the chosen language (questionary's own is English)."""
    import questionary

    return questionary.select(
        message, choices=choices, default=default, instruction=_("(arrow keys, Enter)")
    ).unsafe_ask()


def choose_several(message: str, choices: list) -> list:
    """A list to tick any of, its hint in the chosen language."""
    import questionary

    return questionary.checkbox(
        message, choices=choices, instruction=_("(arrow keys, Space to tick, Enter)")
    ).unsafe_ask()


def agree(message: str, default: bool) -> bool:
    """Yes or no, both words in the chosen language (questionary's confirm echoes an
    English "Yes"): a two-item list, the default first."""
    import questionary

    options = [questionary.Choice(_("yes"), value=True), questionary.Choice(_("no"), value=False)]
    return bool(choose(message, options if default else options[::-1]))


def _named(app, choice: str) -> str:
    """A choice as the prompt shows it: its name, and the id beside it when they differ."""
    shown = app.shown(choice)
    return shown if shown == choice else f"{shown} ({choice})"


def ask_field(app, field: Field, kind: Kind | None = None, answers: dict[str, Any] | None = None) -> Any:
    """Ask for ``field``; ``answers`` so far (choices may depend on them: an agreement's
    items) and its current one offered as the default."""
    import questionary

    answers = answers or {}
    lang = app.lang
    required = field.required or (
        kind is not None and field.name in kind.requires
    )  # a kind may require an envelope field
    hint = _("required") if required else _("Enter to skip")
    title = f"{field.title(lang)} ({hint})"
    choices = app.choices(field, answers)
    current = answers.get(field.name)
    if field.type in ("choice", "text") and choices:
        named = [questionary.Choice(_named(app, choice), value=choice) for choice in choices]
        options = named if required else [questionary.Choice(SKIP, value=SKIP), *named]
        default = current if current in choices else None
        answer = choose(title, options, default)
        return None if answer == SKIP else answer
    if field.type == "bool":
        return agree(field.title(lang), bool(current))
    answer = questionary.text(
        title,
        default="" if current is None else str(current),
        validate=_validator(app, kind, field, answers, required),
        validate_while_typing=False,
    ).unsafe_ask()
    return answer if answer.strip() else None


def fill_record(app, kind: Kind, given: dict[str, Any], resume: bool = False) -> dict[str, Any]:
    """Ask for each field of ``kind`` not given, each answer checked as it is typed; then
    show the record as it would be saved (with what the plugins decide: the 三包
    entitlement, the outlet, the category) and let the person save it, change any answer,
    or discard it. Nothing is lost on the way: an answer the whole record refuses is asked
    again, the others kept; every answer is kept in a draft (Ctrl-C, a crash or a closed
    terminal leaves it), offered when the next entry of the kind starts (``resume``: taken
    without asking). The caller removes the draft once the record is saved (``forget_draft``)."""
    drafts = drafts_of(app)
    values = dict(given)
    kept = drafts.load(kind.name)
    if kept is not None:
        answers, saved_at = kept
        question = _("Continue the unfinished {kind} entry saved {at}?").format(
            kind=kind.title(app.lang), at=saved_at.replace("T", " ")
        )
        if resume or agree(question, True):
            values = {**answers, **given}
    elif resume:
        click.echo(
            _("no unfinished {kind} entry to continue: a new one starts").format(kind=kind.title(app.lang)), err=True
        )
    if kind.script:
        script = app.template(kind.script)
        if script.is_file():
            click.echo(script.read_text(encoding="utf-8"), err=True)

    def answered(field: Field, answer: Any) -> None:
        _set(values, field, answer)
        drafts.save(kind.name, values, app.now())

    ask_customer(app, kind, values, answered)
    for field in kind.fields:
        if field.name in values or not field.ask:
            continue
        answered(field, ask_field(app, field, kind, values))
    while True:
        built = app.book.build(kind, [values])
        if built.errors:
            _ask_again(app, kind, values, [error for _, error in built.errors], answered)
            continue
        _summary(app, kind, values, built.records[0])
        choice = _confirm_choice()
        if choice == "save":
            return values
        if choice == "discard":
            if agree(_("Discard every answer?"), False):
                drafts.discard(kind.name)
                raise click.Abort()
            continue
        field = _which_field(app, kind, values)
        answered(field, ask_field(app, field, kind, values))


def ask_customer(app, kind: Kind, values: dict[str, Any], answered) -> None:
    """For a kind that takes a customer's contact (a complaint, an after-sales case), asked
    first: which registered customer it is, found by whole name or the tail of a phone
    number (four or more digits), offered masked. The one chosen is linked, and its name and
    phone fill the contact fields not given. Every customer a lookup showed is written in
    that customer's trail (who looked, and that it was a lookup)."""
    field = kind.field("customer_id")
    if (
        field is None
        or values.get("customer_id")
        or kind.name == CUSTOMER_KIND
        or CUSTOMER_KIND not in app.kinds.names()
        or not any(f.type == "phone" and f.personal for f in kind.fields)
        or not app.store.records(CUSTOMER_KIND)  # nobody to find
    ):
        return
    import questionary

    from cstool.core.privacy import mask
    from cstool.core.search import phone_digits

    while True:
        query = questionary.text(
            _("Customer: name, or the last {n}+ digits of a phone (Enter to skip)").format(n=TAIL_DIGITS)
        ).unsafe_ask()
        wanted, digits = (query or "").strip().casefold(), phone_digits(query or "")
        if not wanted:
            return
        if not wanted.isdigit() and digits and len(digits) < TAIL_DIGITS:
            click.echo(_("give at least {n} digits of the phone").format(n=TAIL_DIGITS), err=True)
            continue
        found = find_customers(app, query)
        if not found:
            click.echo(_("no customer matches {query!r}").format(query=query), err=True)
            continue
        none = "—"
        options = [
            questionary.Choice(f"{c['id']}  {mask(c.get('name'))}  {mask(c.get('phone'), 'phone')}", value=c["id"])
            for c in found[:20]
        ]
        chosen = choose(_("Which customer?"), [*options, questionary.Choice(_("none of these"), value=none)])
        if chosen != none:
            answered(field, chosen)
            customer = next(c for c in found if c["id"] == chosen)
            for name, value in contact_values(kind, customer, values).items():
                answered(kind.field(name), value)
            return


def drafts_of(app):
    from cstool.core.drafts import Drafts

    return Drafts(app.workspace.root / ".drafts", app.user)


def forget_draft(app, kind: Kind) -> None:
    """The record is saved: its draft is done with."""
    drafts_of(app).discard(kind.name)


def _set(values: dict[str, Any], field: Field, answer: Any) -> None:
    if answer is None:
        values.pop(field.name, None)
    else:
        values[field.name] = answer


def _ask_again(app, kind: Kind, values: dict[str, Any], problems: list, answered) -> None:
    """The whole record refused some answers: say why, and ask those again."""
    from cstool.core.errors import RecordInvalid

    for problem in problems:
        field = kind.field(problem.field)
        title = field.title(app.lang) if field is not None else problem.field
        click.echo(_("{field}: {message}").format(field=title, message=problem.message), err=True)
    for name in dict.fromkeys(problem.field for problem in problems):
        field = kind.field(name)
        if field is None:  # not an answer a person gave (a stamp of an import): refused as it is
            raise RecordInvalid(problems)
        answered(field, ask_field(app, field, kind, values))


def _summary(app, kind: Kind, values: dict[str, Any], record: dict) -> None:
    """The record as it would be saved, on stderr (stdout stays the result alone): the
    answers, then what was decided from them, marked."""
    from cstool.cli.common import field_title
    from cstool.cli.output import emit_table

    lang = app.lang
    rows = [[_title_of(kind, n, lang), app.shown(v)] for n, v in values.items()]
    decided = _("(decided)")
    for field in kind.fields:
        value = record.get(field.name)
        if field.name not in values and value not in (None, "", []):
            rows.append([f"{field.title(lang)} {decided}", app.shown(value)])
    for name in ("department", "priority", "category", "tags"):
        if name not in values and record.get(name) not in (None, "", []):
            rows.append([f"{field_title(kind, name, lang)} {decided}", app.shown(record[name])])
    click.echo(_("Please check:"), err=True)
    emit_table(None, rows, width=None, err=True)


def _confirm_choice() -> str:
    import questionary

    return choose(
        _("Save this record?"),
        [
            questionary.Choice(_("Save"), value="save"),
            questionary.Choice(_("Change an answer"), value="edit"),
            questionary.Choice(_("Discard it"), value="discard"),
        ],
    )


def _which_field(app, kind: Kind, values: dict[str, Any]) -> Field:
    """Every field may be changed here, those not asked at first too (an override of the
    三包 entitlement, with its reason)."""
    import questionary

    lang = app.lang
    options = [
        questionary.Choice(f"{f.title(lang)}: {app.shown(values[f.name]) if f.name in values else '—'}", value=f.name)
        for f in kind.fields
        if not f.update_via
    ]
    chosen = kind.field(choose(_("Which answer?"), options))
    assert chosen is not None  # offered from kind.fields
    return chosen


def _title_of(kind: Kind, name: str, lang: str) -> str:
    field = kind.field(name)
    return field.title(lang) if field is not None else name
