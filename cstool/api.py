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
from cstool.core.kinds import CUSTOMER_GRADE, Field, Kind, Status, label

hookimpl = pluggy.HookimplMarker("cstool")
hookspec = pluggy.HookspecMarker("cstool")  # for a plugin that declares hooks of its own (cstool_hookspecs)

# Names loaded on first use: importing every module behind them at once costs each command
# ~18 ms (benchmarks/bench_startup.py), and most commands use few of them.
_LAZY = {
    "DemoRecord": "cstool.core.demo",
    "DemoLink": "cstool.core.demo",
    "Context": "cstool.core.context",
    "CstoolError": "cstool.core.errors",
    "FieldError": "cstool.core.errors",
    "Policy": "cstool.core.policy",
    "Problem": "cstool.core.policy",
    "RecordPass": "cstool.core.reports",
    "Report": "cstool.core.reports",
    "ReportRequest": "cstool.core.reports",
    "ReportResult": "cstool.core.reports",
    "Chart": "cstool.core.reports",
    "Section": "cstool.core.reports",
    "pct": "cstool.core.reports",
    "summary": "cstool.core.reports",
    "mask": "cstool.core.privacy",
    "query_grams": "cstool.core.search",
    "personal_token": "cstool.core.search",
    "phone_tail": "cstool.core.search",
    "search_grams": "cstool.core.search",
    "erase_personal": "cstool.core.privacy",
    "linked_to": "cstool.core.privacy",
    "personal_values": "cstool.core.privacy",
    "PermissionRefused": "cstool.core.access",
    "department_leaders": "cstool.core.access",
    "SlaPolicy": "cstool.core.clocks",
    "parse_target": "cstool.core.clocks",
    "record_clocks": "cstool.core.clocks",
    "first_taker": "cstool.core.clocks",
    "compile_rules": "cstool.core.classify",
    "suggest": "cstool.core.classify",
    "check_rules": "cstool.core.classify",
    "now_in": "cstool.core.timeutil",
    "month_period": "cstool.core.timeutil",
    "closed_without_reply": "cstool.core.records",
    "locked": "cstool.core.files",
    "append_durably": "cstool.core.files",
    "write_new_file": "cstool.core.files",
    "atomic_write": "cstool.core.files",
    "format_option": "cstool.cli.output",
    "reveal_option": "cstool.cli.output",
    "emit_json": "cstool.cli.output",
    "emit_rows": "cstool.cli.output",
    "output_option": "cstool.cli.output_files",
    "save_rows": "cstool.cli.output_files",
    "show_rows": "cstool.cli.output_files",
    "records_for_output": "cstool.cli.common",
    "show_record": "cstool.cli.common",
    "parse_sets": "cstool.cli.common",
    "parse_day": "cstool.cli.common",
    "parse_instant": "cstool.cli.common",
    "can_prompt": "cstool.cli.prompts",
    "fill_record": "cstool.cli.prompts",
    "choose": "cstool.cli.prompts",
    "choose_several": "cstool.cli.prompts",
    "agree": "cstool.cli.prompts",
    "find_map": "cstool.cli.imports",
    "import_file": "cstool.cli.imports",
    "ImportMap": "cstool.core.importer",
    "load_map": "cstool.core.importer",
    "run_import": "cstool.core.importer",
    "deliver": "cstool.core.escalation",
    "render_form": "cstool.core.forms",
    "format_datetime": "cstool.core.timeutil",
    "RecordStore": "cstool.stores.base",
    "Transaction": "cstool.stores.base",
    "Selection": "cstool.stores.base",
    "Reread": "cstool.stores.base",
    "StoreError": "cstool.core.errors",
    "StoreConflict": "cstool.core.errors",
    "name_of": "cstool.core.names",
    "catalogue_of": "cstool.core.i18n",
    "OutputFormat": "cstool.cli.output_files",
    "RecordSource": "cstool.core.importer",
    "CaseAction": "cstool.core.case_actions",
    "WorkerJob": "cstool.core.worker",
    "attach": "cstool.core.attachments",
    "check_attachment": "cstool.core.attachments",
    "remove_unheld_files": "cstool.core.attachments",
    "SourceRow": "cstool.core.importer",
    "complete_id": "cstool.cli.completion",
    "complete_kind": "cstool.cli.completion",
    "identity_number": "cstool.core.identifiers",
    "redact_url": "cstool.stores.base",
    "redact_secrets": "cstool.stores.base",
    "check_state_name": "cstool.stores.base",
    "SharedState": "cstool.stores.base",
    "RememberedEntries": "cstool.stores.base",
    "day_of_id": "cstool.stores.base",
    "part_of_id": "cstool.stores.base",
    "count_values": "cstool.stores.base",
    "MONTH": "cstool.stores.base",
    "DAY": "cstool.stores.base",
    "parse_datetime": "cstool.core.timeutil",
}

