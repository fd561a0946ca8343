"""Staff assessment (月度考核, 月度自评, 客服职业评定): each agent's month from the records, and
ratings on the criteria of ``[staff.criteria]`` (the bundled policy: the ten of 客服个人素质
考核标准; without it, 客服职业评定方案's four), by a supervisor or by the agent themselves,
weighed against targets, and the tier (``[[staff.tiers]]``) each score reaches.

    cstool record staff_rating --as 李主管 --set agent=小王 --set month=2026-11 \\
        --set scores="language=4; knowledge=5; …"          # by id or name, 1-5 each
    cstool record staff_rating --as 小王 --set agent=小王 --set month=2026-11 \\
        --set assessment=self --set scores="…"              # 月度自评
    cstool report staff --month 2026-11
    cstool report first-contact                             # 首问负责: cases each person took first

Figures per agent (the owner of a case), over the cases created in the period:
``cases``; ``first_response_pct`` and ``resolution_pct`` (met / (met + breached) of the
SLA clocks); ``reopen_pct`` (cases moved back from resolved or closed to an open status);
``contacts_per_resolved`` (replies and calls linked to a case before it was resolved, per
resolved case: how many back-and-forths one problem took); ``complaints_against``
(complaints whose category is one of ``[staff] attitude_categories`` and whose text names
the agent); ``csat_pct`` (surveys about the agent's cases answering 4 or 5);
``calls`` and ``aht_seconds`` (the agent's answered calls); ``rating`` (the mean score of
the supervisors' ratings for the month); ``self_rating`` (the mean of the agent's own).

Score: each figure with a target in ``[staff.targets]`` (``at_least`` or ``at_most``, and a
``weight``) earns its weight times its attainment (value / target, or target / value, at
most 1); the score is the share earned of the weights of the figures the agent has a value
for, 0-100. A figure with no value (no surveys answered about the agent's cases, no calls)
is neither met nor missed: it is left out of the score and named as not measured.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

KIND = "staff_rating"
CASE_KINDS = ("complaint", "aftersales", "internal_request")
CLOCK_SLOTS = {"first_response": 0, "resolution": 1}  # the clocks a person's on-time figures count
# 客服职业评定方案's four: used where policy names no [staff.criteria] (the bundled policy
# names the ten of 客服个人素质考核标准).
DEFAULT_CRITERIA = {
    "language": label("Language expression", "语言表达"),
    "knowledge": label("Knowledge and skills", "知识技能"),
    "attitude": label("Service attitude", "服务态度"),
    "results": label("Work results", "工作业绩"),
}
ASSESSMENTS = ("supervisor", "self")  # 主管评定, 月度自评
_SCORE = re.compile(r"^\s*([^=：:]+?)\s*[=：:]\s*(\d+)\s*$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

RATING = Kind(
    name=KIND,
    prefix="SR",
    label=label("Staff rating", "员工考评"),
    fields=(
        Field("agent", "text", required=True, label=label("Agent", "员工")),
        Field("month", "text", required=True, label=label("Month (YYYY-MM)", "月份（YYYY-MM）")),
        Field(
            "assessment",
            "choice",
            choices=ASSESSMENTS,
            default="supervisor",
            label=label(
                "Rated by (supervisor, or the agent's own monthly self-assessment)", "评定方式（主管评定/月度自评）"
            ),
        ),
        Field(
            "scores",
            "text",
            required=True,
            label=label(
                "Scores 1-5 by criterion (language=4; knowledge=5; …)", "各项评分 1-5（语言能力=4；专业知识=5；…）"
            ),
        ),
        Field("notes", "text", multiline=True, label=label("Notes", "评语")),
    ),
    statuses=(Status("rated", "closed", label("Rated", "已评定")),),
    list_columns=("agent", "month", "assessment", "scores"),
    transitions={"rated": ()},
)
FIGURES = (
    "cases",
    "first_response_pct",
    "resolution_pct",
    "reopen_pct",
    "contacts_per_resolved",
    "complaints_against",
    "csat_pct",
    "calls",
    "aht_seconds",
    "rating",
    "self_rating",
)
LABELS = {
    "agent": label("Agent", "员工"),
    "rank": label("Rank", "名次"),
    "score": label("Score", "得分"),
    "cases": label("Cases", "处理案件"),
    "first_response_pct": label("First response on time %", "首次响应达标率 %"),
    "resolution_pct": label("Resolved on time %", "解决达标率 %"),
    "reopen_pct": label("Reopened %", "重开率 %"),
    "contacts_per_resolved": label("Contacts per resolved case", "每案往来次数"),
    "complaints_against": label("Complaints against", "被投诉次数"),
    "csat_pct": label("CSAT %", "满意度 %"),
    "calls": label("Calls answered", "接听电话"),
    "aht_seconds": label("AHT (s)", "平均处理时长(秒)"),
    "rating": label("Supervisor's rating (1-5)", "主管评分（1-5）"),
    "self_rating": label("Self-assessment (1-5)", "月度自评（1-5）"),
    "tier": label("Tier", "评定等级"),
    "targets_missed": label("Targets missed", "未达标项目"),
    "not_measured": label("Not measured (no data)", "无数据项目"),
}


def criteria(policy) -> dict[str, dict[str, str]]:
    """The assessment criteria: ``[staff.criteria]`` (id = { zh = "…", en = "…" }), else the four."""
    table = policy.get("staff.criteria")
    if isinstance(table, dict) and table:
        return {str(k): dict(v) if isinstance(v, dict) else {} for k, v in table.items()}
    return {k: dict(v) for k, v in DEFAULT_CRITERIA.items()}


def parse_scores(text: str, known: dict[str, dict[str, str]]) -> tuple[dict[str, int], list[str]]:
    """``language=4; 专业知识=5`` (by id or either name; ``;``, ``,``, ``；`` or lines between)
    as scores by criterion id, and the problems found: every criterion once, 1-5."""
    by_name = {name: cid for cid, names in known.items() for name in (cid, *names.values())}
    scores: dict[str, int] = {}
    problems = []
    for part in re.split(r"[;,；，\n]+", text or ""):
        if not part.strip():
            continue
        match = _SCORE.match(part)
        cid = by_name.get(match.group(1)) if match else None
        if match is None:
            problems.append(_("{part!r} is not criterion=score").format(part=part.strip()))
        elif cid is None:
            problems.append(
                _("{name!r} is not a criterion; criteria: {names}").format(name=match.group(1), names=", ".join(known))
            )
        elif cid in scores:
            problems.append(_("{name} is scored twice").format(name=cid))
        elif not 1 <= int(match.group(2)) <= 5:
            problems.append(_("{name}: {score} is not a score from 1 to 5").format(name=cid, score=match.group(2)))
        else:
            scores[cid] = int(match.group(2))
    missing = [cid for cid in known if cid not in scores]
    if missing and not problems:
        problems.append(_("not scored: {names}").format(names=", ".join(missing)))
    return scores, problems


def rating_of(record: dict) -> float | None:
    """The mean score of a rating (as stored: ``scores``; an older record: its four fields)."""
    values = [int(v) for v in re.findall(r"=(\d+)", record.get("scores") or "")]
    values = values or [record[c] for c in DEFAULT_CRITERIA if isinstance(record.get(c), int)]
    return sum(values) / len(values) if values else None


def tier_of(score_value: float | None, tiers) -> str | None:
    """The first of ``[[staff.tiers]]`` (highest ``min_score`` first) the score reaches."""
    if score_value is None:
        return None
    ordered = sorted((t for t in tiers or [] if isinstance(t, dict)), key=lambda t: -float(t.get("min_score", 0)))
    return next((t["name"] for t in ordered if score_value >= float(t.get("min_score", 0))), None)


def score(figures: dict, targets: dict) -> tuple[float | None, list[str], list[str]]:
    """(score 0-100, the figures whose target was missed, those with no value), as the module says."""
    earned = total = 0.0
    missed, unmeasured = [], []
    for name, target in targets.items():
        value = figures.get(name)
        if value is None:
            unmeasured.append(name)
            continue
        weight = float(target.get("weight", 0))
        total += weight
        if "at_least" in target:
            goal = float(target["at_least"])
            attainment = 1.0 if goal <= 0 else min(1.0, value / goal)
        else:
            goal = float(target["at_most"])
            attainment = 1.0 if value <= goal else (goal / value if value else 1.0)
        if attainment < 1:
            missed.append(name)
        earned += weight * attainment
    return (round(100 * earned / total, 2) if total else None), missed, unmeasured


def staff_report(request):
    import statistics  # here, not at plugin load: every command loads the plugin

    policy = request.policy
    attitude = set(policy.get("staff.attitude_categories") or ["service_attitude"])
    tally: dict[str, dict] = defaultdict(
        lambda: {"cases": 0, "met": [0, 0], "breached": [0, 0], "reopened": 0, "contacts": 0, "resolved": 0}
    )
    resolved_at: dict[str, str] = {}
    owner_of: dict[str, str] = {}
    about_attitude: list[str] = []  # the words of complaints about attitude (not every complaint: flat memory)
    phases = {kind.name: {s.name: s.phase for s in kind.statuses} for kind in request.kinds if kind.name in CASE_KINDS}
    for kind_name in phases:
        # the clocks the store judges itself (a database: remembered ones), per owner; the
        # rest one by one
        counted, unjudged = request.clock_tally(kind_name, "owner")
        for (agent, name), figures in counted.items():
            if agent != "—" and name in CLOCK_SLOTS:
                for state in ("met", "breached"):
                    tally[agent][state][CLOCK_SLOTS[name]] += figures[state]
        for case in unjudged:
            if case.get("owner"):
                for clock in request.clocks(case)[1]:
                    if clock.name in CLOCK_SLOTS and clock.state in ("met", "breached"):
                        tally[case["owner"]][clock.state][CLOCK_SLOTS[clock.name]] += 1

    def take_case(case):
        if case["kind"] == "complaint" and case.get("category") in attitude:
            about_attitude.append(" ".join(str(case.get(k) or "") for k in ("content", "subject")))
        agent = case.get("owner")
        if not agent:
            return
        owner_of[case["id"]] = agent
        figures = tally[agent]
        figures["cases"] += 1
        events = case.get("events") or []
        phase = phases[case["kind"]]
        if any(
            e.get("type") == "status" and phase.get(e.get("from")) in ("resolved", "closed")
            and phase.get(e.get("to")) in ("open", "pending")
            for e in events
        ):  # fmt: skip
            figures["reopened"] += 1
        if case.get("resolved_at"):
            figures["resolved"] += 1
            resolved_at[case["id"]] = case["resolved_at"]
            figures["contacts"] += sum(
                1 for e in events if e.get("type") == "response" and e["at"] <= case["resolved_at"]
            )

    calls: dict[str, list[int]] = defaultdict(list)

    def take_call(call):
        linked = call.get("linked_record")
        if linked in resolved_at and call["created_at"] <= resolved_at[linked]:
            tally[owner_of[linked]]["contacts"] += 1
        if call.get("agent") and call.get("outcome") == "answered":
            calls[call["agent"]].append((call.get("talk_seconds") or 0) + (call.get("acw_seconds") or 0))

    yield api.RecordPass(CASE_KINDS, take_case)
    yield api.RecordPass(("call",), take_call)  # after the cases: a call counts toward a case resolved after it
    scores: dict[str, list[int]] = defaultdict(list)
    if "survey" in request.kinds.names():
        for survey in request.records("survey"):
            agent = owner_of.get(survey.get("for_record") or "")
            if agent and survey.get("csat") is not None:
                scores[agent].append(survey["csat"])
    month = request.since.strftime("%Y-%m") if request.since else None
    ratings: dict[str, list[float]] = defaultdict(list)
    own: dict[str, list[float]] = defaultdict(list)  # 月度自评
    for rating in request.records(KIND):
        mean = rating_of(rating)
        if (month is None or rating.get("month") == month) and mean is not None:
            (own if rating.get("assessment") == "self" else ratings)[rating["agent"]].append(mean)
    agents = sorted(set(tally) | set(calls) | set(ratings) | set(own))
    targets = policy.get("staff.targets") or {}
    rows = []
    for agent in agents:
        t = tally[agent]
        against = sum(1 for words in about_attitude if agent in words)
        figures = {
            "cases": t["cases"],
            "first_response_pct": api.pct(t["met"][0], t["met"][0] + t["breached"][0]),
            "resolution_pct": api.pct(t["met"][1], t["met"][1] + t["breached"][1]),
            "reopen_pct": api.pct(t["reopened"], t["cases"]),
            "contacts_per_resolved": round(t["contacts"] / t["resolved"], 2) if t["resolved"] else None,
            "complaints_against": against,
            "csat_pct": api.pct(sum(s >= 4 for s in scores[agent]), len(scores[agent])),
            "calls": len(calls[agent]),
            "aht_seconds": round(statistics.fmean(calls[agent]), 1) if calls[agent] else None,
            "rating": round(statistics.fmean(ratings[agent]), 2) if ratings[agent] else None,
            "self_rating": round(statistics.fmean(own[agent]), 2) if own[agent] else None,
        }
        total, missed, unmeasured = score(figures, targets)
        rows.append(
            {
                "agent": agent,
                "score": total,
                "tier": tier_of(total, policy.get("staff.tiers")),
                **figures,
                "missed": missed,
                "unmeasured": unmeasured,
            }
        )
    rows.sort(key=lambda row: (-(row["score"] or 0), row["agent"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    viewer = request.viewer
    if viewer is not None and viewer not in api.department_leaders(policy):  # an agent sees their own line
        rows = [row for row in rows if row["agent"] == viewer]
    for row in rows:  # for people: the targets by their names; JSON keeps the figure ids
        row["targets_missed"] = ", ".join(LABELS[name].get(request.lang, name) for name in row["missed"])
        row["not_measured"] = ", ".join(LABELS[name].get(request.lang, name) for name in row["unmeasured"])
    one_month = (
        request.since is not None
        and request.until is not None
        and request.since.day == 1
        and (request.until.month == request.since.month and request.until.year == request.since.year)
    )
    return api.ReportResult(
        ["rank", "agent", "score", "tier", *FIGURES, "targets_missed", "not_measured"],
        rows,
        {"agents": len(rows), "targets": len(targets)},
        {**LABELS, "agents": label("Agents", "员工数"), "targets": label("Targets", "考核指标数")},
        label("Staff assessment", "员工月度考核") if one_month else label("Staff assessment", "员工考核"),
        api.Chart("bar", x="agent", y=("score",)),
    )


@hookimpl
def cstool_kinds():
    return [RATING]


@hookimpl
def cstool_validate_records(kind, records, policy):
    if kind.name != KIND:
        return None
    allowed = api.department_leaders(policy)
    known = criteria(policy)
    refused = []
    for index, record in enumerate(records):
        if not _MONTH.match(record.get("month") or ""):
            refused.append((index, "month", _("{month!r} is not a month (YYYY-MM)").format(month=record.get("month"))))
        refused += [(index, "scores", problem) for problem in parse_scores(record.get("scores") or "", known)[1]]
        if record.get("assessment") == "self":
            if record.get("owner") != record.get("agent"):
                refused.append(
                    (
                        index,
                        "owner",
                        _("a self-assessment is the agent's own: --as {agent}").format(agent=record.get("agent")),
                    )
                )
        elif record.get("owner") not in allowed:
            refused.append(
                (
                    index,
                    "owner",
                    _("only a supervisor or manager rates staff ({names}); --as names who rates").format(
                        names=", ".join(sorted(allowed))
                    ),
                )
            )
    return refused


@hookimpl
def cstool_enrich_records(kind, records, policy):
    """Scores kept by criterion id, in the policy's order, whatever names they were typed with."""
    if kind.name != KIND:
        return
    known = criteria(policy)
    for record in records:
        scores, problems = parse_scores(record.get("scores") or "", known)
        if not problems:
            record["scores"] = "; ".join(f"{cid}={scores[cid]}" for cid in known)


