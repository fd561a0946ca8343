"""A workspace: one folder holding policy.toml, data/ and plugins/ (spec section 3)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from cstool.core import resources
from cstool.core.errors import CstoolError, WorkspaceNotFound
from cstool.core.files import DIR_MODE, FILE_MODE
from cstool.core.i18n import _
from cstool.core.staging import RESTORE_JOURNAL, remove_leftovers
from cstool.stores import folder_layout

NO_WORKSPACE = "no workspace: run `cstool init` or pass --workspace"

# Workspace files hold personal data: owner-only from the start.


@dataclass(frozen=True)
class Workspace:
    root: Path
    cleaned: tuple[Path, ...] = ()  # what killed commands left here, removed as it was opened

    @property
    def policy_path(self) -> Path:
        return self.root / "policy.toml"

    @property
    def cache_dir(self) -> Path:
        """What commands remember for each other (derived, never backed up; safe to delete)."""
        return self.root / ".cache"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def template(self, relative: str) -> Path:
        """A template by relative path: the workspace's own copy wins over the bundled one."""
        own = self.templates_dir / relative
        return own if own.exists() else resources.templates_dir() / relative


def _not_workspace_templates(folder: str, names: list[str]) -> set[str]:
    skipped = {"__pycache__"}
    if Path(folder) == resources.templates_dir():
        skipped.add("plugin")
    return skipped.intersection(names)


def is_workspace(path: Path) -> bool:
    return (path / "policy.toml").is_file() and folder_layout.present(path)


# Folders (separated by os.pathsep) that may be owned by someone else or be group-writable:
# a department's shared folder under a service account, say so on purpose.
TRUSTED_ENV = "CSTOOL_TRUSTED_WORKSPACES"


def distrust(root: Path) -> str | None:
    """Why the workspace at ``root`` must not be used (its plugins are code that would run as
    the current user), or None. The folder, its plugins/ and every plugin file must belong to
    the current user and be writable by nobody else, unless CSTOOL_TRUSTED_WORKSPACES names it."""
    if os.name != "posix":
        return None
    trusted = {Path(p).expanduser().resolve() for p in os.environ.get(TRUSTED_ENV, "").split(os.pathsep) if p}
    if root.resolve() in trusted:
        return None
    plugins = root / "plugins"
    # every file of every plugin, packages' modules and folders too
    code = sorted(plugins.rglob("*")) if plugins.is_dir() else []
    for path in [root, plugins, *(p for p in code if p.suffix == ".py" or p.is_dir())] if plugins.is_dir() else [root]:
        try:
            found = path.stat()
        except OSError:
            continue
        if found.st_uid != os.geteuid():
            return _("{path} belongs to another user (uid {uid})").format(path=path, uid=found.st_uid)
        if found.st_mode & 0o022:
            return _("{path} can be changed by other users (mode {mode:o})").format(
                path=path, mode=found.st_mode & 0o777
            )
    return None


def refusal(reason: str) -> str:
    return _(
        "{reason}: cstool uses no workspace another user could have changed, and runs none of its plugins; "
        "fix the owner or mode, or, for a folder shared on purpose, add it to {variable}"
    ).format(reason=reason, variable=TRUSTED_ENV)


def locate(explicit: str | os.PathLike | None, cwd: Path | None = None) -> Path | None:
    """The workspace folder by the spec's order, or None when there is none.

    An explicit ``--workspace`` or ``CSTOOL_WORKSPACE`` that is not a workspace is
    returned as it is, so the error can name it.
    """
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("CSTOOL_WORKSPACE")
    if env:
        return Path(env).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_workspace(folder) or ((folder / RESTORE_JOURNAL).is_file() and distrust(folder) is None):
            return folder  # a restore cut short there; a journal in a folder others can write is planted
    return None


