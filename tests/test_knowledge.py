"""常见问题与话术: agents answer from the department's own lines (templates/faq/)."""

from __future__ import annotations


def test_an_agent_finds_what_to_say_by_a_word_in_either_language(ws_cli):
    found = ws_cli("faq", "师傅", "--format", "json").json()
    assert found["count"] >= 1 and "维修师傅为什么还没来" in found["entries"][0]["question"]["zh"]
    said = ws_cli("--lang", "zh", "faq", "生气").stdout
    assert "不打断客户" in said
    english = ws_cli("--lang", "en", "faq", "technical").stdout
    assert "check this with our engineers" in english
    # apologise only when the company is at fault (the documents: never when it is not)
    fault = ws_cli("--lang", "zh", "faq", "致歉").stdout
    assert "不是本公司的责任：不说致歉的话" in fault
    assert ws_cli("faq", "--format", "json").json()["count"] == 7


def test_the_workspace_s_own_lines_are_used_and_a_broken_file_is_named(ws_cli, workspace):
    own = workspace / "templates" / "faq" / "ours.toml"
    own.write_text(
        '[[entry]]\nquestion = { zh = "营业时间？", en = "Opening hours?" }\n'
        'answer = { zh = "每天 8:30-17:30。", en = "8:30 to 17:30 every day." }\ntags = ["hours"]\n',
        encoding="utf-8",
    )
    assert "8:30 to 17:30" in ws_cli("--lang", "en", "faq", "hours").stdout
    own.write_text("[[entry]]\nquestion = 'no table'\n", encoding="utf-8")
    broken = ws_cli("faq", "hours")
    assert broken.exit_code == 1 and "ours.toml: entry 1 needs question and answer" in broken.stderr
    own.write_text("[[entry\n", encoding="utf-8")
    unreadable = ws_cli("faq")
    assert unreadable.exit_code == 1 and "ours.toml" in unreadable.stderr
