"""Customer information (客户信息): corporate (法人) and individual (自然人) profiles,
region (区域分类) and grade (等级分类) by policy rules, credit (信用等级) changed only with a
reason and an approver (信用度变更表), excellent and at-risk lists, deregistration (客户注销).

Grades and lists are policy conditions over four facts: purchase volume, credit rating,
complaint count (complaints linked by customer_id) and customer type.
"""

from __future__ import annotations

import copy

from cstool import api
from cstool.api import Field, Kind, Status, _, hookimpl, label

KIND = "customer"
CREDIT_COMMAND = "cstool customers credit"
ERASED = "[已注销 erased]"
CONDITIONS = (
    "min_purchase",
    "max_purchase",
    "min_credit",
    "max_credit",
    "min_complaints",
    "max_complaints",
    "customer_type",
    "match",
)

CUSTOMER = Kind(
    name=KIND,
    prefix="CUS",
    label=label("Customer", "客户"),
    department="customer_service",
    fields=(
        Field(
            "customer_type",
            "choice",
            required=True,
            choices=("corporate", "individual"),
            label=label("Customer type (corporate / individual)", "客户类型（法人 / 自然人）"),
        ),
        Field(
            "name",
            "text",
            required=True,
            personal=True,
            public_when={"customer_type": "corporate"},  # a company's name is no one's personal data
            label=label("Name", "名称 / 姓名"),
        ),
        Field("contact_person", "text", personal=True, label=label("Contact person", "联系人")),
        Field("phone", "phone", personal=True, label=label("Phone", "电话")),
        Field("email", "email", personal=True, label=label("E-mail", "电子邮箱")),
        Field("id_number", "text", personal=True, label=label("ID or credit code", "身份证号 / 统一社会信用代码")),
        Field("address", "text", personal=True, label=label("Address", "地址")),
        Field("province", "text", label=label("Province", "省份")),
        Field("city", "text", label=label("City", "城市")),
        Field("industry", "text", label=label("Industry", "行业")),
        Field("purchase_volume", "decimal", label=label("Purchase volume", "累计购买额")),
        Field(
            "credit_rating",
            "choice",
            choices_from="customers.credit_ratings",
            update_via=CREDIT_COMMAND,
            label=label("Credit rating", "信用等级"),
        ),
        Field("region", "text", ask=False, label=label("Region (by policy)", "区域分类")),
        Field("grade", "text", ask=False, label=label("Grade (by policy)", "等级分类")),
        Field("complaint_count", "int", ask=False, label=label("Complaints", "投诉次数")),
    ),
    statuses=(
        Status("active", "open", label("Active", "正常")),
        Status("deregistered", "closed", label("Deregistered", "已注销")),
    ),
    list_columns=("customer_type", "name", "region", "grade", "credit_rating"),
    transitions={"active": ("deregistered",), "deregistered": ()},
    history_field="customer_id",
)


def holds(conditions: dict, facts: dict, ratings: list[str]) -> bool:
    """Whether the facts meet the conditions (all of them, or any with match = "any")."""

    def rank(rating):
        return ratings.index(rating) if rating in ratings else len(ratings)

    checks = []
    for key, bound in conditions.items():
        if key == "min_purchase":
            checks.append((facts["purchase"] or 0) >= bound)
        elif key == "max_purchase":
            checks.append((facts["purchase"] or 0) <= bound)
        elif key == "min_credit":  # at least this good (ratings are listed best first)
            checks.append(rank(facts["credit"]) <= rank(bound))
        elif key == "max_credit":  # this good or worse
            checks.append(facts["credit"] is not None and rank(facts["credit"]) >= rank(bound))
        elif key == "min_complaints":
            checks.append(facts["complaints"] >= bound)
        elif key == "max_complaints":
            checks.append(facts["complaints"] <= bound)
        elif key == "customer_type":
            checks.append(facts["customer_type"] in (bound if isinstance(bound, list) else [bound]))
    if not checks:
        return True
    return any(checks) if conditions.get("match") == "any" else all(checks)


def facts_of(record: dict, complaints: int) -> dict:
    return {
        "purchase": record.get("purchase_volume"),
        "credit": record.get("credit_rating"),
        "complaints": complaints,
        "customer_type": record.get("customer_type"),
    }


def region_of(record: dict, regions: dict) -> str | None:
    places = {str(record.get(key) or "").strip().lower() for key in ("province", "city")} - {""}
    for region, members in regions.items():
        if places & {m.lower() for m in members}:
            return region
    return None


