"""Files a workspace keeps: their modes, atomic replacement, checked JSON reads, and the one lock.

Every writer of a workspace file goes through here, so each guarantee holds in one place:
files are created 0600 and folders 0700 (the workspace holds personal data); a file is
replaced by writing a temp file, fsyncing it, renaming it over the old one and fsyncing the
folder, so a crash leaves the old file or the new one, whole; and a lock that cannot be
taken reads the same everywhere.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from cstool.core.errors import StoreError
from cstool.core.i18n import _

FILE_MODE = 0o600
DIR_MODE = 0o700
LOCK_TIMEOUT_SECONDS = 60


# Set by the command runner (cli.main), never by the library: a cstool command keeps what it
# loaded until its process ends, so freezing it spares the collector rescanning it (0.7 s a
# command at 100,000 complaints, in later collections and the one at exit). A program or a
# test that uses cstool in-process keeps its heap as it was.
freeze_after_loading = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building or loading many small objects: the cyclic collector only slows it (records
    hold no cycles). In a cstool command, what was made meanwhile is frozen out of the
    collector's reach as it resumes (``freeze_after_loading``); frozen objects are still
    freed when nothing refers to them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if freeze_after_loading:
                gc.freeze()
            gc.enable()


def load_json_file(path: Path) -> Any:
    """The parsed content of ``path``, or None when it does not exist."""
    import orjson  # here: the folder modes above are needed by commands that read no JSON

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(_("{path}: cannot read: {strerror}").format(path=path, strerror=exc.strerror)) from None
    if not raw.strip():  # cstool never writes an empty file: this one was cut short or emptied
        raise StoreError(
            _("{path} is empty (cut short or emptied by something other than cstool); it was left as it is").format(
                path=path
            )
        )
    with collector_paused():
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise StoreError(
                _("{path} is not valid JSON ({exc}); it was left exactly as it is").format(path=path, exc=exc)
            ) from None


NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _open_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path`` that this process alone made: a random name opened
    with O_CREAT|O_EXCL|O_NOFOLLOW, so nothing planted there (a file, a symbolic link, a
    guess at the next name) is ever written through; its mode is set on the descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, flags, FILE_MODE)
        except FileExistsError:
            continue  # 48 random bits: taken only by a planted name, so draw again
        os.fchmod(fd, FILE_MODE)
        return fd, tmp


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _install(tmp: Path, path: Path, replace: bool) -> None:
    """Put the finished ``tmp`` at ``path``: over an existing regular file only when
    ``replace`` (a symbolic link there is refused: it is not the file the person named),
    else only where nothing is (a hard link fails rather than replace anything)."""
    if replace:
        if path.is_symlink():
            raise StoreError(
                _("{path} is a symbolic link; cstool replaces only a file itself, never what a link points to").format(
                    path=path
                )
            )
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        raise StoreError(_("{path} exists; pass --force to replace it").format(path=path)) from None
    os.unlink(tmp)


@contextmanager
def writing(path: Path, *, replace: bool = True, durable: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: a new temp file beside it (see ``_open_temp``),
    fsynced and moved into place when the body ends, so a crash leaves the old file or the
    new one, whole; removed when the body fails. ``replace=False`` refuses an existing
    ``path``; ``durable=False`` skips the syncs, for derived files that may be lost (a torn
    one is refused when read, and computed again)."""
    try:
        fd, tmp = _open_temp(path)
    except OSError as exc:
        raise StoreError(
            _("{path}: cannot write ({reason}); the previous file is intact").format(
                path=path, reason=exc.strerror or exc
            )
        ) from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            if durable:
                os.fsync(out.fileno())
        _install(tmp, path, replace)
        if durable:
            _sync_folder(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(
            _("{path}: cannot write ({reason}); the previous file is intact").format(
                path=path, reason=exc.strerror or exc
            )
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, payload: bytes, durable: bool = True) -> None:
    """Replace ``path`` with ``payload`` so that a crash leaves the old or the new file."""
    with writing(path, durable=durable) as out:
        out.write(payload)


def staged_write(path: Path, payload: bytes) -> Path:
    """``payload`` in a new temp file beside ``path``, fsynced, not yet in place: the caller
    moves it (``os.replace``) once every file of its change is staged."""
    fd, tmp = _open_temp(path)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


# File systems whose locks two machines cannot rely on (SQLite and Berkeley DB document the
# same): a workspace shared over one of them can lose records.
NETWORK_FILESYSTEMS = (
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "fuse.sshfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
    "lustre",
    "gpfs",
    "davfs",
    "fuse.davfs2",
)


def network_filesystem(path: Path) -> str | None:
    """The type of the network file system ``path`` is on, or None (a local disk, or a
    system where cstool cannot tell: it reads Linux's /proc/self/mountinfo)."""
    best, kind = "", None
    target = str(path.resolve())
    for mount_point, fstype in _mounts():
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) > len(best):
            best, kind = mount_point, fstype
    return kind if kind in NETWORK_FILESYSTEMS else None


