"""The pluggy host: which plugins load, from where, and what happened to those that failed."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pluggy

from cstool import hookspecs

PROJECT = "cstool"
ENTRY_POINT_GROUP = "cstool"
# Bundled plugins, loaded first; each uses only cstool.api, like an outside plugin.
BUNDLED = (
    "cstool.plugins.rules",
    "cstool.plugins.complaints",
    "cstool.plugins.complaint_reports",
    "cstool.plugins.aftersales",
    "cstool.plugins.customers",
    "cstool.plugins.phone",
    "cstool.plugins.internal",
    "cstool.plugins.dashboard",
    "cstool.plugins.sla",
    "cstool.plugins.outbox",
    "cstool.plugins.smtp",
)
# Comma-separated plugin names not to load (tests and staff use it to switch one off).
BLOCK_ENV = "CSTOOL_BLOCK_PLUGINS"
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

    @property
    def hook(self):
        return self.pm.hook

    def describe(self) -> list[dict]:
        rows = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
            rows.append({"name": name, "source": self.sources.get(name, "registered"), "hooks": hooks, "error": None})
        for failure in self.failures:
            rows.append({"name": failure.name, "source": failure.source, "hooks": [], "error": failure.error})
        return rows


def _blocked() -> set[str]:
    return {name.strip() for name in os.environ.get(BLOCK_ENV, "").split(",") if name.strip()}


def _describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _register(host: Host, plugin: object, name: str, source: str) -> None:
    try:
        host.pm.register(plugin, name=name)
    except Exception as exc:  # pluggy validation: wrong hook arguments and the like
        host.failures.append(PluginFailure(name, source, _describe_error(exc)))
        return
    host.sources[name] = source


def _load_workspace_plugin(path: Path) -> ModuleType:
    module_name = f"cstool_workspace_plugins.{path.stem}"
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


def build_host(workspace_root: Path | None, *, entry_points: bool | None = None) -> Host:
    """Load every plugin: bundled, installed (entry points), then the workspace's plugins/*.py.

    A plugin that fails to import or to validate is recorded in ``failures`` and skipped.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    host = Host(pm)
    blocked = _blocked()
    for module_name in BUNDLED:
        name = module_name.rsplit(".", 1)[-1]
        if name in blocked:
            continue
        _register(host, importlib.import_module(module_name), name, "bundled")
    if entry_points is None:
        entry_points = os.environ.get(ENTRY_POINTS_ENV, "1") != "0"
    if entry_points:
        from importlib.metadata import entry_points as find_entry_points
        for ep in find_entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in blocked or pm.has_plugin(ep.name):
                continue
            source = f"entry point {ep.value}" + (f" ({ep.dist.name} {ep.dist.version})" if ep.dist else "")
            try:
                plugin = ep.load()
            except Exception as exc:
                host.failures.append(PluginFailure(ep.name, source, _describe_error(exc)))
                continue
            _register(host, plugin, ep.name, source)
    if workspace_root is not None:
        folder = workspace_root / "plugins"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            name = path.stem
            if name in blocked or name.startswith("_"):
                continue
            try:
                module = _load_workspace_plugin(path)
            except Exception as exc:
                host.failures.append(PluginFailure(name, str(path), _describe_error(exc)))
                continue
            _register(host, module, name, str(path))
    _check_pending(host)
    return host
