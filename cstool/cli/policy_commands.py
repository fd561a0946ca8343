"""``cstool policy show | check | set | edit | history | diff``: the standards and their versions."""

from __future__ import annotations

from pathlib import Path

import click

from cstool.cli.output import emit_json, emit_rows, format_option
from cstool.core.errors import CstoolError, PolicyError
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
    """Print the policy in force (as written, or as JSON data): on a shared store the
    department's current version."""
    policy = app.policy
    if fmt == "json":
        emit_json(policy.data)
    else:
        click.echo(policy.text, nl=False)
    _say_version(app)


def _say_version(app) -> None:
    if app.policy_version is not None:
        click.echo(
            _("(the department's policy, version {version}, from {store})").format(
                version=app.policy_version, store=app.store.description
            ),
            err=True,
        )


@policy_group.command("check")
@click.pass_obj
def check(app):
    """Check every section; each problem as policy.toml:LINE: key: message."""
    from cstool.core.clocks import SlaPolicy

    policy = app.local_policy if app.store_url is None else app.policy
    problems = app.check_policy(policy)
    if problems:
        raise PolicyError("\n".join(policy.describe(p) for p in problems))
    _record_as_found(app)
    today = app.now().date()
    for gap in SlaPolicy(policy).holiday_gaps(today, today, today=today):
        click.echo(_("warning: {message}").format(message=gap), err=True)
    click.echo(_("{path}: ok").format(path=policy.path))


def _record_as_found(app) -> None:
    """The policy as it stands becomes a version when the history lacks it: a folder's
    policy.toml edited by hand; on a shared store with no version yet, this desk's file,
    the first time someone who may change the policy runs a policy command."""
    from cstool.core import policy_history
    from cstool.core.timeutil import format_datetime

    if app.store_url is not None:
        app.policy  # noqa: B018 -- read first: it says whether the store holds a version
        if app.policy_version is not None or not app.may("change_policy"):
            return
    version, new = policy_history.record(
        app.store, app.local_policy.text, app.user, format_datetime(app.now()), _("as found in policy.toml")
    )
    if new:
        click.echo(_("recorded the policy as found as version {version}").format(version=version), err=True)


@policy_group.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def set_command(app, key, value):
    """Change one value in place, keeping every comment; refused unless the result checks.
    Each change is a new version (`cstool policy history`). On a shared store the value
    changes for every desk, except this desk's own language, store and blocked plugins.

    KEY is a dotted key, with [N] for an array of tables (escalation.levels[1].at).
    VALUE is read as TOML when it parses as TOML (30, true, ["a","b"]), else as a string.
    """
    from cstool.core.policy import set_value
    from cstool.core.policy_history import is_personal

    personal = is_personal(key)
    if not personal:
        app.require("change_policy")

    def edit(text: str) -> str:
        return set_value(app.workspace.policy_path, text, key, value)

    edited = _change(app, edit, _("set {key}").format(key=key), personal)
    click.echo(f"{key} = {edited.get(key)!r}")


@policy_group.command("edit")
@click.pass_obj
def edit_command(app):
    """Edit the policy in your editor ($VISUAL or $EDITOR); it is checked before anything
    is written, and each saved change is a new version."""
    app.require("change_policy")

    def edit(text: str) -> str:
        edited = click.edit(text, extension=".toml", require_save=True)
        if edited is None or edited == text:
            raise CstoolError(_("the policy was not changed"))
        return edited

    _change(app, edit, _("edited"), personal=False)
    click.echo(_("policy version {version} saved").format(version=_latest_version(app)))


def _latest_version(app) -> int | None:
    from cstool.core import policy_history

    found = policy_history.current(app.store)
    return found["version"] if found else None


def _change(app, edit, note: str, personal: bool):
    """Apply ``edit`` (text -> text) to the policy in force, check the result, write it
    and record the version: on a folder (or a personal key) into policy.toml under its
    lock; on a shared store as the department's next version, edited again from a newer
    one when another desk saved one meanwhile. The policy as checked."""
    from cstool.core import policy_history
    from cstool.core.errors import StoreConflict
    from cstool.core.files import atomic_write, locked
    from cstool.core.policy import Policy, load_policy, read_text
    from cstool.core.timeutil import format_datetime

    path = app.workspace.policy_path
    if app.store_url is None or personal:
        _record_as_found(app)
        with locked(path.with_name(path.name + ".lock")):
            new_text = edit(load_policy(path).text)
            edited = Policy(path, new_text, read_text(path, new_text))
            to_check = edited
            if app.store_url is not None and app.policy_version is not None:
                to_check = Policy(
                    app.policy.path, app.policy.text, policy_history.with_personal(app.policy.data, edited.data)
                )
            _refuse_problems(app, to_check)
            atomic_write(path, new_text.encode("utf-8"))
        if app.store_url is None:
            policy_history.record(app.store, new_text, app.user, format_datetime(app.now()), note)
        return edited
    _record_as_found(app)
    for _attempt in range(5):
        found = policy_history.current(app.store)
        base = found["text"] if found else app.local_policy.text
        new_text = edit(base)
        where = app.policy.path
        edited = Policy(
            where, new_text, policy_history.with_personal(read_text(where, new_text), app.local_policy.data)
        )
        _refuse_problems(app, edited)
        try:
            policy_history.record(
                app.store,
                new_text,
                app.user,
                format_datetime(app.now()),
                note,
                based_on=found["version"] if found else 0,
            )
            return edited
        except StoreConflict as exc:
            app.warn(str(exc))
    raise CstoolError(_("other desks kept changing the policy; nothing was written, try again"))


def _refuse_problems(app, policy) -> None:
    problems = app.check_policy(policy)
    if problems:
        raise PolicyError("\n".join(policy.describe(p) for p in problems) + "\n" + _("nothing was written"))


@policy_group.command("history")
@format_option(("table", "json"))
@click.pass_obj
def history_command(app, fmt):
    """Every version of the policy: its number, when, by whom, what changed."""
    from cstool.core import policy_history
    from cstool.core.policy import read_text

    _record_as_found(app)
    versions = policy_history.history(app.store)
    rows: list[dict] = []
    before: dict = {}
    for entry in versions:
        data = read_text(app.workspace.policy_path, entry["text"])
        changed = policy_history.changed_keys(before, data) if before else []
        rows.append({**{k: v for k, v in entry.items() if k != "text"}, "changed": changed})
        before = data
    if fmt == "json":
        emit_json({"versions": rows})
        return
    emit_rows(
        "table",
        [_("version"), _("at"), _("by"), _("note"), _("changed")],
        [
            [
                r["version"],
                r["at"][:16].replace("T", " "),
                app.shown(r["by"]),
                r["note"] or "",
                ", ".join(r["changed"][:6]),
            ]
            for r in rows
        ],
    )


@policy_group.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int, required=False)
@click.pass_obj
def diff_command(app, old, new):
    """What changed from version OLD to version NEW (else the current one), as a unified diff."""
    from cstool.core import policy_history

    new = new if new is not None else _latest_version(app)
    if new is None:
        raise CstoolError(_("the policy has no versions yet (cstool policy history)"))
    before, after = policy_history.text_of(app.store, old), policy_history.text_of(app.store, new)
    click.echo(policy_history.unified(before, after, f"policy v{old}", f"policy v{new}"), nl=False)