def finish_restore(folder: Path) -> None:
    """Finish a restore cut short in ``folder`` (see core/backup.py), and only in a folder
    that is the current user's alone: a journal another user could have planted is never read."""
    if (folder / RESTORE_JOURNAL).is_file() and distrust(folder) is None:
        from cstool.core.backup import finish_interrupted_restore

        finish_interrupted_restore(folder)


def open_workspace(path: Path | None) -> Workspace:
    """The workspace at ``path``, once it is known to be the current user's alone: only then
    is a restore cut short there finished and what killed commands left there removed."""
    if path is None:
        raise WorkspaceNotFound(NO_WORKSPACE)
    journal = (path / RESTORE_JOURNAL).is_file()
    if not is_workspace(path) and not journal:
        raise WorkspaceNotFound(
            _(
                "{path} is not a workspace (it needs policy.toml and data/): run `cstool init {path}` or pass --workspace"
            ).format(path=path)
        )
    reason = distrust(path)
    if reason is not None:
        raise CstoolError(refusal(reason))
    if journal:
        finish_restore(path)
        if not is_workspace(path):
            raise WorkspaceNotFound(_("{path} is not a workspace (it needs policy.toml and data/)").format(path=path))
    return Workspace(path, tuple(remove_leftovers(path)))


DEMO_MARK = ".cstool-demo"  # in a workspace `cstool demo` built, which `demo --force` may rebuild


def init_workspace(target: Path, force: bool = False) -> tuple[Workspace, list[Path]]:
    """Create a workspace from the bundled default policy and templates. With ``force`` on an
    existing one, its policy and templates are reset, each kept first (records are never
    touched): (the workspace, the copies kept)."""
    target = target.expanduser().resolve()
    if target == resources.bundled_root().resolve():  # its templates would be moved aside, then copied from
        raise CstoolError(
            _("{target} holds cstool's own policy and templates; make the workspace in another folder").format(
                target=target
            )
        )
    if is_workspace(target) and not force:
        raise CstoolError(
            _(
                "{target} already holds a workspace; pass --force to reset its policy and templates (records are kept)"
            ).format(target=target)
        )
    if target.exists() and not target.is_dir():
        raise CstoolError(_("{target} exists and is not a folder").format(target=target))
    for folder in (target, target / "plugins"):
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    folder_layout.create(target, DIR_MODE)  # records live in the folder until policy names a store
    policy = target / "policy.toml"
    templates = target / "templates"
    kept = _keep_before_reset(policy, templates)
    shutil.copyfile(resources.default_policy_path(), policy)
    os.chmod(policy, FILE_MODE)
    # The plugin skeleton is for `cstool plugin new`, not something a workspace edits.
    shutil.copytree(resources.templates_dir(), templates, ignore=_not_workspace_templates)
    for folder_name, _dirs, files in os.walk(templates):
        os.chmod(folder_name, DIR_MODE)
        for name in files:
            os.chmod(os.path.join(folder_name, name), FILE_MODE)
    readme = target / "plugins" / "README.txt"
    if not readme.exists():
        readme.write_text(
            "Plugins of this workspace: every plugins/*.py, and every plugins/NAME/ package, is loaded as a cstool plugin.\n"
            "本文件夹中的每个 .py 文件都作为 cstool 插件加载。See docs/hooks.md.\n",
            encoding="utf-8",
        )
        os.chmod(readme, FILE_MODE)
    return Workspace(target), kept


def _keep_before_reset(policy: Path, templates: Path) -> list[Path]:
    """Move a policy and templates that differ from the defaults aside, dated, before a reset."""
    from cstool.core.timeutil import local_now

    stamp = f"{local_now():%Y%m%d-%H%M%S}"
    kept = []
    if policy.is_file() and policy.read_bytes() != resources.default_policy_path().read_bytes():
        kept.append(policy.with_name(f"policy.toml.before-init-{stamp}"))
        os.replace(policy, kept[-1])
    if templates.exists():
        kept.append(templates.with_name(f"templates.before-init-{stamp}"))
        os.replace(templates, kept[-1])
    return kept