def derive(records: list[dict], policy, lookup) -> None:
    """Region, complaint count and grade: recomputed whenever a customer is saved."""
    counts = lookup.count("complaint", "customer_id")
    ratings = policy.choices("customers.credit_ratings")
    grades = policy.get("customers.grades") or []
    regions = policy.get("customers.regions") or {}
    for record in records:
        if record.get("status") == "deregistered":
            continue
        # A customer not yet saved has no id: none of the complaints is theirs (counts[None]
        # is every complaint that names no customer).
        record["complaint_count"] = counts.get(record["id"], 0) if record.get("id") else 0
        record["region"] = region_of(record, regions)
        facts = facts_of(record, record["complaint_count"])
        record["grade"] = next(
            (g["name"] for g in grades if holds({k: v for k, v in g.items() if k != "name"}, facts, ratings)), None
        )
        if not record.get("credit_rating"):
            record["credit_rating"] = policy.get("customers.default_credit")


@hookimpl
def cstool_kinds():
    return [CUSTOMER]


def rederived(app, customers: list[dict], only: set[str] | None = None) -> list[dict]:
    """Copies of ``customers`` (those of ``only``) whose region, complaint count or grade
    derive() now sets otherwise."""
    chosen = [copy.deepcopy(c) for c in customers if only is None or c["id"] in only]
    before = [(c.get("region"), c.get("complaint_count"), c.get("grade")) for c in chosen]
    derive(chosen, app.policy, app.book.lookup)
    return [c for c, was in zip(chosen, before) if (c.get("region"), c.get("complaint_count"), c.get("grade")) != was]


@hookimpl
def cstool_records_stored(kind, records, app):
    """A complaint linked to a customer changes its count, and so perhaps its grade."""
    linked = {r["customer_id"] for r in records if r.get("customer_id")} if kind.name == "complaint" else set()
    if not linked:
        return
    app.book.rewrite([KIND], lambda stored, _when: {KIND: rederived(app, stored[KIND], linked)})


@hookimpl
def cstool_validate_records(kind, records, lookup):
    """Every record that names a customer must name one that exists (no stub customers), and
    one linked to a deregistered customer may hold no personal data."""
    refused = []
    if kind.name == KIND:  # 身份证号 and 统一社会信用代码 carry their own check character
        for i, record in enumerate(records):
            number = record.get("id_number")
            if number and number != ERASED:
                try:
                    record["id_number"] = api.identity_number(number)
                except ValueError as exc:
                    refused.append((i, "id_number", str(exc)))
    linked = [(i, r["customer_id"]) for i, r in enumerate(records) if r.get("customer_id")]
    if not linked:
        return refused or None
    status = {c["id"]: c["status"] for c in lookup(KIND)}
    personal = [f.name for f in kind.fields if f.personal]
    for i, cid in linked:
        if cid not in status:
            refused.append(
                (
                    i,
                    "customer_id",
                    _("no customer {cid}: register the customer first (cstool record customer)").format(cid=cid),
                )
            )
        elif status[cid] == "deregistered" and any(records[i].get(n) not in (None, "", ERASED) for n in personal):
            refused.append(
                (
                    i,
                    "customer_id",
                    _("customer {cid} is deregistered: a record linked to it may hold no personal data").format(
                        cid=cid
                    ),
                )
            )
    return refused


@hookimpl
def cstool_enrich_records(kind, records, policy, lookup):
    if kind.name == KIND:
        derive(records, policy, lookup)
    elif any(f.name == api.CUSTOMER_GRADE.name for f in kind.fields):
        stamp_grades(records, lookup)


def stamp_grades(records: list[dict], lookup) -> None:
    """A new record linked to a customer keeps that customer's grade as it is now, which
    ``[sla.KIND.grades]`` times it by (分级对待); set once, by hand or here."""
    for record in records:
        if record.get("customer_id") and not record.get("customer_grade") and not record.get("id"):
            customer = lookup.get(KIND, record["customer_id"])
            if customer and customer.get("grade"):
                record["customer_grade"] = customer["grade"]


