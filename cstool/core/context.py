"""Everything one command needs, each piece loaded at most once and only when asked for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cstool.core.errors import CstoolError, PolicyError, StoreError
from cstool.core.host import Host
from cstool.core.i18n import _, set_language
from cstool.core.kinds import Field, Kind, KindRegistry
from cstool.core.policy import (
    CORE_KEYS,
    Policy,
    Problem,
    check_core,
    check_department_names,
    check_keys,
    load_policy,
    read_text,
)
from cstool.core.timeutil import now_in
from cstool.core.workspace import Workspace, open_workspace

if TYPE_CHECKING:
    from cstool.stores.base import RecordStore


class Context:
    """The workspace, policy, kinds and store of one command, with the acting user."""

    def __init__(
        self,
        host: Host,
        workspace_path: Path | None,
        *,
        user: str | None = None,
        lang: str | None = None,
        no_input: bool = False,
        debug: bool = False,
        policy: Policy | None = None,
    ):
        self.host = host
        self.workspace_path = workspace_path
        self._asked_user = user or os.environ.get("CSTOOL_USER") or None  # --as
        self._lang = lang  # --lang or CSTOOL_LANG; None: the policy's [workspace] language
        self.no_input = no_input
        self.debug = debug
        self._parsed_policy = policy
        self.command: str | None = None  # the command running (named in the access records it writes)
        self.warnings: list[str] = []  # for the person at the end of the command (the CLI prints them)
        self._clocks: dict = {}  # kind name -> its KindClocks
        self._clock_offset: timedelta | None = None
        self.policy_version: int | None = (
            None  # the shared store's version in force, if any  # the shared store's clock ahead of this machine's
        )

    @property
    def hook(self):
        return self.host.hook

    @cached_property
    def workspace(self) -> Workspace:
        return open_workspace(self.workspace_path)

    @cached_property
    def local_policy(self) -> Policy:
        """This desk's policy.toml, parsed once a command (the caller may hand it in), unchecked."""
        policy = self._parsed_policy
        if policy is None or policy.path != self.workspace.policy_path:
            policy = load_policy(self.workspace.policy_path)
        return policy

    @cached_property
    def policy(self) -> Policy:
        """The policy in force, checked: on a shared store the department's current version
        (with this desk's personal keys, ``policy_history.PERSONAL_KEYS``), else policy.toml."""
        policy = self.local_policy
        if self.store_url is not None:
            from cstool.core import policy_history

            shared = policy_history.current(self.store)
            if shared is not None:
                self.policy_version = shared["version"]
                where = Path(
                    _("policy v{version} of {store}").format(version=shared["version"], store=self.store.description)
                )
                data = policy_history.with_personal(read_text(where, shared["text"]), policy.data)
                policy = Policy(where, shared["text"], data)
        problems = self.check_policy(policy)
        if self._lang is None:
            set_language(policy.language)
        if problems:
            raise PolicyError("\n".join(policy.describe(p) for p in problems))
        return policy

    def check_policy(self, policy: Policy) -> list[Problem]:
        problems = check_core(policy)
        if problems:  # everything else reads [workspace]: check the rest only once it is sound
            return problems
        from cstool.core.clocks import check_sla_policy

        problems = [Problem(path, message) for path, message in check_sla_policy(policy, self.kinds.names())]
        problems += check_department_names(policy)
        from cstool.core.access import PERMISSIONS, check_directory

        permissions = [*PERMISSIONS, *self.plugin_permissions()]
        departments = policy.get("departments")
        names = list(departments) if isinstance(departments, dict) else []
        problems += check_directory(policy.data, names, permissions)
        from cstool.core.retention import retention_days

        try:
            retention_days(policy)
        except PolicyError as exc:
            problems.append(Problem(("privacy", "retain_closed_days"), str(exc)))
        # With every plugin loaded an unread key is a mistake; with one blocked or broken it
        # may be that plugin's, so only a near miss of a known key (a typo) is refused then.
        everyone = not self.host.failures and not self.host.blocked
        choices = [f.choices_from for kind in self.kinds for f in kind.fields if f.choices_from]
        for problem, typo in check_keys(policy, self.policy_keys(), named_by_choices=choices):
            if typo or everyone:
                problems.append(problem)
            else:
                self.warn(policy.describe(problem))
        for plugin in self.host.implementers("cstool_check_policy"):
            found = self.host.call_plugin("cstool_check_policy", plugin, policy=policy, kinds=self.kinds)
            if isinstance(found, Exception):  # a section of the wrong shape its check did not expect
                message = _(
                    "plugin {plugin} could not check the policy ({error}): is a value of the wrong kind, "
                    "such as a list or a date where a table belongs?"
                )
                error = f"{type(found).__name__}: {found}"
                problems.append(
                    Problem((plugin,) if plugin in policy.data else (), message.format(plugin=plugin, error=error))
                )
            else:
                problems.extend(found or [])
        return problems

    @cached_property
    def kinds(self) -> KindRegistry:
        kinds: list[Kind] = []
        for plugin, declared in self.host.call_each("cstool_kinds"):
            kinds.extend(kind.with_plugin(plugin) for kind in declared or [])
        return KindRegistry(kinds)

    @cached_property
    def directory(self):
        """The staff directory and roles of the policy (``[people]``, ``[roles]``)."""
        from cstool.core.access import Directory

        return Directory(self.policy.get("people"), self.policy.get("roles"), self.plugin_permissions())

    def plugin_permissions(self) -> dict[str, str]:
        """The permissions the loaded plugins declare (``cstool_permissions``), with what each allows."""
        from cstool.core.access import PERMISSIONS

        declared: dict[str, str] = {}
        for found in self.hook.cstool_permissions():
            declared.update({name: text for name, text in (found or {}).items() if name not in PERMISSIONS})
        return declared

    @cached_property
    def login_person(self):
        """Who is at this command: the store's login (the OS user on a folder, the database
        role on PostgreSQL) as the directory names them."""
        login, owner = self.store.login()
        person = self.directory.person_for_login(login, owner)
        if not person.listed:
            self._tell_unlisted_once(login)
        return person

    @cached_property
    def person(self):
        """Who events are written by: the login's person, or whom ``--as`` (CSTOOL_USER)
        names when the login's role may act for others."""
        from cstool.core.access import Person

        me = self.login_person
        asked = self._asked_user
        if asked is None or asked == me.key or asked in me.logins:
            return me
        if not self.directory.may(me, "act_for_others"):
            raise self.directory.refusal(
                me, "act_for_others", _("act as {asked} (--as or CSTOOL_USER)").format(asked=asked)
            )
        if not self.directory:  # a workspace of one: names are labels, the owner acts under any
            return Person(asked, me.role, logins=(asked,))
        return self.directory.find(asked) or Person(asked, "agent", logins=(asked,), listed=False)

    @property
    def user(self) -> str:
        """The name written into events: the acting person's."""
        return self.person.key

    def may(self, permission: str) -> bool:
        """Whether the acting person's role holds ``permission`` (one of ``cstool roles``)."""
        return self.directory.may(self.person, permission)

    def require(self, permission: str, doing: str | None = None) -> None:
        """Refuse, naming ``permission`` and who holds it, unless the acting person may."""
        if not self.may(permission):
            raise self.directory.refusal(self.person, permission, doing)

    def require_for_record(self, record: Mapping[str, Any]) -> None:
        """A change to ``record``: one of another department needs ``other_departments``."""
        department = record.get("department")
        if department and department != self.person.department and not self.may("other_departments"):
            raise self.directory.refusal(
                self.person,
                "other_departments",
                _("change {id} of {department}").format(id=record.get("id"), department=self.shown(department)),
            )

    def visible(self, selection):
        """``selection`` narrowed to the departments the acting person may see: with
        ``[privacy] own_department_only``, their own (and records of none) unless their role
        may see others'."""
        from dataclasses import replace

        if not self.policy.get("privacy.own_department_only") or self.may("see_other_departments"):
            return selection
        department = self.person.department
        return replace(selection, departments=frozenset([department] if department else []))

    def require_to_see(self, record: Mapping[str, Any]) -> None:
        """Refuse to show a record ``visible`` would leave out."""
        from cstool.stores.base import EVERYTHING

        if not self.visible(EVERYTHING).keeps(record):
            raise self.directory.refusal(
                self.person,
                "see_other_departments",
                _("see {id} of {department}").format(id=record.get("id"), department=self.shown(record["department"])),
            )

    def _tell_unlisted_once(self, login: str) -> None:
        """A login the directory does not name is told once (per workspace, in their own
        home) that they work as an agent of no department."""
        import hashlib

        from cstool.core.resources import user_state_dir

        marker = user_state_dir() / ("unlisted-" + hashlib.sha256(str(self.workspace.root).encode()).hexdigest()[:16])
        if marker.exists():
            return
        self.warn(
            _(
                "{login} is not in the staff directory ([people] of policy.toml): you work as an agent of no "
                "department until an administrator adds you"
            ).format(login=login)
        )
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass

    @property
    def store_url(self) -> str | None:
        """The shared store this command uses: ``CSTOOL_STORE_URL``, else the policy's
        ``[workspace] store``; None for the workspace's own folder."""
        from cstool.stores.base import STORE_URL_VARIABLE

        return os.environ.get(STORE_URL_VARIABLE) or self.local_policy.get("workspace.store") or None

    @cached_property
    def store(self) -> RecordStore:
        url = self.store_url
        if url is None:
            from cstool.stores.folder import FolderStore

            partitioned = {k.name for k in self.kinds if k.high_volume}
            return FolderStore(self.workspace.root, partitioned, warn=self.warn)
        return self.open_store(url)

    def open_store(self, url: str) -> RecordStore:
        """The store ``url`` names, opened by the plugin that knows its scheme."""
        from cstool.stores.base import redact_url

        opened = self.hook.cstool_store(url=url, app=self)
        if opened is None:
            scheme = url.partition("://")[0] if "://" in url else url
            raise StoreError(
                _("no plugin opens a store at {url} (scheme {scheme!r}); the bundled one takes postgresql://").format(
                    url=redact_url(url), scheme=scheme
                )
            )
        return opened

    @cached_property
    def sla(self):
        from cstool.core.clocks import SlaPolicy

        return SlaPolicy(self.policy, self.names)

    @cached_property
    def clock_cache(self):
        from cstool.core.clockcache import ClockCache

        return ClockCache(self.workspace.cache_dir, self.policy.text, self.sla)

    def clocks(self, record: dict, now: datetime, detail: str = "instants"):
        """The calendar name and clocks of ``record`` as of ``now`` (detail: see clocks.evaluate)."""
        clocks = self._clocks.get(record["kind"])
        if clocks is None:
            kind = self.kinds.get(record["kind"])
            clocks = self._clocks[kind.name] = self.clock_cache.kind(
                kind.name, {s.name: s.phase for s in kind.statuses}, kind.initial_status.name, self.store
            )
        return clocks.clocks(record, now, detail)

    def clock_tally(self, kind_name: str, selection, now: datetime, by: str | tuple[str, ...], default: str):
        """``(counted, rest)``: what the store counts itself of the SLA figures of the
        ``selection`` of ``kind_name``'s records as of ``now``, per (value of ``by``, clock)
        (``default`` for a missing priority), and the records it leaves to be judged one by
        one (read afresh each time they are iterated). A store that counts none: ``({},
        every record)``."""
        from cstool.stores.base import CountsClocks, Reread

        if not isinstance(self.store, CountsClocks):
            return {}, Reread(lambda: self.store.stream(kind_name, selection))
        kind = self.kinds.get(kind_name)
        clocks = self.clock_cache.kind(
            kind.name, {s.name: s.phase for s in kind.statuses}, kind.initial_status.name, self.store
        )
        return self.store.clock_tally(kind_name, selection, clocks.fingerprint, now, by, default)

    def prepare_clocks(self) -> None:
        """Before a pass over many records, when the store keeps remembered clocks itself:
        open each kind's, so that the store sends them along with the records."""
        from cstool.stores.base import RemembersClocks

        if isinstance(self.store, RemembersClocks):
            for kind in self.kinds:
                self.clock_cache.kind(
                    kind.name, {s.name: s.phase for s in kind.statuses}, kind.initial_status.name, self.store
                )

    def policy_keys(self) -> list[str]:
        """Every policy key the core and the loaded plugins declare they read."""
        declared = list(CORE_KEYS)
        for found in self.hook.cstool_policy_keys():
            declared.extend(found or [])
        return declared

    def template(self, relative: str) -> Path:
        """A template by relative path (``import/cfpb.toml``, ``forms/...``): the workspace's
        own copy, else the bundled one, else the first plugin that ships it."""
        found = self.workspace.template(relative)
        if found.exists():
            return found
        for _plugin, folder in self.host.plugin_files():
            if (folder / relative).exists():
                return folder / relative
        return found

    def warn(self, message: str) -> None:
        """Something the person should know that does not stop the command."""
        self.warnings.append(message)

    def finish(self) -> None:
        """After the command: keep what is worth keeping for the next one (clocks computed).
        The command's work is done by now, so a store that fails here (a lost connection, a
        connection limit) is a warning, not an error after the fact."""
        if "clock_cache" in self.__dict__:
            try:
                self.clock_cache.save()
            except CstoolError as exc:
                self.warn(_("the clocks computed were not kept for next time ({exc})").format(exc=exc))
        if "store" in self.__dict__:
            try:
                self.store.close()
            except CstoolError:
                pass

    @cached_property
    def book(self):
        from cstool.core.records import RecordBook

        return RecordBook(self)

    @property
    def lang(self) -> str:
        if self._lang in ("zh", "en"):
            return self._lang
        try:
            return self.policy.language
        except CstoolError:
            return "zh"

    @property
    def tz(self) -> tzinfo:
        return self.policy.timezone

    def now(self) -> datetime:
        """Now in the workspace's zone: on a store that keeps time (PostgreSQL), the server's
        clock, read once a command and carried on by this machine's; the tests' fixed instant
        under the tests."""
        from cstool.core.timeutil import test_now

        if test_now() is None and self.store_url is not None:
            from cstool.stores.base import KeepsTime

            if self._clock_offset is None:
                store = self.store
                self._clock_offset = (
                    store.server_now() - datetime.now(UTC) if isinstance(store, KeepsTime) else timedelta(0)
                )
            return (datetime.now(UTC) + self._clock_offset).astimezone(self.tz).replace(microsecond=0)
        return now_in(self.tz)

    @cached_property
    def names(self):
        """The display names of policy's ids ([names]): ``names.show(value, lang)``."""
        from cstool.core.names import Names

        named: dict[str, Any] = {kind.name: kind.label for kind in self.kinds if kind.label}
        for kind in self.kinds:  # statuses by their titles (an id shared by kinds: the first kind's)
            for status in kind.statuses:
                named.setdefault(status.name, status.label)
        for kind in self.kinds:  # choices kept as a table of names (complaints.handling_steps)
            for field in kind.fields:
                table = self.policy.get(field.choices_from) if field.choices_from else None
                if isinstance(table, dict):
                    named.update({k: v for k, v in table.items() if isinstance(v, dict) and {"en", "zh"} & set(v)})
        for key, person in (self.policy.get("people") or {}).items():  # the staff, by their names
            if isinstance(person, dict) and isinstance(person.get("name"), dict):
                named[key] = {"zh": key, **person["name"]}
        return Names({**named, **(self.policy.get("names") or {})})

    def shown(self, value: Any) -> Any:
        """``value`` as the person at this command reads it: an id's name in their language."""
        return self.names.show(value, self.lang)

    def aliases(self, field: Field) -> dict[str, str]:
        """The names input accepts for ``field``'s choices, beside the ids."""
        choices = self.choices(field)
        return self.names.aliases(choices) if choices else {}

    def choices(self, field: Field, answers: Mapping[str, Any] | None = None) -> list[str] | None:
        """The allowed values of ``field``: its own, or policy's at ``choices_from``. A key
        naming other fields (``internal.agreements.{agreement}.items``) depends on the
        answers: without them (or with one not given) there is no list, and the kind's
        own check judges the value."""
        if field.choices:
            return list(field.choices)
        if not field.choices_from:
            return None
        if "{" not in field.choices_from:
            return self.policy.choices(field.choices_from)
        import string

        needed = [name for _, name, _, _ in string.Formatter().parse(field.choices_from) if name]
        if not answers or any(not isinstance(answers.get(name), str) for name in needed):
            return None
        return self.policy.choices(field.choices_from.format(**{name: answers[name] for name in needed})) or None

    def reports(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for plugin, declared in self.host.call_each("cstool_reports"):
            for report in declared or []:
                if report.name in found:
                    raise CstoolError(
                        _("report {name!r} is declared by both {plugin} and {plugin_name}").format(
                            name=report.name, plugin=found[report.name].plugin, plugin_name=plugin
                        )
                    )
                found[report.name] = replace(report, plugin=plugin)
        return dict(sorted(found.items()))
