"""The monthly report (月报) on the demo workspace: its sections are the single reports'
figures, its page opens offline in a real Chromium with every chart drawn, its workbook
holds every section with native charts, and --send reaches its recipients."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import TEST_NOW, run_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo workspace for the module (its data lies around the fixed test now)."""
    folder = tmp_path_factory.mktemp("monthly") / "demo"
    env = {"CSTOOL_TEST_NOW": TEST_NOW, "CSTOOL_LOAD_ENTRYPOINTS": "0", "CSTOOL_LANG": "en", "CSTOOL_STORE_URL": ""}
    made = run_process("demo", folder, env=env)
    assert made.returncode == 0, made.stderr
    return folder


def cstool(demo, *args, lang="en"):
    result = run_process("--workspace", demo, "--lang", lang, *args, env={"CSTOOL_STORE_URL": ""})
    assert result.returncode == 0, result.stderr
    return result


def last_month() -> tuple[date, date]:
    today = datetime.fromisoformat(TEST_NOW).astimezone(ZoneInfo("Asia/Shanghai")).date()
    last = today.replace(day=1).fromordinal(today.replace(day=1).toordinal() - 1)
    return last.replace(day=1), last


def names_of(demo):
    """How the page and the workbook show an id: its Chinese name from the demo's policy
    ([names], and the kinds' and statuses' own titles)."""
    from cstool.core.context import Context
    from cstool.core.host import build_host

    names = Context(build_host(demo, entry_points=False), demo).names
    return lambda value: names.show(value, "zh")


def test_each_section_is_the_single_report_of_the_same_month(demo):
    first, last = last_month()
    monthly = json.loads(cstool(demo, "report", "monthly", "--month", "last-month", "--format", "json").stdout)
    assert (monthly["since"], monthly["until"]) == (first.isoformat(), last.isoformat())
    joined = {(s["report"], s["by"]) for s in monthly["sections"]}
    assert {("sla", "department"), ("sla", "priority"), ("phone", "agent"), ("dashboard", None)} <= joined
    assert {("complaint-causes", None), ("surveys", None), ("internal-chain", None), ("sla-breaches", None)} <= joined
    for section in monthly["sections"]:
        if section["report"].startswith("volume-") or section["report"] == "headline":
            continue
        by = ("--by", section["by"]) if section["by"] else ()
        alone = json.loads(
            cstool(
                demo, "report", section["report"], *by, "--since", str(first), "--until", str(last), "--format", "json"
            ).stdout
        )
        assert (alone["columns"], alone["rows"], alone["totals"]) == (
            section["columns"],
            section["rows"],
            section["totals"],
        ), section["report"]


def test_each_headline_figure_is_its_report_s_for_this_month_and_the_month_before(demo):
    first, last = last_month()
    before_last = first.fromordinal(first.toordinal() - 1)
    periods = {
        "this_period": ("--since", str(first), "--until", str(last)),
        "previous_period": ("--since", str(before_last.replace(day=1)), "--until", str(before_last)),
    }
    monthly = json.loads(cstool(demo, "report", "monthly", "--month", "last-month", "--format", "json").stdout)
    headline = {row["figure"]: row for row in monthly["sections"][0]["rows"]}
    assert monthly["sections"][0]["report"] == "headline" and len(headline) == 7

    def totals(report, period):
        return json.loads(cstool(demo, "report", report, *periods[period], "--format", "json").stdout)["totals"]

    for period in periods:
        sla = totals("sla", period)
        expected = {
            "first_response_compliance_pct": sla["first_response"]["compliance_pct"],
            "resolution_compliance_pct": sla["resolution"]["compliance_pct"],
            "breached_clocks": sum(v["breached"] for v in sla.values() if isinstance(v, dict)),
            "complaint_resolution_pct": totals("complaint-summary", period)["resolution_rate_pct"],
            "csat_pct": totals("surveys", period)["csat_pct"],
            "phone_service_level_pct": totals("phone", period)["service_level_pct"],
        }
        for name, value in expected.items():
            assert headline[name][period] == value, (name, period)  # blank where the report has a figure: caught
    assert (
        headline["volume"]["this_period"]
        == next(s for s in monthly["sections"] if s["report"] == "volume-by-day")["totals"]["total"]
    )


