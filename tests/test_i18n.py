"""Both languages, everywhere: catalogues complete and compiled, labels paired, Chinese aligned."""

from __future__ import annotations

import ast
import csv
import gettext
import re
import string
import unicodedata

import pytest
from conftest import ROOT, complaint_args, invoke

LOCALE = ROOT / "cstool" / "locale"
LANGUAGES = ("zh", "en")
# Constructors whose message a person reads: it must come from the catalogue (_()), not a literal.
MESSAGE_ARGUMENT = {
    "CstoolError": 0,
    "WorkspaceNotFound": 0,
    "PolicyError": 0,
    "StoreError": 0,
    "NotFound": 0,
    "SourceError": 0,
    "ClickException": 0,
    "BadParameter": 0,
    "UsageError": 0,
    "FieldError": 1,
    "Problem": 1,
    "RowError": 3,
}

babel = pytest.importorskip("babel.messages", reason="Babel (a test dependency) reads the .po catalogues")


def source_messages() -> set[str]:
    """What `make messages` extracts: the same babel.cfg, the same extractor."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {message for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map)}


def catalogue(lang: str):
    from babel.messages.pofile import read_po

    with open(LOCALE / lang / "LC_MESSAGES" / "cstool.po", "rb") as handle:
        return read_po(handle)


def fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


def is_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_in_the_code_has_a_translation(lang):
    messages = source_messages()
    assert len(messages) > 250
    entries = {m.id: m for m in catalogue(lang) if m.id}
    missing = sorted(messages - set(entries))
    assert not missing, f"{lang}: not in the catalogue (run `make messages` and translate): {missing[:10]}"
    untranslated = sorted(m for m in messages if not entries[m].string or entries[m].fuzzy)
    assert not untranslated, f"{lang}: empty or fuzzy translations: {untranslated[:10]}"
    stale = sorted(set(entries) - messages)
    assert not stale, f"{lang}: catalogue entries the code no longer uses: {stale[:10]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_every_placeholder(lang):
    for message in catalogue(lang):
        if message.id:
            assert fields(message.string) == fields(message.id), (lang, message.id, message.string)


def test_chinese_translations_are_chinese():
    not_chinese = [m.id for m in catalogue("zh") if m.id and not is_cjk(m.string)]
    assert not not_chinese, not_chinese[:10]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogues_match_their_sources(lang):
    with open(LOCALE / lang / "LC_MESSAGES" / "cstool.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalogue(lang):
        if message.id:
            assert compiled.gettext(message.id) == message.string, f"{lang}: .mo is stale: run `make messages`"


def untranslated_words(node: ast.AST) -> bool:
    """Whether an expression holds words outside _(): an f-string, or a literal with letters
    (separators such as "\\n" or ", " are fine)."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_":
        return False
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "value", None) is not None
        and getattr(node.func.value, "id", None) == "re"
    ):
        return False  # a pattern, not prose
    if isinstance(node, ast.Subscript):
        return untranslated_words(node.value)  # record['id']: a key, not prose
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(ch.isalpha() for ch in node.value)
    return any(untranslated_words(child) for child in ast.iter_child_nodes(node))


