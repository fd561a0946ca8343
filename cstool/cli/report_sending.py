"""``cstool report NAME --send``: the report as a file, handed to the ``cstool_send_report``
hook (mailed over SMTP when configured, else kept in the store's outbox)."""

from __future__ import annotations

from pathlib import Path

import click

from cstool.core.errors import CstoolError
from cstool.core.i18n import _

SUFFIX_OF = {"table": "html", "html": "html", "xlsx": "xlsx", "md": "md", "csv": "csv", "json": "json"}


def recipients(policy) -> list[str]:
    """The manager of ``[reports.send] department`` (default: the complaints department)
    and the names in ``[reports.send] recipients``, each once."""
    settings = policy.get("reports.send") or {}
    department = settings.get("department") or policy.get("complaints.department")
    names = []
    manager = (policy.get("departments") or {}).get(department, {}).get("manager") if department else None
    if manager:
        names.append(manager)
    names += [name for name in settings.get("recipients", []) if name not in names]
    return names


def send_report(app, name, title, period, blocks, payload, fmt, output, force) -> None:
    from cstool.cli.output_files import render
    from cstool.core.files import DIR_MODE, write_new_file

    people = recipients(app.policy)
    if not people:
        raise CstoolError(
            _(
                "nobody to send {name} to: policy names no manager for [reports.send] department and no "
                "[reports.send] recipients"
            ).format(name=name)
        )
    if output is None:  # kept in the workspace, one file per report and period (sent again, replaced)
        folder = app.workspace.root / "reports"
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        stem = "-".join(part for part in (name, payload.get("since"), payload.get("until")) if part)
        output, force = folder / f"{stem}.{SUFFIX_OF[fmt]}", True
    subject = f"{title} ({period})" if period else title
    write_new_file(Path(output), render(Path(output).suffix[1:].lower(), subject, blocks, payload), replace=force)
    try:
        answer = app.host.hook.cstool_send_report(
            path=Path(output),
            title=subject,
            recipients=people,
            policy=app.policy,
            workspace=app.workspace,
            store=app.store,
        )
    except Exception as exc:  # a mail server down: the file stays, the message says so
        error = f"{type(exc).__name__}: {exc}"
        raise CstoolError(
            _("{path} is written, and sending it failed: {error}").format(path=output, error=error)
        ) from None
    if answer is None:
        raise CstoolError(_("{path} is written, and no plugin sent it").format(path=output))
    click.echo(_("{path}: {how}").format(path=output, how=answer), err=True)