def _mounts() -> list[tuple[str, str]]:
    """(mount point, file system type) of every mount, from /proc/self/mountinfo."""
    try:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        fields, _sep, rest = line.partition(" - ")
        parts = fields.split()
        if len(parts) >= 5 and rest:
            found.append((parts[4].replace("\\040", " "), rest.split()[0]))
    return found


def network_share_warning(path: Path) -> str | None:
    """The warning a workspace on a network share deserves, or None."""
    fstype = network_filesystem(path)
    if fstype is None:
        return None
    return _(
        "{path} is on a network file system ({fstype}): file locks are not reliable there, and two desks "
        "writing at once can lose records; keep the workspace on the local disk of the machine that uses it"
    ).format(path=path, fstype=fstype)


def write_new_file(path: Path, payload: bytes, *, replace: bool = False) -> None:
    """Write a file a person asked for (a form, an export, a backup): 0600, never through a
    symbolic link, never over an existing file unless ``replace``; atomically either way."""
    with writing(path, replace=replace) as out:
        out.write(payload)


def append_durably(path: Path, payload: bytes) -> None:
    """Append whole lines (``payload`` ends with a newline) to a log such as the outbox
    (created 0600, never through a symbolic link) and fsync it; take ``locked`` around it so
    that two writers' lines never interleave. A last line torn by an earlier crash or a full
    disk is cut off first: it was never taken as written, and its writer writes it again. A
    write that fails is undone, so the lines of ``payload`` are all there or none are."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | NOFOLLOW, FILE_MODE)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            size = _end_of_last_line(fd, size)
            os.ftruncate(fd, size)
        view = memoryview(payload)
        try:
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, size)
            raise
    except OSError as exc:
        raise StoreError(
            _("{path}: cannot append ({reason}); the lines before are intact").format(path=path, reason=exc.strerror)
        ) from None
    finally:
        os.close(fd)


def _end_of_last_line(fd: int, size: int) -> int:
    """The offset just after the last newline of the file (0 when it has none)."""
    end = size
    while end > 0:
        start = max(0, end - 65536)
        chunk = os.pread(fd, end - start, start)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


@contextmanager
def locked(lock_path: Path) -> Iterator[HeldLock]:
    """Hold ``lock_path`` (created 0600) while the body runs; another holder past
    LOCK_TIMEOUT_SECONDS, or a folder where no lock can be made, is a clear refusal.

    Yields a ``HeldLock``: a writer calls ``check()`` just before it replaces a file, so
    that a lock file removed or replaced meanwhile (by hand, by a cleaner) refuses the write
    instead of letting a second writer in beside this one."""
    from filelock import FileLock, Timeout  # here: reading takes no lock, and filelock costs ~8 ms to import

    lock = FileLock(str(lock_path), timeout=LOCK_TIMEOUT_SECONDS, mode=FILE_MODE)
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(
            _("{lock_path} is held by another cstool process (waited {LOCK_TIMEOUT_SECONDS} s)").format(
                lock_path=lock_path, LOCK_TIMEOUT_SECONDS=LOCK_TIMEOUT_SECONDS
            )
        ) from None
    except OSError as exc:
        raise StoreError(
            _("{lock_path}: cannot lock ({strerror}); nothing was written").format(
                lock_path=lock_path, strerror=exc.strerror
            )
        ) from None
    try:
        held = HeldLock(lock_path, file_identity(lock_path))
        yield held
    finally:
        lock.release()


def file_identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class HeldLock:
    """A lock this process holds, and the lock file it holds it on."""

    def __init__(self, path: Path, identity: tuple[int, int] | None):
        self.path, self.identity = path, identity

    def check(self) -> None:
        """Refuse to go on when the lock file is no longer the one this process locked."""
        if self.identity is None or file_identity(self.path) != self.identity:
            raise StoreError(
                _("{lock_path} was removed or replaced while this command held it; nothing was written").format(
                    lock_path=self.path
                )
            )
