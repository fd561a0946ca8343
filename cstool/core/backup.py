"""Backup and restore of a whole workspace: one archive; nothing replaced until it checks.

The archive (tar.gz) holds policy.toml, templates/ and plugins/, and everything the store
holds as the folder store keeps it (data/, the pending notices, the outbox and any other
shared value or log), dumped through the store itself, so one archive restores into
either store. Restore unpacks into a staging folder inside the workspace, checks it (the
policy parses, every data file is whole JSON with a known schema), and only then puts it
in place; what it replaced is kept in ``<workspace>/before-restore-<time>``. The archive's
plugins/ (code) is brought in only when asked for, and its store setting only with
``--with-store``: a restore never moves the records somewhere else on its own.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
from pathlib import Path

import orjson

from cstool.core.errors import CstoolError
from cstool.core.files import DIR_MODE, FILE_MODE, atomic_write, load_json_file, locked, writing
from cstool.core.i18n import _
from cstool.core.staging import RESTORE_JOURNAL as JOURNAL, is_staging, make_staging
from cstool.core.timeutil import local_now
from cstool.stores import folder_layout

OWN_PARTS = ("policy.toml", "templates", "plugins")  # the workspace's own files; the store names its parts
KEPT = re.compile(r"before-restore-\d{8}-\d{6}(-\d+)?")


def _keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    name = Path(info.name).name
    if name.endswith((".lock", ".tmp")) or "__pycache__" in info.name:
        return None
    return info


def backup(app, target: Path, *, replace: bool = False) -> int:
    """Write the workspace of ``app`` to ``target`` (an existing file only when ``replace``);
    the number of files archived. The store dumps what it holds into a folder store in a
    staging folder, holding every kind, so the archive is one moment of a store others are
    writing."""
    from cstool.stores.copying import dump_store

    root = app.workspace.root
    staging = make_staging(root, "backup")
    try:
        dumped = dump_store(app, staging)
        sources = [(root / part, part) for part in OWN_PARTS] + [
            (staging / part, part) for part in dumped.workspace_parts()
        ]
        return _archive(sources, target, replace)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _archive(sources: list[tuple[Path, str]], target: Path, replace: bool) -> int:
    try:
        with writing(target, replace=replace) as out, tarfile.open(fileobj=out, mode="w:gz") as archive:
            for source, name in sources:
                if source.exists():
                    archive.add(source, arcname=name, filter=_keep)
            return sum(1 for member in archive.getmembers() if member.isfile())
    except OSError as exc:
        raise CstoolError(
            _("{target}: cannot write the backup ({reason})").format(target=target, reason=exc.strerror or exc)
        ) from None


def _check(unpacked: Path) -> int:
    """Problems stop the restore: every data file must load; the policy must parse."""
    from cstool.core.policy import load_policy

    if not (unpacked / "policy.toml").is_file() or not folder_layout.present(unpacked):
        raise CstoolError(_("the archive holds no workspace (policy.toml and data/ are missing)"))
    load_policy(unpacked / "policy.toml")
    files = folder_layout.data_files(unpacked)
    for path in files:
        data = load_json_file(path)
        if data is not None and not isinstance(data, dict):
            raise CstoolError(
                _("{path} in the archive is not a cstool data file").format(path=path.relative_to(unpacked))
            )
    return len(files)


# An archive whose files add up to more than this many times its own size, and to more
# than MIN_BOMB_BYTES, is refused as a decompression bomb (workspace JSON packs ~10-20x).
BOMB_RATIO = 100
MIN_BOMB_BYTES = 64 * 1024 * 1024


def restore(app, source: Path, *, with_plugins: bool = False, with_store: bool = False) -> tuple[int, Path]:
    """Replace the workspace of ``app`` with the archive: (data files, where the old one went).

    Everything is unpacked and checked in a staging folder first. A store that keeps its
    records in the workspace's files (the folder) has them swapped in with the policy:
    holding every kind and the policy, a journal is written and the parts are moved one by
    one; a kill at any point leaves a journal that the next command finishes. A store that
    keeps them elsewhere (a database) has its contents replaced in one transaction, and
    only once that has committed are the files swapped. The archive's plugins/ (code)
    replaces the workspace's only ``with_plugins``; its ``[workspace] store`` is taken only
    ``with_store`` (the records then go into the store it names).
    """
    from cstool.stores.copying import partitioned_kinds, replace_store_contents
    from cstool.stores.folder import FolderStore

    root = app.workspace.root
    if not source.is_file():
        raise CstoolError(_("{source}: no such file").format(source=source))
    staging = make_staging(root, "restore")
    kept: Path | None = None
    swapping = False  # from the journal on, staging belongs to the swap: a failure leaves it for finishing
    try:
        _unpack(source, staging)
        try:
            files = _check(staging)
        except CstoolError as exc:
            raise CstoolError(_("{source}: {exc}; nothing was restored").format(source=source, exc=exc)) from None
        store = _settle_store_setting(app, staging / "policy.toml", with_store)
        archived = FolderStore(staging, partitioned_kinds(app))
        parts = [part for part in OWN_PARTS if with_plugins or part != "plugins"]
        kept = _kept_folder(root)
        if not store.workspace_parts():
            folder_layout.create(kept, DIR_MODE)
            replace_store_contents(app, store, archived, FolderStore(kept, partitioned_kinds(app)))
        with store.kinds_locked(app.kinds.names()), locked(app.workspace.policy_path.with_name("policy.toml.lock")):
            if store.workspace_parts():  # the store's own files are swapped with the policy
                parts += archived.workspace_parts()
                removed = [part for part in store.workspace_parts() if part not in parts]
            else:
                removed = []
            plan = {"staging": staging.name, "kept": kept.name, "parts": parts, "removed": removed}
            atomic_write(root / JOURNAL, orjson.dumps(plan))
            swapping = True
            _swap(root, staging, kept, parts, removed)
        return files, kept
    finally:
        if not swapping:
            shutil.rmtree(staging, ignore_errors=True)
            if kept is not None:  # only this attempt's copy of what is still in place
                shutil.rmtree(kept, ignore_errors=True)


def _kept_folder(root: Path) -> Path:
    stamp = f"before-restore-{local_now():%Y%m%d-%H%M%S}"
    for number in range(1000):
        kept = root / (stamp if number == 0 else f"{stamp}-{number}")
        try:
            kept.mkdir(mode=DIR_MODE)
            return kept
        except FileExistsError:
            continue
    raise CstoolError(_("{root}: too many earlier restores kept this second").format(root=root))


def _settle_store_setting(app, policy_path: Path, with_store: bool):
    """Make the restored policy name the store the records go into, and return that store:
    the workspace's own store unless ``with_store`` (then the one the archive names, or the
    workspace's folder when it names none)."""
    import json

    from cstool.core.policy import load_policy, remove_key, set_value

    archived = load_policy(policy_path).get("workspace.store") or None
    setting = archived if with_store else (app.policy.get("workspace.store") or None)
    if archived != setting:
        text = remove_key(policy_path.read_text(encoding="utf-8"), "workspace.store")
        if setting:
            text = set_value(policy_path, text, "workspace.store", json.dumps(setting))
        atomic_write(policy_path, text.encode("utf-8"))
    if not with_store or archived == app.policy.get("workspace.store"):
        return app.store
    if archived is None:
        from cstool.stores.copying import partitioned_kinds
        from cstool.stores.folder import FolderStore

        return FolderStore(app.workspace.root, partitioned_kinds(app))
    return app.open_store(archived)


