"""The pluggy host: which plugins load, from where, and what happened to those that failed."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from cstool import hookspecs
from cstool.core.errors import CstoolError
from cstool.core.policy import Policy, load_policy
from cstool.core.workspace import distrust, refusal

PROJECT = "cstool"
ENTRY_POINT_GROUP = "cstool"
# Bundled plugins, loaded first; each uses only cstool.api, like an outside plugin.
BUNDLED = (
    "cstool.plugins.rules",
    "cstool.plugins.complaints",
    "cstool.plugins.complaint_reports",
    "cstool.plugins.approval",
    "cstool.plugins.aftersales",
    "cstool.plugins.customers",
    "cstool.plugins.key_accounts",
    "cstool.plugins.visits",
    "cstool.plugins.sales",
    "cstool.plugins.phone",
    "cstool.plugins.internal",
    "cstool.plugins.deliverables",
    "cstool.plugins.feedback",
    "cstool.plugins.knowledge",
    "cstool.plugins.improvement",
    "cstool.plugins.surveys",
    "cstool.plugins.dashboard",
    "cstool.plugins.sla",
    "cstool.plugins.staff",
    "cstool.plugins.staff_records",
    "cstool.plugins.monthly",
    "cstool.plugins.outbox",
    "cstool.plugins.smtp",
    "cstool.plugins.mail",
    "cstool.stores.postgresql",
)
# Comma-separated plugin names not to load (tests and staff use it to switch one off).
BLOCK_ENV = "CSTOOL_BLOCK_PLUGINS"
# The workspace's own list, kept with its other standards: [plugins] blocked = ["name"].
BLOCK_POLICY_SECTION = "plugins"
# Set to 0 to skip installed entry-point plugins (the test suite does, for isolation).
ENTRY_POINTS_ENV = "CSTOOL_LOAD_ENTRYPOINTS"


@dataclass
class PluginFailure:
    name: str
    source: str
    error: str


@dataclass
class Host:
    pm: pluggy.PluginManager
    sources: dict[str, str] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # name -> where it would have come from

    @property
    def hook(self):
        return self.pm.hook

    def implementers(self, hook_name: str) -> list[str]:
        """The plugins implementing ``hook_name`` (wrappers aside), in the order pluggy calls
        them: tryfirst, then plain ones last-registered first, then trylast."""
        caller = getattr(self.pm.hook, hook_name)
        return [
            self.pm.get_name(impl.plugin) or repr(impl.plugin)
            for impl in reversed(caller.get_hookimpls())
            if not impl.hookwrapper and not impl.wrapper
        ]

    def call_plugin(self, hook_name: str, plugin_name: str, **kwargs: Any) -> Any:
        """Call one plugin's ``hook_name`` through pluggy, inside the hook's wrappers: its
        answer, or the exception it raised."""
        others = [self.pm.get_plugin(name) for name in self.implementers(hook_name) if name != plugin_name]
        try:
            found = self.pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)
        except Exception as exc:
            return exc
        if isinstance(found, list):  # a plain hook: the one plugin's answer, if it gave one
            return found[0] if found else None
        return found  # a firstresult hook answers with the value itself

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call hook ``hook_name`` once per implementing plugin, in pluggy's order, each call
        inside the hook's wrappers: ``[(plugin name, its answer)]``, for the hooks whose answers
        cstool attributes to their plugin (kinds, reports). A plugin that raises stops it."""
        answers: list[tuple[str, Any]] = []
        for name in self.implementers(hook_name):
            answer = self.call_plugin(hook_name, name, **kwargs)
            if isinstance(answer, Exception):
                raise answer
            answers.append((name, answer))
        return answers

    def plugin_files(self) -> list[tuple[str, Path]]:
        """(plugin, folder) of every plugin that ships files (``cstool_plugin_files``), in pluggy's order."""
        found = []
        for name in self.implementers("cstool_plugin_files"):
            folder = self.call_plugin("cstool_plugin_files", name)
            if isinstance(folder, Path) and folder.is_dir():
                found.append((name, folder))
        return found

    def describe(self) -> list[dict]:
        rows = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
            rows.append(
                {
                    "name": name,
                    "source": self.sources.get(name, "registered"),
                    "hooks": hooks,
                    "error": None,
                    "blocked": False,
                }
            )
        for failure in self.failures:
            rows.append(
                {"name": failure.name, "source": failure.source, "hooks": [], "error": failure.error, "blocked": False}
            )
        for name, source in self.blocked.items():
            rows.append({"name": name, "source": source, "hooks": [], "error": None, "blocked": True})
        return rows


