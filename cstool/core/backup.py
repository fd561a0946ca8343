"""Backup and restore of a whole workspace: one archive; nothing replaced until it checks.

The archive (tar.gz) holds policy.toml, data/, plugins/ and templates/ (lock and temp
files left out). Restore unpacks into a folder beside the workspace, checks it (the
policy parses, every data file is whole JSON with a known schema), and only then swaps
it in; what it replaced is kept in ``<workspace>.before-restore-<time>-<random>``. The
archive's own plugins/ (code) is brought in only when asked for.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import orjson

from cstool.core.errors import CstoolError
from cstool.core.files import DIR_MODE, FILE_MODE, atomic_write, load_json_file, locked
from cstool.core.i18n import _
from cstool.core.timeutil import local_now
from cstool.core.workspace import RESTORE_JOURNAL as JOURNAL

PARTS = ("policy.toml", "data", "plugins", "templates")


def _keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    name = Path(info.name).name
    if name.endswith((".lock", ".tmp")) or "__pycache__" in info.name:
        return None
    return info


def backup(app, target: Path) -> int:
    """Write the workspace of ``app`` to ``target``; the number of files archived. A shared
    store's records go in as the folder keeps them, so one archive restores into either."""
    root = app.workspace.root
    if app.store_url is None:
        return _archive(root, target, root / "data")
    from cstool.core.storecopy import export_records

    with tempfile.TemporaryDirectory(prefix=f".{root.name}.backup-", dir=root.parent) as staging:
        export_records(app, Path(staging) / "data")
        return _archive(root, target, Path(staging) / "data")


def _archive(root: Path, target: Path, data: Path) -> int:
    count = 0
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(partial, "w:gz") as archive:
            for part in PARTS:
                source = data if part == "data" else root / part
                if source.exists():
                    archive.add(source, arcname=part, filter=_keep)
            count = sum(1 for member in archive.getmembers() if member.isfile())
        os.chmod(partial, FILE_MODE)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CstoolError(
            _("{target}: cannot write the backup ({reason})").format(target=target, reason=exc.strerror or exc)
        ) from None
    return count


def _check(unpacked: Path) -> int:
    """Problems stop the restore: every data file must load; the policy must parse."""
    from cstool.core.policy import load_policy

    if not (unpacked / "policy.toml").is_file() or not (unpacked / "data").is_dir():
        raise CstoolError(_("the archive holds no workspace (policy.toml and data/ are missing)"))
    load_policy(unpacked / "policy.toml")
    files = sorted((unpacked / "data").rglob("*.json"))
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


def restore(app, source: Path, *, with_plugins: bool = False) -> tuple[int, Path | None]:
    """Replace the workspace of ``app`` with the archive: (data files, where the old one went).

    Everything is unpacked and checked beside the workspace first; then, holding the lock of
    every kind and of the policy, a journal is written and the parts are swapped in one by
    one. A kill at any point leaves a journal that the next cstool command (or restore)
    finishes. The archive's plugins/ (code) replaces the workspace's only ``with_plugins``.
    """
    root = app.workspace.root
    if not source.is_file():
        raise CstoolError(_("{source}: no such file").format(source=source))
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.restore-", dir=root.parent))
    swapping = False  # from the journal on, staging belongs to the swap: a failure leaves it for finishing
    try:
        _unpack(source, staging)
        try:
            files = _check(staging)
        except CstoolError as exc:
            raise CstoolError(_("{source}: {exc}; nothing was restored").format(source=source, exc=exc)) from None
        parts = [part for part in PARTS if (staging / part).exists() and (with_plugins or part != "plugins")]
        with app.store.kinds_locked(app.kinds.names()), locked(app.workspace.policy_path.with_name("policy.toml.lock")):
            kept = Path(
                tempfile.mkdtemp(prefix=f"{root.name}.before-restore-{local_now():%Y%m%d-%H%M%S}-", dir=root.parent)
            )
            if app.store_url is not None:  # the records go into the shared store, the rest as files
                from cstool.core.storecopy import replace_records

                replace_records(app, staging / "data", kept / "data")
                parts.remove("data")
                _keep_store_setting(app, staging / "policy.toml")
            atomic_write(root / JOURNAL, orjson.dumps({"staging": str(staging), "kept": str(kept), "parts": parts}))
            swapping = True
            _swap(root, staging, kept, parts)
        return files, kept

    finally:
        if not swapping:
            shutil.rmtree(staging, ignore_errors=True)


def _keep_store_setting(app, policy_path: Path) -> None:
    """A restored policy keeps pointing at the store the workspace uses now (an archive
    made from a folder has no store setting)."""
    import json

    from cstool.core.policy import remove_key, set_value

    setting = app.policy.get("workspace.store")
    if not setting or not policy_path.is_file():
        return
    text = remove_key(policy_path.read_text(encoding="utf-8"), "workspace.store")
    atomic_write(policy_path, set_value(policy_path, text, "workspace.store", json.dumps(setting)).encode("utf-8"))


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


def _swap(root: Path, staging: Path, kept: Path, parts: list[str]) -> None:
    """Move each old part into ``kept`` and the new one into place. Each step looks at what
    is there, so running it again after a kill at any point finishes the same swap."""
    for part in parts:
        if (staging / part).exists():
            if (root / part).exists():
                os.replace(root / part, kept / part)
            os.replace(staging / part, root / part)
    (root / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def finish_interrupted_restore(root: Path) -> bool:
    """Finish a restore that was cut short in ``root`` (its journal is there); True if one was."""
    journal = root / JOURNAL
    if not journal.is_file():
        return False
    try:
        plan = orjson.loads(journal.read_bytes())
        staging, kept, parts = Path(plan["staging"]), Path(plan["kept"]), list(plan["parts"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise CstoolError(
            _("{journal}: a restore was cut short and its journal cannot be read ({exc})").format(
                journal=journal, exc=exc
            )
        ) from None
    if not staging.is_dir():  # every new part was moved in: only the journal was left
        journal.unlink(missing_ok=True)
        return True
    _swap(root, staging, kept, parts)
    return True
