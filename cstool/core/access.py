"""Who is working, and what their role lets them do: the staff directory and the roles of
policy.toml, read without a store (pure), for ``app.person`` and ``app.require``.

    [people."王经理"]                       # the name written into events and shown
    name = { en = "Manager Wang" }          # in the other language (zh defaults to the key)
    logins = ["wang", "cs_wang"]            # OS login names (folder) and database roles (PostgreSQL)
    department = "customer_service"
    role = "manager"                        # agent, supervisor, manager, auditor, administrator

    [roles.supervisor]
    may = ["reveal", "approve", "void_others", ...]   # replaces the built-in list of that role

With no ``[people]`` the workspace has no directory: its owner (the folder's owner; on
PostgreSQL a superuser or a member of ``cstool_administrator``) is its administrator and
everyone else an agent. Once the directory names people, a login it does not name works
as an agent of no department.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cstool.core.errors import CstoolError
from cstool.core.i18n import N_, _
from cstool.core.policy import Problem

ROLES = ("agent", "supervisor", "manager", "auditor", "administrator")
ROLE_TITLES = {  # as people read them; a role policy adds is shown by its id
    "agent": N_("agent"),
    "supervisor": N_("supervisor"),
    "manager": N_("manager"),
    "auditor": N_("auditor"),
    "administrator": N_("administrator"),
}


def role_title(role: str) -> str:
    return _(ROLE_TITLES[role]) if role in ROLE_TITLES else role


def department_leaders(policy) -> set[str]:
    """The managers and supervisors ``[departments]`` names, of every department: who rates,
    commends and reads every person's line."""
    return {
        table[role]
        for table in (policy.get("departments") or {}).values()
        if isinstance(table, dict)
        for role in ("manager", "supervisor")
        if isinstance(table.get(role), str) and table[role]
    }


NO_DIRECTORY_ADMIN = "administrator"
SHOWN_HOLDERS = 5  # a refusal names this many who may, those of the person's department first

# The core's permissions, each with what it lets a person do (shown in refusals and
# `cstool roles`). A plugin adds its own through the ``cstool_permissions`` hook.
PERMISSIONS: dict[str, str] = {
    "reveal": N_("see personal data unmasked (--reveal)"),
    "export": N_("export records to a file"),
    "approve": N_("approve or reject a proposed resolution"),
    "void_others": N_("void a record someone else owns"),
    "undo_others": N_("undo someone else's change"),
    "deregister": N_("deregister a customer (erase their personal data)"),
    "change_policy": N_("change the service standards (policy)"),
    "act_for_others": N_("act in another person's name (--as)"),
    "other_departments": N_("work on other departments' records"),
    "see_other_departments": N_("see other departments' records"),
    "audit": N_("read the audit reports (audit verify, who-saw) and a customer's data"),
    "purge": N_("anonymise closed records past retention (privacy purge)"),
    "grant": N_("give database roles their cstool role (store grant)"),
}
_SUPERVISOR = (
    "reveal",
    "approve",
    "void_others",
    "undo_others",
    "other_departments",
    "see_other_departments",
    "export",
)
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    "agent": (),
    "supervisor": _SUPERVISOR,
    "manager": (*_SUPERVISOR, "deregister", "change_policy"),
    "auditor": ("see_other_departments", "audit", "export"),
    "administrator": tuple(PERMISSIONS),  # and every plugin's: see Directory
}


@dataclass(frozen=True)
class Person:
    """Someone working at a command: their directory name, role and department."""

    key: str  # the name events carry (the directory's key, else the login)
    role: str = "agent"
    department: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)  # by language, when the directory gives one
    logins: tuple[str, ...] = ()
    listed: bool = True  # False: the directory does not name this login

    def shown(self, lang: str) -> str:
        return self.names.get(lang) or self.key


