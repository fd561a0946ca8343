"""Complaints (投诉): the registration form (投诉登记表), its statuses, statistics and demo data."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from cstool import api
from cstool.api import CUSTOMER_GRADE, Field, Kind, Status, _, hookimpl, label

KIND = "complaint"
RESOLVED_PHASES = ("resolved", "closed")

FAULT_NATURES = ("product_quality", "misuse", "service", "other")  # 商品质量, 使用不当, 服务, 其他

COMPLAINT = Kind(
    name=KIND,
    prefix="CMP",
    label=label("Complaint", "投诉"),
    department="customer_service",
    high_volume=True,  # a year's complaints run to 100,000: updating one must not rewrite them all
    fields=(
        Field("customer_name", "text", required=True, personal=True, label=label("Complainant", "投诉人")),
        Field("contact_phone", "phone", personal=True, label=label("Contact phone", "联系电话")),
        Field("contact_email", "email", personal=True, label=label("E-mail", "电子邮箱")),
        Field(
            "channel", "choice", required=True, choices_from="complaints.channels", label=label("Channel", "投诉渠道")
        ),
        Field(
            "subject",
            "text",
            label=label("Complained about (product, service or staff)", "投诉对象（产品、服务或人员）"),
        ),
        Field("content", "text", required=True, multiline=True, label=label("What happened", "投诉内容")),
        Field("remedy", "text", label=label("Remedy sought", "客户诉求")),
        Field("compensation", "decimal", min=0, ask=False, label=label("Compensation offered", "拟赔偿金额")),
        Field(
            "complainant_type",
            "choice",
            choices_from="complaints.complainant_types",
            label=label("Complainant type", "投诉人类型"),
        ),
        Field("severity", "choice", choices_from="complaints.severities", label=label("Severity", "严重程度")),
        CUSTOMER_GRADE,
        Field("received_by", "text", label=label("Received by", "受理人")),
        Field("region", "text", label=label("Region", "地区")),
        Field("resolution", "text", multiline=True, ask=False, label=label("Resolution", "处理结果")),
        # What the system a complaint was imported from says of its own handling (CFPB: the
        # date it was sent to the company, and whether the company answered in time).
        Field("forwarded_at", "date", ask=False, label=label("Sent to the company", "转交企业日期")),
        Field("timely_response", "bool", ask=False, label=label("Timely response (source)", "及时答复（来源系统）")),
        # The improvement loop (原因分析, 责任, 整改措施 and its verification, 质检评断): data,
        # not blank lines on a printed form; plugins/improvement.py checks and counts it.
        Field("root_cause", "text", multiline=True, ask=False, label=label("Root cause", "原因分析")),
        Field(
            "fault_nature",
            "choice",
            choices=FAULT_NATURES,
            ask=False,
            label=label("Nature of the problem", "问题性质"),
        ),
        Field("responsible_party", "text", ask=False, label=label("Responsible party", "责任方")),
        Field("company_at_fault", "bool", ask=False, label=label("Company at fault", "本公司责任")),
        Field("corrective_action", "text", multiline=True, ask=False, label=label("Corrective action", "整改措施")),
        Field("corrective_due", "date", ask=False, label=label("Corrective action due", "整改期限")),
        Field("verified_on", "date", ask=False, label=label("Correction verified on", "整改验证日期")),
        Field("verification", "text", ask=False, label=label("Verification", "验证结果")),
        Field("inspection_referred_on", "date", ask=False, label=label("Referred to inspection", "提交质检评断")),
        Field("inspection_result", "text", ask=False, label=label("Inspection's judgement", "质检评断结果")),
        Field(
            "handling_steps",
            "list",
            choices_from="complaints.handling_steps",
            ask=False,
            label=label("Handling steps done", "已完成的处理步骤"),
        ),
    ),
    statuses=(
        Status("registered", "open", label("Registered", "已登记")),
        Status("acknowledged", "open", label("Acknowledged", "已受理")),
        Status("investigating", "open", label("Investigating", "调查中")),
        Status("awaiting_customer", "pending", label("Waiting for the customer", "等待客户回复")),
        # a proposed resolution before a supervisor (plugins/approval.py), when policy pauses the clocks then
        Status("awaiting_approval", "pending", label("Awaiting approval", "待审批")),
        Status("responded", "resolved", label("Responded", "已答复")),
        Status("closed", "closed", label("Closed", "已结案")),
        Status("reopened", "open", label("Reopened", "重新处理")),
    ),
    list_columns=("customer_name", "channel", "severity", "content"),
    # 登记 → 受理 → 调查 → 答复 → 结案, with waiting on the customer and reopening.
    transitions={
        "registered": (
            "acknowledged",
            "investigating",
            "awaiting_customer",
            "awaiting_approval",
            "responded",
            "closed",
        ),
        "acknowledged": ("investigating", "awaiting_customer", "awaiting_approval", "responded", "closed"),
        "investigating": ("awaiting_customer", "awaiting_approval", "responded", "closed"),
        "awaiting_customer": ("investigating", "responded", "closed"),
        "awaiting_approval": ("investigating",),
        "responded": ("closed", "reopened"),
        "closed": ("reopened",),
        "reopened": ("investigating", "awaiting_customer", "responded", "closed"),
    },
)


@hookimpl
def cstool_kinds():
    return [COMPLAINT]


@hookimpl
def cstool_enrich_records(kind, records, policy):
    if kind.name != KIND:
        return
    department = policy.get("complaints.department")
    default_severity = policy.get("complaints.default_severity")
    for record in records:
        if not record.get("received_by"):
            record["received_by"] = record.get("owner")
        if department and record.get("department") == COMPLAINT.department:
            record["department"] = department
        if not record.get("severity") and default_severity:
            record["severity"] = default_severity


def guide_for(policy, complainant_type):
    entry = policy.get(("complaints", "complainant_types", complainant_type)) if complainant_type else None
    return entry.get("guide") if isinstance(entry, dict) else None


def checklist(policy, done, lang):
    """The handling steps (倾听, 共情, 致歉, 紧扣问题, 提出方案) with the ones done ticked."""
    steps = policy.get("complaints.handling_steps") or {}
    done = set(done or [])
    return "  ".join(
        f"{'☑' if step in done else '☐'} {names.get(lang, step) if isinstance(names, dict) else step}"
        for step, names in steps.items()
    )


@hookimpl
def cstool_record_notes(kind, record, policy, lang):
    if kind.name != KIND:
        return None
    notes = []
    guide = guide_for(policy, record.get("complainant_type"))
    if guide:
        title = f"{record['complainant_type']} · " + ("处理指引" if lang == "zh" else "handling guide")
        notes.append((title, guide))
    steps = checklist(policy, record.get("handling_steps"), lang)
    if steps:
        notes.append(("处理步骤" if lang == "zh" else "Handling steps", steps))
    return notes


@hookimpl
def cstool_check_policy(policy, kinds):
    section = policy.get("complaints")
    if section is None:
        return []
    if not isinstance(section, dict):
        return [api.Problem(("complaints",), _("must be a table"))]
    problems = []
    for key in ("channels", "severities"):
        value = section.get(key, [])
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
            problems.append(api.Problem(("complaints", key), _("must be a non-empty list of names in quotes")))
    if "default_severity" in section and section["default_severity"] not in section.get("severities", []):
        problems.append(api.Problem(("complaints", "default_severity"), _("must be one of complaints.severities")))
    types = section.get("complainant_types", {})
    if not isinstance(types, dict):
        problems.append(
            api.Problem(("complaints", "complainant_types"), _("must be a table: one sub-table per type with a guide"))
        )
    else:
        for name, entry in types.items():
            if not (isinstance(entry, dict) and isinstance(entry.get("guide"), str)):
                problems.append(
                    api.Problem(
                        ("complaints", "complainant_types", name), _('needs guide = "..." (how to handle this type)')
                    )
                )
    steps = section.get("handling_steps", {})
    if not isinstance(steps, dict) or not all(isinstance(v, dict) and {"en", "zh"} <= set(v) for v in steps.values()):
        problems.append(
            api.Problem(("complaints", "handling_steps"), _('must be a table: step = { en = "...", zh = "..." }'))
        )
    target = section.get("resolution_target_pct")
    if target is not None and not (isinstance(target, (int, float)) and 0 <= target <= 100):
        problems.append(api.Problem(("complaints", "resolution_target_pct"), _("must be a number from 0 to 100")))
    return problems


# ---- printable forms --------------------------------------------------------------

FORMS = {"notice": "complaint_notice", "investigation": "complaint_investigation"}


def form_values(app, kind, record, now):
    """What a form shows: the record (as output: masked unless revealed), its ids by their names
    in the chosen language, plus due times and the trail."""
    _, clocks = app.clocks(record, now)
    due = {f"{c.name}_due": c.due_at.strftime("%Y-%m-%d %H:%M") for c in clocks if c.due_at}
    department = (app.policy.get("departments") or {}).get(record.get("department") or "", {})

    def happened(entry: dict) -> str:
        what = str(app.shown(entry["type"]))
        if entry["type"] == "status" and entry.get("to"):
            to = kind.status(entry["to"])
            what += f" → {to.title(app.lang) if to else entry['to']}"
        elif entry["type"] == "assigned" and entry.get("to"):
            what += f" → {entry['to']}"
        return f"{entry['at'][:16].replace('T', ' ')} {entry['by']}: {what}" + (
            f" ({entry['note']})" if entry.get("note") else ""
        )

    trail = "\n".join(
        happened(e)
        for e in record.get("events", [])
        if e["type"] in ("created", "response", "status", "assigned", "note")
    )
    status = kind.status(record["status"])
    named = {key: app.shown(value) for key, value in record.items() if isinstance(value, (str, list))}
    return {
        **record,
        **named,
        **due,
        "created": record["created_at"][:16].replace("T", " "),
        "status": status.title(app.lang),
        "guide": guide_for(app.policy, record.get("complainant_type")),
        "supervisor": department.get("supervisor"),
        "issued_by": app.user,
        "today": now.strftime("%Y-%m-%d"),
        "trail": trail,
    }


FORM_TITLES = {
    "notice": {"en": "Write the handling notice (处理通知单)", "zh": "输出处理通知单"},
    "investigation": {"en": "Write the investigation form (调查表)", "zh": "输出调查表"},
}
FORM_FILE = {"en": "File to write (.html or .md; empty: {name}):", "zh": "写入的文件（.html 或 .md；留空：{name}）："}


def write_form(
    app, record_id: str, form: str, fmt: str, output: str | None, reveal: bool = False, replace: bool = False
) -> str:
    """The form ``form`` of complaint ``record_id`` in ``fmt`` (md or html), written to
    ``output`` when given (never over a file unless ``replace``); personal data masked
    unless ``reveal`` (recorded in the trail)."""
    from pathlib import Path

    from cstool.api import records_for_output, render_form, write_new_file

    kind, record = app.book.get(record_id)
    if kind.name != KIND:
        raise api.CstoolError(_("{record_id} is not a complaint").format(record_id=record_id))
    record = records_for_output(app, kind, [record], reveal)[0]
    text = render_form(app.template(f"forms/{FORMS[form]}.{fmt}"), form_values(app, kind, record, app.now()))
    if output:
        write_new_file(Path(output), text.encode("utf-8"), replace=replace)
    return text


@hookimpl
def cstool_case_actions(kind, record, app):
    """At the desk: write either form of the complaint to a file (masked)."""
    if kind.name != KIND:
        return None

    def writer(form: str):
        def run(app, record_id, text):
            output = (text or "").strip() or f"{record_id}-{form}.html"
            fmt = "md" if output.lower().endswith(".md") else "html"
            write_form(app, record_id, form, fmt, output)
            return _("written: {output}").format(output=output)

        return run

    return [
        api.CaseAction(
            f"form-{form}",
            FORM_TITLES[form],
            writer(form),
            ask={lang: question.format(name=f"{record['id']}-{form}.html") for lang, question in FORM_FILE.items()},
        )
        for form in FORMS
    ]


@hookimpl
def cstool_commands(cli):
    import click

    @cli.group("complaints")
    def complaints_group():
        """Complaint department tools: printable forms."""

    @complaints_group.command("form")
    @click.argument("record_id", metavar="ID", shell_complete=api.complete_id)
    @click.argument("form", type=click.Choice(sorted(FORMS)))
    @click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
    @click.option("--output", type=click.Path(dir_okay=False), help="Write to this file instead of printing.")
    @click.option("--reveal", is_flag=True, help="Print personal data unmasked (recorded in the trail).")
    @click.option("--force", is_flag=True, help="Replace --output when it exists.")
    @click.pass_obj
    def form(app, record_id, form, fmt, output, reveal, force):
        """Render a handling notice (处理通知单) or an investigation form (调查表) for ID."""
        text = write_form(app, record_id, form, fmt, output, reveal, force)
        if output:
            click.echo(_("written: {output}").format(output=output), err=True)
        else:
            click.echo(text)


# ---- reports ----------------------------------------------------------------------

GROUPS = ("category", "channel", "department", "complainant_type", "severity", "owner", "month")


def complaint_statistics(request):
    """投诉统计表: complaints received and resolved per group, with the resolution rate."""
    by = request.by or "category"
    phases = {s.name: s.phase for s in request.kinds.get(KIND).statuses}
    groups: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (value, status), count in request.tally(KIND, (api.MONTH if by == "month" else by, "status")).items():
        counts = groups[value or "—"]
        counts[0] += count
        if phases.get(status) in RESOLVED_PHASES:
            counts[1] += count
    rows: list[dict[str, Any]] = [
        {by: name, "received": received, "resolved": resolved, "resolution_rate_pct": api.pct(resolved, received)}
        for name, (received, resolved) in sorted(groups.items(), key=_order(by))
    ]
    received = sum(r["received"] for r in rows)
    resolved = sum(r["resolved"] for r in rows)
    totals = {
        "received": received,
        "resolved": resolved,
        "resolution_rate_pct": api.pct(resolved, received),
        "target_pct": request.policy.get("complaints.resolution_target_pct"),
    }
    labels = {
        by: label(by.replace("_", " ").capitalize(), _GROUP_ZH.get(by, by)),
        "received": label("Received", "受理数"),
        "resolved": label("Resolved", "已解决"),
        "resolution_rate_pct": label("Resolution rate %", "投诉解决率 %"),
        "target_pct": label("Target %", "目标 %"),
    }
    chart_type = "line" if by == "month" else "bar"
    return api.ReportResult(
        [by, "received", "resolved", "resolution_rate_pct"],
        rows,
        totals,
        labels,
        label("Complaint statistics", "投诉统计表"),
        api.Chart(chart_type, x=by, y=("received", "resolved")),
    )


def _order(by):
    """Months in time order; other groups largest first."""
    if by == "month":
        return lambda item: item[0]
    return lambda item: (-item[1][0], str(item[0]))


_GROUP_ZH = {
    "category": "类别",
    "channel": "渠道",
    "department": "部门",
    "complainant_type": "投诉人类型",
    "severity": "严重程度",
    "owner": "负责人",
    "month": "月份",
}


@hookimpl
def cstool_reports():
    return [api.Report("complaints", label("Complaint statistics", "投诉统计表"), complaint_statistics, by=GROUPS)]


# ---- demo data --------------------------------------------------------------------

_ZH_CASES = [
    ("产品质量", "买的电水壶用了三天就漏水，要求退换。", "更换新品", "电水壶 K-200"),
    ("送货延误", "订单承诺三天送达，已经过去十天还没收到货。", "尽快发货并补偿运费", "物流配送"),
    ("服务态度", "客服电话里态度恶劣，直接挂断了我的电话。", "道歉并处理相关人员", "客服热线"),
    ("收费问题", "账单里多扣了两次会员费，要求退款。", "退还多扣的费用", "会员服务"),
    ("维修质量", "空调维修后第二天又坏了，师傅也不接电话。", "重新上门维修", "空调 AC-35"),
    ("安全隐患", "充电器使用时冒烟，差点起火，非常危险！", "召回并赔偿", "充电器 P-10"),
    ("虚假宣传", "广告说续航十小时，实际只有四小时。", "退货退款", "蓝牙耳机 B3"),
]
_EN_CASES = [
    (
        "billing",
        "I was charged twice for the same order and nobody answers my emails.",
        "Refund the duplicate charge",
        "Online store",
    ),
    ("delivery", "The parcel was marked delivered but never arrived.", "Send a replacement", "Courier service"),
    ("product quality", "The blender stopped working after one week.", "Exchange for a new one", "Blender X1"),
    ("staff attitude", "The store manager was rude and refused to help me.", "An apology", "Downtown store"),
    ("safety", "The heater sparked and burned the carpet. This is dangerous.", "Recall the product", "Heater H-7"),
]
_ZH_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄涛", "周丽", "吴强"]
_EN_NAMES = ["Alice Chen", "Bob Martin", "Carol Davis", "David Lee", "Emma Wilson"]


@hookimpl
def cstool_demo_records(rng, now, policy):
    channels = policy.choices("complaints.channels") or ["phone"]
    types = policy.choices("complaints.complainant_types")
    staff = policy.get("departments.customer_service.members") or ["小王", "小李"]
    # One phone per person, so that people who complain again are seen as repeat complainants.
    phones = {name: f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}" for name in _ZH_NAMES + _EN_NAMES}
    records = []
    for _number in range(240):
        chinese = rng.random() < 0.7
        subject_case = rng.choice(_ZH_CASES if chinese else _EN_CASES)
        _, content, remedy, subject = subject_case
        name = rng.choice(_ZH_NAMES if chinese else _EN_NAMES)
        created = now - timedelta(days=rng.randint(0, 89), hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
        created = created.replace(hour=rng.choice([9, 10, 11, 14, 15, 16, 17]), second=0, microsecond=0)
        if created > now:  # an hour later today than now: yesterday instead
            created -= timedelta(days=1)
        values = {
            "customer_name": name,
            "contact_phone": phones[name],
            "channel": rng.choice(channels),
            "subject": subject,
            "content": content,
            "remedy": remedy,
            "complainant_type": rng.choice(types) if types and rng.random() < 0.8 else None,
            "created_at": created.isoformat(),
            "owner": rng.choice(staff),
        }
        steps: list[tuple] = []
        age_minutes = (now - created).total_seconds() / 60
        outcome = rng.random()
        if outcome < 0.85 and age_minutes > 120:
            steps.append(("respond", rng.randint(10, 300)))
            steps.append(("status", "investigating", rng.randint(301, 600)))
            if outcome < 0.7 and age_minutes > 4000:
                steps.append(("status", "responded", rng.randint(601, 3000)))
                if outcome < 0.6:
                    steps.append(("status", "closed", rng.randint(3001, 3900)))
        records.append(api.DemoRecord(KIND, values, [s for s in steps if s[-1] < age_minutes]))
    supervisor = policy.get("departments.customer_service.supervisor")
    if supervisor:  # 上报: a case put before the supervisor at once, the first taker keeping it
        created = (now - timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
        records.append(
            api.DemoRecord(
                KIND,
                {
                    "customer_name": "钱先生",
                    "contact_phone": "13700001234",
                    "channel": "phone",
                    "content": "热水器漏电，家人被电到，要求公司领导出面。",
                    "remedy": "赔偿并书面道歉",
                    "complainant_type": types[0] if types else None,
                    "created_at": created.isoformat(),
                },
                [
                    (
                        "event",
                        "reported_up",
                        {"to": "supervisor", "recipients": [supervisor], "note": "涉及人身安全"},
                        12,
                    ),
                    ("respond", 40),
                ],
            )
        )
    return records


@hookimpl
def cstool_commitments(policy):
    """Where a customer can complain."""
    channels = policy.choices("complaints.channels") or []
    if not channels:
        return None
    named = {lang: [api.name_of(policy, channel, lang) for channel in channels] for lang in ("en", "zh")}
    return [(label("How to complain", "投诉渠道"), [label(", ".join(named["en"]), "、".join(named["zh"]))])]


@hookimpl
def cstool_policy_keys():
    return [
        "complaints.channels",
        "complaints.complainant_types",
        "complaints.default_severity",
        "complaints.department",
        "complaints.handling_steps",
        "complaints.resolution_target_pct",
        "complaints.severities",
    ]