def read_policy(workspace_root: Path) -> Policy | None:
    """The workspace's policy, parsed once for the whole command (plugins, language, every
    later read), or None when it cannot be read or parsed: the command's own load then
    names the file and line."""
    try:
        return load_policy(workspace_root / "policy.toml")
    except CstoolError:
        return None


def blocked_names(policy_data: Mapping[str, Any]) -> set[str]:
    """Plugins not to load: ``CSTOOL_BLOCK_PLUGINS`` and the policy's ``[plugins] blocked``."""
    blocked = {name.strip() for name in os.environ.get(BLOCK_ENV, "").split(",") if name.strip()}
    section = policy_data.get(BLOCK_POLICY_SECTION)
    names = section.get("blocked", []) if isinstance(section, dict) else []
    if isinstance(names, list):
        blocked |= {name for name in names if isinstance(name, str)}
    return blocked


def _describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _register(host: Host, plugin: object, name: str, source: str) -> None:
    try:
        declared = getattr(plugin, "cstool_hookspecs", None)  # a plugin's own hooks, for other plugins
        if declared is not None:
            host.pm.add_hookspecs(declared)
        host.pm.register(plugin, name=name)
    except Exception as exc:  # pluggy validation: wrong hook arguments and the like
        host.failures.append(PluginFailure(name, source, _describe_error(exc)))
        return
    host.sources[name] = source


WORKSPACE_PLUGINS = "cstool_workspace_plugins"  # the package workspace plugins are loaded under


def workspace_plugin_paths(folder: Path) -> list[Path]:
    """The plugins in a workspace's ``plugins/``: each ``NAME.py`` and each package ``NAME/``
    (a folder with ``__init__.py``), by name; none starting with ``_`` or ``.``."""
    if not folder.is_dir():
        return []
    found = [
        path
        for path in folder.iterdir()
        if not path.name.startswith(("_", "."))
        and ((path.suffix == ".py" and path.is_file()) or (path.is_dir() and (path / "__init__.py").is_file()))
    ]
    return sorted(found, key=lambda path: path.stem)