if TYPE_CHECKING:  # pragma: no cover
    # For type checkers and editors; `as` marks each a re-export. A test holds this list
    # and _LAZY to the same names.
    from cstool.cli.common import (
        parse_day as parse_day,
        parse_instant as parse_instant,
        parse_sets as parse_sets,
        records_for_output as records_for_output,
        show_record as show_record,
    )
    from cstool.cli.completion import complete_id as complete_id, complete_kind as complete_kind
    from cstool.cli.imports import find_map as find_map, import_file as import_file
    from cstool.cli.output import (
        emit_json as emit_json,
        emit_rows as emit_rows,
        format_option as format_option,
        reveal_option as reveal_option,
    )
    from cstool.cli.output_files import (
        OutputFormat as OutputFormat,
        output_option as output_option,
        save_rows as save_rows,
        show_rows as show_rows,
    )
    from cstool.cli.prompts import (
        agree as agree,
        can_prompt as can_prompt,
        choose as choose,
        choose_several as choose_several,
        fill_record as fill_record,
    )
    from cstool.core.access import PermissionRefused as PermissionRefused, department_leaders as department_leaders
    from cstool.core.attachments import (
        attach as attach,
        check_attachment as check_attachment,
        remove_unheld_files as remove_unheld_files,
    )
    from cstool.core.case_actions import CaseAction as CaseAction
    from cstool.core.classify import check_rules as check_rules, compile_rules as compile_rules, suggest as suggest
    from cstool.core.clocks import (
        SlaPolicy as SlaPolicy,
        first_taker as first_taker,
        parse_target as parse_target,
        record_clocks as record_clocks,
    )
    from cstool.core.context import Context as Context
    from cstool.core.demo import DemoLink as DemoLink, DemoRecord as DemoRecord
    from cstool.core.errors import (
        CstoolError as CstoolError,
        FieldError as FieldError,
        StoreConflict as StoreConflict,
        StoreError as StoreError,
    )
    from cstool.core.escalation import deliver as deliver
    from cstool.core.files import (
        append_durably as append_durably,
        atomic_write as atomic_write,
        locked as locked,
        write_new_file as write_new_file,
    )
    from cstool.core.forms import render_form as render_form
    from cstool.core.i18n import catalogue_of as catalogue_of
    from cstool.core.identifiers import identity_number as identity_number
    from cstool.core.importer import (
        ImportMap as ImportMap,
        RecordSource as RecordSource,
        SourceRow as SourceRow,
        load_map as load_map,
        run_import as run_import,
    )
    from cstool.core.names import name_of as name_of
    from cstool.core.policy import Policy as Policy, Problem as Problem
    from cstool.core.privacy import (
        erase_personal as erase_personal,
        linked_to as linked_to,
        mask as mask,
        personal_values as personal_values,
    )
    from cstool.core.records import closed_without_reply as closed_without_reply
    from cstool.core.reports import (
        Chart as Chart,
        RecordPass as RecordPass,
        Report as Report,
        ReportRequest as ReportRequest,
        ReportResult as ReportResult,
        Section as Section,
        pct as pct,
        summary as summary,
    )
    from cstool.core.search import (
        personal_token as personal_token,
        phone_tail as phone_tail,
        query_grams as query_grams,
        search_grams as search_grams,
    )
    from cstool.core.timeutil import (
        format_datetime as format_datetime,
        month_period as month_period,
        now_in as now_in,
        parse_datetime as parse_datetime,
    )
    from cstool.core.worker import WorkerJob as WorkerJob
    from cstool.stores.base import (
        DAY as DAY,
        MONTH as MONTH,
        RecordStore as RecordStore,
        RememberedEntries as RememberedEntries,
        Reread as Reread,
        Selection as Selection,
        SharedState as SharedState,
        Transaction as Transaction,
        check_state_name as check_state_name,
        count_values as count_values,
        day_of_id as day_of_id,
        part_of_id as part_of_id,
        redact_secrets as redact_secrets,
        redact_url as redact_url,
    )


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cstool.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["hookimpl", "hookspec", "Kind", "Field", "CUSTOMER_GRADE", "Status", "label", "_", "language", *_LAZY]
