"""Customer sales and credit tables: an ERP export imported through its map, the purchase
volume (and so the grade) derived from it, and the four reports against sums made here."""

from __future__ import annotations

import csv


def customer(ws_cli, name: str, **fields) -> str:
    values = {"customer_type": "corporate", "name": name, "city": "上海", "credit_rating": "AA", **fields}
    args = [arg for key, value in values.items() for arg in ("--set", f"{key}={value}")]
    result = ws_cli("--no-input", "record", "customer", *args, "--at", "2025-06-01 10:00", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


SALES = [  # 单据编号, 日期, 物料名称, 数量, 金额, 成本 (the customer is filled in)
    ("S1", "2026-11-03", "空调 AC-35", "100", "329900", "240000"),
    ("S2", "2026-11-20", "电水壶 K-200", "1000", "199000", "120000"),
    ("S3", "2026-10-15", "空调 AC-35", "200", "659800", "480000"),
    ("S4", "2025-11-10", "蓝牙耳机 B3", "500", "199500", "105000"),
    ("S5", "2026-11-25", "蓝牙耳机 B3", "10", "3990", "2100"),
]


def test_sales_import_through_the_erp_map_and_the_reports_add_up(ws_cli, workspace, tmp_path):
    big, small = customer(ws_cli, "甲贸易有限公司"), customer(ws_cli, "乙科技有限公司")
    owner = {"S1": big, "S2": big, "S3": big, "S4": big, "S5": small}
    export = tmp_path / "销售明细.csv"
    with export.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["单据编号", "客户编号", "日期", "物料名称", "数量", "金额", "成本", "备注"])
        for ref, day, product, quantity, amount, cost in SALES:
            writer.writerow([ref, owner[ref], day, product, quantity, amount, cost, "ERP"])
    imported = ws_cli("import", "sale", str(export), "--map", "erp_sales", "--format", "json")
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["imported"] == 5
    # the purchase volume is the sum of a customer's sales, and the grade follows it
    sums = {big: 0.0, small: 0.0}
    for ref, _day, _product, _quantity, amount, _cost in SALES:
        sums[owner[ref]] += float(amount)
    shown = ws_cli("show", big, "--format", "json").json()
    assert shown["purchase_volume"] == sums[big] and shown["grade"] == "VIP"  # >= 1,000,000 and AA
    november = [s for s in SALES if s[1].startswith("2026-11")]
    listing = ws_cli("report", "sales-by-customer", "--month", "2026-11", "--format", "json").json()
    rows = {r["customer_id"]: r for r in listing["rows"]}
    for who in (big, small):
        mine = [s for s in november if owner[s[0]] == who]
        amount, cost = sum(float(s[4]) for s in mine), sum(float(s[5]) for s in mine)
        assert rows[who]["amount"] == amount and rows[who]["cost"] == cost and rows[who]["sales"] == len(mine)
        assert rows[who]["margin"] == amount - cost and rows[who]["margin_pct"] == round(
            100 * (amount - cost) / amount, 2
        )
    margin = ws_cli("report", "sales-margin", "--month", "2026-11", "--format", "json").json()["rows"]
    assert [r["customer_id"] for r in margin] == [big, small] and [r["rank"] for r in margin] == [1, 2]
    monthly = ws_cli("report", "sales-monthly", "--month", "2026-11", "--format", "json").json()
    figures = {r["customer_id"]: r for r in monthly["rows"]}[big]
    assert (figures["amount"], figures["previous_month"], figures["last_year"]) == (528900.0, 659800.0, 199500.0)
    assert figures["month_change_pct"] == round(100 * (528900 - 659800) / 659800, 2)
    assert figures["year_change_pct"] == round(100 * (528900 - 199500) / 199500, 2)
    credit = {r["customer_id"]: r for r in ws_cli("report", "credit-analysis", "--format", "json").json()["rows"]}
    assert credit[big]["credit_limit"] == 5000000 and credit[big]["amount"] == sums[big]
    again = ws_cli("import", "sale", str(export), "--map", "erp_sales", "--format", "json").json()
    assert again["imported"] == 0 and again["duplicates"] == 5


def test_a_sale_for_a_customer_that_does_not_exist_is_refused(ws_cli):
    refused = ws_cli(
        "--no-input", "record", "sale", "--set", "customer_id=CUS-20200101-0001", "--set", "sold_on=2026-11-03",
        "--set", "product=空调", "--set", "quantity=1", "--set", "amount=3299",
    )  # fmt: skip
    assert refused.exit_code == 1 and "customer_id" in refused.stderr
    nobody = ws_cli("--no-input", "record", "sale", "--set", "sold_on=2026-11-03", "--set", "product=空调",
                    "--set", "quantity=1", "--set", "amount=3299")  # fmt: skip
    assert nobody.exit_code == 1 and "customer_id: is required" in nobody.stderr


def test_a_person_is_masked_in_the_sales_tables(ws_cli):
    person = customer(ws_cli, "陈静", customer_type="individual", phone="13912345678")
    assert ws_cli("--no-input", "record", "sale", "--set", f"customer_id={person}", "--set", "sold_on=2026-11-03",
                  "--set", "product=空调", "--set", "quantity=1", "--set", "amount=3299").exit_code == 0  # fmt: skip
    rows = ws_cli("report", "sales-by-customer", "--format", "json").json()["rows"]
    assert rows[0]["name"] == "陈*"