def test_the_volumes_are_counted_from_the_records_themselves(demo):
    first, last = last_month()
    monthly = json.loads(cstool(demo, "report", "monthly", "--month", "last-month", "--format", "json").stdout)
    sections = {s["report"]: s for s in monthly["sections"]}
    zone = ZoneInfo("Asia/Shanghai")
    kinds = [k["name"] for k in json.loads(cstool(demo, "kinds", "--format", "json").stdout)["kinds"]]
    per_month, per_day = Counter(), Counter()
    for kind in kinds:
        for record in json.loads(cstool(demo, "list", kind, "--format", "json").stdout)["records"]:
            created = datetime.fromisoformat(record["created_at"]).astimezone(zone).date()
            per_month[(kind, created.strftime("%Y-%m"))] += 1
            if first <= created <= last:
                per_day[(kind, created.isoformat())] += 1
    trend = sections["volume-trend"]
    assert trend["rows"][-1]["month"] == first.strftime("%Y-%m") and len(trend["rows"]) == 6
    for row in trend["rows"]:
        assert {k: row[k] for k in kinds} == {k: per_month[(k, row["month"])] for k in kinds}
    daily = sections["volume-by-day"]["rows"]
    assert len(daily) == last.day
    for row in daily:
        assert {k: row[k] for k in kinds} == {k: per_day[(k, row["day"])] for k in kinds}
    assert trend["totals"]["this_month"] == sum(row["total"] for row in daily)


def test_a_quarter_and_bad_periods(demo):
    quarter = json.loads(cstool(demo, "report", "monthly", "--quarter", "2026Q4", "--format", "json").stdout)
    assert (quarter["since"], quarter["until"]) == ("2026-10-01", "2026-12-31")
    weeks = next(s for s in quarter["sections"] if s["report"] == "volume-by-day")["rows"]
    assert weeks[0]["day"] == "2026-10-01" and all(date.fromisoformat(w["day"]).weekday() == 0 for w in weeks[1:])
    for args, words in (
        (("--month", "2026-13"), "is not a month"),
        (("--quarter", "2026Q5"), "is not a quarter"),
        (("--month", "2026-11", "--since", "2026-11-02"), "give one period"),
        (("--format", "xlsx"), "--output FILE.xlsx"),
    ):
        refused = run_process("--workspace", demo, "report", "monthly", *args, env={"CSTOOL_STORE_URL": ""})
        assert refused.returncode in (1, 2) and words in refused.stderr, refused.stderr


def open_offline(path):
    """The page in headless Chromium with every request but the file refused: (page
    facts, requests that tried to leave, console errors)."""
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")
    leaving, errors = [], []
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))

            def only_the_file(route):
                if route.request.url.startswith("file:"):
                    route.continue_()
                else:
                    leaving.append(route.request.url)
                    route.abort()

            page.route("**/*", only_the_file)
            page.goto(path.as_uri())
            facts = page.evaluate(
                """() => ({
                    headings: [...document.querySelectorAll('h1, h2')].map(h => h.textContent),
                    charts: [...document.querySelectorAll('figure svg')].map(svg => ({
                        marks: svg.querySelectorAll('rect, path, circle').length,
                        box: svg.getBoundingClientRect().height,
                    })),
                    tables: [...document.querySelectorAll('section')].map(s => ({
                        title: (s.querySelector('h2') || {}).textContent,
                        cells: [...s.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent)),
                    })),
                })"""
            )
        finally:
            browser.close()
    return facts, leaving, errors


def test_the_page_opens_offline_with_every_chart_drawn_and_the_figures_of_the_json(demo, tmp_path):
    page = tmp_path / "月报.html"
    cstool(demo, "report", "monthly", "--month", "last-month", "--format", "html", "--output", str(page), lang="zh")
    html = page.read_text(encoding="utf-8")
    assert "<script src" not in html and "@import" not in html and "<link" not in html
    facts, leaving, errors = open_offline(page)
    assert leaving == [] and errors == []
    assert "月报" in facts["headings"][0] and "服务时限达标情况 · 部门" in facts["headings"]
    assert len(facts["charts"]) >= 8 and all(c["marks"] > 5 and c["box"] > 100 for c in facts["charts"])
    monthly = json.loads(
        cstool(demo, "report", "monthly", "--month", "last-month", "--format", "json", lang="zh").stdout
    )
    on_page = {t["title"]: t["cells"] for t in facts["tables"]}
    named = names_of(demo)
    assert len(facts["tables"]) == len(monthly["sections"])
    for section, table in zip(monthly["sections"], facts["tables"]):  # every section, in order, row by row
        first = section["columns"][0]
        shown_rows = section["rows"][:200]
        assert len(table["cells"]) >= len(shown_rows), section["report"]
        for row, cells in zip(shown_rows, table["cells"]):
            if isinstance(row[first], str):
                assert cells[0] == named(row[first]), (section["report"], row[first], cells[0])
    for section in monthly["sections"]:
        if section["report"] != "sla" or section["by"] != "department":
            continue
        cells = on_page["服务时限达标情况 · 部门"]
        assert len(cells) == len(section["rows"]) + len(section["totals"])  # and a totals row per clock
        for row, shown in zip(section["rows"], cells):  # ids read as their names
            assert shown[0] == named(row["department"]) and shown[1] == named(row["clock"])
            assert shown[8] == ("" if row["compliance_pct"] is None else f"{row['compliance_pct']:g}")


