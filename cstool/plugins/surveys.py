"""Satisfaction surveys (满意度调查 / 回访): questionnaires run at prompts or imported,
sending rules, follow-up of low scores, and CSAT / NPS / CES reports.

CSAT % = answers of 4-5 / all answers on the 1-5 question; NPS = % 9-10 − % 0-6;
CES = mean on 1-7. Every report gives the number of answers and the response rate
(surveys answered / surveys sent).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

KIND = "survey"

SURVEY = Kind(
    name=KIND,
    prefix="SV",
    label=label("Survey answer", "满意度调查"),
    fields=(
        Field("questionnaire", "text", required=True, label=label("Questionnaire", "问卷")),
        Field("for_record", "text", link=True, label=label("About record", "回访对象")),
        Field("sent_at", "datetime", label=label("Sent at", "发出时间")),
        Field("answered_at", "datetime", label=label("Answered at", "回复时间")),
        Field("csat", "int", min=1, max=5, label=label("Satisfaction (1-5)", "满意度（1-5）")),
        Field("nps", "int", min=0, max=10, label=label("Would recommend (0-10)", "推荐意愿（0-10）")),
        Field("ces", "int", min=1, max=7, label=label("Effort (1-7)", "省心程度（1-7）")),
        Field("comment", "text", multiline=True, label=label("Comment", "意见")),
        Field("answers", "list", label=label("All answers", "全部回答")),
    ),
    statuses=(Status("recorded", "closed", label("Recorded", "已记录")),),
    list_columns=("questionnaire", "for_record", "csat", "nps", "ces"),
    transitions={"recorded": ()},
)
METRICS = ("csat", "nps", "ces")


@hookimpl
def cstool_kinds():
    return [SURVEY]


@hookimpl
def cstool_validate_records(kind, records, policy, lookup):
    if kind.name != KIND:
        return None
    refused = []
    for index, record in enumerate(records):
        # As instants, not strings: two offsets make string order wrong.
        if (
            record.get("sent_at")
            and record.get("answered_at")
            and datetime.fromisoformat(record["answered_at"]) < datetime.fromisoformat(record["sent_at"])
        ):
            refused.append((index, "answered_at", _("is before sent_at")))
        if record.get("for_record"):
            surveyed = record["for_record"]
            if not any(lookup.get(name, surveyed) for name in policy.get("surveys.record_kinds", [])):
                refused.append(
                    (index, "for_record", _("no record {for_record}").format(for_record=record["for_record"]))
                )
    return refused


@hookimpl
def cstool_check_policy(policy):
    section = policy.get("surveys") or {}
    problems = []
    for key, low, high in (("min_days_between", 0, 3650), ("sampling_pct", 0, 100), ("follow_up_below", 0, 5)):
        value = section.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high
        ):
            problems.append(
                api.Problem(("surveys", key), _("must be a number from {low} to {high}").format(low=low, high=high))
            )
    if section.get("follow_up", "none") not in ("complaint", "escalation", "none"):
        problems.append(api.Problem(("surveys", "follow_up"), _("must be complaint, escalation or none")))
    return problems


# ---- questionnaires and sending rules ---------------------------------------------


def questionnaires(app) -> dict[str, Path]:
    """Questionnaire files by name: the workspace's templates/surveys, then plugins' own."""
    found = {p.stem: p for p in sorted((app.workspace.templates_dir / "surveys").glob("*.toml"))}
    for paths in app.hook.cstool_questionnaires():
        for path in paths or []:
            found.setdefault(Path(path).stem, Path(path))
    return found


def load(app, name):
    from cstool.plugins.questionnaires import load_questionnaire

    paths = questionnaires(app)
    if name not in paths:
        raise api.CstoolError(
            _("no questionnaire {name!r}; questionnaires: {names}").format(
                name=name, names=", ".join(paths) or _("none")
            )
        )
    return load_questionnaire(paths[name])


def why_not(policy, surveys: list[dict], record: dict, now: datetime) -> str | None:
    """The sending rule a new survey about ``record`` would break, or None."""
    done = [s for s in surveys if s.get("for_record") == record["id"]]
    if done and policy.get("surveys.one_per_record", True):
        return _("{id} was already surveyed ({survey}); one survey per record").format(
            id=record["id"], survey=done[0]["id"]
        )
    customer = record.get("customer_id") or (record["id"] if record["kind"] == "customer" else None)
    days = policy.get("surveys.min_days_between", 0)
    if customer and days:
        recent = [
            s
            for s in surveys
            if s.get("customer_id") == customer and now - datetime.fromisoformat(s["created_at"]) < timedelta(days=days)
        ]
        if recent:
            return _("customer {customer} was surveyed {day} ({survey}); at most one every {days} days").format(
                customer=customer, day=recent[-1]["created_at"][:10], survey=recent[-1]["id"], days=days
            )
    return None


def sampled(record_id: str, percent: float) -> bool:
    """A stable choice: the same record is always in or out of a sample of this size."""
    import hashlib  # here: every command loads this plugin, few sample

    return int(hashlib.sha1(record_id.encode()).hexdigest()[:8], 16) % 10000 < percent * 100


def _low(app, survey: dict) -> str | None:
    """What policy does about the score of ``survey``: "complaint", another follow-up (a
    notice to the owner and supervisor), or None."""
    threshold, action = app.policy.get("surveys.follow_up_below"), app.policy.get("surveys.follow_up", "none")
    if threshold is None or survey.get("csat") is None or survey["csat"] > threshold or action == "none":
        return None
    return action


def _complainant(app, surveyed: dict) -> str:
    """Who the follow-up complaint is from: the surveyed case's complainant, else its customer."""
    if surveyed.get("customer_name") or surveyed.get("name"):
        return surveyed.get("customer_name") or surveyed["name"]
    customer = next((c for c in app.store.records("customer") if c["id"] == surveyed.get("customer_id")), None)
    return (customer or {}).get("name") or _("customer surveyed about {id}").format(id=surveyed["id"])


