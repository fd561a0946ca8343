"""The command group, its global options, and how errors become exit codes."""

from __future__ import annotations

import click

from cstool import __version__
from cstool.core.errors import CstoolError
from cstool.core.i18n import LANGUAGES, _

GLOBAL_WITH_VALUE = ("--workspace", "--as", "--lang")


def early_option(args: list[str], name: str) -> str | None:
    """A global option's value (``--workspace``, ``--lang``) before the command line is parsed:
    the workspace decides which plugins load, the language what their warnings say."""
    position = 0
    while position < len(args):
        arg = args[position]
        if not arg.startswith("-"):
            return None
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
        if arg in GLOBAL_WITH_VALUE:
            if arg == name and position + 1 < len(args):
                return args[position + 1]
            position += 2
            continue
        position += 1
    return None


class Refusal(click.ClickException):
    """A refusal as the user reads it: ``Error: ...`` (错误：...) on stderr, exit 1."""

    def show(self, file=None) -> None:
        from cstool.core.text import printable

        click.echo(_("Error: {message}").format(message=printable(self.format_message())), err=True, file=file)


class CstoolGroup(click.Group):
    """Turns refusals into ``Error: ...`` and exit 1; hides tracebacks unless --debug."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CstoolError as exc:
            raise Refusal(str(exc)) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (KeyboardInterrupt, EOFError):  # Ctrl-C, or the terminal closed under a prompt
            raise click.Abort() from None
        except BrokenPipeError:
            raise  # main() ends quietly
        except Exception as exc:
            if ctx.obj is not None and ctx.obj.debug:
                raise
            raise Refusal(
                _("internal error: {error_type}: {exc} (run with --debug for the traceback)").format(
                    error_type=type(exc).__name__, exc=exc
                )
            ) from None
        finally:
            if ctx.obj is not None:
                ctx.obj.finish()
                for message in ctx.obj.warnings:
                    click.echo(_("warning: {message}").format(message=message), err=True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


MAKE_WORKSPACES = ("init", "demo")  # commands that make a workspace: nobody acts in one yet


def _check_acting(app) -> None:
    """``--as`` is refused at once, whatever the command reads, in the workspace it runs in
    (none found: the command says so itself, or needs none)."""
    try:
        app.workspace  # noqa: B018
    except CstoolError:
        return
    app.person  # noqa: B018


def build_cli(host, workspace_path, policy=None) -> click.Group:
    """The command tree: core commands, then each plugin's through ``cstool_commands``.
    ``policy`` is the workspace's, when it was parsed already (to load plugins)."""
    from cstool.cli import (
        attachment_commands,
        audit_commands,
        desk_command,
        exporting,
        finding,
        imports,
        plugin_commands,
        policy_commands,
        records,
        reports,
        sla,
        store_commands,
        worker_command,
        workspace_commands,
    )

    @click.group(cls=CstoolGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.option(
        "--workspace",
        "workspace",
        metavar="DIR",
        help="The workspace folder (else CSTOOL_WORKSPACE, else the nearest above).",
    )
    @click.option("--as", "user", metavar="USER", envvar="CSTOOL_USER", help="The staff member written into events.")
    @click.option("--no-input", is_flag=True, help="Never prompt; a missing required field is an error.")
    @click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        help="Language of prompts, labels, headings and messages (else CSTOOL_LANG, else the policy's).",
    )
    @click.option("--debug", is_flag=True, help="Show tracebacks.")
    @click.version_option(__version__, "-V", "--version", prog_name="cstool")
    @click.pass_context
    def cli(ctx, workspace, user, no_input, lang, debug):
        """cstool 客户服务部工具: complaints, after-sales, customers, calls and internal service.

        Records live in a workspace folder driven by its policy.toml.
        Start with `cstool init` or `cstool demo`.
        """
        from cstool.core.context import Context
        from cstool.core.i18n import requested_language, set_language

        chosen = requested_language(lang)
        set_language(chosen)  # else the workspace policy's language, once it is read
        ctx.obj = Context(host, workspace_path, user=user, lang=chosen, no_input=no_input, debug=debug, policy=policy)
        ctx.obj.command = ctx.invoked_subcommand
        if (
            user
            and ctx.get_parameter_source("user") == click.core.ParameterSource.COMMANDLINE
            and ctx.invoked_subcommand not in MAKE_WORKSPACES
        ):
            _check_acting(ctx.obj)
        from cstool.core.timeutil import ignored_clock_setting

        ignored = ignored_clock_setting()
        if ignored:
            ctx.obj.warn(
                _("{variable} is set but ignored: only the tests fix the time; events take the real clock").format(
                    variable=ignored
                )
            )

    for module in (
        workspace_commands,
        plugin_commands,
        records,
        finding,
        exporting,
        imports,
        policy_commands,
        reports,
        sla,
        store_commands,
        audit_commands,
        desk_command,
        worker_command,
        attachment_commands,
    ):
        module.register(cli)
    core = dict(cli.commands)
    added_by: dict[str, str] = {}  # a plugin's command -> the plugin: its help in the plugin's own catalogue
    for plugin in host.implementers("cstool_commands"):
        before = set(cli.commands)
        answer = host.call_plugin("cstool_commands", plugin, cli=cli)
        if isinstance(answer, Exception):
            raise answer
        added_by.update(dict.fromkeys(set(cli.commands) - before, plugin))
    from cstool.core.i18n import catalogue_of, translate_help

    translate_help(cli)
    shipped = {plugin: folder / "locale" for plugin, folder in host.plugin_files() if (folder / "locale").is_dir()}
    for name, plugin in added_by.items():
        if plugin in shipped:
            translate_help(cli.commands[name], catalogue_of(shipped[plugin], plugin))
    for name, command in core.items():  # a plugin may add commands, never replace a core one
        if cli.commands.get(name) is not command:
            click.echo(
                _("warning: a plugin tried to replace the core command {name!r}; kept the core one").format(name=name),
                err=True,
            )
            cli.commands[name] = command
    return cli
