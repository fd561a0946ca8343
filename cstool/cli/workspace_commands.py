"""``cstool init``, ``cstool demo``, ``cstool backup``, ``cstool restore`` and ``cstool doctor``."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from cstool.core.i18n import _
from cstool.core.workspace import init_workspace

STORE_EXAMPLE = '# store = "postgresql://db.example/cstool"'


def register(cli: click.Group) -> None:
    for command in (init_command, demo_command, backup_command, restore_command, doctor_command):
        cli.add_command(command)


@click.command("backup")
@click.argument("archive", metavar="[FILE]", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_obj
def backup_command(app, archive, force):
    """Write the whole workspace (policy, records, notices, outbox, plugins, templates) to one .tar.gz."""
    from cstool.core.backup import backup
    from cstool.core.timeutil import local_now

    root = app.workspace.root
    target = archive or Path(f"{root.name}-backup-{local_now():%Y%m%d-%H%M%S}.tar.gz")
    count = backup(app, target, replace=force)
    click.echo(_("backup written: {target} ({count} files)").format(target=target, count=count))


@click.command("restore")
@click.argument("archive", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--with-plugins", is_flag=True, help="Also replace plugins/ (code that will run) with the archive's.")
@click.option(
    "--with-store",
    is_flag=True,
    help="Take the archive's [workspace] store setting too, and restore the records into that store.",
)
@click.pass_obj
def restore_command(app, archive, with_plugins, with_store):
    """Replace the workspace with a backup, after checking every file in it."""
    from cstool.core.backup import restore

    files, kept = restore(app, archive, with_plugins=with_plugins, with_store=with_store)
    done = _("restored {files} data files from {archive}; the replaced workspace is kept in {kept}")
    click.echo(done.format(files=files, archive=archive, kept=kept))


@click.command("init")
@click.argument("folder", metavar="[DIR]", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--force", is_flag=True, help="Reset the policy and templates of an existing workspace (records are kept)."
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Keep the records in a shared PostgreSQL database (postgresql://host/db, no password in it).",
)
@click.pass_obj
def init_command(app, folder, force, store_url):
    """Create a workspace in DIR (default: --workspace, else here) from the default policy and templates."""
    from cstool.core.files import network_share_warning

    store = None
    if store_url:  # reached and its schema made before any file is written
        from cstool.core.errors import CstoolError
        from cstool.stores.base import check_store_setting, redact_url

        refused = check_store_setting(store_url)
        if refused:
            raise CstoolError(_("--store {url}: {why}").format(url=redact_url(store_url), why=refused))
        store = app.open_store(store_url)
        store.sequences(app.kinds.names()[0])
    workspace, kept = init_workspace(_folder_named(folder, Path.cwd()), force=force)
    _merge_plugin_policies(app, workspace.policy_path)
    click.echo(_("workspace ready: {root}").format(root=workspace.root))
    if store is not None:
        import json

        from cstool.core.files import atomic_write
        from cstool.core.policy import set_value

        text = workspace.policy_path.read_text(encoding="utf-8")
        if STORE_EXAMPLE in text:  # in place of the default policy's example, beside its comment
            text = text.replace(STORE_EXAMPLE, f"store = {json.dumps(store_url)}", 1)
        else:
            text = set_value(workspace.policy_path, text, "workspace.store", json.dumps(store_url))
        atomic_write(workspace.policy_path, text.encode("utf-8"))
        click.echo("  " + _("records are kept in {store}").format(store=store.description))
        store.close()
    else:
        shared = network_share_warning(workspace.root)
        if shared:
            click.echo(_("warning: {message}").format(message=shared), err=True)
    for path in kept:
        click.echo("  " + _("the previous one is kept in {path}").format(path=path))
    click.echo("  " + _("edit its service standards in {policy_path}").format(policy_path=workspace.policy_path))


def _folder_named(folder: Path | None, default: Path) -> Path:
    """The folder a command that makes a workspace makes: DIR, else the global ``--workspace``
    (``cstool --workspace X init`` makes X, not the folder it is run in), else ``default``."""
    given = click.get_current_context().find_root().params.get("workspace")
    if given is None:
        return folder or default
    if folder is not None and Path(folder).resolve() != Path(given).resolve():
        raise click.UsageError(
            _("DIR {folder} and --workspace {workspace} name two folders: give one").format(
                folder=folder, workspace=given
            )
        )
    return Path(given)


def _merge_plugin_policies(app, policy_path: Path) -> None:
    """The default policy of each plugin that ships one, added to the new workspace's."""
    from cstool.core.files import atomic_write
    from cstool.core.policy import with_fragments

    fragments = [
        (plugin, (folder / "policy.toml").read_text(encoding="utf-8"))
        for plugin, folder in app.host.plugin_files()
        if (folder / "policy.toml").is_file()
    ]
    if not fragments:
        return
    text, merged, left = with_fragments(policy_path.read_text(encoding="utf-8"), fragments)
    if merged:
        atomic_write(policy_path, text.encode("utf-8"))
        click.echo("  " + _("with the default policy of {plugins}").format(plugins=", ".join(merged)))
    for plugin in left:
        click.echo(
            _(
                "warning: the default policy of {plugin} was not added (a section of it is there already, or it does not parse)"
            ).format(plugin=plugin),
            err=True,
        )


