"""Backup and restore of a whole workspace: one archive; nothing replaced until it checks.

The archive (tar.gz) holds policy.toml, data/, plugins/ and templates/ (lock and temp
files left out). Restore unpacks into a folder beside the workspace, checks it (the
policy parses, every data file is whole JSON with a known schema), and only then swaps
it in; what it replaced is kept in ``<workspace>.before-restore-<time>``.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from cstool.core.errors import CstoolError
from cstool.core.files import DIR_MODE, FILE_MODE, load_json_file
from cstool.core.i18n import _
from cstool.core.timeutil import local_now

PARTS = ("policy.toml", "data", "plugins", "templates")


def _keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    name = Path(info.name).name
    if name.endswith((".lock", ".tmp")) or "__pycache__" in info.name:
        return None
    return info


def backup(root: Path, target: Path) -> int:
    """Write the workspace at ``root`` to ``target``; the number of files archived."""
    count = 0
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(partial, "w:gz") as archive:
            for part in PARTS:
                if (root / part).exists():
                    archive.add(root / part, arcname=part, filter=_keep)
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


def restore(root: Path, source: Path) -> tuple[int, Path | None]:
    """Replace the workspace at ``root`` with the archive; (data files, where the old one went)."""
    if not source.is_file():
        raise CstoolError(_("{source}: no such file").format(source=source))
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.restore-", dir=root.parent))
    try:
        try:
            with tarfile.open(source, "r:gz") as archive:
                for member in archive.getmembers():
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
                archive.extractall(staging)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise CstoolError(
                _("{source} is not a readable cstool backup ({exc}); nothing was restored").format(
                    source=source, exc=exc
                )
            ) from None
        try:
            files = _check(staging)
        except CstoolError as exc:
            raise CstoolError(_("{source}: {exc}; nothing was restored").format(source=source, exc=exc)) from None
        kept = None
        if any((root / part).exists() for part in PARTS):
            kept = root.parent / f"{root.name}.before-restore-{local_now():%Y%m%d-%H%M%S}"
            kept.mkdir(mode=DIR_MODE)
            for part in PARTS:
                if (root / part).exists():
                    os.replace(root / part, kept / part)
        root.mkdir(mode=DIR_MODE, exist_ok=True)
        for part in PARTS:
            if (staging / part).exists():
                os.replace(staging / part, root / part)
        return files, kept
    finally:
        shutil.rmtree(staging, ignore_errors=True)
