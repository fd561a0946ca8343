"""Folders a command fills before it moves the result into place, and what killed commands
left of them.

A restore unpacks an archive, a backup dumps the store, ``store copy --to DIR`` writes
records: each into a staging folder *inside* the workspace it works on (never beside it,
where a shared parent folder would let another user plant or read things), named for the
process that made it. A staging folder whose process is gone is a leftover holding
personal data: the next command in that workspace removes it, and ``cstool doctor`` says
so.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from cstool.core.files import DIR_MODE

RESTORE_JOURNAL = ".restore-journal.json"  # inside a workspace while a restore swaps it in (core/backup.py)
_STAGING = re.compile(r"\.staging-([a-z]+)-(\d+)-[0-9a-f]{12}")


def make_staging(root: Path, purpose: str) -> Path:
    """A new empty folder in ``root`` (0700, a name nobody could have planted) for ``purpose``."""
    while True:
        path = root / f".staging-{purpose}-{os.getpid()}-{os.urandom(6).hex()}"
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIR_MODE)
        return path


def is_staging(name: str) -> bool:
    return _STAGING.fullmatch(name) is not None


def leftovers(root: Path) -> list[Path]:
    """The staging folders in ``root`` whose process no longer runs."""
    found = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    for entry in entries:
        match = _STAGING.fullmatch(entry.name)
        if match and entry.is_dir(follow_symlinks=False) and not _running(int(match.group(2))):
            found.append(Path(entry.path))
    return sorted(found)


def remove_leftovers(root: Path) -> list[Path]:
    """Remove what ``leftovers`` finds (a restore's staging named by its journal is finished
    before this is called, so none found here is still wanted); the folders removed."""
    removed = leftovers(root)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process with that number: not ours, but leave it be
    return True


def earlier_leftovers(root: Path) -> list[Path]:
    """Staging folders that cstool before 0.2 left *beside* the workspace (a restore's
    ``.<name>.restore-*``, a copy's ``.<name>.copying-<pid>``), when they are the current
    user's: found by ``cstool doctor`` so that an upgraded department can clear them."""
    found = []
    for path in sorted(root.parent.glob(f".{root.name}.restore-*")) + sorted(root.parent.glob(".*.copying-*")):
        try:
            owned = path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.geteuid()
        except OSError:
            continue
        if owned:
            found.append(path)
    return found


def folder_size(path: Path) -> int:
    total = 0
    for folder, _folders, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total
