"""Where the folder store keeps things in a workspace, and nothing else (light: read by
every command that looks for a workspace, before anything is loaded).

``<workspace>/data/`` holds the records (``<kind>.json``, or ``<kind>/<YYYY-MM-DD>[.NNNN].json``
for a busy kind) and their locks; ``<workspace>/<name>.json`` a value every desk shares (the
pending notices) and ``<workspace>/<name>.jsonl`` a log (the outbox). Everything outside
the folder store asks here instead of naming these itself.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA = "data"


def data_dir(root: Path) -> Path:
    return root / DATA


def present(root: Path) -> bool:
    """Whether ``root`` holds a folder store's data folder."""
    return (root / DATA).is_dir()


def create(root: Path, mode: int) -> Path:
    """The data folder of a new folder store in ``root``, owner-only."""
    folder = root / DATA
    folder.mkdir(mode=mode, parents=True, exist_ok=True)
    os.chmod(folder, mode)
    return folder


def is_part(name: object) -> bool:
    """Whether ``name`` is one of the parts a folder store keeps in a workspace (what a
    restore may swap in): its data folder, a shared value or a log."""
    if name == DATA:
        return True
    if not isinstance(name, str) or not name.endswith((".json", ".jsonl")):
        return False
    stem = name.rsplit(".", 1)[0]
    return bool(stem) and stem.isascii() and all(c.islower() or c.isdigit() or c == "-" for c in stem)


def data_files(root: Path) -> list[Path]:
    """Every data file under ``root``'s data folder (for checking an archive)."""
    return sorted((root / DATA).rglob("*.json"))