@click.command("demo")
@click.argument(
    "folder",
    metavar="[DIR]",
    required=False,
    type=click.Path(path_type=Path, file_okay=False),
)
@click.option("--force", is_flag=True, help="Rebuild a workspace an earlier `cstool demo` made (never any other).")
@click.pass_context
def demo_command(click_ctx, folder, force):
    """Build a workspace of realistic records in DIR (default: --workspace, else demo-workspace) and print the dashboard."""
    import shutil

    from cstool.core.context import Context
    from cstool.core.demo import build_demo
    from cstool.core.host import build_host
    from cstool.core.workspace import DEMO_MARK, is_workspace

    app = click_ctx.obj
    folder = _folder_named(folder, Path("demo-workspace")).resolve()
    if is_workspace(folder) or (folder.is_dir() and any(folder.iterdir())):
        if not (folder / DEMO_MARK).is_file():
            raise click.ClickException(
                _(
                    "{folder} is not empty and no earlier `cstool demo` made it; nothing was changed: choose another folder"
                ).format(folder=folder)
            )
        if not force:
            raise click.ClickException(
                _("{folder} holds a demo workspace; pass --force to rebuild it").format(folder=folder)
            )
        shutil.rmtree(folder)
    workspace, _kept = init_workspace(folder)
    from cstool.core.files import write_new_file

    write_new_file(workspace.root / DEMO_MARK, b"made by cstool demo: `cstool demo --force` may rebuild it\n")
    from cstool.core.demo import demo_directory
    from cstool.core.files import atomic_write
    from cstool.core.policy import load_policy
    from cstool.stores.base import login_name

    policy = load_policy(workspace.policy_path)
    staff = demo_directory(policy.get("departments") or {}, login_name())
    atomic_write(workspace.policy_path, (policy.text + staff).encode("utf-8"))
    # The demo workspace is new: load its plugins and policy, not the caller's.
    # built by its administrator (whoever runs this), the work done in its staff's names
    demo = Context(build_host(workspace.root), workspace.root, user=login_name(), lang=app._lang)
    from cstool.core.escalation import deliver, escalate

    now = demo.now()
    counts = build_demo(demo, now)
    actions = escalate(demo, now, dry_run=False)  # classification already ran as each record was saved
    delivered, held, _failures = deliver(demo, actions, now)
    click.echo(_("demo workspace: {root}").format(root=workspace.root))
    for kind_name, count in counts.items():
        click.echo(f"  {count:5d} {demo.kinds.get(kind_name).title(demo.lang)} ({kind_name})")
    click.echo(
        f"  {len(actions):5d} "
        + _(
            "escalations: {delivered_count} notices in the outbox (cstool outbox), {held_count} held until open hours"
        ).format(delivered_count=len(delivered), held_count=len(held))
    )
    click.echo()
    click_ctx.obj = demo  # the group finishes the caller's context, not this one
    from cstool.cli.reports import report_command

    try:
        click_ctx.invoke(report_command, name="dashboard", since=None, until=None, by=None, now_text=None, fmt="table")
    finally:
        demo.finish()  # keeps the clocks escalate and the dashboard computed, as any command does
    click.echo("\n" + _("Try: cstool --workspace {root} list complaint --status open").format(root=workspace.root))


@click.command("doctor")
@click.pass_obj
def doctor_command(app):
    """Check the workspace and clear what killed commands left in it (staging copies of records)."""
    from cstool.core.files import network_share_warning
    from cstool.core.staging import earlier_leftovers, folder_size

    root = app.workspace.root
    found = 0
    for path in app.workspace.cleaned:
        click.echo(_("removed {path}: left by a command that was killed").format(path=path))
        found += 1
    for path in earlier_leftovers(root):
        size = folder_size(path)
        shutil.rmtree(path, ignore_errors=True)
        click.echo(
            _("removed {path} ({size} KB): left beside the workspace by an earlier cstool killed mid-way").format(
                path=path, size=size // 1024
            )
        )
        found += 1
    for path in sorted(root.glob("before-restore-*")):
        click.echo(
            _("{path} ({size} KB) holds the workspace a restore replaced; remove it once it is not needed").format(
                path=path, size=folder_size(path) // 1024
            )
        )
    shared = network_share_warning(root)
    if shared:
        click.echo(_("warning: {message}").format(message=shared))
    app.store.sequences(app.kinds.names()[0])  # the store answers (a half-made commit is finished on the way)
    click.echo(
        _("the workspace is sound ({store})").format(store=app.store.description)
        if not found
        else _("the workspace is sound now ({store})").format(store=app.store.description)
    )