def check_criteria_and_tiers(policy) -> list:
    problems = []
    table = policy.get("staff.criteria")
    if table is not None and not (
        isinstance(table, dict) and table and all(isinstance(v, dict) for v in table.values())
    ):
        problems.append(api.Problem(("staff", "criteria"), _('must be a table: id = { zh = "…", en = "…" }')))
    tiers = policy.get("staff.tiers")
    if tiers is not None and not (
        isinstance(tiers, list)
        and all(
            isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("min_score"), int | float)
            for t in tiers
        )
    ):
        problems.append(
            api.Problem(("staff", "tiers"), _('must be [[staff.tiers]] tables with name = "…" and min_score = N'))
        )
    return problems


@hookimpl
def cstool_check_policy(policy):
    problems = check_criteria_and_tiers(policy)
    targets = policy.get("staff.targets")
    if targets is None:
        return problems
    if not isinstance(targets, dict):
        return [api.Problem(("staff", "targets"), _("must be a table: figure = { at_least = N, weight = W }"))]
    for name, target in targets.items():
        if name not in FIGURES:
            problems.append(
                api.Problem(
                    ("staff", "targets", name), _("is not a figure; figures: {names}").format(names=", ".join(FIGURES))
                )
            )
        elif not (
            isinstance(target, dict)
            and len({"at_least", "at_most"} & set(target)) == 1
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in target.values())
        ):
            problems.append(
                api.Problem(
                    ("staff", "targets", name), _("must be { at_least = N, weight = W } or { at_most = N, weight = W }")
                )
            )
    return problems


