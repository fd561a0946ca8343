"""{{title_en}} ({{title_zh}}): a cstool plugin.

Hooks implemented here: cstool_kinds (the record kind and its fields), cstool_validate_records
(a rule of the department's own), cstool_classify (urgent safety cases) and cstool_reports
(a summary by product). See cstool's docs/hooks.md for the others.
"""

from __future__ import annotations

from collections import Counter

from cstool.api import Field, Kind, Status, hookimpl, label, language

KIND = "{{kind}}"

# A refusal in the language the user chose (--lang, CSTOOL_LANG or the workspace policy).
OUTSIDE_PERIOD = {"en": "more than 24 months ago: outside the claims period",
                  "zh": "购买已超过 24 个月：不在索赔期内"}

# Words that make a case urgent: Chinese anywhere in the text, English as whole words.
SAFETY_WORDS = ("fire", "smoke", "shock", "burn", "起火", "冒烟", "漏电", "烫伤")

{{KIND_CONSTANT}} = Kind(
    name=KIND,
    prefix="{{prefix}}",
    label=label("{{title_en}}", "{{title_zh}}"),
    fields=(
        Field("customer_name", "text", required=True, personal=True, label=label("Customer", "客户姓名")),
        Field("contact_phone", "phone", personal=True, label=label("Contact phone", "联系电话")),
        Field("product", "choice", required=True, choices=("washer", "fridge", "tv", "other"),
              label=label("Product", "产品")),
        Field("serial_number", "text", required=True, label=label("Serial number", "序列号")),
        Field("purchase_date", "date", required=True, label=label("Purchase date", "购买日期")),
        Field("description", "text", required=True, multiline=True, label=label("What happened", "问题描述")),
        Field("amount", "decimal", min=0, label=label("Amount claimed", "索赔金额")),
    ),
    statuses=(
        Status("registered", "open", label("Registered", "已登记")),
        Status("reviewing", "open", label("Reviewing", "审核中")),
        Status("waiting", "pending", label("Waiting for the customer", "等待客户")),
        Status("approved", "resolved", label("Approved", "已批准")),
        Status("rejected", "resolved", label("Rejected", "已驳回")),
        Status("closed", "closed", label("Closed", "已关闭")),
    ),
    list_columns=("customer_name", "product", "serial_number", "amount"),
)


@hookimpl
def cstool_kinds():
    return [{{KIND_CONSTANT}}]


@hookimpl
def cstool_validate_records(kind, records, policy, lookup):
    """A claim for a purchase more than two years old goes to a manager, not through cstool."""
    if kind.name != KIND:
        return None
    refused = []
    for index, record in enumerate(records):
        # Records hold dates and times as ISO text, as they are stored.
        bought, created = record.get("purchase_date"), (record.get("created_at") or "")[:10]
        if bought and created and months_between(bought, created) > 24:
            refused.append((index, "purchase_date", OUTSIDE_PERIOD[language()]))
    return refused


def months_between(earlier: str, later: str) -> int:
    return (int(later[:4]) - int(earlier[:4])) * 12 + int(later[5:7]) - int(earlier[5:7])


@hookimpl
def cstool_classify(kind, records, policy):
    """Safety cases are urgent. (Keyword rules need no code: [[classify.{{kind}}]] in policy.toml.)"""
    if kind.name != KIND:
        return None
    return [{"priority": "urgent", "tags": ["safety"], "rules": ["safety words"]} if mentions_safety(record) else None
            for record in records]


def mentions_safety(record) -> bool:
    words = set((record.get("description") or "").lower().replace(",", " ").replace(".", " ").split())
    text = record.get("description") or ""
    return any(word in words if word.isascii() else word in text for word in SAFETY_WORDS)


@hookimpl
def cstool_reports():
    from cstool import api
    return [api.Report(f"{KIND}-summary", label("{{title_en}} by product", "{{title_zh}}按产品统计"), product_summary)]


def product_summary(request):
    """Claims per product in the period: how many, how many closed, the amount claimed."""
    from cstool import api
    records = [r for r in request.records(KIND) if request.in_period(r)]
    count = Counter(r["product"] for r in records)
    resolved = Counter(r["product"] for r in records if r["closed_at"] or r["resolved_at"])
    amount = Counter()
    for record in records:
        amount[record["product"]] += record.get("amount") or 0
    rows = [{"product": product, "claims": count[product], "resolved": resolved[product],
             "resolved_pct": api.pct(resolved[product], count[product]), "amount": round(amount[product], 2)}
            for product in sorted(count)]
    totals = {"claims": sum(count.values()), "resolved": sum(resolved.values()),
              "resolved_pct": api.pct(sum(resolved.values()), sum(count.values())),
              "amount": round(sum(amount.values()), 2)}
    labels = {"product": label("Product", "产品"), "claims": label("Claims", "件数"),
              "resolved": label("Resolved", "已解决"), "resolved_pct": label("Resolved %", "解决率%"),
              "amount": label("Amount", "金额")}
    return api.ReportResult(["product", "claims", "resolved", "resolved_pct", "amount"], rows, totals, labels)