@hookimpl
def cstool_check_policy(policy):
    section = policy.get("customers")
    if section is None:
        return []
    problems = []
    ratings = section.get("credit_ratings")
    if not (isinstance(ratings, list) and ratings and all(isinstance(r, str) for r in ratings)):
        return [api.Problem(("customers", "credit_ratings"), _("must be a list of ratings, best first"))]
    if section.get("default_credit") not in (None, *ratings):
        problems.append(
            api.Problem(
                ("customers", "default_credit"), _("must be one of {ratings}").format(ratings=", ".join(ratings))
            )
        )
    tables = [(("customers", "grades", i), g) for i, g in enumerate(section.get("grades", []))]
    tables += [(("customers", "lists", name), c) for name, c in (section.get("lists") or {}).items()]
    for path, conditions in tables:
        if not isinstance(conditions, dict):
            problems.append(api.Problem(path, _("must be a table of conditions")))
            continue
        for key, value in conditions.items():
            if key == "name" and path[1] == "grades":
                continue
            if key not in CONDITIONS:
                problems.append(
                    api.Problem(
                        (*path, key),
                        _("unknown condition; conditions are {CONDITIONS}").format(CONDITIONS=", ".join(CONDITIONS)),
                    )
                )
            elif key in ("min_credit", "max_credit") and value not in ratings:
                problems.append(
                    api.Problem(
                        (*path, key),
                        _("{value!r} is not a credit rating ({ratings})").format(
                            value=value, ratings=", ".join(ratings)
                        ),
                    )
                )
            elif key == "match" and value not in ("all", "any"):
                problems.append(api.Problem((*path, key), _('must be "all" or "any"')))
        if path[1] == "grades" and not isinstance(conditions.get("name"), str):
            problems.append(api.Problem((*path, "name"), _("every grade needs a name")))
    return problems


# ---- commands ---------------------------------------------------------------------


def erase_customer(app, customer_id: str, reason: str) -> int | None:
    """Erase a customer's personal data from every record linked to it, and the customer's
    own values from those records' free text, holding every kind's lock throughout. The
    customer is marked deregistered by the last write, so a run cut short at any point is
    finished by running it again; None when there was nothing left to do."""
    kinds = {kind.name: kind for kind in app.kinds}
    order = sorted(kinds, key=lambda n: n == KIND)  # the customer's own kind written last

    def erase(records_by_kind: dict[str, list[dict]], when: str) -> dict[str, list[dict]]:
        linked = api.linked_to(customer_id, records_by_kind)
        secrets = api.personal_values(kinds, records_by_kind, linked)
        why = f"customer {customer_id} deregistered: {reason}"
        changed: dict[str, list[dict]] = {}
        for name in order:
            kind = kinds[name]
            for stored in records_by_kind[name]:
                if stored["id"] not in linked:
                    continue
                record = copy.deepcopy(stored)
                erased = api.erase_personal(kind, record, secrets, ERASED)
                finishing = record["id"] == customer_id and record["status"] != "deregistered"
                if not erased and not finishing:
                    continue
                record["events"].append({"at": when, "by": app.user, "type": "erased", "fields": erased, "reason": why})
                record["updated_at"] = when
                if finishing:
                    record["events"].append(
                        {
                            "at": when,
                            "by": app.user,
                            "type": "status",
                            "from": record["status"],
                            "to": "deregistered",
                            "reason": reason,
                        }
                    )
                    record["status"] = "deregistered"
                    record["closed_at"] = when
                changed.setdefault(name, []).append(record)
        return changed

    touched = sum(len(records) for records in app.book.rewrite(order, erase).values())
    api.remove_unheld_files(app)  # the erased records' attachments, unless another record holds the same
    return touched or None