def test_every_single_report_takes_html_with_its_chart(demo, tmp_path):
    page = tmp_path / "sla.html"
    printed = cstool(demo, "report", "sla", "--by", "department", "--since", "last-month", "--format", "html").stdout
    page.write_text(printed, encoding="utf-8")
    facts, leaving, errors = open_offline(page)
    assert leaving == [] and errors == [] and len(facts["charts"]) == 1 and facts["charts"][0]["marks"] > 5


def test_the_workbook_holds_every_section_with_native_charts(demo, tmp_path):
    import openpyxl

    book = tmp_path / "月报.xlsx"
    cstool(demo, "report", "monthly", "--month", "last-month", "--format", "xlsx", "--output", str(book), lang="zh")
    monthly = json.loads(cstool(demo, "report", "monthly", "--month", "last-month", "--format", "json").stdout)
    workbook = openpyxl.load_workbook(book)
    assert len(workbook.sheetnames) == len(monthly["sections"])
    sla = next(workbook[name] for name in workbook.sheetnames if name.startswith("服务时限达标情况 · 部门"))
    assert sla.freeze_panes == "A2" and sla["A1"].value == "部门"
    section = next(s for s in monthly["sections"] if (s["report"], s["by"]) == ("sla", "department"))
    named = names_of(demo)
    assert [sla.cell(row=2, column=c).value for c in (1, 2, 9)] == [
        named(section["rows"][0]["department"]),
        named(section["rows"][0]["clock"]),
        section["rows"][0]["compliance_pct"],
    ]
    with zipfile.ZipFile(book) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) >= 8


def test_send_keeps_it_in_the_outbox_without_smtp(demo, tmp_path):
    copy = tmp_path / "ws"
    shutil.copytree(demo, copy)
    sent = cstool(copy, "report", "monthly", "--month", "last-month", "--send")
    first, _last = last_month()
    kept = copy / "reports" / f"monthly-{first}-{_last}.html"
    assert kept.is_file() and "kept in the outbox" in sent.stderr
    outbox = json.loads(cstool(copy, "outbox", "--format", "json").stdout)["notices"]
    entry = outbox[-1]
    assert entry["file"] == str(kept) and entry["recipients"] == ["王经理"]


def test_send_mails_the_file_to_the_manager_and_the_recipients(demo, tmp_path, smtp_server):
    import mailbox as mailboxes

    port, box = smtp_server
    copy = tmp_path / "ws"
    shutil.copytree(demo, copy)
    policy = copy / "policy.toml"
    text = policy.read_text(encoding="utf-8").replace("recipients = []", 'recipients = ["总经理"]', 1)
    policy.write_text(
        text + f'\n[notify.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "cstool@example.com"\n'
        '[notify.smtp.addresses]\n"王经理" = "wang@example.com"\n"总经理" = "gm@example.com"\n',
        encoding="utf-8",
    )
    assert run_process("--workspace", copy, "policy", "check").returncode == 0
    sent = cstool(copy, "report", "monthly", "--month", "last-month", "--format", "xlsx", "--send")
    assert "e-mailed to 2 of 2" in sent.stderr
    (message,) = list(mailboxes.Maildir(box))
    assert message["To"] == "wang@example.com, gm@example.com"
    attached = [part for part in message.walk() if part.get_filename()]
    assert attached[0].get_filename().endswith(".xlsx") and attached[0].get_payload(decode=True)[:2] == b"PK"


def test_a_send_setting_that_names_no_department_is_caught_by_the_policy_check(demo, tmp_path):
    copy = tmp_path / "ws"
    shutil.copytree(demo, copy)
    policy = copy / "policy.toml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(
        text.replace('department = "customer_service"\nrecipients', 'department = "nowhere"\nrecipients'),
        encoding="utf-8",
    )
    checked = run_process("--workspace", copy, "policy", "check")
    assert checked.returncode == 1 and "reports.send.department" in checked.stdout + checked.stderr
    assert "names no department" in checked.stdout + checked.stderr


