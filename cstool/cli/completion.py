"""Shell completion (Tab) of kinds, report names and record ids: click asks these while
the shell completes a command line, before any command runs, so each finds the workspace
the line names (or the nearest) itself. Set up with, for bash:
``eval "$(_CSTOOL_COMPLETE=bash_source cstool)"`` (zsh_source, fish_source likewise)."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem

MOST_IDS = 200  # newest first: a Tab offers the cases people are working on


def _app(ctx: click.Context):
    from cstool.core.context import Context
    from cstool.core.host import build_host
    from cstool.core.workspace import is_workspace, locate

    root = ctx.find_root()
    path = locate(root.params.get("workspace"))
    if path is None or not is_workspace(path):
        return None
    return Context(build_host(path), path)


def _quietly(find):
    """A completion never prints an error into the person's command line."""

    def complete(ctx, param, incomplete):
        try:
            return find(ctx, incomplete)
        except Exception:
            return []

    return complete


@_quietly
def complete_kind(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    app = _app(ctx)
    if app is None:
        return []
    return [CompletionItem(k.name, help=k.title(app.lang)) for k in app.kinds if k.name.startswith(incomplete)]


@_quietly
def complete_report(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    app = _app(ctx)
    if app is None:
        return []
    return [
        CompletionItem(name, help=report.title.get(app.lang, name))
        for name, report in app.reports().items()
        if name.startswith(incomplete)
    ]


@_quietly
def complete_id(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    """Before the dash, the kinds' prefixes (CMP-, AS-, …); after it, that kind's ids."""
    app = _app(ctx)
    if app is None:
        return []
    typed = incomplete.upper()
    if "-" not in typed:
        return [CompletionItem(f"{k.prefix}-", help=k.title(app.lang)) for k in app.kinds if k.prefix.startswith(typed)]
    kind = app.kinds.kind_of_id(typed)
    ids = sorted((r["id"] for r in app.store.records(kind.name) if r["id"].startswith(typed)), reverse=True)
    return [CompletionItem(record_id) for record_id in ids[:MOST_IDS]]