@hookimpl
def cstool_commands(cli):
    import click

    @cli.group("customers")
    def customers_group():
        """Customer information: credit changes, deregistration, regrading."""

    @customers_group.command("credit")
    @click.argument("record_id", metavar="ID", shell_complete=api.complete_id)
    @click.argument("rating")
    @click.option("--reason", required=True, help="Why the rating changes (信用度变更原因).")
    @click.option("--approver", required=True, help="Who approved it (审批人).")
    @click.pass_obj
    def credit(app, record_id, rating, reason, approver):
        """Change a customer's credit rating, with the reason and the approver (信用度变更表)."""
        ratings = app.policy.choices("customers.credit_ratings")
        directory = app.directory
        if directory:  # a department with named staff: the approver is one of them who may approve
            person = directory.find(approver)
            if person is None or not directory.may(person, "approve"):
                _roles, holders = directory.holders("approve")
                raise api.CstoolError(
                    _("{approver} may not approve a credit change: approvers are {holders}").format(
                        approver=approver,
                        holders=", ".join(holders) or _("nobody (no one holds the permission approve)"),
                    )
                )
            approver = person.key
        if rating not in ratings:
            raise api.CstoolError(
                _("{rating!r} is not a credit rating; ratings: {ratings}").format(
                    rating=rating, ratings=", ".join(ratings)
                )
            )

        def apply(kind, record, when):
            if kind.name != KIND:
                raise api.CstoolError(_("{record_id} is not a customer").format(record_id=record_id))
            if record["credit_rating"] == rating:
                raise api.CstoolError(
                    _("{record_id} is already rated {rating}").format(record_id=record_id, rating=rating)
                )
            record["events"].append(
                {
                    "at": when,
                    "by": app.user,
                    "type": "credit",
                    "from": record["credit_rating"],
                    "to": rating,
                    "reason": reason,
                    "approver": approver,
                }
            )
            record["credit_rating"] = rating
            record["updated_at"] = when
            derive([record], app.policy, app.book.lookup)

        record = app.book.change(record_id, None, apply, not_before_status=False)
        click.echo(
            _("{id}: credit {old} → {rating}, grade {grade}").format(
                id=record["id"], old=record["events"][-1]["from"], rating=rating, grade=record["grade"]
            )
        )

    @customers_group.command("deregister")
    @click.argument("record_id", metavar="ID", shell_complete=api.complete_id)
    @click.option("--reason", required=True, help="Why (e.g. the customer's request).")
    @click.pass_obj
    def deregister(app, record_id, reason):
        """客户注销: erase the customer's personal data everywhere; keep figures and links."""
        app.require("deregister")
        kind, customer = app.book.get(record_id)
        if kind.name != KIND:
            raise api.CstoolError(_("{record_id} is not a customer").format(record_id=record_id))
        touched = erase_customer(app, customer["id"], reason)
        if touched is None:
            raise api.CstoolError(_("{record_id} is already deregistered").format(record_id=record_id))
        click.echo(
            _("{record_id}: deregistered; personal data erased from {touched} records (figures and links kept)").format(
                record_id=record_id, touched=touched
            )
        )

    @customers_group.command("data")
    @click.argument("record_id", metavar="ID", shell_complete=api.complete_id)
    @click.option("--output", "output", required=True, metavar="FILE", help="The JSON file to write.")
    @click.option("--force", is_flag=True, help="Replace FILE when it exists.")
    @click.pass_obj
    def data(app, record_id, output, force):
        """Everything held about one customer, unmasked, with every trail (个人信息查阅复制,
        PIPL Art. 45): the customer's record and each record linked to it. The request is
        written into each record's trail, so `cstool audit who-saw` lists it."""
        from pathlib import Path

        import orjson

        app.require("reveal", _("copy a customer's personal data (customers data)"))
        app.require("export", _("copy a customer's personal data (customers data)"))
        kind, customer = app.book.get(record_id)
        if kind.name != KIND:
            raise api.CstoolError(_("{record_id} is not a customer").format(record_id=record_id))
        by_kind = {k.name: app.store.records(k.name) for k in app.kinds}
        linked = api.linked_to(customer["id"], by_kind)
        held = {name: [r for r in records if r["id"] in linked] for name, records in by_kind.items()}
        payload = {
            "customer": customer["id"],
            "written_at": api.format_datetime(app.now()),
            "written_by": app.user,
            "records": {name: records for name, records in held.items() if records},
        }
        for name, records in held.items():  # the access is on record before the data leaves
            personal = [f.name for f in app.kinds.get(name).fields if f.personal]
            if records and personal:
                app.book.record_reveal(app.kinds.get(name), [r["id"] for r in records], personal, via="data request")
        api.write_new_file(Path(output), orjson.dumps(payload, option=orjson.OPT_INDENT_2), replace=force)
        count = sum(len(records) for records in held.values())
        click.echo(_("{id}: {count} records written to {output}").format(id=customer["id"], count=count, output=output))

    @customers_group.command("regrade")
    @click.pass_obj
    def regrade(app):
        """Recompute every customer's region, complaint count and grade (e.g. after imports)."""
        changed = app.book.rewrite([KIND], lambda stored, _when: {KIND: rederived(app, stored[KIND])})[KIND]
        click.echo(_("{changed_count} customers regraded").format(changed_count=len(changed)))


# ---- reports ----------------------------------------------------------------------


def _listed(request, name):
    conditions = request.policy.get(("customers", "lists", name)) or {}
    ratings = request.policy.choices("customers.credit_ratings")
    rows = []
    for record in request.records(KIND):
        if record["status"] != "active":
            continue
        facts = facts_of(record, record.get("complaint_count") or 0)
        if holds(conditions, facts, ratings):
            rows.append(
                {
                    "id": record["id"],
                    "name": record.get("name")
                    if record.get("customer_type") == "corporate"
                    else api.mask(record.get("name")),
                    "customer_type": record.get("customer_type"),
                    "region": record.get("region"),
                    "grade": record.get("grade"),
                    "credit_rating": record.get("credit_rating"),
                    "purchase_volume": record.get("purchase_volume"),
                    "complaint_count": record.get("complaint_count"),
                }
            )
    return rows


