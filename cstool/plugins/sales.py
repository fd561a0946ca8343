"""Customer sales and credit tables (客户销售资料一览表, 客户销售信息月报表, 客户销售毛利排名表,
客户信用分析表): a ``sale`` kind imported from an ERP export, the customer's purchase volume
derived from its sales (which the grade rules read), and four reports.

    cstool import sale erp.csv --map erp_sales
    cstool report sales-by-customer --since 2026-01-01
    cstool report sales-monthly --month 2026-11      # against the month before and a year before
    cstool report sales-margin --month 2026-11       # 毛利排名
    cstool report credit-analysis                    # rating, limit, sales, complaints, returns
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

KIND = "sale"
CUSTOMER = "customer"

SALE = Kind(
    name=KIND,
    prefix="SAL",
    label=label("Sale", "销售记录"),
    department="sales",
    fields=(
        Field("sold_on", "date", required=True, label=label("Sold on", "销售日期")),
        Field("product", "text", required=True, label=label("Product", "产品")),
        Field("quantity", "decimal", required=True, min=0, label=label("Quantity", "数量")),
        Field("amount", "decimal", required=True, min=0, label=label("Amount", "金额")),
        Field("cost", "decimal", min=0, label=label("Cost", "成本")),
    ),
    statuses=(Status("recorded", "closed", label("Recorded", "已记录")),),
    list_columns=("customer_id", "sold_on", "product", "quantity", "amount"),
    transitions={"recorded": ()},
    high_volume=True,
    requires=("customer_id",),  # a sale is to a customer (one that exists: the customers plugin checks)
)
LABELS = {
    "customer_id": label("Customer", "客户编号"),
    "name": label("Name", "名称"),
    "region": label("Region", "区域"),
    "sales": label("Sales", "销售笔数"),
    "quantity": label("Quantity", "数量"),
    "amount": label("Amount", "金额"),
    "cost": label("Cost", "成本"),
    "margin": label("Gross margin", "毛利"),
    "margin_pct": label("Margin %", "毛利率 %"),
    "last_sale": label("Last sale", "最近销售"),
    "previous_month": label("Previous month", "上月"),
    "month_change_pct": label("vs previous month %", "环比 %"),
    "last_year": label("Same month last year", "去年同月"),
    "year_change_pct": label("vs last year %", "同比 %"),
    "rank": label("Rank", "名次"),
    "credit_rating": label("Credit rating", "信用等级"),
    "grade": label("Grade", "等级"),
    "credit_limit": label("Credit limit", "信用额度"),
    "over_limit": label("Over the limit", "超出额度"),
    "complaints": label("Complaints", "投诉次数"),
    "returns": label("Returns and exchanges", "退换货"),
}


def _customers(request) -> dict[str, dict]:
    return {c["id"]: c for c in request.records(CUSTOMER)} if CUSTOMER in request.kinds.names() else {}


def _name(customer: dict) -> str | None:
    """A customer as a report names it: a company by its name, a person masked (张*)."""
    name = customer.get("name")
    return name if customer.get("customer_type") == "corporate" else api.mask(name)


def _in(sale: dict, first: date | None, last: date | None) -> bool:
    sold = date.fromisoformat(sale["sold_on"])
    return (first is None or sold >= first) and (last is None or sold <= last)


def _sales(request, first: date | None, last: date | None) -> list[dict]:
    """Sales by the day they were made (``sold_on``), not the day they were imported."""
    return [s for s in request.records(KIND) if _in(s, first, last)]


def _totals(sales: list[dict]) -> dict[str, dict]:
    by_customer: dict[str, dict] = defaultdict(lambda: {"sales": 0, "quantity": 0.0, "amount": 0.0, "cost": 0.0})
    for sale in sales:
        row = by_customer[sale["customer_id"]]
        row["sales"] += 1
        row["quantity"] += sale["quantity"]
        row["amount"] += sale["amount"]
        row["cost"] += sale.get("cost") or 0.0
        row["last_sale"] = max(row.get("last_sale") or "", sale["sold_on"])
    return by_customer


def _money(value: float) -> float:
    return round(value, 2)


def sales_by_customer(request):
    """客户销售资料一览表: per customer, the period's sales, quantity, amount, cost, margin."""
    customers = _customers(request)
    rows = []
    for customer_id, t in sorted(_totals(_sales(request, request.since, request.until)).items()):
        margin = t["amount"] - t["cost"]
        rows.append(
            {
                "customer_id": customer_id,
                "name": _name(customers.get(customer_id, {})),
                "sales": t["sales"],
                "quantity": _money(t["quantity"]),
                "amount": _money(t["amount"]),
                "cost": _money(t["cost"]),
                "margin": _money(margin),
                "margin_pct": api.pct(margin, t["amount"]),
                "last_sale": t["last_sale"],
            }
        )
    totals = {key: _money(sum(r[key] for r in rows)) for key in ("sales", "quantity", "amount", "cost", "margin")}
    totals["customer_id"] = len(rows)
    return api.ReportResult(
        ["customer_id", "name", "sales", "quantity", "amount", "cost", "margin", "margin_pct", "last_sale"],
        rows,
        totals,
        LABELS,
        label("Sales by customer", "客户销售资料一览表"),
        api.Chart("bar", x="name", y=("amount", "margin")),
    )


