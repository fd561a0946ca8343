"""A demo workspace: realistic records from every plugin's ``cstool_demo_records``."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cstool.core.errors import RecordInvalid
from cstool.core.timeutil import format_datetime

SEED = 20261123


@dataclass
class DemoRecord:
    """A record for ``cstool demo``: values as for ``--set``, then steps taken on it.

    ``steps`` are tuples applied in order: ``("respond", minutes_after_creation)``,
    ``("status", status_name, minutes_after_creation)``, ``("event", type, {details},
    minutes_after_creation)`` (a plugin's own step of the trail).
    """

    kind: str
    values: dict[str, Any]
    steps: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class DemoLink:
    """In a ``DemoRecord``'s values: the id of the ``index``-th demo record of ``kind``
    (wrapping around), known once that kind's records are made."""

    kind: str
    index: int


def build_demo(app, now: datetime) -> dict[str, int]:
    """Create every plugin's demo records through the normal pipeline; counts per kind.
    Kinds whose records link to others' (``DemoLink``) are made after the others."""
    rng = random.Random(SEED)
    by_kind: dict[str, list] = defaultdict(list)
    for contributed in app.hook.cstool_demo_records(rng=rng, now=now, policy=app.policy):
        for item in contributed or []:
            by_kind[item.kind].append(item)
    counts = {}
    made: dict[str, list[dict]] = {}

    def linking(kind_name: str) -> bool:
        return any(isinstance(v, DemoLink) for item in by_kind[kind_name] for v in item.values.values())

    for kind_name in sorted(by_kind, key=linking):  # stable: the others in the order given
        items = by_kind[kind_name]
        kind = app.kinds.get(kind_name)
        rows = [{k: _resolved(v, made) for k, v in item.values.items()} for item in items]
        built = app.book.build(kind, rows, now=now)
        if built.errors:
            raise RecordInvalid([error for _, error in built.errors], where=f"demo {kind_name}: ")
        for record, item in zip(built.records, items):
            _replay(app, kind, record, item.steps)
            _by_staff(app, record, rng)
        app.book.insert(kind, built.records)
        made[kind_name] = built.records
        counts[kind_name] = len(built.records)
    return counts


def _by_staff(app, record: dict, rng: random.Random) -> None:
    """The demo's work is done by the department's named staff, never by whoever runs
    ``cstool demo`` (a login such as root would rank in the staff assessment)."""
    departments = app.policy.get("departments") or {}
    department = departments.get(record.get("department") or "") or departments.get("customer_service") or {}
    staff = [*(department.get("members") or []), department.get("supervisor")]
    actor = record.get("agent") or rng.choice([name for name in staff if name] or [app.user])
    if record.get("owner") == app.user:
        record["owner"] = actor
    for entry in record.get("events", []):
        if entry.get("by") == app.user:
            entry["by"] = record.get("owner") or actor


def demo_directory(departments: dict[str, Any], administrator_login: str) -> str:
    """The demo's staff directory as policy.toml text: each department's manager,
    supervisor and members in their roles, an auditor, and whoever ran ``cstool demo`` as
    its administrator (管理员), so that every role can be tried with ``--as``."""
    import json

    lines = [
        "",
        "# ---- 员工名录 staff directory (cstool demo) -----------------------------------------",
        "# Who works here, their logins (OS users; database roles on PostgreSQL), department",
        "# and role; `cstool roles` shows what each role may do.",
    ]

    def person(name: str, role: str, department: str | None = None, logins: tuple[str, ...] = ()) -> None:
        lines.append(f"[people.{json.dumps(name, ensure_ascii=False)}]")
        if logins:
            lines.append("logins = " + json.dumps(list(logins), ensure_ascii=False))
        if department:
            lines.append(f'department = "{department}"')
        lines.extend([f'role = "{role}"', ""])

    person("管理员", "administrator", logins=(administrator_login,))
    person("审计员", "auditor")
    named = {"管理员", "审计员"}
    for key, department in departments.items():
        staff = [(department.get("manager"), "manager"), (department.get("supervisor"), "supervisor")]
        staff += [(member, "agent") for member in department.get("members") or []]
        for name, role in staff:
            if name and name not in named:
                named.add(name)
                person(name, role, key)
    return "\n".join(lines)


def _resolved(value: Any, made: dict[str, list[dict]]) -> Any:
    if not isinstance(value, DemoLink):
        return value
    records = made.get(value.kind) or []
    return records[value.index % len(records)]["id"] if records else None


def _replay(app, kind, record: dict, steps: list[tuple]) -> None:
    created = datetime.fromisoformat(record["created_at"])
    for step in steps:
        when = format_datetime(created + timedelta(minutes=step[-1]))
        if step[0] == "respond":
            app.book.apply_response(record, when)
        elif step[0] == "status":
            app.book.apply_status(kind, record, step[1], when)
        elif step[0] == "event":
            record["events"].append({"at": when, "by": app.user, "type": step[1], **step[2]})
        else:
            raise ValueError(f"unknown demo step {step[0]!r}")