_LIST_COLUMNS = [
    "id",
    "name",
    "customer_type",
    "region",
    "grade",
    "credit_rating",
    "purchase_volume",
    "complaint_count",
]
_LIST_LABELS = {
    "id": label("Customer", "客户编号"),
    "name": label("Name", "名称"),
    "customer_type": label("Type", "类型"),
    "region": label("Region", "区域"),
    "grade": label("Grade", "等级"),
    "credit_rating": label("Credit", "信用"),
    "purchase_volume": label("Purchases", "购买额"),
    "complaint_count": label("Complaints", "投诉"),
}


def excellent(request):
    rows = _listed(request, "excellent")
    return api.ReportResult(
        _LIST_COLUMNS, rows, {"count": len(rows)}, _LIST_LABELS, label("Excellent customers", "优秀客户")
    )


def at_risk(request):
    rows = _listed(request, "at_risk")
    return api.ReportResult(
        _LIST_COLUMNS, rows, {"count": len(rows)}, _LIST_LABELS, label("At-risk customers", "危险客户")
    )


def credit_changes(request):
    """信用度变更表: every credit change, with its reason and approver."""
    rows = [
        {
            "id": r["id"],
            "name": api.mask(r.get("name")),
            "at": e["at"][:16].replace("T", " "),
            "from": e["from"],
            "to": e["to"],
            "reason": e["reason"],
            "approver": e["approver"],
            "by": e["by"],
        }
        for r in request.records(KIND)
        for e in r["events"]
        if e["type"] == "credit"
        if request.since is None and request.until is None or request.in_period({"created_at": e["at"]})
    ]
    rows.sort(key=lambda row: row["at"])
    return api.ReportResult(
        ["id", "name", "at", "from", "to", "reason", "approver", "by"],
        rows,
        {"count": len(rows)},
        {
            "id": label("Customer", "客户编号"),
            "name": label("Name", "名称"),
            "at": label("When", "时间"),
            "from": label("From", "原等级"),
            "to": label("To", "新等级"),
            "reason": label("Reason", "原因"),
            "approver": label("Approved by", "审批人"),
            "by": label("Entered by", "经办人"),
        },
        label("Credit changes", "信用度变更表"),
    )


@hookimpl
def cstool_reports():
    return [
        api.Report("customers-excellent", label("Excellent customers", "优秀客户名单"), excellent),
        api.Report("customers-at-risk", label("At-risk customers", "危险客户名单"), at_risk),
        api.Report("credit-changes", label("Credit changes", "信用度变更表"), credit_changes),
    ]


# ---- demo data --------------------------------------------------------------------

_COMPANIES = [
    ("上海某某科技有限公司", "上海", "软件"),
    ("北京华信贸易有限公司", "北京", "贸易"),
    ("广州恒达电器有限公司", "广州", "制造"),
    ("成都锦江酒店管理有限公司", "成都", "酒店"),
    ("Shenzhen Bright Logistics Co.", "Shenzhen", "logistics"),
]
_PEOPLE = [
    ("张伟", "上海"),
    ("王芳", "杭州"),
    ("李娜", "成都"),
    ("刘洋", "武汉"),
    ("陈静", "西安"),
    ("Emma Wilson", "Beijing"),
]


@hookimpl
def cstool_demo_records(rng, now, policy):
    from datetime import timedelta

    ratings = policy.choices("customers.credit_ratings") or ["A"]
    records = []
    for name, city, industry in _COMPANIES:
        records.append(
            api.DemoRecord(
                KIND,
                {
                    "customer_type": "corporate",
                    "name": name,
                    "contact_person": rng.choice(["王强", "赵敏", "David Lee"]),
                    "phone": f"021{rng.randint(10000000, 99999999)}",
                    "city": city,
                    "industry": industry,
                    "purchase_volume": rng.choice([80000, 350000, 1200000, 2500000]),
                    "credit_rating": rng.choice(ratings[:3]),
                    "created_at": (now - timedelta(days=rng.randint(100, 700))).isoformat(),
                },
            )
        )
    for name, city in _PEOPLE:
        records.append(
            api.DemoRecord(
                KIND,
                {
                    "customer_type": "individual",
                    "name": name,
                    "phone": f"13{rng.randint(100000000, 999999999)}",
                    "city": city,
                    "purchase_volume": rng.choice([300, 5000, 60000]),
                    "credit_rating": rng.choice(ratings),
                    "created_at": (now - timedelta(days=rng.randint(30, 400))).isoformat(),
                },
            )
        )
    return records


@hookimpl
def cstool_policy_keys():
    return [
        "customers.credit_ratings",
        "customers.default_credit",
        "customers.grades",
        "customers.lists",
        "customers.regions",
    ]