def _shifted(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, 1)


def _month_end(first: date) -> date:
    from datetime import timedelta

    return _shifted(first, 1) - timedelta(days=1)


def sales_monthly(request):
    """客户销售信息月报表: the month's sales per customer and region, against the month
    before and the same month a year before (the period's first month)."""
    first = (request.since or request.now.date()).replace(day=1)
    months = {
        "amount": (first, _month_end(first)),
        "previous_month": (_shifted(first, -1), _month_end(_shifted(first, -1))),
        "last_year": (_shifted(first, -12), _month_end(_shifted(first, -12))),
    }
    every = request.records(KIND)
    sums = {key: _totals([s for s in every if _in(s, *span)]) for key, span in months.items()}
    customers = _customers(request)
    rows: list[dict[str, Any]] = []
    for customer_id in sorted(set().union(*sums.values())):
        figures = {key: _money(sums[key].get(customer_id, {}).get("amount", 0.0)) for key in months}
        customer = customers.get(customer_id, {})
        rows.append(
            {
                "customer_id": customer_id,
                "name": _name(customer),
                "region": customer.get("region"),
                **figures,
                "month_change_pct": api.pct(figures["amount"] - figures["previous_month"], figures["previous_month"]),
                "year_change_pct": api.pct(figures["amount"] - figures["last_year"], figures["last_year"]),
            }
        )
    rows.sort(key=lambda r: (str(r["region"] or ""), -r["amount"], r["customer_id"]))
    totals: dict[str, Any] = {key: _money(sum(r[key] for r in rows)) for key in months}
    totals["month_change_pct"] = api.pct(totals["amount"] - totals["previous_month"], totals["previous_month"])
    totals["year_change_pct"] = api.pct(totals["amount"] - totals["last_year"], totals["last_year"])
    totals["month"] = first.strftime("%Y-%m")
    return api.ReportResult(
        [
            "region",
            "customer_id",
            "name",
            "amount",
            "previous_month",
            "month_change_pct",
            "last_year",
            "year_change_pct",
        ],
        rows,
        totals,
        {**LABELS, "amount": label("This month", "本月"), "month": label("Month", "月份")},
        label("Monthly sales by customer and region", "客户销售信息月报表"),
        api.Chart("bar", x="name", y=("amount", "previous_month", "last_year")),
    )


