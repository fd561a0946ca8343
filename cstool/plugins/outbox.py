"""The bundled notifier: every escalation notice appended to the workspace's outbox.jsonl."""

from __future__ import annotations

from datetime import UTC

from cstool.api import hookimpl

OUTBOX = "outbox.jsonl"


@hookimpl
def cstool_notify(actions, workspace):
    import orjson

    from cstool.api import append_durably, locked, now_in

    path = workspace.root / OUTBOX
    stamp = now_in(UTC).isoformat(timespec="seconds")
    lines = b"".join(orjson.dumps({**action, "delivered_at": stamp}) + b"\n" for action in actions)
    with locked(path.with_name(path.name + ".lock")):
        append_durably(path, lines)
