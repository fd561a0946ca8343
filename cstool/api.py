"""The public API for plugins. Bundled plugins import only from here, like outside ones.

    from cstool.api import hookimpl, Kind, Field, Status, label

See docs/hooks.md for every hook and docs/plugins.md for a worked example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from cstool.core.classify import check_rules, compile_rules, suggest
from cstool.core.context import Context
from cstool.core.errors import CstoolError, FieldError
from cstool.core.kinds import Field, Kind, Status, label
from cstool.core.policy import Policy, Problem
from cstool.core.reports import Report, ReportRequest, ReportResult, pct, summary

hookimpl = pluggy.HookimplMarker("cstool")


@dataclass
class DemoRecord:
    """A record for ``cstool demo``: values as for ``--set``, then steps taken on it.

    ``steps`` are tuples applied in order: ``("respond", minutes_after_creation)``,
    ``("status", status_name, minutes_after_creation)``.
    """

    kind: str
    values: dict[str, Any]
    steps: list[tuple] = field(default_factory=list)


__all__ = [
    "hookimpl", "Kind", "Field", "Status", "label", "Policy", "Problem", "Report", "ReportRequest",
    "ReportResult", "pct", "summary", "DemoRecord", "Context", "CstoolError", "FieldError",
    "compile_rules", "suggest", "check_rules",
]