def sales_margin(request):
    """客户销售毛利排名表: customers ranked by the period's gross margin (amount - cost)."""
    report = sales_by_customer(request)
    rows = sorted(report.rows, key=lambda r: (-r["margin"], r["customer_id"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return api.ReportResult(
        ["rank", "customer_id", "name", "amount", "cost", "margin", "margin_pct"],
        rows,
        report.totals,
        LABELS,
        label("Gross margin ranking", "客户销售毛利排名表"),
        api.Chart("bar", x="name", y=("margin",)),
    )


def credit_analysis(request):
    """客户信用分析表: each customer's credit rating and grade, the grade's credit limit
    ([customers.credit_limits]), the period's sales against it, and the complaints and
    returns (after-sales returns and exchanges) linked to the customer in the period."""
    limits = request.policy.get("customers.credit_limits") or {}
    sales = _totals(_sales(request, request.since, request.until))
    complaints: dict[str, int] = defaultdict(int)
    returns: dict[str, int] = defaultdict(int)
    for kind_name, counts in (("complaint", complaints), ("aftersales", returns)):
        if kind_name not in request.kinds.names():
            continue
        for record in request.each(kind_name):
            if record.get("customer_id") and (
                kind_name == "complaint" or record.get("entitlement") in ("return", "exchange")
            ):
                counts[record["customer_id"]] += 1
    rows = []
    for customer in request.records(CUSTOMER) if CUSTOMER in request.kinds.names() else []:
        if customer.get("status") != "active":
            continue
        amount = _money(sales.get(customer["id"], {}).get("amount", 0.0))
        limit = limits.get(customer.get("grade") or "")
        rows.append(
            {
                "customer_id": customer["id"],
                "name": _name(customer),
                "credit_rating": customer.get("credit_rating"),
                "grade": customer.get("grade"),
                "credit_limit": limit,
                "amount": amount,
                "over_limit": None if limit is None else _money(max(0.0, amount - limit)),
                "complaints": complaints.get(customer["id"], 0),
                "returns": returns.get(customer["id"], 0),
            }
        )
    ratings = request.policy.choices("customers.credit_ratings")
    rows.sort(
        key=lambda r: (ratings.index(r["credit_rating"]) if r["credit_rating"] in ratings else 99, r["customer_id"])
    )
    over = [r for r in rows if r["over_limit"]]
    return api.ReportResult(
        [
            "customer_id",
            "name",
            "credit_rating",
            "grade",
            "credit_limit",
            "amount",
            "over_limit",
            "complaints",
            "returns",
        ],
        rows,
        {"customers": len(rows), "over_limit": len(over)},
        {**LABELS, "customers": label("Customers", "客户数"), "over_limit": label("Over the limit", "超出额度")},
        label("Credit analysis", "客户信用分析表"),
    )


@hookimpl
def cstool_kinds():
    return [SALE]


@hookimpl
def cstool_records_stored(kind, records, app):
    """A customer's purchase volume is the sum of its sales: set again for each customer a
    new sale names (the grade rules read it)."""
    if kind.name != KIND or CUSTOMER not in app.kinds.names():
        return
    named = sorted({r["customer_id"] for r in records if r.get("customer_id")})
    if not named:
        return
    totals = _totals([s for s in app.store.records(KIND, fresh=True) if s.get("customer_id") in set(named)])
    for customer_id in named:
        total = _money(totals[customer_id]["amount"])
        stored = app.store.get(CUSTOMER, customer_id)
        if stored is not None and stored.get("purchase_volume") != total:
            app.book.update(customer_id, {"purchase_volume": total}, None)


@hookimpl
def cstool_check_policy(policy):
    limits = policy.get("customers.credit_limits")
    if limits is None:
        return []
    if not isinstance(limits, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in limits.values()
    ):
        return [
            api.Problem(("customers", "credit_limits"), _("must be a table of grade = amount, such as VIP = 500000"))
        ]
    return []


@hookimpl
def cstool_policy_keys():
    return ["customers.credit_limits"]


@hookimpl
def cstool_reports():
    return [
        api.Report("sales-by-customer", label("Sales by customer", "客户销售资料一览表"), sales_by_customer),
        api.Report("sales-monthly", label("Monthly sales by customer and region", "客户销售信息月报表"), sales_monthly),
        api.Report("sales-margin", label("Gross margin ranking", "客户销售毛利排名表"), sales_margin),
        api.Report("credit-analysis", label("Credit analysis", "客户信用分析表"), credit_analysis),
    ]


@hookimpl
def cstool_demo_records(rng, now, policy):
    """A year of sales to the demo's customers."""
    from datetime import timedelta

    products = [("电水壶 K-200", 199.0, 120.0), ("空调 AC-35", 3299.0, 2400.0), ("蓝牙耳机 B3", 399.0, 210.0)]
    records = []
    for number in range(60):
        product, price, unit_cost = rng.choice(products)
        quantity = rng.choice([5, 10, 20, 50])
        sold = (now - timedelta(days=rng.randint(1, 400))).date()
        records.append(
            api.DemoRecord(
                KIND,
                {
                    "customer_id": api.DemoLink(CUSTOMER, number % 11),
                    "sold_on": sold.isoformat(),
                    "product": product,
                    "quantity": quantity,
                    "amount": price * quantity,
                    "cost": unit_cost * quantity,
                    "created_at": (now - timedelta(hours=1)).isoformat(),
                },
            )
        )
    return records