def follow_up_complaint(app, survey: dict, surveyed: dict) -> dict:
    """The complaint a low score opens, checked and ready to store (its text names the survey
    once it has an id: ``{survey}``); a refusal names what policy must fix, and nothing is stored."""
    personal = {f: surveyed.get(f) for f in ("contact_phone",) if surveyed.get(f)}
    values = {
        "customer_name": _complainant(app, surveyed),
        "channel": app.policy.get("surveys.follow_up_channel", "other"),
        "customer_id": surveyed.get("customer_id") or None,
        "content": _("Low satisfaction score {csat}/5 in survey {{survey}} about {id}.").format(
            csat=survey["csat"], id=surveyed["id"]
        )
        + (f" {survey['comment']}" if survey.get("comment") else ""),
        "severity": "major",
        "owner": surveyed.get("owner"),
        **personal,
    }
    complaint_kind = app.kinds.get("complaint")
    built = app.book.build(complaint_kind, [{k: v for k, v in values.items() if v is not None}])
    if built.errors:
        refused = _(
            "the follow-up complaint a low score opens would be refused ({errors}): fix surveys.follow_up_channel "
            "or the policy; nothing was stored"
        )
        raise api.CstoolError(refused.format(errors="; ".join(str(e) for _i, e in built.errors)))
    return built.records[0]


def low_score_notice(app, survey: dict, surveyed: dict) -> dict:
    return {
        "id": surveyed["id"],
        "clock": "survey",
        "level": "low_score",
        "notify": ["owner", "supervisor"],
        "recipients": app.sla.recipients(["owner", "supervisor"], surveyed),
        "at": survey["created_at"],
    }


