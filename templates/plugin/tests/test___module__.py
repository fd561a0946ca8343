"""Tests of the {{plugin}} plugin, each in its own throw-away workspace."""

ARGS = ("--set", "customer_name=张三", "--set", "contact_phone=13812345678", "--set", "product=washer",
        "--set", "serial_number=SN-001", "--set", "purchase_date=2026-01-10",
        "--set", "amount=199.50", "--at", "2026-11-16T10:00:00+08:00")


def test_a_claim_is_recorded_with_its_prefix_and_masked_on_output(cstool):
    done = cstool("record", "{{kind}}", *ARGS, "--set", "description=门封漏水", "--format", "json")
    assert done.exit_code == 0, done.stderr
    claim = done.json()
    assert claim["id"].startswith("{{prefix}}-20261116-")
    assert claim["status"] == "registered" and claim["amount"] == 199.5
    assert claim["contact_phone"] == "138****5678"


def test_a_missing_required_field_is_named(cstool):
    done = cstool("record", "{{kind}}", "--no-input", "--set", "product=tv")
    assert done.exit_code == 1
    assert "serial_number" in done.stderr and "description" in done.stderr


def test_a_purchase_outside_the_claims_period_is_refused(cstool):
    done = cstool("--lang", "en", "record", "{{kind}}", *ARGS, "--set", "purchase_date=2023-01-01", "--set", "description=坏了")
    assert done.exit_code == 1 and "purchase_date: more than 24 months ago" in done.stderr
    chinese = cstool("--lang", "zh", "record", "{{kind}}", *ARGS, "--set", "purchase_date=2023-01-01", "--set", "description=坏了")
    assert chinese.exit_code == 1 and "不在索赔期内" in chinese.stderr


def test_a_safety_case_is_classified_urgent(cstool):
    done = cstool("record", "{{kind}}", *ARGS, "--set", "description=使用时冒烟", "--format", "json")
    assert done.json()["priority"] == "urgent" and "safety" in done.json()["tags"]


def test_the_summary_report_counts_claims_per_product(cstool):
    for product in ("washer", "washer", "tv"):
        args = [a.replace("product=washer", f"product={product}") for a in ARGS]
        assert cstool("record", "{{kind}}", *args, "--set", "description=不制冷").exit_code == 0
    report = cstool("report", "{{kind}}-summary", "--format", "json").json()
    assert [(row["product"], row["claims"]) for row in report["rows"]] == [("tv", 1), ("washer", 2)]
    assert report["totals"]["amount"] == 598.5


def test_the_plugin_is_listed_with_its_hooks(cstool):
    plugins = {p["name"]: p for p in cstool("plugins", "--format", "json").json()["plugins"]}
    assert {"cstool_kinds", "cstool_classify", "cstool_reports"} <= set(plugins["{{plugin}}"]["hooks"])
