"""A working day in Chinese: every list, case, clock, form and report of the demo in
``--lang zh``, and an entry at the prompts, read for ids and English words that no policy
chose. Ids stay in JSON and in what a person types; what a person reads is named.

Allowed on purpose: ``电话 (phone)`` (a name with the id to type beside it, on ``show`` and
in choice lists), policy keys in a hint (``策略 [sla.call]``), record ids, and words of the
records' own text (the demo has English-speaking customers).
"""

from __future__ import annotations

import re

import pytest
from conftest import TEST_NOW, run_process

pytestmark = pytest.mark.slow

WORD = re.compile(r"(?<![A-Za-z0-9_\-.\[])([a-z][a-z_]+)(?![A-Za-z0-9_\-\]])")
NAME_AND_ID = re.compile(r"(?<=[^\x00-\x7f]) \([a-z_]+\)")  # 电话 (phone)
ENV = {"CSTOOL_TEST_NOW": TEST_NOW, "CSTOOL_LOAD_ENTRYPOINTS": "0", "CSTOOL_STORE_URL": ""}


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    from cstool.core.context import Context
    from cstool.core.host import build_host
    from cstool.core.i18n import set_language

    folder = tmp_path_factory.mktemp("zh") / "demo"
    made = run_process("demo", folder, env=ENV)
    assert made.returncode == 0, made.stderr
    app = Context(build_host(folder, entry_points=False), folder, lang="zh")
    ids = set(app.names._names)
    for kind in app.kinds:
        ids.update(s.name for s in kind.statuses)
    ids.update(app.policy.get("calendars") or {})
    ids = {i for i in ids if i.isascii() and re.fullmatch(r"[a-z][a-z_]+", i)}
    data_words = set()  # words of what people wrote: not ours to name
    for kind in app.kinds:
        text_fields = [f.name for f in kind.fields if f.type in ("text", "list")]
        for record in app.store.records(kind.name):
            for name in text_fields:
                value = record.get(name)
                data_words.update(WORD.findall(" ".join(value) if isinstance(value, list) else str(value or "")))
    for template in (folder / "templates" / "forms").glob("*.md"):  # the department's own wording
        data_words.update(WORD.findall(template.read_text(encoding="utf-8")))
    records = {kind.name: app.store.records(kind.name) for kind in app.kinds}
    reports = [name for name in app.reports() if name != "monthly"]
    app.finish()
    set_language("en")
    return folder, ids - data_words, records, reports


def unnamed(output: str, ids: set[str]) -> list[str]:
    """Ids in what a person reads. A page written in both languages (the commitments) has
    English lines on purpose: only its Chinese lines are read."""
    lines = output.splitlines()
    if any(re.search(r"[\u4e00-\u9fff]", line) for line in lines) and "Our service commitments" in output:
        lines = [line.split(" · ")[0] for line in lines if re.search(r"[\u4e00-\u9fff]", line)]  # 标题 · Title
    return sorted({word for word in WORD.findall(NAME_AND_ID.sub("", "\n".join(lines))) if word in ids})


def zh(folder, *args):
    done = run_process("--workspace", folder, "--lang", "zh", *args, env=ENV)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout + done.stderr


def test_every_list_case_and_clock_reads_in_chinese(day):
    folder, ids, records, _reports = day
    found = {}
    for kind, kept in records.items():
        commands = [("list", kind)]
        if kept:
            commands += [("show", kept[-1]["id"]), ("sla", kept[-1]["id"])]
        for command in commands:
            hits = unnamed(zh(folder, *command), ids)
            if hits:
                found[" ".join(command)] = hits
    assert found == {}, found


def test_every_report_form_and_work_list_reads_in_chinese(day):
    folder, ids, records, reports = day
    complaint = records["complaint"][0]["id"]
    commands = [
        *(("report", name) for name in reports),
        ("queue",),
        ("callbacks",),
        ("outbox",),
        ("escalate", "--dry-run"),
        ("visits",),
        ("commitments",),
        ("complaints", "form", complaint, "notice"),
        ("complaints", "form", complaint, "investigation"),
    ]
    found = {}
    for command in commands:
        hits = unnamed(zh(folder, *command), ids)
        if hits:
            found[" ".join(command)] = hits
    assert found == {}, found


def test_an_entry_at_the_prompts_reads_in_chinese(day, monkeypatch):
    from conftest import invoke
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from cstool.cli import prompts

    folder, ids, _records, _reports = day
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    monkeypatch.setenv("CSTOOL_TEST_NOW", TEST_NOW)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        # no customer lookup answer (skip), the fields, then save
        pipe.send_text("\r" + "王芳\r" + "13812345678\r\r\r\r" + "烧水壶漏电\r" + "\r" * 5 + "\r")
        pipe.close()
        result = invoke("--workspace", str(folder), "--lang", "zh", "record", "complaint")
    assert result.exit_code == 0, result.stderr
    assert "请核对" in result.stderr
    assert unnamed(result.stdout + result.stderr, ids) == []
