"""The bundled notifier: every escalation notice appended to the workspace's outbox.jsonl."""

from __future__ import annotations

import os
from datetime import UTC

from cstool.api import hookimpl

OUTBOX = "outbox.jsonl"


@hookimpl
def cstool_notify(actions, workspace):
    import orjson
    from filelock import FileLock

    from cstool.api import now_in

    path = workspace.root / OUTBOX
    stamp = now_in(UTC).isoformat(timespec="seconds")
    lines = b"".join(orjson.dumps({**action, "delivered_at": stamp}) + b"\n" for action in actions)
    with FileLock(str(path) + ".lock", timeout=60, mode=0o600):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, lines)
            os.fsync(fd)
        finally:
            os.close(fd)
