"""Surveys: questionnaires, running one, sending rules, follow-up, bad input, reports."""

from __future__ import annotations

from conftest import TEST_MONTH, complaint_args, kind_file


def complaint(ws_cli, **fields):
    result = ws_cli("record", "complaint", *complaint_args(**fields), "--at", "2026-11-16 09:00", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def run(ws_cli, record_id, *answers, questionnaire="complaint_followup", extra=()):
    args = [a for answer in answers for a in ("--answer", answer)]
    return ws_cli("survey", "run", questionnaire, "--for", record_id, *args, "--no-input", *extra, "--format", "json")


def test_questionnaires_are_listed(ws_cli):
    listed = ws_cli("--lang", "zh", "survey", "list").stdout
    for name in ("aftersales", "complaint_followup", "quarterly_card", "internal_department"):
        assert name in listed
    assert "您对投诉处理结果满意吗" in listed


def test_a_survey_is_stored_linked_to_its_record_and_customer(ws_cli):
    rid = complaint(ws_cli)
    result = run(ws_cli, rid, "handling=5", "recommend=9", "aspects=speed,attitude", "comment=很好")
    assert result.exit_code == 0, result.stderr
    survey = result.json()
    assert survey["id"].startswith("SV-") and survey["for_record"] == rid
    assert (survey["csat"], survey["nps"], survey["comment"], survey["owner"]) == (5, 9, "很好", "tester")
    assert "aspects=speed,attitude" in survey["answers"]


def test_bad_answers_and_bad_targets_store_nothing(ws_cli, workspace):
    rid = complaint(ws_cli)
    out_of_range = run(ws_cli, rid, "handling=7", "recommend=11", "comment=x")
    assert out_of_range.exit_code == 1
    assert "handling: 7 is out of range: answer from 1 to 5" in out_of_range.stderr
    assert "recommend: 11 is out of range: answer from 0 to 10" in out_of_range.stderr
    missing = run(ws_cli, rid, "handling=4")
    assert missing.exit_code == 1 and "recommend: needs an answer" in missing.stderr
    nowhere = run(ws_cli, "CMP-20200101-0001", "handling=4", "recommend=8", "comment=x")
    assert nowhere.exit_code == 1 and "no record CMP-20200101-0001" in nowhere.stderr
    assert not kind_file(workspace, "survey").exists()
    (workspace / "templates" / "surveys" / "broken.toml").write_text(
        'name = "broken"\ntitle = { en = "x"\n', encoding="utf-8"
    )
    broken = run(ws_cli, rid, questionnaire="broken")
    assert broken.exit_code == 1 and "broken.toml:2" in broken.stderr
    (workspace / "templates" / "surveys" / "typo.toml").write_text(
        'title = { en = "x", zh = "x" }\n[[questions]]\nid = "a"\ntype = "stars"\ntext = { en = "a", zh = "a" }\n',
        encoding="utf-8",
    )
    typo = run(ws_cli, rid, questionnaire="typo")
    assert typo.exit_code == 1 and "questions[0].type: 'stars' is not a question type" in typo.stderr


def test_sending_rules(ws_cli):
    first = complaint(ws_cli)
    assert run(ws_cli, first, "handling=4", "recommend=8", "comment=ok").exit_code == 0
    again = run(ws_cli, first, "handling=4", "recommend=8", "comment=ok")
    assert again.exit_code == 1 and "one survey per record" in again.stderr
    cid = ws_cli(
        "record", "customer", "--set", "customer_type=individual", "--set", "name=李娜", "--format", "json"
    ).json()["id"]
    a, b = complaint(ws_cli, customer_id=cid), complaint(ws_cli, customer_id=cid)
    assert run(ws_cli, a, "handling=4", "recommend=8", "comment=ok").exit_code == 0
    soon = run(ws_cli, b, "handling=4", "recommend=8", "comment=ok")
    assert soon.exit_code == 1 and "at most one every 30 days" in soon.stderr
    assert run(ws_cli, b, "handling=4", "recommend=8", "comment=ok", extra=("--force",)).exit_code == 0
    ws_cli("status", first, "closed", "--note", "客户撤诉")
    assert ws_cli("survey", "due", "complaint_followup", "--format", "json").json()["count"] == 0  # already surveyed
    other = complaint(ws_cli)
    ws_cli("status", other, "closed", "--note", "客户撤诉")
    due = ws_cli("survey", "due", "complaint_followup", "--format", "json").json()
    assert [r["id"] for r in due["records"]] == [other]
    assert ws_cli("policy", "set", "surveys.sampling_pct", "0").exit_code == 0
    assert ws_cli("survey", "due", "complaint_followup", "--format", "json").json()["count"] == 0


def test_a_low_score_opens_a_complaint_or_notifies(ws_cli, workspace):
    rid = complaint(ws_cli)
    low = run(ws_cli, rid, "handling=1", "recommend=2", "comment=没人管")
    assert low.exit_code == 0 and "opened complaint CMP-" in low.stderr
    follow = [r for r in ws_cli("list", "complaint", "--format", "json").json()["records"] if r["id"] != rid]
    assert (
        len(follow) == 1 and "Low satisfaction score 1/5" in follow[0]["content"] and "没人管" in follow[0]["content"]
    )
    assert ws_cli("policy", "set", "surveys.follow_up", "escalation").exit_code == 0
    second = complaint(ws_cli, contact_phone="13900000000")
    notified = run(ws_cli, second, "handling=2", "recommend=5", "comment=慢")
    assert "notified tester, 李主管" in notified.stderr
    assert "low_score" in (workspace / "outbox.jsonl").read_text(encoding="utf-8")


def test_survey_reports_and_the_aftersales_evaluation(ws_cli):
    rid = complaint(ws_cli)
    run(ws_cli, rid, "handling=5", "recommend=10", "comment=好")
    rid2 = complaint(ws_cli, contact_phone="13900000001")
    run(ws_cli, rid2, "handling=3", "recommend=5", "comment=一般")
    report = ws_cli("report", "surveys", "--format", "json").json()
    assert report["totals"]["answers"] == 2 and report["totals"]["csat_pct"] == 50.0 and report["totals"]["nps"] == 0.0
    assert report["totals"]["response_rate_pct"] == 100.0
    for by in ("department", "agent", "questionnaire", "month"):
        assert ws_cli("report", "surveys", "--by", by, "--format", "json").exit_code == 0
    card = ws_cli("report", "quality-card", "--format", "json").json()
    surveyed_quarter = f"{TEST_MONTH[:4]}-Q{(int(TEST_MONTH[5:]) - 1) // 3 + 1}"  # surveys are taken now
    assert card["rows"][0]["quarter"] == surveyed_quarter and card["rows"][0]["department"] == "customer_service"
    case = ws_cli(
        "record",
        "aftersales",
        "--set",
        "customer_name=陈静",
        "--set",
        "product_line=appliances",
        "--set",
        "product=电水壶",
        "--set",
        "purchase_date=2026-11-10",
        "--set",
        "fault=不加热",
        "--set",
        "service=repair",
        "--set",
        "evaluation_score=1",
        "--at",
        "2026-11-16 09:00",
        "--format",
        "json",
    ).json()["id"]
    ws_cli("status", case, "completed")
    assert ws_cli("report", "aftersales-evaluation", "--format", "json").json()["totals"]["mean_score"] == 1.0
    assert (
        run(ws_cli, case, "overall=5", "effort=6", "fixed=yes", "comment=谢谢", questionnaire="aftersales").exit_code
        == 0
    )
    assert ws_cli("report", "aftersales-evaluation", "--format", "json").json()["totals"]["mean_score"] == 5.0


def test_running_a_survey_at_the_prompts(workspace, monkeypatch):
    from conftest import invoke
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from cstool.cli import prompts

    rid = invoke("--workspace", workspace, "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        # handling: 7 is refused then 4; recommend 9; aspects: tick the first (space) and enter; comment
        pipe.send_text("7\r" + "\x15" + "4\r" + "9\r" + " \r" + "继续保持\r")
        pipe.close()
        result = invoke(
            "--workspace", workspace, "survey", "run", "complaint_followup", "--for", rid, "--format", "json"
        )
    assert result.exit_code == 0, result.stderr
    survey = result.json()
    assert (survey["csat"], survey["nps"], survey["comment"]) == (4, 9, "继续保持")
    assert "aspects=speed" in survey["answers"]


def test_imported_answers_are_checked_as_instants_and_in_range(ws_cli, tmp_path):
    source = tmp_path / "answers.csv"
    source.write_text(
        "external_id,csat,sent_at,answered_at\n"
        "a,4,2026-11-16T10:00:00+08:00,2026-11-16T03:30:00+00:00\n"  # 11:30 in Shanghai: after
        "b,4,2026-11-16T10:00:00+08:00,2026-11-16T01:30:00+00:00\n"  # 09:30 in Shanghai: before
        "c,6,2026-11-16T10:00:00+08:00,2026-11-16T11:00:00+08:00\n",
        encoding="utf-8",
    )
    result = ws_cli("survey", "import", "aftersales", source, "--format", "json")
    assert result.exit_code == 1
    assert [(e["row"], e["field"]) for e in result.json()["errors"]] == [(2, "answered_at"), (3, "csat")]


def test_a_low_score_whose_follow_up_would_be_refused_stores_nothing(ws_cli, workspace):
    from conftest import data_snapshot

    rid = complaint(ws_cli)
    assert ws_cli("policy", "set", "surveys.follow_up_channel", "pigeon").exit_code == 0
    before = data_snapshot(workspace)
    refused = run(ws_cli, rid, "handling=1", "recommend=2", "comment=没人管")
    assert refused.exit_code == 1 and "follow-up complaint" in refused.stderr and "nothing was stored" in refused.stderr
    assert data_snapshot(workspace) == before  # neither the survey nor the complaint


def test_the_follow_up_complaint_reads_in_the_workspace_language_and_names_the_complainant(ws_cli):
    rid = complaint(ws_cli)
    done = ws_cli(
        "--lang",
        "zh",
        "survey",
        "run",
        "complaint_followup",
        "--for",
        rid,
        "--answer",
        "handling=1",
        "--answer",
        "recommend=2",
        "--answer",
        "comment=没人管",
        "--no-input",
        "--format",
        "json",
    )
    assert done.exit_code == 0, done.stderr
    opened = [
        r for r in ws_cli("list", "complaint", "--format", "json", "--reveal").json()["records"] if r["id"] != rid
    ]
    assert len(opened) == 1
    assert opened[0]["customer_name"] == "张伟" and "回访满意度低" in opened[0]["content"]
    assert done.json()["id"] in opened[0]["content"] and "没人管" in opened[0]["content"]