def _unpack(source: Path, staging: Path) -> None:
    """Extract ``source`` into ``staging``: regular files and folders only, inside it, owned by
    whoever restores, 0600 / 0700 (tarfile's "data" filter, then the workspace's modes)."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            members = archive.getmembers()
            for member in members:
                if (
                    member.name.startswith(("/", ".."))
                    or ".." in Path(member.name).parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise CstoolError(
                        _("{source}: unsafe entry {name!r}; nothing was restored").format(
                            source=source, name=member.name
                        )
                    )
            total = sum(member.size for member in members)
            if total > MIN_BOMB_BYTES and total > BOMB_RATIO * source.stat().st_size:
                raise CstoolError(
                    _("{source} unpacks to {size} MB, over {ratio} times its own size; nothing was restored").format(
                        source=source, size=total // (1024 * 1024), ratio=BOMB_RATIO
                    )
                )
            archive.extractall(staging, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise CstoolError(
            _("{source} is not a readable cstool backup ({exc}); nothing was restored").format(source=source, exc=exc)
        ) from None
    for folder, _folders, names in os.walk(staging):
        os.chmod(folder, DIR_MODE)
        for name in names:
            os.chmod(os.path.join(folder, name), FILE_MODE)


def _swap(root: Path, staging: Path, kept: Path, parts: list[str], removed: list[str]) -> None:
    """Move each old part into ``kept`` and the archive's into place; move each of
    ``removed`` (a part the archive has none of) into ``kept``. Each step looks at what is
    there, so running it again after a kill at any point finishes the same swap."""
    for part in parts:
        new, old = staging / part, root / part
        if new.exists():  # not yet moved in
            if old.exists() or old.is_symlink():
                os.replace(old, kept / part)
            os.replace(new, old)
    for part in removed:
        old = root / part
        if old.exists() or old.is_symlink():
            os.replace(old, kept / part)
    (root / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def finish_interrupted_restore(root: Path) -> bool:
    """Finish a restore that was cut short in ``root`` (its journal is there); True if one was.

    The journal is trusted only as far as it names this workspace's own staging and kept
    folders and parts a restore swaps: anything else is refused, with nothing moved."""
    journal = root / JOURNAL
    if not journal.is_file():
        return False
    try:
        if journal.is_symlink() or journal.stat().st_uid != os.geteuid():
            raise ValueError(_("not written by this user"))
        plan = orjson.loads(journal.read_bytes())
        staging_name, kept_name = plan["staging"], plan["kept"]
        parts, removed = list(plan["parts"]), list(plan["removed"])
        if not (
            isinstance(staging_name, str)
            and is_staging(staging_name)
            and isinstance(kept_name, str)
            and KEPT.fullmatch(kept_name)
            and all(part in OWN_PARTS or folder_layout.is_part(part) for part in [*parts, *removed])
        ):
            raise ValueError(_("it names paths outside this workspace's restore"))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CstoolError(
            _("{journal}: a restore was cut short and its journal cannot be used ({exc}); nothing was moved").format(
                journal=journal, exc=exc
            )
        ) from None
    staging, kept = root / staging_name, root / kept_name
    if not staging.is_dir():  # every new part was moved in: only the journal was left
        journal.unlink(missing_ok=True)
        return True
    _swap(root, staging, kept, parts, removed)
    return True
