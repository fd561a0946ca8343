"""``cstool desk``: the real Textual app driven by its pilot on real workspaces (both
stores), a second process's change appearing live, the phone-tail search and its audit,
a role's refusal, the draft kept when the desk is killed in a real terminal (tmux)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time

import orjson
import pytest
from conftest import add_directory, complaint_args, run_process

pytest.importorskip("textual")


def desk_of(workspace, user=None, lang="zh", watch=False, extra=()):
    from cstool.core.context import Context
    from cstool.core.host import build_host
    from cstool.core.i18n import set_language
    from cstool.desk.app import DeskApp

    set_language(lang)  # as the command line sets it before the desk is drawn
    context = Context(build_host(workspace, entry_points=False, extra=extra), workspace, user=user, lang=lang)
    return DeskApp(context, watch=watch), context


def queue_ids(app) -> list[str]:
    from cstool.desk.app import QueueScreen

    screen = next(s for s in app.screen_stack if isinstance(s, QueueScreen))
    return [line.id for line in screen.lines]


def run(coroutine):
    return asyncio.run(coroutine)


async def type_text(pilot, text: str) -> None:
    for character in text:
        await pilot.press(character)


def test_a_case_is_opened_from_the_queue_answered_and_handed_over(backend, workspace, ws_cli):
    made = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()
    app, context = desk_of(workspace)

    async def work():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert made["id"] in queue_ids(app)
            await pilot.press("enter")
            await pilot.pause()
            assert type(app.screen).__name__ == "CaseScreen"
            body = str(app.screen.query_one("#case-body").render())
            assert "138****1234" in body and "13812341234" not in body  # masked without the reveal
            await pilot.press("r")
            await type_text(pilot, "已致电客户")
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("a")
            await type_text(pilot, "小李")
            await pilot.press("enter")
            await pilot.pause()

    run(work())
    context.finish()
    stored = ws_cli("show", made["id"], "--format", "json").json()
    assert stored["first_response_at"] and stored["owner"] == "小李"
    types = [event["type"] for event in stored["events"]]
    assert "response" in types and "assigned" in types


def test_a_change_made_by_another_process_appears_within_two_seconds(backend, workspace, ws_cli):
    ws_cli("--no-input", "record", "complaint", *complaint_args())
    app, context = desk_of(workspace, watch=True)

    async def watch():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            before = set(queue_ids(app))
            done = run_process("--workspace", workspace, "--no-input", "record", "complaint", *complaint_args(),
                               "--format", "json")  # fmt: skip
            assert done.returncode == 0, done.stderr
            new_id = orjson.loads(done.stdout)["id"]
            start = time.monotonic()
            while new_id not in queue_ids(app) and time.monotonic() - start < 6:
                await pilot.pause(0.1)
            waited = time.monotonic() - start
            assert new_id in set(queue_ids(app)) - before
            return waited

    waited = run(watch())
    context.finish()
    assert waited < 6  # the goal is two seconds on a quiet machine (benchmarks/bench_desk.py measures it)


def test_a_caller_is_found_by_the_last_four_digits_and_the_lookup_is_written_in_the_trail(backend, workspace, ws_cli):
    made = ws_cli("--no-input", "record", "complaint", *complaint_args(contact_phone="13955556789"), "--format", "json")
    other = ws_cli(
        "--no-input", "record", "complaint", *complaint_args(contact_phone="13800001111"), "--format", "json"
    )
    app, context = desk_of(workspace)

    async def search():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("slash")
            await type_text(pilot, "6789")
            await pilot.press("enter")
            await pilot.pause()
            table = app.screen.query_one("#found")
            return [str(key.value) for key in table.rows]

    found = run(search())
    context.finish()
    assert found == [made.json()["id"]]
    trail = ws_cli("show", made.json()["id"], "--format", "json").json()["events"]
    assert trail[-1]["type"] == "revealed" and trail[-1]["via"] == "phone tail"
    assert ws_cli("show", other.json()["id"], "--format", "json").json()["events"][-1]["type"] != "revealed"


def test_what_a_role_may_not_do_is_refused_on_the_screen(workspace, ws_cli):
    add_directory(workspace)
    made = ws_cli("--as", "小李", "--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()
    app, context = desk_of(workspace, user="小陈")  # an agent of after-sales
    messages = []

    async def refuse():
        async with app.run_test(size=(100, 30)) as pilot:
            app.notify = lambda message, **_kw: messages.append(message)  # type: ignore[method-assign]
            app.open_case(made["id"])
            await pilot.pause()
            await pilot.press("v")
            await pilot.pause()

    run(refuse())
    context.finish()
    assert messages and any("reveal" in m or "other_departments" in m or "部门" in m for m in messages), messages
    shown = ws_cli("show", made["id"], "--format", "json").json()
    assert not any(e["type"] == "revealed" for e in shown["events"])


def test_a_new_complaint_is_entered_with_the_same_checks_and_saved(workspace, ws_cli):
    app, context = desk_of(workspace, lang="en")

    async def enter():
        async with app.run_test(size=(100, 40)) as pilot:
            from cstool.desk.app import EntryScreen

            app.push_screen(EntryScreen("complaint"))
            await pilot.pause()
            screen = app.screen
            screen.query_one("#field-customer_name").value = "王芳"
            screen.query_one("#field-channel").value = "fax?"
            await pilot.pause()
            problem = str(screen.query_one("#problem-channel").render())
            screen.query_one("#field-channel").value = "phone"
            screen.query_one("#field-content").value = "热水器漏水"
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            return problem

    problem = run(enter())
    context.finish()
    assert problem  # a value that is no channel is said as it is typed
    listed = ws_cli("list", "complaint", "--format", "json").json()["records"]
    assert [r["content"] for r in listed] == ["热水器漏水"]
    assert not list((workspace / ".drafts").glob("complaint-*.json"))  # saved: the draft is gone


def test_the_screens_read_in_chinese_and_in_english(workspace, ws_cli, tmp_path):
    ws_cli("--no-input", "record", "complaint", *complaint_args())
    pictures = {}
    for lang in ("zh", "en"):
        app, context = desk_of(workspace, lang=lang)

        async def draw(app=app):
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                return app.export_screenshot()

        pictures[lang] = run(draw())
        context.finish()
    assert "工作台" in pictures["zh"] and "提醒" in pictures["zh"]
    assert "desk" in pictures["en"] and "Reminders" in pictures["en"]
    assert "13812341234" not in pictures["zh"] + pictures["en"]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_a_real_terminal_a_killed_desk_keeps_the_draft(workspace, tmp_path):
    """Keys typed into a real terminal (tmux); the desk killed mid-entry (SIGKILL); the
    draft holds what was typed, and the next entry takes it up."""
    session = f"cstool-desk-{time.monotonic_ns()}"
    import os
    import shlex

    # a tmux server already running keeps its own environment: the test's is passed on
    kept = {k: v for k, v in os.environ.items() if k.startswith(("CSTOOL", "XDG_", "HOME", "PATH", "LANG"))}
    command = shlex.join(
        ["env", *(f"{k}={v}" for k, v in kept.items()), sys.executable, "-m", "cstool.testing",
         "--workspace", str(workspace), "--lang", "en", "desk"]
    )  # fmt: skip
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True)
    try:

        def screen() -> str:
            return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

        def wait_for(text: str) -> str:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                shown = screen()
                if text in shown:
                    return shown
                time.sleep(0.2)
            raise AssertionError(f"{text!r} never showed:\n{screen()}")

        wait_for("cstool desk")
        subprocess.run(["tmux", "send-keys", "-t", session, "n"], check=True)
        wait_for("New record of which kind")
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)  # the first kind: complaint
        wait_for("New Complaint")
        drafts: list = []
        for _attempt in range(3):  # a loaded machine may take the first Tab before the form has its focus
            subprocess.run(["tmux", "send-keys", "-t", session, "Tab"], check=True)  # past the customer lookup
            subprocess.run(["tmux", "send-keys", "-t", session, "-l", "Zhang Wei"], check=True)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not drafts:
                drafts = [p for p in (workspace / ".drafts").glob("complaint-*.json") if b"Zhang Wei" in p.read_bytes()]
                time.sleep(0.2)
            if drafts:
                break
        shown_last = screen()
        pane_pid = subprocess.run(
            ["tmux", "display-message", "-p", "-t", session, "#{pane_pid}"], capture_output=True, text=True
        ).stdout.strip()
        subprocess.run(["kill", "-9", pane_pid], check=False)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
    assert drafts, f"the draft was not kept while typing:\n{shown_last}"
    kept = orjson.loads(drafts[0].read_bytes())
    assert "Zhang Wei" in kept["values"].values()

    app, context = desk_of(workspace, lang="en")

    async def resume():
        async with app.run_test(size=(100, 40)) as pilot:
            from cstool.desk.app import EntryScreen

            app.push_screen(EntryScreen("complaint"))
            await pilot.pause()
            return [w.value for w in app.screen.query("Input")]

    values = run(resume())
    context.finish()
    assert "Zhang Wei" in values


def test_a_customer_s_words_are_never_read_as_screen_markup(workspace, ws_cli):
    """Text from a record (a complaint's content, a name) is drawn as typed: brackets that
    look like markup neither style the screen nor stop it."""
    made = ws_cli("--no-input", "record", "complaint", *complaint_args(customer_name="[b]王[/x]", content="[red]坏了[/]"),
                  "--format", "json").json()  # fmt: skip
    app, context = desk_of(workspace, lang="en")

    async def look():
        async with app.run_test(size=(100, 40)) as pilot:
            app.open_case(made["id"])
            await pilot.pause()
            return str(app.screen.query_one("#case-body").render())

    body = run(look())
    context.finish()
    assert "[red]坏了[/]" in body


def test_a_plugin_s_actions_are_offered_on_a_case_propose_then_approve(workspace, ws_cli):
    """The approval plugin offers its commands at the desk (``cstool_case_actions``): a
    proposal above the amount asks for approval; the supervisor approves it at their desk."""
    rid = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    assert ws_cli("update", rid, "--set", "compensation=800").exit_code == 0

    async def choose_action(app, pilot, downs: int, text: str):
        app.open_case(rid)
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        for _ in range(downs):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, text)
        await pilot.press("enter")
        await pilot.pause()

    for user, downs, text in ((None, 0, "退款并补偿"), ("李主管", 1, "同意")):
        app, context = desk_of(workspace, user=user)

        async def act(app=app, downs=downs, text=text):
            async with app.run_test(size=(100, 30)) as pilot:
                await choose_action(app, pilot, downs, text)

        run(act())
        context.finish()
    events = ws_cli("show", rid, "--format", "json").json()["events"]
    steps = [(e["type"], e["by"]) for e in events if e["type"] in ("approval_requested", "approved")]
    assert [step for step, _by in steps] == ["approval_requested", "approved"] and steps[1][1] == "李主管"
    assert ws_cli("respond", rid).exit_code == 0  # approved: the reply may go


def test_a_complaint_s_form_is_written_from_the_desk_masked(workspace, ws_cli, tmp_path):
    rid = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    app, context = desk_of(workspace, lang="en")
    target = tmp_path / "通知单.html"
    shown = []

    async def write():
        async with app.run_test(size=(100, 30)) as pilot:
            original = app.notify

            def kept(message, **options):
                shown.append(message)
                original(message, **options)

            app.notify = kept  # type: ignore[method-assign]
            app.open_case(rid)
            await pilot.pause()
            await pilot.press("p")
            await pilot.pause()
            titles = [str(o.prompt) for o in app.screen.query_one("#choices").options]
            index = next(i for i, title in enumerate(titles) if "handling notice" in title)
            for _ in range(index):
                await pilot.press("down")
            await pilot.press("enter")
            await pilot.pause()
            await type_text(pilot, str(target))
            await pilot.press("enter")
            await pilot.pause()

    run(write())
    context.finish()
    assert any(f"written: {target}" in line for line in shown), shown
    page = target.read_text(encoding="utf-8")
    assert rid in page and "138****1234" in page and "13812341234" not in page


def test_a_proposal_waiting_for_approval_is_a_reminder_at_the_decider_s_desk(workspace, ws_cli):
    rid = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    assert ws_cli("update", rid, "--set", "compensation=800").exit_code == 0
    assert ws_cli("propose", rid, "--resolution", "退款").exit_code == 0
    said = {}
    for user in ("李主管", "小张"):
        app, context = desk_of(workspace, user=user, lang="en")

        async def look(app=app):
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.pause()
                app.session.scope = "all"  # whoever owns the case
                app.session.queue(app.now())
                return list(app.session.reminders.said.values())

        said[user] = run(look())
        context.finish()
    assert any(f"{rid}: a proposal waits for your approval" in text for text in said["李主管"])
    assert not any("approval" in text for text in said["小张"])


def test_an_outside_plugin_s_action_runs_at_the_desk_with_the_record_book(workspace, ws_cli):
    """A plugin's ``cstool_case_actions`` as docs/hooks.md shows it: asked one line, run
    through ``app.book``, its change in the trail like a command's."""
    from cstool import api

    class Priority:
        @api.hookimpl
        def cstool_case_actions(self, kind, record, app):
            def urgent(app, record_id, text):
                return app.book.update(record_id, {"severity": "critical"}, None)

            return [api.CaseAction("urgent", {"en": "Make it critical", "zh": "设为特急"}, urgent)]

    rid = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    app, context = desk_of(workspace, lang="en", extra=(("priority", Priority()),))

    async def act():
        async with app.run_test(size=(100, 30)) as pilot:
            app.open_case(rid)
            await pilot.pause()
            await pilot.press("p")
            await pilot.pause()
            titles = [str(o.prompt) for o in app.screen.query_one("#choices").options]
            for _ in range(titles.index("Make it critical")):
                await pilot.press("down")
            await pilot.press("enter")
            await pilot.pause()

    run(act())
    context.finish()
    assert ws_cli("show", rid, "--format", "json").json()["severity"] == "critical"


def test_the_queue_is_filtered_by_status_owner_and_department(workspace, ws_cli):
    first = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    second = ws_cli("--no-input", "record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    assert ws_cli("assign", second, "小李").exit_code == 0
    app, context = desk_of(workspace, lang="en")

    async def filtered():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            everyone = queue_ids(app)
            await pilot.press("f")
            await type_text(pilot, "owner=小李")
            await pilot.press("enter")
            await pilot.pause()
            mine = queue_ids(app)
            refused = []
            app.notify = lambda message, **_kw: refused.append(message)  # type: ignore[method-assign]
            await pilot.press("f")
            for _ in range(20):
                await pilot.press("backspace")
            await type_text(pilot, "colour=red")
            await pilot.press("enter")
            await pilot.pause()
            return everyone, mine, refused

    everyone, mine, refused = run(filtered())
    context.finish()
    assert {first, second} <= set(everyone) and mine == [second]
    assert refused and "filter by status, owner, department" in refused[0]
