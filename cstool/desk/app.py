"""``cstool desk`` (工作台): the full-screen workbench, drawn with Textual over a
``DeskSession``. Screens: the queue (with reminders), a case, a search, a new record, the
keys. Every change goes through the session, so it is the command's own, with the same
permissions, checks and trail; a change made elsewhere shows within two seconds (the
store's change feed, watched in a thread of its own)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from cstool.core.errors import CstoolError
from cstool.core.i18n import _
from cstool.desk.session import CaseView, DeskSession, countdown

TICK_SECONDS = 15  # the countdowns are redrawn; the queue is read again only on a change
REMINDERS_SHOWN = 4  # the newest, on the lines under the queue
FEED_WAIT = 0.5  # how long the feed thread waits for a change before looking again


class Changed(Message):
    """The store says these kinds changed (another desk, an import, the worker)."""

    def __init__(self, kinds: set[str]) -> None:
        super().__init__()
        self.kinds = kinds


class Ask(ModalScreen[str | None]):
    """One line of text (a note, a name, a reason): Enter gives it, Escape gives None."""

    BINDINGS = [Binding("escape", "cancel", _("cancel"))]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question, self.value = question, value

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Label(self.question)
            yield Input(value=self.value, id="answer")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Choose(ModalScreen[str | None]):
    """One of several (title, value): Enter takes it, Escape gives None."""

    BINDINGS = [Binding("escape", "cancel", _("cancel"))]

    def __init__(self, question: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question, self.choices = question, choices

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Label(self.question)
            yield OptionList(*[Option(Text(title), id=value) for title, value in self.choices], id="choices")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class KeysScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", _("close"))]

    def compose(self) -> ComposeResult:
        lines = [
            _("Keys"),
            "",
            _("Queue: Enter open · / search · n new record · m my work / my department / everyone's"),
            _("       k kind · f filter (status, owner, department) · g read again · ? keys · q quit"),
            _("Case: r respond · s status · a hand over · x void · u undo · v reveal · p more · Esc back"),
            _("Search: type an id, words, a whole name or phone, or a phone's last 4+ digits; Enter"),
            _("New record: Tab next field · Ctrl+S save · Esc leave (the draft is kept)"),
        ]
        yield Static("\n".join(lines), id="keys")

    def action_close(self) -> None:
        self.dismiss(None)


class QueueScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", _("open"), show=False),
        Binding("slash", "search", _("search")),
        Binding("n", "new", _("new")),
        Binding("m", "scope", _("mine/dept/all")),
        Binding("k", "kind", _("kind")),
        Binding("f", "filter", _("filter")),
        Binding("g", "reload", _("read again")),
        Binding("question_mark", "keys", _("keys")),
        Binding("q", "quit", _("quit")),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static(id="reminders")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#queue", DataTable)
        table.add_columns(_("due"), _("left"), _("id"), _("kind"), _("status"), _("customer"), _("owner"))
        self.reload()
        self.set_interval(TICK_SECONDS, self.redraw)

    @property
    def desk(self) -> DeskSession:
        return self.app.session  # type: ignore[attr-defined]

    def reload(self) -> None:
        desk = self.desk
        try:
            self.lines = desk.queue(self.app.now())  # type: ignore[attr-defined]
        except CstoolError as exc:
            self.app.notify(str(exc), severity="error")
            self.lines = []
        self.redraw()

    def redraw(self) -> None:
        desk, now = self.desk, self.app.now()  # type: ignore[attr-defined]
        table = self.query_one("#queue", DataTable)
        keep = table.cursor_row
        table.clear()
        for line in self.lines:
            left = countdown(line.due_at, now)
            if line.state == "breached" or (line.due_at is not None and line.due_at < now):
                left = f"[b red]{left}[/]" if not self.app.no_color else f"!{left}"
            elif line.state == "warning":
                left = f"[yellow]{left}[/]" if not self.app.no_color else left
            due = line.due_at.strftime("%m-%d %H:%M") if line.due_at else ""
            cells = (line.id, line.kind_title, line.status_title, line.customer, line.owner)
            table.add_row(due, Text.from_markup(left), *(Text(cell) for cell in cells), key=line.id)
        if self.lines:
            table.move_cursor(row=min(keep, len(self.lines) - 1))
        person = self.app.person_title  # type: ignore[attr-defined]
        breached = sum(1 for line in self.lines if line.state == "breached")
        kind = f" · {desk.kind_filter}" if desk.kind_filter else ""
        kind += "".join(f" · {name}={value}" for name, value in desk.filters.items())
        self.query_one("#title", Static).update(
            _("cstool desk · {person} · {scope}{kind} · {count} open, {breached} breached · {time}").format(
                person=person, scope=desk.scope_title(), kind=kind, count=len(self.lines), breached=breached,
                time=now.strftime("%H:%M"),
            )
        )  # fmt: skip
        said = list(desk.reminders.said.values())[-REMINDERS_SHOWN:]
        heading = _("Reminders")
        self.query_one("#reminders", Static).update(f"[b]{heading}[/b]  " + "\n".join(map(escape, reversed(said))))

    def current_id(self) -> str | None:
        table = self.query_one("#queue", DataTable)
        if not self.lines or table.cursor_row is None or table.cursor_row >= len(self.lines):
            return None
        return self.lines[table.cursor_row].id

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        record_id = self.current_id()
        if record_id:
            self.app.open_case(record_id)  # type: ignore[attr-defined]

    def action_search(self) -> None:
        self.app.push_screen(SearchScreen())

    def action_new(self) -> None:
        kinds = self.desk.entry_kinds()
        lang = self.app.session.app.lang  # type: ignore[attr-defined]
        choices = [(kind.title(lang), kind.name) for kind in kinds]
        self.app.push_screen(Choose(_("New record of which kind?"), choices), self._new_of)

    def _new_of(self, kind_name: str | None) -> None:
        if kind_name:
            self.app.push_screen(EntryScreen(kind_name))

    def action_scope(self) -> None:
        self.desk.next_scope()
        self.reload()

    def action_kind(self) -> None:
        app = self.desk.app
        timed = set(app.policy.get("sla") or {})
        choices = [(_("every kind"), "")] + [(k.title(app.lang), k.name) for k in app.kinds if k.name in timed]
        self.app.push_screen(Choose(_("Show which kind?"), choices), self._kind_chosen)

    def _kind_chosen(self, name: str | None) -> None:
        if name is not None:
            self.desk.kind_filter = name or None
            self.reload()

    def action_filter(self) -> None:
        now = " ".join(f"{k}={v}" for k, v in self.desk.filters.items())
        question = _("Filter, e.g. status=调查中 owner=小李 department=售后部 (empty: none):")
        self.app.push_screen(Ask(question, now), self._filtered)

    def _filtered(self, text: str | None) -> None:
        if text is None:
            return
        try:
            self.desk.set_filters(text)
        except CstoolError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.reload()

    def action_reload(self) -> None:
        self.desk.refresh()
        self.reload()

    def action_keys(self) -> None:
        self.app.push_screen(KeysScreen())

    async def action_quit(self) -> None:
        self.app.exit()


class CaseScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", _("back")),
        Binding("r", "respond", _("respond")),
        Binding("s", "status", _("status")),
        Binding("a", "assign", _("hand over")),
        Binding("x", "void", _("void")),
        Binding("u", "undo", _("undo")),
        Binding("v", "reveal", _("reveal")),
        Binding("p", "more", _("more")),
        Binding("question_mark", "keys", _("keys")),
    ]

    def __init__(self, record_id: str) -> None:
        super().__init__()
        self.record_id = record_id
        self.view: CaseView | None = None
        self.revealed = False

    def compose(self) -> ComposeResult:
        yield Static(id="case-title")
        with VerticalScroll():
            yield Static(id="case-body")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    @property
    def desk(self) -> DeskSession:
        return self.app.session  # type: ignore[attr-defined]

    def reload(self) -> None:
        try:
            self.view = self.desk.case(self.record_id, reveal=self.revealed)
        except CstoolError as exc:
            self.app.notify(str(exc), severity="error")
            self.app.pop_screen()
            return
        self.revealed = False  # a reveal shows once, written in the trail; the next draw masks again
        view = self.view
        lang = self.desk.app.lang
        # everything from a record is escaped: a customer's text is never read as markup
        self.query_one("#case-title", Static).update(f"[b]{escape(view.record['id'])}[/b] · {view.kind.title(lang)}")
        parts = ["\n".join(escape(f"{title}: {value}") for title, value in view.fields)]
        for title, text in view.notes:
            parts.append(f"[b]【{escape(title)}】[/b]\n{escape(text)}")
        clocks_title, due_word, trail_title = _("Clocks"), _("due"), _("Trail")
        if view.clocks:
            parts.append(
                f"[b]{clocks_title}[/b]\n"
                + "\n".join(
                    escape(f"{name} · {state} · {due_word} {due} {stopped}")
                    for name, state, due, stopped in view.clocks
                )
            )
        parts.append(
            f"[b]{trail_title}[/b]\n"
            + "\n".join(escape(f"{at}  {by}  {what}  {details}") for at, by, what, details in view.trail)
        )
        self.query_one("#case-body", Static).update("\n\n".join(parts))

    def _act(self, change, *args: Any) -> None:
        """Run one change; a refusal (a role, a rule, a case changed elsewhere) is shown and
        the case read again, so what is on the screen is what is stored."""
        assert self.view is not None
        try:
            done = change(self.view, *args)
            self.app.notify(done if isinstance(done, str) else _("saved"))
        except CstoolError as exc:
            self.app.notify(str(exc), severity="error", timeout=8)
        self.desk.refresh()
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_respond(self) -> None:
        self.app.push_screen(Ask(_("Response note (Enter to record the response):")), self._respond)

    def _respond(self, note: str | None) -> None:
        if note is not None:
            self._act(self.desk.respond, note)

    def action_status(self) -> None:
        if self.view is not None:
            self.app.push_screen(Choose(_("Move to which status?"), self.desk.statuses(self.view)), self._status)

    def _status(self, status: str | None) -> None:
        if status:
            self._act(self.desk.set_status, status, None)

    def action_assign(self) -> None:
        self.app.push_screen(Ask(_("Hand over to (a name from the staff directory):")), self._assign)

    def _assign(self, owner: str | None) -> None:
        if owner:
            self._act(self.desk.assign, owner.strip())

    def action_void(self) -> None:
        self.app.push_screen(Ask(_("Why was it entered in error?")), self._void)

    def _void(self, reason: str | None) -> None:
        if reason:
            self._act(self.desk.void, reason)

    def action_undo(self) -> None:
        self._act(self.desk.undo)

    def action_more(self) -> None:
        """The plugins' actions on this case (propose, approve, reject…)."""
        if self.view is None:
            return
        lang = self.desk.app.lang
        self.offered = {action.name: action for action in self.desk.actions(self.view)}
        if not self.offered:
            self.app.notify(_("no other actions for this case"))
            return
        choices = [(action.title(lang), name) for name, action in self.offered.items()]
        self.app.push_screen(Choose(_("Which action?"), choices), self._more_chosen)

    def _more_chosen(self, name: str | None) -> None:
        action = self.offered.get(name or "")
        if action is None:
            return
        if action.ask is None:
            self._act(self.desk.run_action, action, None)
            return
        question = action.ask.get(self.desk.app.lang) or action.ask.get("en") or action.name
        self.app.push_screen(
            Ask(question), lambda text: self._act(self.desk.run_action, action, text) if text is not None else None
        )

    def action_reveal(self) -> None:
        if not self.desk.app.may("reveal"):
            try:
                self.desk.app.require("reveal")
            except CstoolError as exc:
                self.app.notify(str(exc), severity="error", timeout=8)
            return
        self.revealed = True
        self.reload()

    def action_keys(self) -> None:
        self.app.push_screen(KeysScreen())


