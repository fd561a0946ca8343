"""``cstool store copy``: every record, event and id sequence of a workspace, from its store
into another (a PostgreSQL database, or a workspace folder), whole or not at all."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cstool.core.errors import CstoolError
from cstool.core.files import DIR_MODE, atomic_write
from cstool.core.i18n import _
from cstool.stores import folder_layout
from cstool.stores.base import KeepsFiles, RecordStore


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
    """``copy_records``, and with them what the desks share besides: the pending notices,
    the policy's current version and every log (the outbox, the policy's history), in the
    same hold of the target."""
    with target.kinds_locked(kinds):
        copied = copy_records(source, target, kinds)
        _copy_shared(source, target)
    return copied


def _copy_shared(source: RecordStore, target: RecordStore) -> None:
    from cstool.core.escalation import PENDING
    from cstool.core.policy_history import CURRENT

    for name in (PENDING, CURRENT):
        with source.shared_state(name) as held, target.shared_state(name) as kept:
            value = held.load()
            if value or kept.load() is not None:
                kept.save(value)
    names = set(source.log_names())
    for name in sorted(names | set(target.log_names())):
        target.replace_log(name, list(source.read_log(name)) if name in names else [])
    _copy_files(source, target)


def _copy_files(source: RecordStore, target: RecordStore) -> None:
    """The attachments, one at a time (memory holds one file); a target's own that the
    source lacks are forgotten (a restore: nothing of the replaced records stays behind)."""
    if not (isinstance(source, KeepsFiles) and isinstance(target, KeepsFiles)):
        return
    wanted = source.file_digests()
    for digest in sorted(set(wanted) - set(target.file_digests())):
        data = source.get_file(digest)
        if data is not None:
            target.put_file(data)
    target.remove_files(sorted(set(target.file_digests()) - set(wanted)))


def copy_to_folder(app, target: Path) -> tuple[Path, dict[str, int]]:
    """Copy the workspace's records into the workspace folder ``target`` (made, with this
    workspace's policy minus its store setting, when it does not exist). The records are
    written into a staging folder inside ``target`` and moved into place at the end, so a
    copy cut short leaves ``target`` as it was (a folder this copy made is removed)."""
    from cstool.core.policy import remove_key
    from cstool.core.staging import make_staging, remove_leftovers
    from cstool.core.workspace import init_workspace, is_workspace
    from cstool.stores.folder import FolderStore

    target = target.expanduser().resolve()
    if target.is_dir():
        remove_leftovers(target)  # what an earlier copy, killed, left there
    if target.exists() and not is_workspace(target) and any(target.iterdir()):
        raise CstoolError(
            _("{target} is neither a workspace nor an empty folder; nothing was copied").format(target=target)
        )
    made = not is_workspace(target)
    kinds = app.kinds.names()
    partitioned = partitioned_kinds(app)
    if not made:
        existing = FolderStore(target, partitioned)
        taken = holds_records(existing, kinds)
        if taken:
            raise CstoolError(
                _("{target} already holds records ({kinds}); a copy goes only into an empty store").format(
                    target=target, kinds=", ".join(taken)
                )
            )
    created = not target.exists()
    target.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    staging = make_staging(target, "copy")
    done = False
    try:
        folder_layout.create(staging, DIR_MODE)
        staged = FolderStore(staging, partitioned)
        copied = copy_workspace(app.store, staged, kinds)
        if made:
            init_workspace(target)
            policy = app.workspace.policy_path.read_text(encoding="utf-8")
            atomic_write(target / "policy.toml", remove_key(policy, "workspace.store").encode("utf-8"))
        for part in staged.workspace_parts():  # the records, the notices and the logs (the outbox)
            if (target / part).is_dir():
                shutil.rmtree(target / part)
            os.replace(staging / part, target / part)
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not done:
            shutil.rmtree(target, ignore_errors=True)
    return target, copied


def partitioned_kinds(app) -> set[str]:
    return {k.name for k in app.kinds if k.high_volume}


def dump_store(app, folder: Path):
    """Everything the workspace's store holds (records, sequences, pending notices, logs),
    as the folder store keeps it, in ``folder`` (its ``data/`` and shared files): read
    holding every kind, so the dump is one moment of a store others are writing. The
    folder store of the dump."""
    from cstool.stores.folder import FolderStore

    folder_layout.create(folder, DIR_MODE)
    dumped = FolderStore(folder, partitioned_kinds(app))
    kinds = app.kinds.names()
    with app.store.kinds_locked(kinds):
        copy_workspace(app.store, dumped, kinds)
    return dumped


def replace_store_contents(app, store: RecordStore, source: RecordStore, kept: RecordStore) -> int:
    """Replace everything ``store`` holds with what ``source`` holds, keeping what was there
    in ``kept`` (a folder store). One hold of every kind: on PostgreSQL one transaction,
    committed when this returns, so a restore cut short changes nothing."""
    kinds = app.kinds.names()
    with store.kinds_locked(kinds):
        copy_workspace(store, kept, kinds)
        for kind in kinds:
            with store.transaction(kind) as tx:
                tx.remove_all()
        copied = sum(copy_records(source, store, kinds).values())
        _copy_shared(source, store)
    return copied
