"""What the desk shows and does, without the screen: the queue as lines a person reads,
reminders, a case's details, searches and every action, each through the same core a
command uses (``RecordBook``, ``open_work``, the permissions and the trail). The screens in
``cstool.desk.app`` only draw these and pass keys on, so all of it is tested without a
terminal too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cstool.core.errors import CstoolError
from cstool.core.i18n import _
from cstool.core.kinds import Kind
from cstool.core.work import WorkItem, find_by_phone_tail, find_customers, open_work, tail_wanted

SCOPES = ("mine", "department", "all")
FILTERS = ("status", "owner", "department")
SOON = timedelta(minutes=30)  # a running clock due within this is a reminder
MOST_REMINDERS = 50  # the panel keeps the newest; a day's reminders never grow without end
MOST_FOUND = 200


@dataclass(frozen=True)
class QueueLine:
    id: str
    kind: str
    kind_title: str
    status_title: str
    customer: str
    owner: str
    department: str
    clock: str
    due_at: datetime | None
    state: str | None


@dataclass
class CaseView:
    kind: Kind
    record: dict  # as stored (personal data whole: never drawn as it is)
    fields: list[tuple[str, str]]  # (title, value) as shown: personal data masked unless revealed
    notes: list[tuple[str, str]]  # (title, text): the handling guide, the 三包 entitlement…
    clocks: list[tuple[str, str, str, str]]  # (clock, state, due, stopped or paused)
    trail: list[tuple[str, str, str, str]]  # (at, by, event, details)
    revealed: bool = False

    @property
    def version(self) -> tuple[int, str | None]:
        """What a change is checked against: a case changed elsewhere since is not overwritten."""
        return len(self.record.get("events", [])), self.record.get("updated_at")


@dataclass
class Reminders:
    """What the person should know now; each said once, the newest kept."""

    said: dict[str, str] = field(default_factory=dict)  # key -> text, in the order said

    def add(self, key: str, text: str) -> bool:
        if key in self.said:
            return False
        self.said[key] = text
        while len(self.said) > MOST_REMINDERS:
            self.said.pop(next(iter(self.said)))
        return True


def countdown(due_at: datetime | None, now: datetime) -> str:
    """``1h05m`` left, ``overdue 2h10m``, or ``3d4h`` (whole minutes)."""
    if due_at is None:
        return ""
    minutes = int((due_at - now).total_seconds() // 60)
    late = minutes < 0
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = f"{days}d{hours}h" if days else (f"{hours}h{mins:02d}m" if hours else f"{mins}m")
    return _("overdue {time}").format(time=text) if late else text


class DeskSession:
    """One person's desk over a command's Context (``app``)."""

    def __init__(self, app):
        self.app = app
        person = app.person
        self.scope = "mine" if person.role == "agent" else "department" if person.department else "all"
        self.kind_filter: str | None = None
        self.filters: dict[str, str] = {}  # status, owner, department: see set_filters
        self.reminders = Reminders()
        self._mine: set[str] | None = None  # the ids owned by me when last looked at

    # ---- the queue -------------------------------------------------------------------

    def next_scope(self) -> str:
        self.scope = SCOPES[(SCOPES.index(self.scope) + 1) % len(SCOPES)]
        return self.scope

    def scope_title(self) -> str:
        return {"mine": _("my work"), "department": _("my department"), "all": _("everyone's")}[self.scope]

    def refresh(self) -> None:
        """Read afresh: the store drops what it read (the change feed said something changed)."""
        from cstool.stores.base import ReadsAfresh

        if isinstance(self.app.store, ReadsAfresh):
            self.app.store.forget()

    def set_filters(self, text: str) -> dict[str, str]:
        """``status=调查中 owner=小李 department=售后部`` (names or ids; empty clears): the
        queue keeps only what matches each; an unknown name is refused."""
        filters = {}
        for part in text.split():
            name, sep, value = part.partition("=")
            if not sep or name not in FILTERS or not value:
                raise CstoolError(
                    _("{part!r}: filter by {names}, as name=value").format(part=part, names=", ".join(FILTERS))
                )
            filters[name] = self.app.names.id_of(value) or value
        self.filters = filters
        return filters

    def queue(self, now: datetime) -> list[QueueLine]:
        app = self.app
        person = app.person
        owner = self.filters.get("owner") or (app.user if self.scope == "mine" else None)
        department = self.filters.get("department") or (person.department if self.scope == "department" else None)
        kinds = (self.kind_filter,) if self.kind_filter else ()
        items = open_work(app, now, owner=owner, department=department, kind_names=kinds)
        wanted = self.filters.get("status")
        if wanted:
            items = [item for item in items if wanted in (item.record.get("status"), self._status_title(item))]
        self._remind(items, now)
        return [self._line(item) for item in items]

    def _status_title(self, item: WorkItem) -> str:
        status = item.kind.status(item.record.get("status") or "")
        return status.title(self.app.lang) if status else ""

    def _line(self, item: WorkItem) -> QueueLine:
        from cstool.cli.common import status_title
        from cstool.core.privacy import mask

        app, record, kind, clock = self.app, item.record, item.kind, item.clock
        name = record.get("customer_name") or record.get("customer") or record.get("name") or ""
        return QueueLine(
            id=record["id"],
            kind=kind.name,
            kind_title=kind.title(app.lang),
            status_title=status_title(kind, record.get("status") or "", app.lang),
            customer=mask(str(name)) if name else "",
            owner=str(app.shown(record.get("owner") or "")),
            department=str(app.shown(record.get("department") or "")),
            clock=str(app.shown(clock.name)) if clock else "",
            due_at=clock.due_at if clock else None,
            state=clock.state if clock else None,
        )

    def _remind(self, items: list[WorkItem], now: datetime) -> None:
        """Breached or nearly due clocks of my work (or of unowned work I may take), and
        cases handed to me since the desk last looked."""
        me = self.app.user
        mine_now = {item.record["id"] for item in items if item.record.get("owner") == me}
        for item in items:
            record, clock = item.record, item.clock
            if record.get("owner") not in (me, None, ""):
                continue
            if clock is not None and clock.state == "breached":
                self.reminders.add(
                    f"breached:{record['id']}:{clock.name}",
                    _("{id}: {clock} is overdue").format(id=record["id"], clock=self.app.shown(clock.name)),
                )
            elif clock is not None and clock.due_at - now <= SOON:
                self.reminders.add(
                    f"soon:{record['id']}:{clock.name}",
                    _("{id}: {clock} due at {time}").format(
                        id=record["id"], clock=self.app.shown(clock.name), time=clock.due_at.strftime("%H:%M")
                    ),
                )
        for item in items:  # cases put before me by 上报 (cstool report-up)
            for entry in item.record.get("events", []):
                if entry.get("type") == "reported_up" and me in (entry.get("recipients") or ()):
                    self.reminders.add(
                        f"reported:{item.record['id']}:{entry['at']}",
                        _("{id} was reported up to you: {reason}").format(
                            id=item.record["id"], reason=entry.get("note") or ""
                        ),
                    )
        for item in items:  # what the plugins would have the person know (an approval waiting…)
            for said in self.app.hook.cstool_reminders(kind=item.kind, record=item.record, app=self.app):
                for key, text in said or []:
                    self.reminders.add(str(key), str(text))
        if self._mine is not None:
            for record_id in sorted(mine_now - self._mine):
                self.reminders.add(f"handed:{record_id}", _("{id} was handed to you").format(id=record_id))
        if self.scope == "mine" or self._mine is None:
            self._mine = mine_now

    # ---- one case ----------------------------------------------------------------------

    def case(self, record_id: str, *, reveal: bool = False) -> CaseView:
        from cstool.cli.common import _event_details, field_title, records_for_output, short_time

        app = self.app
        kind, record = app.book.get(record_id)
        app.require_to_see(record)
        shown = records_for_output(app, kind, [record], reveal)[0]
        lang = app.lang
        fields = []
        for name, value in shown.items():
            if name in ("events", "classified", "trail") or value in (None, "", []):
                continue
            if name == "status":
                status = kind.status(value)
                value = status.title(lang) if status else value
            elif isinstance(value, list):
                value = ", ".join(str(app.shown(v)) for v in value)
            elif name.endswith("_at") and isinstance(value, str):
                value = short_time(value)
            else:
                value = app.shown(value)
            fields.append((field_title(kind, name, lang), str(value)))
        notes = [
            (title, text)
            for found in app.hook.cstool_record_notes(kind=kind, record=shown, policy=app.policy, lang=lang)
            for title, text in found or []
        ]
        now = app.now()
        clocks = []
        if kind.name in (app.policy.get("sla") or {}):
            for clock in app.clocks(record, now, detail="due")[1]:
                stopped = (
                    _("stopped {at}").format(at=clock.stopped_at.strftime("%m-%d %H:%M")) if clock.stopped_at else ""
                )
                due = clock.due_at.strftime("%m-%d %H:%M") if clock.due_at else ""
                clocks.append((str(app.shown(clock.name)), str(app.shown(clock.state)), due, stopped))
        trail = [
            (
                short_time(e.get("at")),
                str(app.shown(e.get("by"))),
                str(app.shown(e.get("type"))),
                _event_details(e, kind, app.shown),
            )
            for e in shown.get("events", [])
        ]
        return CaseView(kind, record, fields, notes, clocks, trail, revealed=reveal)

    def _unchanged_since(self, view: CaseView) -> None:
        """Refuse a change to a case someone else changed since it was drawn: it is read
        afresh and shown, and the person decides again."""
        self.refresh()
        _kind, stored = self.app.book.get(view.record["id"])
        if (len(stored.get("events", [])), stored.get("updated_at")) != view.version:
            last = stored["events"][-1] if stored.get("events") else {}
            raise CaseChanged(
                _("{id} was changed by {who} at {at} since you opened it: look again").format(
                    id=stored["id"], who=self.app.shown(last.get("by")), at=str(last.get("at", ""))[11:16]
                )
            )

    def respond(self, view: CaseView, note: str | None) -> dict:
        self._unchanged_since(view)
        return self.app.book.respond(view.record["id"], None, note or None)

    def set_status(self, view: CaseView, status: str, note: str | None) -> dict:
        self._unchanged_since(view)
        return self.app.book.set_status(view.record["id"], status, None, note or None)

    def assign(self, view: CaseView, owner: str) -> dict:
        self._unchanged_since(view)
        name = self.app.names.id_of(owner) or owner
        return self.app.book.assign(view.record["id"], name, None, None)

    def void(self, view: CaseView, reason: str) -> dict:
        self._unchanged_since(view)
        return self.app.book.void(view.record["id"], reason)

    def undo(self, view: CaseView) -> dict:
        self._unchanged_since(view)
        return self.app.book.undo(view.record["id"])[0]

    def actions(self, view: CaseView) -> list:
        """What the plugins offer to do to this case (``cstool_case_actions``)."""
        app = self.app
        found = app.hook.cstool_case_actions(kind=view.kind, record=view.record, app=app)
        return [action for offered in found for action in offered or []]

    def run_action(self, view: CaseView, action, text: str | None) -> dict | str:
        self._unchanged_since(view)
        return action.run(self.app, view.record["id"], text)

    def statuses(self, view: CaseView) -> list[tuple[str, str]]:
        """(title, name) of the statuses a case may move to (all but its own and void)."""
        lang = self.app.lang
        return [
            (status.title(lang), status.name)
            for status in view.kind.statuses
            if status.name != view.record.get("status") and status.phase != "void"
        ]

    # ---- finding -----------------------------------------------------------------------

    def search(self, text: str) -> list[tuple[str, str, str, str, str]]:
        """(id, kind, status, created, what matched) for ``text``: an id, a phone's last four
        or more digits (every lookup written in the trail of what it found, shown masked),
        or words, whole names and whole phones as ``cstool search`` finds them."""
        from cstool.cli.common import short_time, status_title

        app = self.app
        text = text.strip()
        if not text:
            return []
        found: list[tuple[Kind, dict, str]] = []
        upper = text.upper()
        if "-" in upper and upper.split("-")[0].isalpha():
            try:
                kind, record = app.book.get(upper)
                app.require_to_see(record)
                found.append((kind, record, _("id")))
            except CstoolError:
                pass
        tail = tail_wanted(text)
        if not found and tail is not None:
            found = [
                (kind, record, _("phone ends {tail}").format(tail=tail))
                for kind, record in find_by_phone_tail(app, tail, list(app.kinds))
            ]
        if not found:
            found = self._words(text)
        return [
            (
                record["id"],
                kind.title(app.lang),
                status_title(kind, record.get("status") or "", app.lang),
                short_time(record.get("created_at")),
                why,
            )
            for kind, record, why in found[:MOST_FOUND]
        ]

    def _words(self, text: str) -> list[tuple[Kind, dict, str]]:
        from cstool.cli.common import personal_fields
        from cstool.core.search import hits
        from cstool.stores.base import EVERYTHING, SearchesText

        app = self.app
        indexed = app.store if isinstance(app.store, SearchesText) else None
        found: list[tuple[Kind, dict, str]] = []
        for kind in app.kinds:
            text_fields = [f.name for f in kind.fields if f.type == "text" and not f.personal]
            personal = dict(personal_fields(kind))
            wanted = app.visible(EVERYTHING)
            candidates = indexed.search(kind.name, text, wanted) if indexed is not None else None
            confirmed = []
            for record in candidates if candidates is not None else app.store.stream(kind.name, wanted):
                matched = hits(record, text_fields, personal, text)
                if matched:
                    found.append((kind, record, next((h.snippet for h in matched if h.snippet), matched[0].field)))
                    if any(h.personal for h in matched):
                        confirmed.append(record["id"])
                if len(found) >= MOST_FOUND:
                    break
            if confirmed:  # a match confirms a guessed phone or name: audited, as `cstool search` does
                app.book.record_reveal(kind, confirmed, sorted(personal), via="search")
        found.sort(key=lambda item: item[1].get("created_at") or "", reverse=True)
        return found

    def customers(self, query: str) -> list[dict]:
        return find_customers(self.app, query)

    # ---- new records -------------------------------------------------------------------

    def entry_kinds(self) -> list[Kind]:
        """The kinds a person enters by hand at the desk (those with fields to ask), the
        kinds with service levels (complaints, after-sales…) first."""
        timed = list(self.app.policy.get("sla") or {})  # in the policy's order
        kinds = [kind for kind in self.app.kinds if any(f.ask for f in kind.fields)]
        return sorted(kinds, key=lambda kind: timed.index(kind.name) if kind.name in timed else len(timed))

    def drafts(self):
        from cstool.core.drafts import Drafts

        return Drafts(self.app.workspace.root / ".drafts", self.app.user)

    def check_answer(self, kind: Kind, name: str, text: str, answers: dict[str, Any]) -> str | None:
        """What is wrong with one answer as it stands (the prompts' check), or None."""
        from cstool.core.fields import parse_value

        entry = kind.field(name)
        if entry is None or not text.strip():
            return None
        try:
            parse_value(
                entry, text, tz=self.app.tz, choices=self.app.choices(entry, answers), aliases=self.app.aliases(entry)
            )
        except ValueError as exc:
            return str(exc)
        problems = self.app.book.answer_problems(kind, {**answers, name: text}, name)
        return "; ".join(problems) if problems else None

    def save_new(self, kind: Kind, answers: dict[str, Any]) -> dict:
        """The record made from ``answers`` (as ``cstool record`` makes it), its draft gone."""
        values = {name: value for name, value in answers.items() if value not in (None, "")}
        record = self.app.book.create(kind, values)
        self.drafts().discard(kind.name)
        return record


class CaseChanged(CstoolError):
    """The case changed elsewhere since it was drawn."""