class SearchScreen(Screen):
    BINDINGS = [Binding("escape", "back", _("back"))]

    def compose(self) -> ComposeResult:
        yield Input(placeholder=_("id, words, a whole name or phone, or a phone's last 4+ digits"), id="query")
        yield DataTable(id="found", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#found", DataTable)
        table.add_columns(_("id"), _("kind"), _("status"), _("created"), _("matched"))
        self.query_one("#query", Input).focus()

    @on(Input.Submitted, "#query")
    def run_search(self, event: Input.Submitted) -> None:
        table = self.query_one("#found", DataTable)
        table.clear()
        try:
            rows = self.app.session.search(event.value)  # type: ignore[attr-defined]
        except CstoolError as exc:
            self.app.notify(str(exc), severity="error")
            return
        for row in rows:
            table.add_row(*(Text(cell) for cell in row), key=row[0])
        self.app.notify(_("{count} found").format(count=len(rows)))
        if rows:
            table.focus()

    @on(DataTable.RowSelected, "#found")
    def open_found(self, event: DataTable.RowSelected) -> None:
        self.app.open_case(str(event.row_key.value))  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()


class EntryScreen(Screen):
    """A new record: the customer found while typing, each answer checked as it is typed,
    every keystroke kept in the draft (the prompts' draft, so either takes it up)."""

    BINDINGS = [
        Binding("ctrl+s", "save", _("save")),
        Binding("escape", "leave", _("leave (draft kept)")),
    ]

    def __init__(self, kind_name: str) -> None:
        super().__init__()
        self.kind_name = kind_name

    @property
    def desk(self) -> DeskSession:
        return self.app.session  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        app = self.desk.app
        kind = app.kinds.get(self.kind_name)
        kept = self.desk.drafts().load(kind.name)
        self.answers: dict[str, Any] = dict(kept[0]) if kept else {}
        note = _("draft of {at} taken up").format(at=kept[1].replace("T", " ")) if kept else ""
        heading = _("New {kind}").format(kind=kind.title(app.lang))
        yield Static(f"[b]{escape(heading)}[/b]  {escape(note)}", id="entry-title")
        with VerticalScroll():
            if kind.field("customer_id") is not None and "customer" in app.kinds.names():
                yield Label(_("Customer: whole name or the last 4+ digits of a phone, Enter to look up"))
                yield Input(id="lookup")
                yield OptionList(id="found-customers")
            for entry in kind.fields:
                if not entry.ask:
                    continue
                hint = f" ({'/'.join(entry.choices)})" if entry.choices else ""
                required = " *" if entry.required else ""
                yield Label(f"{entry.title(app.lang)}{required}{hint}")
                value = self.answers.get(entry.name)
                yield Input(value="" if value is None else str(value), id=f"field-{entry.name}")
                yield Label("", id=f"problem-{entry.name}", classes="problem")
        yield Footer()

    @property
    def kind(self):
        return self.desk.app.kinds.get(self.kind_name)

    def on_mount(self) -> None:
        found = self.query("#found-customers")
        if found:
            found.first().display = False  # shown once a lookup finds someone; Tab skips it till then
        first = self.query(Input)
        if first:
            first.first().focus()

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        if not event.input.id or not event.input.id.startswith("field-"):
            return
        self.answers[name] = event.value
        self.desk.drafts().save(self.kind_name, self.answers, self.desk.app.now())
        problem = self.desk.check_answer(self.kind, name, event.value, self.answers)
        self.query_one(f"#problem-{name}", Label).update(f"[red]{problem}[/]" if problem else "")

    @on(Input.Submitted, "#lookup")
    def look_up(self, event: Input.Submitted) -> None:
        from cstool.core.privacy import mask

        found = self.desk.customers(event.value)
        listing = self.query_one("#found-customers", OptionList)
        listing.clear_options()
        self.found = {c["id"]: c for c in found}
        for customer in found:
            listing.add_option(
                Option(
                    Text(f"{customer['id']}  {mask(customer.get('name'))}  {mask(customer.get('phone'), 'phone')}"),
                    id=customer["id"],
                )
            )
        listing.display = bool(found)
        if not found:
            self.app.notify(_("no customer matches {query!r}").format(query=event.value), severity="warning")
        else:
            listing.focus()

    @on(OptionList.OptionSelected, "#found-customers")
    def customer_chosen(self, event: OptionList.OptionSelected) -> None:
        from cstool.core.work import contact_values

        customer = self.found[str(event.option.id)]
        filled = {"customer_id": customer["id"], **contact_values(self.kind, customer, {})}
        for name, value in filled.items():
            self.answers[name] = value
            found = self.query(f"#field-{name}")
            if found:
                found.first(Input).value = str(value)
        self.desk.drafts().save(self.kind_name, self.answers, self.desk.app.now())
        self.app.notify(_("customer {id} linked").format(id=customer["id"]))

    def action_save(self) -> None:
        try:
            record = self.desk.save_new(self.kind, self.answers)
        except CstoolError as exc:
            problems = getattr(exc, "errors", None)
            self.app.notify(str(exc), severity="error", timeout=10)
            for problem in problems or []:
                found = self.query(f"#problem-{problem.field}")
                if found:
                    found.first(Label).update(f"[red]{problem.message}[/]")
            return
        self.app.notify(_("{id} saved").format(id=record["id"]))
        self.app.pop_screen()
        self.app.open_case(record["id"])  # type: ignore[attr-defined]

    def action_leave(self) -> None:
        if self.answers:
            self.app.notify(_("the draft is kept: n and the same kind take it up"))
        self.app.pop_screen()


class DeskApp(App):
    CSS = """
    #title, #case-title, #entry-title { background: $primary; color: $text; height: 1; padding: 0 1; }
    #queue { height: 1fr; }
    #reminders { height: 5; border-top: solid $primary; padding: 0 1; }
    #ask { width: 70; height: auto; max-height: 20; border: thick $primary; background: $surface; padding: 1; }
    Ask, Choose, KeysScreen { align: center middle; }
    #keys { width: 84; height: auto; border: thick $primary; background: $surface; padding: 1; }
    .problem { color: red; height: auto; }
    """
    TITLE = "cstool desk"

    def __init__(self, context, *, watch: bool = True) -> None:
        super().__init__()  # Textual reads NO_COLOR itself (``no_color``): then no colour, and ! marks the late
        self.session = DeskSession(context)
        self._watching = watch
        self._stop = threading.Event()
        person = context.person
        from cstool.core.access import role_title

        self.person_title = f"{person.shown(context.lang)}（{role_title(person.role)}）"

    def now(self) -> datetime:
        """The store's clock (the server's on a shared store; the tests' instant under them)."""
        return self.session.app.now()

    def on_mount(self) -> None:
        self.push_screen(QueueScreen())
        if self._watching:
            threading.Thread(target=self._watch, name="cstool-desk-feed", daemon=True).start()

    def _watch(self) -> None:
        """The change feed, in a thread of its own (its own connection on PostgreSQL)."""
        from cstool.stores.base import FeedsChanges

        store = self.session.app.store
        if not isinstance(store, FeedsChanges):
            return
        feed = None
        while not self._stop.is_set():
            try:
                if feed is None:
                    feed = store.watch()
                kinds = feed.wait(FEED_WAIT)
            except Exception:  # the database went away: look again shortly, then reconnect
                feed = None
                self._stop.wait(2)
                continue
            if kinds:
                self.call_from_thread(self.post_message, Changed(kinds))
        if feed is not None:
            feed.close()

    def on_changed(self, message: Changed) -> None:
        self.session.refresh()
        for screen in self.screen_stack:
            if isinstance(screen, QueueScreen):
                screen.reload()
            elif isinstance(screen, CaseScreen) and screen.view is not None:
                screen.reload()

    def notify(self, message: str, **options: Any) -> None:
        """A message to the person; never read as markup (an error may quote a customer's text)."""
        super().notify(message, markup=False, **options)

    def open_case(self, record_id: str) -> None:
        self.push_screen(CaseScreen(record_id))

    def on_unmount(self) -> None:
        self._stop.set()
