"""The service commitments a department publishes (服务承诺), written from policy.toml.

"客户的监督是最好的监督": the page customers read and the clocks that time the department
are read from the same policy, so the published promise and the measured one never
disagree. The core writes opening hours, holidays and response and resolution times;
plugins add their own promises through ``cstool_commitments`` (三包 windows, complaint
channels, callbacks). Every line is bilingual: Chinese first, English after.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from cstool.core.calendar import WEEKDAYS
from cstool.core.clocks import parse_target
from cstool.core.names import name_of

DAY_NAMES = {
    "mon": ("周一", "Mon"),
    "tue": ("周二", "Tue"),
    "wed": ("周三", "Wed"),
    "thu": ("周四", "Thu"),
    "fri": ("周五", "Fri"),
    "sat": ("周六", "Sat"),
    "sun": ("周日", "Sun"),
}
UNITS = {"m": ("分钟", "minute"), "h": ("小时", "hour"), "wd": ("个工作日", "working day")}
CLOCK_NAMES = {
    "dispatch": ("转交相关人员", "passed on to whoever deals with it"),
    "first_response": ("首次响应", "first response"),
    "resolution": ("解决", "resolution"),
}
STANDARD_TABLES = {"channels": ("渠道", "by"), "grades": ("客户等级", "customers graded")}


def within(text: str) -> dict[str, str]:
    """A target as a promise: "4h" → 4 小时内 / within 4 hours."""
    target = parse_target(text)
    zh, en = UNITS[target.unit]
    return {"zh": f"{target.amount} {zh}内", "en": f"within {target.amount} {en}{'s' if target.amount != 1 else ''}"}


def core_sections(policy, kinds, today: date) -> list[tuple[dict, list[dict]]]:
    """Opening hours and this year's holidays of each calendar the SLA uses, and the response
    and resolution times per kind and priority."""
    sections = []
    sla = policy.get("sla") or {}
    calendars = policy.get("calendars") or {}
    named = {s.get("calendar") for s in sla.values() if isinstance(s, dict)}
    used = sorted(name for name in calendars if name in named)
    hours_lines = []
    for calendar in used:
        table = calendars[calendar]
        name = {lang: name_of(policy, calendar, lang) for lang in ("zh", "en")}
        hours = table.get("hours")
        if hours == "always":
            hours_lines.append(
                {"zh": f"{name['zh']}：全天 24 小时，全年无休", "en": f"{name['en']}: 24 hours a day, every day"}
            )
            continue
        days = [(DAY_NAMES[d], hours[d]) for d in WEEKDAYS if isinstance(hours, Mapping) and d in hours]
        hours_lines.append(
            {
                "zh": f"{name['zh']}：" + "；".join(f"{zh} {text}" for (zh, _en), text in days),
                "en": f"{name['en']}: " + "; ".join(f"{en} {text}" for (_zh, en), text in days),
            }
        )
        closed = sorted(
            d for d, v in (table.get("overrides") or {}).items() if v == "closed" and d.startswith(str(today.year))
        )
        if closed:
            hours_lines.append(
                {
                    "zh": f"{name['zh']} {today.year} 年节假日休息：" + "、".join(closed),
                    "en": f"{name['en']} closed on {today.year}'s holidays: " + ", ".join(closed),
                }
            )
    if hours_lines:
        sections.append(({"zh": "营业时间", "en": "Opening hours"}, hours_lines))
    time_lines = []
    priorities = policy.priorities
    for kind in kinds:
        section = sla.get(kind.name)
        if not isinstance(section, dict):
            continue
        entries = [
            ({lang: name_of(policy, priority, lang) for lang in ("zh", "en")}, section.get(priority))
            for priority in priorities
        ]
        for table, (zh_word, en_word) in STANDARD_TABLES.items():
            standards = section.get(table)
            entries += [
                (
                    {
                        "zh": f"{zh_word}：{name_of(policy, name, 'zh')}",
                        "en": f"{en_word} {name_of(policy, name, 'en')}",
                    },
                    entry,
                )
                for name, entry in (standards.items() if isinstance(standards, dict) else ())
            ]
        for heading, entry in entries:
            if not isinstance(entry, dict):
                continue
            parts = [(CLOCK_NAMES[c], within(entry[c])) for c in CLOCK_NAMES if c in entry]
            if parts:
                time_lines.append(
                    {
                        "zh": f"{kind.title('zh')}（{heading['zh']}）："
                        + "，".join(f"{n[0]} {w['zh']}" for n, w in parts),
                        "en": f"{kind.title('en')} ({heading['en']}): "
                        + ", ".join(f"{n[1]} {w['en']}" for n, w in parts),
                    }
                )
    if time_lines:
        sections.append(({"zh": "响应与解决时限", "en": "Response and resolution times"}, time_lines))
    return sections


def render(
    sections: Sequence[tuple[Mapping[str, str], Sequence[Mapping[str, str]]]], fmt: str, title: Mapping[str, Any]
) -> str:
    """The page: Markdown, or a self-contained HTML page."""
    if fmt == "md":
        out = [f"# {title['zh']} · {title['en']}", ""]
        for heading, lines in sections:
            out += [f"## {heading['zh']} · {heading['en']}", ""]
            out += [f"- {line['zh']}  \n  {line['en']}" for line in lines]
            out.append("")
        return "\n".join(out)
    body = [f"<h1>{html.escape(title['zh'])} · {html.escape(title['en'])}</h1>"]
    for heading, lines in sections:
        body.append(f"<h2>{html.escape(heading['zh'])} · {html.escape(heading['en'])}</h2><ul>")
        body += [
            f'<li>{html.escape(line["zh"])}<br><span lang="en">{html.escape(line["en"])}</span></li>' for line in lines
        ]
        body.append("</ul>")
    return (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>{html.escape(title['zh'])}</title>"
        "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:48rem;margin:2rem auto;"
        "line-height:1.6}span{color:#555}</style></head><body>" + "".join(body) + "</body></html>\n"
    )
