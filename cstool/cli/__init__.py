"""The ``cstool`` program: load plugins, build the command tree, run one command."""

from __future__ import annotations

import sys

from cstool.cli.app import build_cli, early_options


def main(argv: list[str] | None = None, prog_name: str = "cstool") -> None:
    from cstool.core.host import build_host
    from cstool.core.workspace import is_workspace, locate

    args = list(sys.argv[1:] if argv is None else argv)
    workspace_path = locate(early_options(args))
    plugin_root = workspace_path if workspace_path is not None and is_workspace(workspace_path) else None
    host = build_host(plugin_root)
    for failure in host.failures:
        print(f"warning: plugin {failure.name!r} ({failure.source}) was skipped: {failure.error}", file=sys.stderr)
    build_cli(host, workspace_path).main(args=args, prog_name=prog_name)


__all__ = ["main", "build_cli"]
