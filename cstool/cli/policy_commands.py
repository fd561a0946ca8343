"""``cstool policy show | check | set``."""

from __future__ import annotations

from pathlib import Path

import click

from cstool.cli.output import emit_json
from cstool.core.errors import PolicyError
from cstool.core.i18n import _


def register(cli: click.Group) -> None:
    cli.add_command(policy_group)
    cli.add_command(commitments_command)


@click.command("commitments")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the page to this file.")
@click.option("--force", is_flag=True, help="Replace --output when it exists.")
@click.pass_obj
def commitments_command(app, fmt, output, force):
    """The service commitments (服务承诺) customers read, written from policy.toml."""
    from cstool.core.commitments import core_sections, render
    from cstool.core.files import write_new_file

    today = app.now().date()
    for gap in app.sla.holiday_gaps(today, today, today=today):  # the page would promise plain weeks
        app.warn(gap)
    sections = core_sections(app.policy, app.kinds, today)
    for found in app.hook.cstool_commitments(policy=app.policy):
        sections.extend(found or [])
    page = render(sections, fmt, {"zh": "客户服务承诺", "en": "Our service commitments"})
    if output is None:
        click.echo(page, nl=False)
        return
    write_new_file(output, page.encode("utf-8"), replace=force)
    click.echo(_("written: {output}").format(output=output), err=True)


@click.group("policy")
def policy_group():
    """The service standards (服务标准) in policy.toml."""


@policy_group.command("show")
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
@click.pass_obj
def show(app, fmt):
    """Print the policy (as written, or as JSON data)."""
    from cstool.core.policy import load_policy

    policy = load_policy(app.workspace.policy_path)
    if fmt == "json":
        emit_json(policy.data)
    else:
        click.echo(policy.text, nl=False)


@policy_group.command("check")
@click.pass_obj
def check(app):
    """Check every section; each problem as policy.toml:LINE: key: message."""
    from cstool.core.clocks import SlaPolicy
    from cstool.core.policy import load_policy

    policy = load_policy(app.workspace.policy_path)
    problems = app.check_policy(policy)
    if problems:
        raise PolicyError("\n".join(policy.describe(p) for p in problems))
    today = app.now().date()
    for gap in SlaPolicy(policy).holiday_gaps(today, today, today=today):
        click.echo(_("warning: {message}").format(message=gap), err=True)
    click.echo(_("{path}: ok").format(path=policy.path))


@policy_group.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def set_command(app, key, value):
    """Change one value in place, keeping every comment; refused unless the result checks.

    KEY is a dotted key, with [N] for an array of tables (escalation.levels[1].at).
    VALUE is read as TOML when it parses as TOML (30, true, ["a","b"]), else as a string.
    """
    from cstool.core.files import atomic_write, locked
    from cstool.core.policy import Policy, load_policy, read_text, set_value

    path = app.workspace.policy_path
    app.require("change_policy")
    with locked(path.with_name(path.name + ".lock")):
        text = load_policy(path).text
        new_text = set_value(path, text, key, value)
        edited = Policy(path, new_text, read_text(path, new_text))
        problems = app.check_policy(edited)
        if problems:
            raise PolicyError("\n".join(edited.describe(p) for p in problems) + "\n" + _("nothing was written"))
        atomic_write(path, new_text.encode("utf-8"))
    click.echo(f"{key} = {edited.get(key)!r}")