class Directory:
    """The ``[people]`` and ``[roles]`` of a policy."""

    def __init__(
        self, people: Mapping[str, Any] | None, roles: Mapping[str, Any] | None, extra: Mapping[str, str] | None = None
    ):
        self.people: dict[str, Person] = {}
        for key, entry in (people or {}).items():
            entry = entry if isinstance(entry, dict) else {}
            names: dict = entry["name"] if isinstance(entry.get("name"), dict) else {}
            self.people[key] = Person(
                key=key,
                role=str(entry.get("role") or "agent"),
                department=entry.get("department") or None,
                names={lang: str(text) for lang, text in names.items()},
                logins=tuple(str(login) for login in entry.get("logins") or ()),
            )
        self.permissions = {**(extra or {}), **PERMISSIONS}
        self.roles: dict[str, frozenset[str]] = {name: frozenset(grants) for name, grants in DEFAULT_ROLES.items()}
        self.roles["administrator"] |= frozenset(self.permissions)
        for name, entry in (roles or {}).items():
            if isinstance(entry, dict) and isinstance(entry.get("may"), list):
                self.roles[name] = frozenset(str(p) for p in entry["may"])
        self._by_login = {login: person for person in self.people.values() for login in person.logins}

    def __bool__(self) -> bool:
        return bool(self.people)

    def find(self, name: str) -> Person | None:
        """The person a login name or a directory name stands for."""
        return self._by_login.get(name) or self.people.get(name)

    def person_for_login(self, login: str, owner: bool) -> Person:
        """Who works under ``login``: the directory's entry; without a directory, the
        workspace's owner is its administrator and anyone else an agent."""
        if not self.people:
            return Person(login, NO_DIRECTORY_ADMIN if owner else "agent", logins=(login,))
        found = self.find(login)
        if found is not None:
            return found
        return Person(login, "agent", logins=(login,), listed=False)

    def may(self, person: Person, permission: str) -> bool:
        return permission in self.roles.get(person.role, frozenset())

    def holders(self, permission: str) -> tuple[list[str], list[str]]:
        """The roles that hold ``permission``, and the people of those roles."""
        roles = [name for name, grants in self.roles.items() if permission in grants]
        people = [p.key for p in self.people.values() if p.role in roles]
        return roles, people

    def refusal(self, person: Person, permission: str, doing: str | None = None) -> CstoolError:
        """The refusal of ``permission`` to ``person``, naming it and who holds it."""
        roles, people = self.holders(permission)
        described = self.permissions.get(permission) or permission
        if not self.people:
            holders = _(
                "the workspace's owner, as long as policy names no staff ([people]); on a database, a superuser "
                "or a member of cstool_administrator"
            )
        elif people:
            same = [key for key in people if self.people[key].department == person.department]
            listed = (same + [key for key in people if key not in same])[:SHOWN_HOLDERS]
            holders = ", ".join(listed)
            if len(people) > len(listed):
                holders += " " + _("and {count} more (cstool roles)").format(count=len(people) - len(listed))
        else:
            holders = _("the roles {roles}").format(roles=", ".join(roles) or "-")
        if doing is None:
            message = _(
                "{person} ({role}) may not {described}: it needs the permission {permission}, held by {holders}"
            )
        else:
            message = _(
                "{person} ({role}) may not {doing}: it needs the permission {permission} ({described}), "
                "held by {holders}"
            )
        return PermissionRefused(
            message.format(
                person=person.key,
                role=role_title(person.role),
                doing=doing,
                permission=permission,
                described=_(described),
                holders=holders,
            )
        )


class PermissionRefused(CstoolError):
    """A person tried what their role does not allow."""


def check_directory(policy_data: Mapping[str, Any], departments: Iterable[str], known: Iterable[str]) -> list[Problem]:
    """Problems of ``[people]`` and ``[roles]``: unknown roles, departments or permissions,
    a login named twice."""
    problems: list[Problem] = []
    departments, known = set(departments), set(known)
    roles = policy_data.get("roles") or {}
    if not isinstance(roles, dict):
        return [Problem(("roles",), _("must be a table of roles, each with may = [permissions]"))]
    for name, entry in roles.items():
        grants = entry.get("may") if isinstance(entry, dict) else None
        if not isinstance(grants, list) or not all(isinstance(g, str) for g in grants):
            problems.append(Problem(("roles", name), _("must have may = [permissions]")))
            continue
        for index, grant in enumerate(grants):
            if grant not in known:
                problems.append(
                    Problem(
                        ("roles", name, "may", index),
                        _("{grant!r} is not a permission; permissions: {known}").format(
                            grant=grant, known=", ".join(sorted(known))
                        ),
                    )
                )
    role_names = set(ROLES) | set(roles)
    people = policy_data.get("people") or {}
    if not isinstance(people, dict):
        return [*problems, Problem(("people",), _("must be a table of people by name"))]
    seen: dict[str, str] = {}
    for key, entry in people.items():
        if not isinstance(entry, dict):
            problems.append(Problem(("people", key), _("must be a table (name, logins, department, role)")))
            continue
        unknown = set(entry) - {"name", "logins", "department", "role"}
        for name in sorted(unknown):
            problems.append(
                Problem(("people", key, name), _("unknown key; a person has name, logins, department, role"))
            )
        role = entry.get("role", "agent")
        if role not in role_names:
            problems.append(
                Problem(
                    ("people", key, "role"),
                    _("{role!r} is not a role; roles: {roles}").format(role=role, roles=", ".join(sorted(role_names))),
                )
            )
        department = entry.get("department")
        if department is not None and department not in departments:
            problems.append(
                Problem(
                    ("people", key, "department"),
                    _("{name!r} is not a department; departments: {known}").format(
                        name=department, known=", ".join(sorted(departments))
                    ),
                )
            )
        name = entry.get("name", {})
        if not isinstance(name, dict) or not all(isinstance(v, str) for v in name.values()):
            problems.append(Problem(("people", key, "name"), _('must be a table like {{ en = "Manager Wang" }}')))
        logins = entry.get("logins", [])
        if not isinstance(logins, list) or not all(isinstance(v, str) and v for v in logins):
            problems.append(Problem(("people", key, "logins"), _("must be a list of login names")))
            continue
        for login in logins:
            if login in seen and seen[login] != key:
                problems.append(
                    Problem(
                        ("people", key, "logins"),
                        _("{login!r} is also a login of {other}: a login is one person's").format(
                            login=login, other=seen[login]
                        ),
                    )
                )
            seen[login] = key
    return problems
