"""``cstool sla ID`` and ``cstool escalate``."""

from __future__ import annotations

import click

from cstool.cli.common import parse_instant
from cstool.cli.output import emit_json, emit_rows, format_option
from cstool.core.timeutil import format_datetime

CLOCK_HEADERS = {
    "en": ["clock", "target", "started", "stopped", "elapsed min", "paused min", "due", "state", "level"],
    "zh": ["时钟", "目标", "开始", "停止", "已用(分钟)", "暂停(分钟)", "到期", "状态", "升级级别"],
}
STATES = {"zh": {"running": "计时中", "warning": "预警", "breached": "已超时", "met": "已达标", "unknown": "未知"}}
CLOCK_NAMES = {"zh": {"first_response": "首次响应", "resolution": "解决"}}


def register(cli: click.Group) -> None:
    cli.add_command(sla_command)
    cli.add_command(escalate_command)


def _short(text):
    return text[:16].replace("T", " ") if text else ""


@click.command("sla")
@click.argument("record_id", metavar="ID")
@click.option("--now", "now_text", metavar="T", help="Evaluate as of this instant (events after it are ignored).")
@format_option()
@click.pass_obj
def sla_command(app, record_id, now_text, fmt):
    """The record's clocks, due times and how they were reached."""
    now = parse_instant(app, now_text, "--now") or app.now()
    kind, record = app.book.get(record_id)
    calendar, clocks = app.clocks(record, now, detail="explain")
    result = {"id": record["id"], "calendar": calendar, "now": format_datetime(now),
              "clocks": [c.as_dict() for c in clocks], "explain": [f"{c.name}: {line}" for c in clocks for line in c.explain]}
    if fmt == "json":
        emit_json(result)
        return
    lang = app.lang
    rows = [[CLOCK_NAMES.get(lang, {}).get(c["name"], c["name"]), c["target"], _short(c["started_at"]), _short(c["stopped_at"]),
             c["elapsed_minutes"], c["paused_minutes"], _short(c["due_at"]), STATES.get(lang, {}).get(c["state"], c["state"]),
             c["level"]] for c in result["clocks"]]
    emit_rows(fmt, CLOCK_HEADERS[lang], rows)
    if fmt == "table":
        if not clocks:
            click.echo(f"\n{record['id']}: no SLA targets for kind {kind.name} at this priority (policy [sla.{kind.name}])")
        for line in result["explain"]:
            click.echo(f"  · {line}")


@click.command("escalate")
@click.option("--now", "now_text", metavar="T", help="Evaluate as of this instant.")
@click.option("--dry-run", is_flag=True, help="Show what would escalate; write and send nothing.")
@format_option()
@click.pass_obj
def escalate_command(app, now_text, dry_run, fmt):
    """Pass running clocks up the escalation ladder and notify (each level once per clock)."""
    from cstool.core.escalation import deliver, escalate

    from cstool.core.store import collector_paused

    now = parse_instant(app, now_text, "--now") or app.now()
    with collector_paused():
        actions = escalate(app, now, dry_run)
    delivered, held, failures = ([], [], []) if dry_run else deliver(app, actions, now)
    for failure in failures:
        click.echo(f"warning: notifier {failure.plugin!r} failed: {failure.error}", err=True)
    if fmt == "json":
        emit_json({"now": format_datetime(now), "actions": actions, "delivered": len(delivered), "held": len(held)})
        return
    rows = [[a["id"], a["clock"], a["level"], _short(a["at"]), ", ".join(a["recipients"])] for a in actions]
    emit_rows(fmt, ["id", "clock", "level", "passed at", "recipients"], rows)
    if fmt == "table":
        what = "would escalate" if dry_run else "escalated"
        click.echo(f"\n{len(actions)} {what}; {len(delivered)} notices delivered, {len(held)} held until open hours", err=True)