DUE_HEADINGS = {
    "id": label("Record", "编号"),
    "kind": label("Kind", "记录类型"),
    "owner": label("Owner", "负责人"),
    "customer_id": label("Customer", "客户编号"),
}


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import emit_json, format_option, output_option, parse_sets, show_record, show_rows

    @cli.group("survey")
    def survey_group():
        """Satisfaction surveys: run a questionnaire, see who is due one, import answers."""

    @survey_group.command("list")
    @click.pass_obj
    def list_questionnaires(app):
        """The questionnaires and their questions."""
        for name in questionnaires(app):
            questionnaire = load(app, name)
            click.echo(
                _("{name}: {title} (for {kinds})").format(
                    name=name,
                    title=questionnaire.title.get(app.lang),
                    kinds=", ".join(questionnaire.kinds) or _("any record"),
                )
            )
            for question in questionnaire.questions:
                click.echo(f"  {question.id:<12} {question.type:<8} {question.title(app.lang)}")

    @survey_group.command("run")
    @click.argument("name", metavar="QUESTIONNAIRE")
    @click.option("--for", "record_id", required=True, metavar="ID", help="The record the survey is about.")
    @click.option(
        "--answer", "answers", multiple=True, metavar="QUESTION=VALUE", help="An answer; prompts ask the rest."
    )
    @click.option("--no-input", "no_input_here", is_flag=True, help="Never prompt.")
    @click.option("--force", is_flag=True, help="Send even if a sending rule says no.")
    @format_option()
    @click.pass_obj
    def run(app, name, record_id, answers, no_input_here, force, fmt):
        """Ask QUESTIONNAIRE about record ID and store the answers, linked to it and its customer."""
        from cstool.api import can_prompt

        questionnaire = load(app, name)
        kind, surveyed = app.book.get(record_id)
        if questionnaire.kinds and kind.name not in questionnaire.kinds:
            raise api.CstoolError(
                _("questionnaire {name} is for {kinds}, not {kind}").format(
                    name=name, kinds=", ".join(questionnaire.kinds), kind=kind.name
                )
            )
        now = app.now()
        refusal = why_not(app.policy, app.store.records(KIND), surveyed, now)
        if refusal and not force:
            raise api.CstoolError(_("{refusal} (use --force to send anyway)").format(refusal=refusal))
        given = parse_sets(answers, "--answer")
        unknown = set(given) - {q.id for q in questionnaire.questions}
        if unknown:
            raise click.BadParameter(
                _("no question {items} in {name}").format(items=", ".join(sorted(unknown)), name=name),
                param_hint="--answer",
            )
        interactive = can_prompt(app, no_input_here)
        values, errors = {}, []
        for question in questionnaire.questions:
            raw = given.get(question.id)
            if raw is None and interactive:
                raw = ask(app, question)
            try:
                values[question.id] = question.parse(raw, app.names.aliases(question.choices))
            except ValueError as exc:
                errors.append(f"{question.id}: {exc}")
        if errors:
            raise api.CstoolError("\n".join(errors) + "\n" + _("nothing was stored"))
        metric = {m: values.get(q.id) for m in ("csat", "nps", "ces") if (q := questionnaire.metric_question(m))}
        comment = next((values[q.id] for q in questionnaire.questions if q.type == "text" and values.get(q.id)), None)
        built = app.book.build(
            app.kinds.get(KIND),
            [
                {
                    "questionnaire": name,
                    "for_record": surveyed["id"],
                    "sent_at": now.isoformat(),
                    "answered_at": now.isoformat(),
                    **{k: v for k, v in metric.items() if v is not None},
                    "comment": comment,
                    "answers": [
                        f"{k}={','.join(v) if isinstance(v, list) else v}"
                        for k, v in values.items()
                        if v not in (None, [])
                    ],
                    "customer_id": surveyed.get("customer_id") or (surveyed["id"] if kind.name == "customer" else None),
                    "department": surveyed.get("department"),
                    "owner": surveyed.get("owner"),
                }
            ],
        )
        if built.errors:
            raise api.CstoolError("\n".join(str(e) for _i, e in built.errors))
        record = built.records[0]
        action = _low(app, record)
        # Everything is checked before anything is stored: the survey and its follow-up, or neither.
        complaint = follow_up_complaint(app, record, surveyed) if action == "complaint" else None
        with app.store.kinds_locked([KIND, "complaint"] if complaint else [KIND]):
            record = app.book.insert(app.kinds.get(KIND), [record])[0]
            outcome = None
            if complaint is not None:
                complaint["content"] = complaint["content"].replace("{survey}", record["id"])
                complaint = app.book.insert(app.kinds.get("complaint"), [complaint])[0]
                outcome = _("opened complaint {id}").format(id=complaint["id"])
        if action is not None and action != "complaint":  # any other follow-up raises a notice
            from cstool.api import deliver

            notice = low_score_notice(app, record, surveyed)
            deliver(app, [notice], app.now())
            outcome = _("notified {recipients}").format(recipients=", ".join(notice["recipients"]))
        app.hook.cstool_survey_answered(record=surveyed, answers=values, policy=app.policy)
        show_record(app, app.kinds.get(KIND), record, fmt)
        if outcome:
            click.echo(_("low score: {outcome}").format(outcome=outcome), err=True)

    def ask(app, question):
        """One question at the prompt: choices offered by their names, their ids kept."""
        import questionary

        from cstool.api import choose, choose_several

        title = question.title(app.lang)
        offered = [questionary.Choice(title=str(app.shown(choice)), value=choice) for choice in question.choices]
        if question.type in ("single",):
            return choose(title, offered)
        if question.type == "multiple":
            return choose_several(title, offered)

        def valid(text):
            try:
                question.parse(text)
                return True
            except ValueError as exc:
                return str(exc)

        return questionary.text(title, validate=valid).unsafe_ask()

    @survey_group.command("due")
    @click.argument("name", metavar="QUESTIONNAIRE")
    @format_option()
    @output_option
    @click.pass_obj
    def due(app, name, fmt, output, force):
        """Finished records the sending rules allow surveying now (sampled as policy says)."""
        questionnaire = load(app, name)
        now, surveys = app.now(), app.store.records(KIND)
        percent = app.policy.get("surveys.sampling_pct", 100)
        rows = []
        for kind in app.kinds:
            if questionnaire.kinds and kind.name not in questionnaire.kinds:
                continue
            finished = {s.name for s in kind.statuses if s.phase in ("resolved", "closed")}
            for record in app.store.records(kind.name):
                if (
                    (record["status"] in finished or kind.name == "customer")
                    and sampled(record["id"], percent)
                    and why_not(app.policy, surveys, record, now) is None
                ):
                    rows.append(
                        {
                            "id": record["id"],
                            "kind": kind.name,
                            "owner": record.get("owner"),
                            "customer_id": record.get("customer_id"),
                        }
                    )
        payload = {"questionnaire": name, "count": len(rows), "records": rows}
        if fmt == "json" and output is None:
            emit_json(payload)
            return
        headings = [DUE_HEADINGS[key].get(app.lang, key) for key in DUE_HEADINGS]
        table = [[app.shown(row[key]) for key in DUE_HEADINGS] for row in rows]
        title = _("due a survey: {name}").format(name=name)
        show_rows(fmt, headings, table, output=output, force=force, title=title, json_value=payload)

    @survey_group.command("import")
    @click.argument("name", metavar="QUESTIONNAIRE")
    @click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
    @click.option("--map", "map_name", metavar="MAP.toml", help="Column map (a path, or a name in templates/import/).")
    @click.option("--skip-invalid", is_flag=True, help="Write the valid rows and list the refused ones.")
    @click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
    @format_option()
    @click.pass_obj
    def import_answers(app, name, file, map_name, skip_invalid, dry_run, fmt):
        """Load answers to QUESTIONNAIRE from a CSV / JSON export (a map names the columns)."""
        from cstool.api import ImportMap, find_map, import_file, load_map

        load(app, name)  # it must exist and parse
        mapping = load_map(find_map(app, map_name)) if map_name else ImportMap()
        mapping.constants["questionnaire"] = name
        import_file(
            app,
            app.kinds.get(KIND),
            file,
            mapping,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            on_duplicate="skip",
            encoding=None,
            fmt=fmt,
        )