def test_no_message_bypasses_the_catalogue():
    """An error built from a literal or an f-string could never be translated."""
    offenders = []
    for path in sorted((ROOT / "cstool").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = MESSAGE_ARGUMENT.get(name)
            if position is None or len(node.args) <= position:
                continue
            if untranslated_words(node.args[position]):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"messages not wrapped in _(): {offenders}"


def test_every_bundled_label_reads_in_both_languages():
    """Labels of kinds, fields, statuses and reports are declared in pairs: both must be there."""
    from cstool.core.context import Context
    from cstool.core.host import build_host

    app = Context(build_host(None, entry_points=False), None)
    labels = []
    for kind in app.kinds:
        labels.append(("kind", kind.name, kind.label))
        labels += [("field", f"{kind.name}.{f.name}", f.label) for f in kind.fields]
        labels += [("status", f"{kind.name}.{s.name}", s.label) for s in kind.statuses]
    labels += [("report", name, report.title) for name, report in app.reports().items()]
    assert len(labels) > 100
    bad = [(what, where) for what, where, label in labels if not label.get("en") or not is_cjk(label.get("zh") or "")]
    assert not bad, bad


def test_language_comes_from_the_flag_the_environment_or_the_policy(ws_cli, workspace, monkeypatch):
    monkeypatch.delenv("CSTOOL_LANG")
    missing = ("show", "CMP-20261116-0099")
    assert "没有记录" in ws_cli(*missing).stderr  # the default policy says zh
    assert "no record" in ws_cli("--lang", "en", *missing).stderr
    monkeypatch.setenv("CSTOOL_LANG", "en")
    assert "no record" in ws_cli(*missing).stderr
    assert "没有记录" in ws_cli("--lang", "zh", *missing).stderr  # the flag beats the environment
    monkeypatch.delenv("CSTOOL_LANG")
    assert ws_cli("policy", "set", "workspace.language", '"en"').exit_code == 0
    assert "no record" in ws_cli(*missing).stderr
    shown = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-16 09:00")
    assert "Complainant" in shown.stdout and "投诉人" not in shown.stdout


def test_chinese_prompts_headings_errors_and_explanations(ws_cli):
    refused = ws_cli("--lang", "zh", "record", "complaint", "--no-input")
    assert refused.exit_code == 1 and "必填" in refused.stderr
    bad_date = ws_cli("--lang", "zh", "list", "complaint", "--since", "下个星期二")
    assert bad_date.exit_code == 2 and "不是日期" in bad_date.stderr
    rid = ws_cli("record", "complaint", *complaint_args(), "--at", "2026-11-16 09:00", "--format", "json").json()["id"]
    sla = ws_cli("--lang", "zh", "sla", rid, "--now", "2026-11-16 10:00")
    assert "首次响应" in sla.stdout and "计时中" in sla.stdout and "开始计时" in sla.stdout
    english = ws_cli("--lang", "en", "sla", rid, "--now", "2026-11-16 10:00")
    assert "First response" in english.stdout and "Started" in english.stdout
    report = ws_cli("--lang", "zh", "report", "complaints", "--by", "channel")
    assert "合计" in report.stdout


def display_columns(line: str, value: str) -> int:
    from wcwidth import wcswidth

    return wcswidth(line[: line.index(value)])


def test_chinese_text_aligns_in_tables(ws_cli):
    names = ["张伟", "欧阳娜娜", "Li", "司马相如的表哥"]
    for index, name in enumerate(names):
        ws_cli(
            "record",
            "complaint",
            *complaint_args(customer_name=name, channel="phone"),
            "--at",
            f"2026-11-16 09:0{index}",
        )
    lines = ws_cli("--lang", "zh", "list", "complaint").stdout.splitlines()
    header, rows = lines[0], [line for line in lines if line.startswith("CMP-")]
    assert len(rows) == 4
    channel_column = display_columns(header, "投诉渠道")
    assert [display_columns(row, "电话") for row in rows] == [channel_column] * 4  # phone, by its name


def test_every_report_heading_reads_in_chinese(tmp_path):
    demo = tmp_path / "demo"
    assert invoke("demo", demo).exit_code == 0
    names = [r["name"] for r in invoke("--workspace", demo, "report", "--format", "json").json()["reports"]]
    assert len(names) > 20
    english_headings = {}
    for name in names:
        done = invoke(
            "--workspace", demo, "--lang", "zh", "report", name, "--format", "csv", "--now", "2026-11-20 12:00"
        )
        assert done.exit_code == 0, (name, done.stderr)
        headings = next(csv.reader(done.stdout.splitlines()), [])
        bad = [h for h in headings if not is_cjk(h) and not re.fullmatch(r"[A-Za-z]?\W*", h)]
        if bad:
            english_headings[name] = bad
    assert not english_headings, english_headings


def test_click_s_own_messages_read_in_chinese(workspace):
    from conftest import run_process

    unknown = run_process("--workspace", workspace, "--lang", "zh", "list", "complaint", "--bogus")
    assert unknown.returncode == 2 and "错误：没有选项 '--bogus'。" in unknown.stderr and "用法：" in unknown.stderr
    bad = run_process("--workspace", workspace, "--lang", "zh", "list", "complaint", "--format", "xml")
    assert "的值无效" in bad.stderr and "不是以下之一" in bad.stderr
    helped = run_process("--workspace", workspace, "--lang", "zh", "--help")
    assert "选项" in helped.stdout and "显示本帮助并退出。" in helped.stdout
    english = run_process("--workspace", workspace, "--lang", "en", "list", "complaint", "--bogus")
    assert "No such option" in english.stderr  # English stays click's own


def test_the_catalogue_of_click_s_messages_is_whole_and_compiled():
    import gettext as stdlib_gettext

    from babel.messages.pofile import read_po

    with (ROOT / "cstool/locale/zh/LC_MESSAGES/click.po").open("rb") as handle:
        entries = [m for m in read_po(handle) if m.id]
    assert len(entries) > 40 and all(m.string and not m.fuzzy for m in entries)
    compiled = stdlib_gettext.translation("click", ROOT / "cstool/locale", ["zh"])
    assert all(compiled.gettext(m.id) == m.string for m in entries), "click.mo is stale: run `make messages`"


def test_every_command_and_option_has_its_help_in_chinese(workspace):
    """Walks the command tree as a workspace builds it (bundled plugins' commands too):
    every help text declared is in the Chinese catalogue, so `--help` reads in Chinese."""
    import inspect

    from cstool.cli import prepare
    from cstool.core.i18n import set_language

    set_language("zh")
    try:
        tree = prepare(["--workspace", str(workspace), "--lang", "zh"], entry_points=False)
    finally:
        set_language("en")
    from babel.messages.pofile import read_po

    zh = {m.id: m.string for m in catalogue("zh") if m.id}
    with (ROOT / "cstool/locale/zh/LC_MESSAGES/click.po").open("rb") as handle:
        zh |= {m.id: m.string for m in read_po(handle) if m.id}  # click's own (--version, --help)
    missing, seen = [], 0

    def walk(command, path):
        nonlocal seen
        texts = [getattr(command, "_cstool_help", None)]
        texts += [getattr(p, "_cstool_help", None) for p in command.params]
        for text in filter(None, texts):
            seen += 1
            if not zh.get(inspect.cleandoc(text)):
                missing.append(f"{path}: {text[:50]}")
        for name, child in getattr(command, "commands", {}).items():
            walk(child, f"{path} {name}")

    walk(tree, "cstool")
    assert seen > 150 and not missing, missing[:10]
