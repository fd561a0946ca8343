"""The public API for plugins. Bundled plugins import only from here, like outside ones.

    from cstool.api import hookimpl, Kind, Field, Status, label

See docs/hooks.md for every hook. What a plugin needs while it is imported (the hook
marker and the kind declarations) loads at once; the rest loads on first use, so that
`cstool --help` stays fast however many plugins are installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import pluggy

from cstool.core.i18n import _, language
from cstool.core.kinds import Field, Kind, Status, label

hookimpl = pluggy.HookimplMarker("cstool")

_LAZY = {
    "DemoRecord": "cstool.core.demo",
    "Context": "cstool.core.context",
    "CstoolError": "cstool.core.errors",
    "FieldError": "cstool.core.errors",
    "Policy": "cstool.core.policy",
    "Problem": "cstool.core.policy",
    "Report": "cstool.core.reports",
    "ReportRequest": "cstool.core.reports",
    "ReportResult": "cstool.core.reports",
    "pct": "cstool.core.reports",
    "summary": "cstool.core.reports",
    "mask": "cstool.core.privacy",
    "SlaPolicy": "cstool.core.clocks",
    "parse_target": "cstool.core.clocks",
    "record_clocks": "cstool.core.clocks",
    "compile_rules": "cstool.core.classify",
    "suggest": "cstool.core.classify",
    "check_rules": "cstool.core.classify",
    "now_in": "cstool.core.timeutil",
}

if TYPE_CHECKING:  # pragma: no cover
    pass


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cstool.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["hookimpl", "Kind", "Field", "Status", "label", "_", "language", *_LAZY]
