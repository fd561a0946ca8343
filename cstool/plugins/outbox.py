"""The bundled notifier: every escalation notice appended to the workspace's outbox.jsonl."""

from __future__ import annotations

from datetime import UTC

from cstool.api import _, hookimpl

OUTBOX = "outbox.jsonl"


def message(action: dict) -> str:
    """A notice as a person reads it, in the workspace's language."""
    return _("{id}: {clock} passed escalation level {level} at {at}; for {recipients}").format(
        id=action["id"],
        clock=action["clock"],
        level=action["level"],
        at=action["at"][:16].replace("T", " "),
        recipients=", ".join(action.get("recipients") or []) or _("nobody (no one holds the role)"),
    )


@hookimpl
def cstool_notify(actions, workspace):
    import orjson

    from cstool.api import append_durably, locked, now_in

    path = workspace.root / OUTBOX
    stamp = now_in(UTC).isoformat(timespec="seconds")
    lines = b"".join(
        orjson.dumps({**action, "message": message(action), "delivered_at": stamp}) + b"\n" for action in actions
    )
    with locked(path.with_name(path.name + ".lock")):
        append_durably(path, lines)
