"""Classification by the keyword and field rules in policy.toml ``[[classify.<kind>]]``.

Works for every kind, bundled or not: a department adds rules to policy, not code.
"""

from __future__ import annotations

from cstool import api
from cstool.api import _, hookimpl, label


@hookimpl
def cstool_classify(kind, records, policy):
    raw_rules = policy.get(("classify", kind.name))
    if not raw_rules:
        return None
    rules = api.compile_rules(raw_rules)
    text_fields = searched_fields(kind)
    priorities = policy.priorities
    return [api.suggest(rules, record, text_fields, priorities).as_dict() for record in records]


def searched_fields(kind):
    """Where a rule without ``fields`` looks for its keywords: the kind's text fields, less
    personal data (a complainant called Bill is not a billing complaint)."""
    return [f.name for f in kind.fields if f.type == "text" and not f.personal]


@hookimpl
def cstool_check_policy(policy, kinds):
    sections = policy.get("classify", {})
    if not isinstance(sections, dict):
        return [api.Problem(("classify",), _("must be a table of rule lists, one per kind: [[classify.complaint]]"))]
    problems = []
    known = set(kinds.names())
    for kind_name, raw_rules in sections.items():
        if kind_name not in known:
            problems.append(
                api.Problem(
                    ("classify", kind_name),
                    _("no kind {kind_name!r} is loaded; kinds: {items}").format(
                        kind_name=kind_name, items=", ".join(sorted(known))
                    ),
                )
            )
            continue
        kind = kinds.get(kind_name)
        field_names = [f.name for f in kind.fields] + ["category", "priority", "tags", "department", "status"]
        problems.extend(api.check_rules(kind_name, raw_rules, policy.priorities, field_names))
        problems.extend(routing_problems(kind_name, raw_rules, policy))
    return problems


def routing_problems(kind_name, raw_rules, policy):
    """A rule routes only to a department of the policy, and to a person it names."""
    departments = policy.get("departments") or {}
    staff = {
        name
        for table in departments.values()
        if isinstance(table, dict)
        for name in [table.get("manager"), table.get("supervisor"), *(table.get("members") or [])]
        if isinstance(name, str)
    }
    problems = []
    for index, rule in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        sets = rule.get("set") if isinstance(rule, dict) else None
        if not isinstance(sets, dict):
            continue
        here = ("classify", kind_name, index, "set")
        department = sets.get("department")
        if isinstance(department, str) and department not in departments:
            problems.append(
                api.Problem(
                    (*here, "department"),
                    _("no department {department!r} in policy; departments: {known}").format(
                        department=department, known=", ".join(departments)
                    ),
                )
            )
        owner = sets.get("owner")
        if isinstance(owner, str) and staff and owner not in staff:
            problems.append(
                api.Problem(
                    (*here, "owner"),
                    _("{owner!r} is in no department of the policy; staff: {known}").format(
                        owner=owner, known=", ".join(sorted(staff))
                    ),
                )
            )
    return problems


def rule_counts(request):
    """How many records each rule matches now (whatever the records' current values)."""
    rows = []
    for kind in request.kinds:
        raw_rules = request.policy.get(("classify", kind.name))
        if not raw_rules:
            continue
        rules = api.compile_rules(raw_rules)
        text_fields = searched_fields(kind)
        records = list(request.each(kind.name))
        counts = dict.fromkeys((rule.name for rule in rules), 0)
        for record in records:
            for name in api.suggest(rules, record, text_fields, request.policy.priorities).rules:
                counts[name] += 1
        rows += [
            {"kind": kind.name, "rule": name, "count": n, "share_pct": api.pct(n, len(records))}
            for name, n in counts.items()
        ]
    return api.ReportResult(
        ["kind", "rule", "count", "share_pct"],
        rows,
        {},
        {
            "kind": label("Kind", "记录类型"),
            "rule": label("Rule", "规则"),
            "count": label("Records matched", "命中数"),
            "share_pct": label("Share %", "占比 %"),
        },
        label("What each classification rule catches", "分类规则命中情况"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report("classify-rules", label("What each classification rule catches", "分类规则命中情况"), rule_counts)
    ]


@hookimpl
def cstool_policy_keys():
    return [
        "classify.*",
    ]