def _load_workspace_plugin(path: Path) -> ModuleType:
    """A workspace plugin: ``plugins/NAME.py``, or a package ``plugins/NAME/`` (its
    ``__init__.py`` the plugin) whose modules import each other (``from . import kinds``)."""
    module_name = f"{WORKSPACE_PLUGINS}.{path.stem}"
    if WORKSPACE_PLUGINS not in sys.modules:  # the parent a package's relative imports go through
        parent = ModuleType(WORKSPACE_PLUGINS)
        parent.__path__ = []
        sys.modules[WORKSPACE_PLUGINS] = parent
    if path.is_dir():
        spec = importlib.util.spec_from_file_location(
            module_name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def installed_entry_points(group: str) -> list[tuple[str, str, str]]:
    """(name, "module:attr", distribution) of every installed entry point in ``group``.

    Reads each ``*.dist-info/entry_points.txt`` on sys.path, first distribution of a name
    winning, as importlib.metadata does; importing importlib.metadata would cost every
    command ~10 ms (it imports the email package) before it had read a line.
    """
    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for folder in sys.path:
        try:
            entries = sorted(os.scandir(folder or "."), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            distribution = entry.name.rsplit(".", 1)[0]
            project = distribution.split("-", 1)[0].lower().replace("_", "-")
            if project in seen:
                continue
            seen.add(project)
            try:
                text = Path(entry.path, "entry_points.txt").read_text(encoding="utf-8")
            except OSError:
                continue
            found.extend((name, value, distribution) for name, value in _entry_point_lines(text, group))
    return found


def _entry_point_lines(text: str, group: str):
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, value = (part.strip() for part in line.split("=", 1))
            yield name, value


def _load_entry_point(value: str) -> object:
    """Import ``module:attr.attr`` (extras in brackets are ignored)."""
    target = value.split("[", 1)[0].strip()
    module_name, _, attributes = target.partition(":")
    obj: object = importlib.import_module(module_name.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        obj = getattr(obj, attribute)
    return obj


def _check_pending(host: Host) -> None:
    """Unregister plugins that implement hooks no spec declares (usually a misspelling)."""
    while True:
        try:
            host.pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            plugin = exc.plugin
            name = host.pm.get_name(plugin) or str(plugin)
            host.pm.unregister(plugin)
            source = host.sources.pop(name, "unknown")
            host.failures.append(PluginFailure(name, source, str(exc)))


def build_host(
    workspace_root: Path | None,
    *,
    entry_points: bool | None = None,
    extra: Iterable[tuple[str, object]] = (),
    policy_data: Mapping[str, Any] | None = None,
) -> Host:
    """Load every plugin: bundled, installed (entry points), ``extra`` (name, plugin) pairs
    handed in by the caller (the test fixtures do), then the workspace's plugins/*.py.

    Blocked names (``CSTOOL_BLOCK_PLUGINS``, the policy's ``[plugins] blocked``) are skipped;
    ``policy_data`` is the workspace's parsed policy when the caller has it (else it is read).
    A plugin that fails to import or to validate is recorded in ``failures`` and skipped.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    host = Host(pm)
    if policy_data is None and workspace_root is not None:
        found = read_policy(workspace_root)
        policy_data = found.data if found is not None else {}
    blocked = blocked_names(policy_data or {})
    for module_name in BUNDLED:
        name = module_name.rsplit(".", 1)[-1]
        if name in blocked:
            host.blocked[name] = "bundled"
            continue
        _register(host, importlib.import_module(module_name), name, "bundled")
    if entry_points is None:
        entry_points = os.environ.get(ENTRY_POINTS_ENV, "1") != "0"
    if entry_points:
        for name, value, distribution in installed_entry_points(ENTRY_POINT_GROUP):
            source = f"entry point {value} ({distribution})"
            if name in blocked:
                host.blocked[name] = source
                continue
            if pm.has_plugin(name):
                continue
            try:
                plugin = _load_entry_point(value)
            except Exception as exc:
                host.failures.append(PluginFailure(name, source, _describe_error(exc)))
                continue
            _register(host, plugin, name, source)
    for name, plugin in extra:
        if name in blocked:
            host.blocked[name] = "registered by the caller"
        elif not pm.has_plugin(name):
            _register(host, plugin, name, "registered by the caller")
    folder = workspace_root / "plugins" if workspace_root is not None else None
    reason = distrust(workspace_root) if workspace_root is not None else None
    if folder is not None and reason is not None:  # never run code another user could have put there
        host.failures.append(PluginFailure("plugins/", str(folder), refusal(reason)))
    elif folder is not None:
        for path in workspace_plugin_paths(folder):
            name = path.stem
            if name in blocked:
                host.blocked[name] = str(path)
                continue
            try:
                module = _load_workspace_plugin(path)
            except Exception as exc:
                host.failures.append(PluginFailure(name, str(path), _describe_error(exc)))
                continue
            _register(host, module, name, str(path))
    _check_pending(host)
    return host
