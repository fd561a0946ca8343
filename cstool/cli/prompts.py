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

SKIP = "—"


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def can_prompt(app, no_input_here: bool = False) -> bool:
    return not (app.no_input or no_input_here) and stdin_is_terminal()


def _validator(app, field: Field):
    choices = app.choices(field)

    def validate(text: str) -> bool | str:
        if not text.strip():
            return True if not field.required else _("required")
        try:
            parse_value(field, text, tz=app.tz, choices=choices, aliases=app.aliases(field))
        except ValueError as exc:
            return str(exc)
        return True

    return validate


def _named(app, choice: str) -> str:
    """A choice as the prompt shows it: its name, and the id beside it when they differ."""
    shown = app.shown(choice)
    return shown if shown == choice else f"{shown} ({choice})"


def ask_field(app, field: Field) -> Any:
    import questionary

    lang = app.lang
    hint = _("required") if field.required else _("Enter to skip")
    title = f"{field.title(lang)} ({hint})"
    choices = app.choices(field)
    if field.type == "choice" and choices:
        named = [questionary.Choice(_named(app, choice), value=choice) for choice in choices]
        options = named if field.required else [questionary.Choice(SKIP, value=SKIP), *named]
        answer = questionary.select(title, choices=options).unsafe_ask()
        return None if answer == SKIP else answer
    if field.type == "bool":
        return questionary.confirm(field.title(lang), default=False).unsafe_ask()
    answer = questionary.text(title, validate=_validator(app, field), multiline=False).unsafe_ask()
    return answer if answer.strip() else None


def fill_record(app, kind: Kind, given: dict[str, Any]) -> dict[str, Any]:
    """Ask for each field of ``kind`` not given, show a summary, and ask to confirm."""
    import questionary

    from cstool.cli.output import emit_table

    values = dict(given)
    if kind.script:
        script = app.workspace.template(kind.script)
        if script.is_file():
            click.echo(script.read_text(encoding="utf-8"), err=True)
    for field in kind.fields:
        if field.name in values or not field.ask:
            continue
        answer = ask_field(app, field)
        if answer is not None:
            values[field.name] = answer
    lang = app.lang
    # The summary is for the person at the terminal: stderr, so stdout stays the result alone.
    click.echo(_("Please check:"), err=True)
    emit_table(
        None,
        [[kind.field(n).title(lang) if kind.field(n) else n, app.shown(v)] for n, v in values.items()],
        width=None,
        err=True,
    )
    if not questionary.confirm(_("Save this record?"), default=True).unsafe_ask():
        raise click.Abort()
    return values