PARCELS = """
from cstool import api
from cstool.api import hookimpl, label


@hookimpl
def cstool_reports():
    def run(request):
        counts = request.tally("complaint", (api.DAY,))
        rows = [{"day": day, "complaints": n} for (day,), n in sorted(counts.items())]
        return api.ReportResult(
            ["day", "complaints"], rows, {"complaints": sum(counts.values())},
            {"day": label("Day", "日期"), "complaints": label("Complaints", "投诉")},
            label("Complaints per day", "每日投诉"), api.Chart("bar", x="day", y=("complaints",)),
        )
    return [api.Report("quality-daily", label("Complaints per day", "每日投诉"), run, monthly=(None,))]
"""


def test_a_plugin_s_report_joins_the_monthly_one_with_its_chart(demo, tmp_path):
    copy = tmp_path / "ws"
    shutil.copytree(demo, copy)
    (copy / "plugins" / "quality.py").write_text(PARCELS, encoding="utf-8")
    monthly = json.loads(cstool(copy, "report", "monthly", "--month", "last-month", "--format", "json").stdout)
    section = next(s for s in monthly["sections"] if s["report"] == "quality-daily")
    alone = json.loads(cstool(copy, "report", "quality-daily", "--month", "last-month", "--format", "json").stdout)
    assert section["rows"] == alone["rows"] and section["totals"]["complaints"] > 0
    page = tmp_path / "m.html"
    cstool(copy, "report", "monthly", "--month", "last-month", "--format", "html", "--output", str(page), lang="zh")
    facts, leaving, errors = open_offline(page)
    assert "每日投诉" in facts["headings"] and leaving == [] and errors == []


# A report that reads records one at a time through passes: the complaints, then the calls
# linked to them (a second pass, after the first).
ANSWERED = """
from collections import Counter
from cstool import api
from cstool.api import hookimpl, label


def answered(request):
    per_channel, complaints = Counter(), set()

    def take_complaint(record):
        per_channel[record.get("channel") or "-"] += 1
        complaints.add(record["id"])

    def take_call(call):
        per_channel["calls"] += 1
        per_channel["calls about them"] += call.get("linked_record") in complaints

    yield api.RecordPass(("complaint",), take_complaint)
    yield api.RecordPass(("call",), take_call)
    rows = [{"channel": name, "count": n} for name, n in sorted(per_channel.items())]
    return api.ReportResult(
        ["channel", "count"], rows, {"complaints": len(complaints)}, {}, label("Per channel", "按渠道")
    )


@hookimpl
def cstool_reports():
    return [api.Report("per-channel", label("Per channel", "按渠道"), answered, monthly=(None,))]
"""


def test_sections_that_read_record_by_record_share_one_read_of_each_kind(demo, tmp_path, monkeypatch):
    """The monthly page's sections written as passes (the breach list, staff, first contact,
    improvements, a plugin's) are fed from one read of each kind; each gives what it gives alone."""
    from conftest import invoke

    from cstool.core.reports import ReportRequest

    copy = tmp_path / "ws"
    shutil.copytree(demo, copy)
    (copy / "plugins" / "answered.py").write_text(ANSWERED, encoding="utf-8")
    monkeypatch.setenv("CSTOOL_STORE_URL", "")
    period = ("--month", "last-month", "--format", "json")
    read: Counter = Counter()
    each = ReportRequest.each

    def counted(self, kind):
        read[kind] += 1
        return each(self, kind)

    monkeypatch.setattr(ReportRequest, "each", counted)

    def monthly_reads():
        read.clear()
        monthly = invoke("--workspace", str(copy), "report", "monthly", *period)
        assert monthly.exit_code == 0, monthly.output
        return Counter(read), json.loads(monthly.stdout)

    shared, monthly = monthly_reads()
    together = ReportRequest.run_together
    monkeypatch.setattr(ReportRequest, "run_together", lambda self, wanted: [together(self, [w])[0] for w in wanted])
    apart, monthly_apart = monthly_reads()
    # five sections pass over the complaints (one read); three over the calls: the phone
    # report's in the first round, staff's and the plugin's (each after its cases) in the
    # second, together (two reads instead of three)
    assert (apart["complaint"] - shared["complaint"], apart["call"] - shared["call"]) == (4, 1)
    assert monthly_apart["sections"] == monthly["sections"]
    sections = {(s["report"], s["by"]): s for s in monthly["sections"]}
    for name in ("per-channel", "sla-breaches", "staff", "first-contact", "improvements"):
        alone = invoke("--workspace", str(copy), "report", name, *period)
        assert alone.exit_code == 0, alone.output
        alone_json = json.loads(alone.stdout)
        section = sections[name, None]
        assert (section["rows"], section["totals"]) == (alone_json["rows"], alone_json["totals"]), name
    per_channel = sections["per-channel", None]
    assert per_channel["totals"]["complaints"] > 0
