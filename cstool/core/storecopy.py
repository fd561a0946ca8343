"""``cstool store copy``: every record, event and id sequence of a workspace, from its store
into another (a PostgreSQL database, or a workspace folder), whole or not at all."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cstool.core.errors import CstoolError
from cstool.core.files import DIR_MODE, atomic_write
from cstool.core.i18n import _
from cstool.core.storage import RecordStore


def holds_records(store: RecordStore, kinds: list[str]) -> list[str]:
    """The kinds of which ``store`` holds a record or an id sequence."""
    return [kind for kind in kinds if store.records(kind) or store.sequences(kind)]


def copy_records(source: RecordStore, target: RecordStore, kinds: list[str]) -> dict[str, int]:
    """Copy each kind in store order with its sequences, inside one hold of every kind of
    the target (one database transaction on PostgreSQL). Refused when the target holds
    records already; kind name -> records copied."""
    copied = {}
    with target.kinds_locked(kinds):
        taken = holds_records(target, kinds)
        if taken:
            raise CstoolError(
                _("{target} already holds records ({kinds}); a copy goes only into an empty store").format(
                    target=target.description, kinds=", ".join(taken)
                )
            )
        for kind in kinds:
            records = source.records(kind, fresh=True)
            with target.transaction(kind) as tx:
                tx.keep_sequences(source.sequences(kind))
                tx.insert([dict(record) for record in records])
            copied[kind] = len(records)
    return copied


def copy_workspace(source: RecordStore, target: RecordStore, kinds: list[str]) -> dict[str, int]:
    """``copy_records``, and with them what the desks share besides: the pending notices
    and every log (the outbox), in the same hold of the target."""
    from cstool.core.escalation import PENDING

    with target.kinds_locked(kinds):
        copied = copy_records(source, target, kinds)
        with source.shared_state(PENDING) as held, target.shared_state(PENDING) as kept:
            pending = held.load()
            if pending:
                kept.save(pending)
        for name in source.log_names():
            target.append_log(name, list(source.read_log(name)))
    return copied


def copy_to_folder(app, target: Path) -> tuple[Path, dict[str, int]]:
    """Copy the workspace's records into the workspace folder ``target`` (made, with this
    workspace's policy minus its store setting, when it does not exist). The records are
    written into a new folder beside ``target/data`` and moved into place at the end, so a
    copy cut short leaves ``target`` as it was."""
    from cstool.core.policy import remove_key
    from cstool.core.store import FolderStore
    from cstool.core.workspace import init_workspace, is_workspace

    target = target.expanduser().resolve()
    if target.exists() and not is_workspace(target) and any(target.iterdir()):
        raise CstoolError(
            _("{target} is neither a workspace nor an empty folder; nothing was copied").format(target=target)
        )
    made = not is_workspace(target)
    kinds = app.kinds.names()
    partitioned = partitioned_kinds(app)
    if not made:
        existing = FolderStore(target / "data", partitioned)
        taken = holds_records(existing, kinds)
        if taken:
            raise CstoolError(
                _("{target} already holds records ({kinds}); a copy goes only into an empty store").format(
                    target=target, kinds=", ".join(taken)
                )
            )
    staging = target.with_name(f".{target.name}.copying-{os.getpid()}")
    try:
        (staging / "data").mkdir(mode=DIR_MODE, parents=True)
        copied = copy_workspace(app.store, FolderStore(staging / "data", partitioned), kinds)
        if made:
            init_workspace(target)
            policy = app.workspace.policy_path.read_text(encoding="utf-8")
            atomic_write(target / "policy.toml", remove_key(policy, "workspace.store").encode("utf-8"))
        shutil.rmtree(target / "data")
        os.replace(staging / "data", target / "data")
        for shared in [*staging.glob("*.json"), *staging.glob("*.jsonl")]:  # the notices and logs (the outbox)
            os.replace(shared, target / shared.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, copied


def partitioned_kinds(app) -> set[str]:
    return {k.name for k in app.kinds if k.high_volume}


def export_records(app, data_dir: Path) -> dict[str, int]:
    """The workspace's records, as the folder keeps them, in ``data_dir`` (a new folder):
    read holding every kind, so the copy is one moment of a store others are writing."""
    from cstool.core.store import FolderStore

    data_dir.mkdir(mode=DIR_MODE, parents=True)
    kinds = app.kinds.names()
    with app.store.kinds_locked(kinds):
        return copy_records(app.store, FolderStore(data_dir, partitioned_kinds(app)), kinds)


def replace_records(app, data_dir: Path, kept_dir: Path) -> int:
    """Replace every record of the workspace's store with those of the folder ``data_dir``,
    keeping what was there in ``kept_dir`` (as a folder). One hold of every kind: on
    PostgreSQL one transaction, so a restore cut short changes nothing."""
    from cstool.core.store import FolderStore

    kinds = app.kinds.names()
    source = FolderStore(data_dir, partitioned_kinds(app))
    kept_dir.mkdir(mode=DIR_MODE, parents=True)
    with app.store.kinds_locked(kinds):
        copy_records(app.store, FolderStore(kept_dir, partitioned_kinds(app)), kinds)
        for kind in kinds:
            with app.store.transaction(kind) as tx:
                tx.remove_all()
        return sum(copy_records(source, app.store, kinds).values())