@hookimpl
def cstool_policy_keys():
    return ["staff.attitude_categories", "staff.criteria", "staff.targets", "staff.tiers"]


FIRST_CONTACT = ("taken_first", "kept", "handed_on", "reported_up", "finished", "open", "finished_pct")


def first_contact_report(request):
    """首问负责: per person, the cases they took first (registered) in the period, whether they
    kept them or handed them on, reported them up, and how many are finished: the first
    taker answers for a case to its end, whoever works it now."""
    from collections import Counter

    groups: dict[str, Counter] = defaultdict(Counter)
    finished = {
        kind.name: {s.name for s in kind.statuses if s.phase in ("resolved", "closed")}
        for kind in request.kinds if kind.name in CASE_KINDS
    }  # fmt: skip

    def take(record):
        registrant, _first_owner = api.first_taker(record)
        if not registrant:
            return
        counts = groups[registrant]
        counts["taken_first"] += 1
        counts["kept" if record.get("owner") == registrant else "handed_on"] += 1
        counts["reported_up"] += any(e.get("type") == "reported_up" for e in record.get("events", []))
        counts["finished" if record["status"] in finished[record["kind"]] else "open"] += 1

    yield api.RecordPass(CASE_KINDS, take)
    rows: list[dict[str, Any]] = [
        {"person": person, **{k: counts[k] for k in FIRST_CONTACT[:-1]}} for person, counts in sorted(groups.items())
    ]
    for row in rows:
        row["finished_pct"] = api.pct(row["finished"], row["taken_first"])
    totals: dict[str, Any] = {k: sum(row[k] for row in rows) for k in FIRST_CONTACT[:-1]}
    totals["finished_pct"] = api.pct(totals["finished"], totals["taken_first"])
    return api.ReportResult(
        ["person", *FIRST_CONTACT],
        rows,
        totals,
        {
            "person": label("First taker", "首问负责人"),
            "taken_first": label("Taken first", "首问受理"),
            "kept": label("Kept", "自行处理"),
            "handed_on": label("Handed on", "已移交"),
            "reported_up": label("Reported up", "已上报"),
            "finished": label("Finished", "已办结"),
            "open": label("Open", "未办结"),
            "finished_pct": label("Finished %", "办结率 %"),
        },
        label("First-contact responsibility", "首问负责统计"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report(
            "staff", label("Staff assessment: figures, rating, score", "员工月度考核"), staff_report, monthly=(None,)
        ),
        api.Report(
            "first-contact",
            label("First-contact responsibility", "首问负责统计"),
            first_contact_report,
            monthly=(None,),
        ),
    ]


@hookimpl
def cstool_demo_records(rng, now, policy):
    """Last month's ratings of the phone agents by their supervisor."""
    from datetime import timedelta

    first = now.replace(day=1) - timedelta(days=1)
    rater = next(iter(sorted(api.department_leaders(policy))), None)
    if rater is None:
        return []
    known = criteria(policy)
    return [
        api.DemoRecord(
            KIND,
            {
                "agent": agent,
                "month": first.strftime("%Y-%m"),
                "assessment": assessment,
                "scores": "; ".join(f"{cid}={rng.randint(3, 5)}" for cid in known),
                "owner": rater if assessment == "supervisor" else agent,
                "created_at": (now - timedelta(hours=2)).isoformat(),
            },
        )
        for agent in policy.get("phone.agents") or []
        for assessment in ASSESSMENTS
    ]
