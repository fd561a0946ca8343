"""The ``cstool`` program: load plugins, build the command tree, run one command."""

from __future__ import annotations

import os
import sys

import click

from cstool.cli.app import build_cli, early_option
from cstool.core.i18n import _


def prepare(args: list[str], *, extra_plugins=(), entry_points: bool | None = None) -> click.Group:
    """The command tree for ``args``: plugins of the workspace they name (or find) loaded first.

    ``extra_plugins`` are (name, plugin) pairs registered beside the others; ``entry_points``
    False skips installed plugins (both for tests: see cstool.testing).
    """
    from cstool.core.errors import CstoolError
    from cstool.core.host import build_host, read_policy
    from cstool.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, requested_language, set_language
    from cstool.core.workspace import finish_restore, is_workspace, locate

    workspace_path = locate(early_option(args, "--workspace"))
    if workspace_path is not None:
        try:
            finish_restore(workspace_path)  # before anything reads a workspace a restore left half swapped
        except CstoolError:
            pass  # the command itself opens the workspace and says what is wrong
    plugin_root = workspace_path if workspace_path is not None and is_workspace(workspace_path) else None
    policy = read_policy(plugin_root) if plugin_root is not None else None
    policy_language = policy.get("workspace.language") if policy is not None else None
    set_language(
        requested_language(early_option(args, "--lang"))
        or (policy_language if policy_language in LANGUAGES else None)
        or DEFAULT_LANGUAGE
    )
    policy_data = policy.data if policy is not None else {}
    host = build_host(plugin_root, entry_points=entry_points, extra=extra_plugins, policy_data=policy_data)
    for failure in host.failures:
        click.echo(
            _("warning: plugin {name!r} ({source}) was skipped: {error}").format(
                name=failure.name, source=failure.source, error=failure.error
            ),
            err=True,
        )
    return build_cli(host, workspace_path, policy)


def main(argv: list[str] | None = None, prog_name: str = "cstool") -> None:
    from cstool.core import files

    files.freeze_after_loading = True  # one command, then the process ends: see files.py
    args = list(sys.argv[1:] if argv is None else argv)
    from cstool.core.i18n import DEFAULT_LANGUAGE, requested_language, set_language

    set_language(requested_language(None) or DEFAULT_LANGUAGE)  # prepare() refines it from --lang and the policy
    from cstool.core.i18n import translate_library_messages

    translate_library_messages()
    for position, arg in enumerate(args, 1):
        if not _is_text(arg):  # a terminal or a script in another encoding: say so, not crash later
            click.echo(_("Error: argument {position} is not valid UTF-8 text").format(position=position), err=True)
            sys.exit(2)
    try:
        prepare(args).main(args=args, prog_name=prog_name)
    except BrokenPipeError:
        # The reader went away (`cstool list … | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


def _is_text(arg: str) -> bool:
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:  # Python kept undecodable bytes as lone surrogates
        return False
    return True


__all__ = ["main", "prepare", "build_cli"]