# ---- reports ----------------------------------------------------------------------


def _figures(surveys):
    answered = [s for s in surveys if s.get("answered_at") or any(s.get(m) is not None for m in METRICS)]
    csat = [s["csat"] for s in surveys if s.get("csat") is not None]
    nps = [s["nps"] for s in surveys if s.get("nps") is not None]
    ces = [s["ces"] for s in surveys if s.get("ces") is not None]
    delays = sorted(
        (datetime.fromisoformat(s["answered_at"]) - datetime.fromisoformat(s["sent_at"])).total_seconds() / 3600
        for s in surveys
        if s.get("answered_at") and s.get("sent_at")
    )
    return {
        "sent": len(surveys),
        "answers": len(answered),
        "response_rate_pct": api.pct(len(answered), len(surveys)),
        "csat_pct": api.pct(sum(v >= 4 for v in csat), len(csat)),
        "nps": round(
            (api.pct(sum(v >= 9 for v in nps), len(nps)) or 0.0) - (api.pct(sum(v <= 6 for v in nps), len(nps)) or 0.0),
            2,
        )
        if nps
        else None,
        "ces": round(sum(ces) / len(ces), 2) if ces else None,
        "answer_delay_hours_mean": round(sum(delays) / len(delays), 2) if delays else None,
        "answer_delay_hours_median": round((delays[(len(delays) - 1) // 2] + delays[len(delays) // 2]) / 2, 2)
        if delays
        else None,
    }


_LABELS = {
    "sent": label("Sent", "发出"),
    "answers": label("Answers", "回复"),
    "response_rate_pct": label("Response rate %", "回复率 %"),
    "csat_pct": label("CSAT %", "满意率 %"),
    "nps": label("NPS", "净推荐值"),
    "ces": label("CES", "省心度"),
    "answer_delay_hours_mean": label("Mean reply (h)", "平均回复(小时)"),
    "answer_delay_hours_median": label("Median reply (h)", "回复中位数(小时)"),
    "department": label("Department", "部门"),
    "agent": label("Agent", "负责人"),
    "questionnaire": label("Questionnaire", "问卷"),
    "month": label("Month", "月份"),
    "quarter": label("Quarter", "季度"),
}
_COLUMNS = [
    "sent",
    "answers",
    "response_rate_pct",
    "csat_pct",
    "nps",
    "ces",
    "answer_delay_hours_mean",
    "answer_delay_hours_median",
]


def _when(survey, tz):
    return datetime.fromisoformat(survey.get("sent_at") or survey["created_at"]).astimezone(tz)


def survey_report(request):
    by = request.by or "questionnaire"
    tz = request.policy.timezone
    groups = defaultdict(list)
    surveys = list(request.each(KIND))
    for survey in surveys:
        key = {"agent": survey.get("owner"), "month": _when(survey, tz).strftime("%Y-%m")}.get(by, survey.get(by))
        groups[key or "—"].append(survey)
    rows = [{by: key, **_figures(group)} for key, group in sorted(groups.items())]
    return api.ReportResult(
        [by, *_COLUMNS],
        rows,
        _figures(surveys),
        _LABELS,
        label("Satisfaction surveys", "满意度调查统计"),
        api.Chart("bar", x=by, y=("csat_pct", "response_rate_pct")),
    )


def quality_card(request):
    """季度服务质量卡: per department and quarter."""
    tz = request.policy.timezone
    groups = defaultdict(list)
    surveys = list(request.each(KIND))
    for survey in surveys:
        when = _when(survey, tz)
        groups[(survey.get("department") or "—", f"{when.year}-Q{(when.month - 1) // 3 + 1}")].append(survey)
    rows = [
        {"department": dept, "quarter": quarter, **_figures(group)} for (dept, quarter), group in sorted(groups.items())
    ]
    return api.ReportResult(
        ["department", "quarter", "answers", "response_rate_pct", "csat_pct", "nps", "ces"],
        rows,
        _figures(surveys),
        _LABELS,
        label("Quarterly service quality card", "季度服务质量卡"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "surveys",
            label("CSAT, NPS and CES with answers and response rate", "满意度调查统计"),
            survey_report,
            by=("questionnaire", "department", "agent", "month"),
            monthly=(None,),
        ),
        api.Report("quality-card", label("Quarterly service quality card", "季度服务质量卡"), quality_card),
    ]


@hookimpl
def cstool_policy_keys():
    return [
        "surveys.follow_up",
        "surveys.follow_up_below",
        "surveys.follow_up_channel",
        "surveys.min_days_between",
        "surveys.one_per_record",
        "surveys.record_kinds",
        "surveys.sampling_pct",
    ]


@hookimpl
def cstool_demo_records(rng, now, policy):
    """Answered follow-up surveys about complaints and after-sales cases over the last three
    months, so that satisfaction figures and the quality card have something to show."""
    comments = ["处理很及时，谢谢", "师傅态度很好", "等了太久才有人联系", "问题解决了", "", "希望下次更快一些"]
    surveys = []
    for number in range(60):
        about, questionnaire, department = (
            ("complaint", "complaint_followup", "customer_service")
            if number % 3
            else ("aftersales", "aftersales", "after_sales")
        )
        staff = policy.get(f"departments.{department}.members") or ["小王"]
        answered = (now - timedelta(days=rng.randint(1, 85), hours=rng.randint(0, 6))).replace(second=0, microsecond=0)
        sent = answered - timedelta(hours=rng.randint(2, 48))
        csat = rng.choice([5, 5, 4, 4, 4, 3, 2])
        values = {
            "questionnaire": questionnaire,
            "for_record": api.DemoLink(about, number),
            "sent_at": sent.isoformat(),
            "answered_at": answered.isoformat(),
            "csat": csat,
            "comment": rng.choice(comments) or None,
            "department": department,
            "owner": rng.choice(staff),
            "created_at": answered.isoformat(),
        }
        if questionnaire == "complaint_followup":
            nps = rng.choice([10, 9, 9, 8, 7, 6, 3])
            aspects = rng.sample(["speed", "attitude", "solution", "communication"], 2)
            values.update(nps=nps, answers=[f"handling={csat}", f"recommend={nps}", f"aspects={','.join(aspects)}"])
        else:
            ces = rng.choice([7, 6, 6, 5, 3])
            fixed = "yes" if csat >= 4 else rng.choice(["partly", "no"])
            values.update(ces=ces, answers=[f"overall={csat}", f"effort={ces}", f"fixed={fixed}"])
        surveys.append(api.DemoRecord(KIND, values))
    return surveys
