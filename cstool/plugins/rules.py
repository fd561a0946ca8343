"""Classification by the keyword and field rules in policy.toml ``[[classify.<kind>]]``.

Works for every kind, bundled or not: a department adds rules to policy, not code.
"""

from __future__ import annotations

from cstool import api
from cstool.api import hookimpl


@hookimpl
def cstool_classify(kind, records, policy):
    raw_rules = policy.get(("classify", kind.name))
    if not raw_rules:
        return None
    rules = api.compile_rules(raw_rules)
    text_fields = [f.name for f in kind.fields if f.type == "text"]
    priorities = policy.priorities
    return [api.suggest(rules, record, text_fields, priorities).as_dict() for record in records]


@hookimpl
def cstool_check_policy(policy, kinds):
    sections = policy.get("classify", {})
    if not isinstance(sections, dict):
        return [api.Problem(("classify",), "must be a table of rule lists, one per kind: [[classify.complaint]]")]
    problems = []
    known = set(kinds.names())
    for kind_name, raw_rules in sections.items():
        if kind_name not in known:
            problems.append(api.Problem(("classify", kind_name), f"no kind {kind_name!r} is loaded; kinds: {', '.join(sorted(known))}"))
            continue
        kind = kinds.get(kind_name)
        field_names = [f.name for f in kind.fields] + ["category", "priority", "tags", "department", "status"]
        problems.extend(api.check_rules(kind_name, raw_rules, policy.priorities, field_names))
    return problems
