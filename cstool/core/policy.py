"""The service standards (服务标准) in policy.toml: load, check, locate, edit in place.

Plugins read policy as plain data through ``Policy.get`` (parsed by tomllib); only
``set_value`` touches a tomlkit document, so comments and layout survive an edit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from cstool.core.errors import CstoolError, PolicyError
from cstool.core.i18n import LANGUAGES, _

KeyPath = tuple[Any, ...]  # ("escalation", "levels", 1, "at")


@dataclass(frozen=True)
class Problem:
    """Something wrong in policy.toml, at a key path (strings and array indexes)."""

    path: KeyPath
    message: str

    @property
    def dotted(self) -> str:
        return format_key(self.path)


def format_key(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z0-9_\-]+", part) else f'"{part}"'
            out += ("." if out else "") + text
    return out


@lru_cache(maxsize=512)
def parse_key(key: str) -> KeyPath:
    """``escalation.levels[1].at`` → ("escalation", "levels", 1, "at"); quotes allowed."""
    parts: list[Any] = []
    pattern = re.compile(r'\s*(?:"([^"]*)"|\'([^\']*)\'|([^.\[\]"\'\s]+))\s*((?:\[\d+\])*)\s*(\.|$)')
    position = 0
    while position < len(key):
        match = pattern.match(key, position)
        if not match or match.end() == position:
            raise PolicyError(
                _(
                    "{key!r} is not a policy key (write it like sla.complaint.calendar or escalation.levels[1].at)"
                ).format(key=key)
            )
        name = next(g for g in match.groups()[:3] if g is not None)
        parts.append(name)
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(4)))
        position = match.end()
    if not parts:
        raise PolicyError(_("empty policy key"))
    return tuple(parts)


class Policy:
    """A loaded policy.toml: plain data plus what is needed to point at its lines."""

    def __init__(self, path: Path, text: str, data: dict):
        self.path = path
        self.text = text
        self.data = data
        self._lines: list[tuple[KeyPath, int]] | None = None

    def get(self, dotted: str | KeyPath, default: Any = None) -> Any:
        node: Any = self.data
        for part in parse_key(dotted) if isinstance(dotted, str) else dotted:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def choices(self, dotted: str) -> list[str]:
        """A list of names in policy, or the keys of a table (e.g. complainant types)."""
        value = self.get(dotted)
        if isinstance(value, dict):
            return [str(k) for k in value]
        if isinstance(value, list):
            return [str(v) for v in value]
        return []

    @property
    def timezone_name(self) -> str:
        return self.get("workspace.timezone", "Asia/Shanghai")

    @cached_property
    def timezone(self) -> tzinfo:
        from cstool.core.timeutil import zone

        return zone(self.timezone_name)

    @cached_property
    def priorities(self) -> list[str]:
        return list(self.get("workspace.priorities", ["urgent", "high", "normal", "low"]))

    @property
    def default_priority(self) -> str:
        return self.get("workspace.default_priority", "normal")

    @property
    def language(self) -> str:
        return self.get("workspace.language", "zh")

    def line_of(self, path: KeyPath) -> int:
        """The line of policy.toml that best matches ``path`` (its longest known prefix)."""
        if self._lines is None:
            self._lines = _key_lines(self.text)
        best_line, best_length = 1, -1
        for key_path, line in self._lines:
            n = len(key_path)
            if n > best_length and tuple(path[:n]) == key_path:
                best_line, best_length = line, n
        return best_line

    def describe(self, problem: Problem) -> str:
        return f"{self.path}:{self.line_of(problem.path)}: {problem.dotted}: {problem.message}"


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r'^\s*((?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+))*)\s*='
)


def _split_dotted(text: str) -> tuple[str, ...]:
    return tuple(
        next(g for g in m.groups() if g is not None) for m in re.finditer(r'"([^"]*)"|\'([^\']*)\'|([^.\s"\']+)', text)
    )


def _key_lines(text: str) -> list[tuple[KeyPath, int]]:
    """Every table header and key in the text with its line number (1-based)."""
    found: list[tuple[KeyPath, int]] = []
    current: KeyPath = ()
    array_counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                index = array_counts.get(names, 0)
                array_counts[names] = index + 1
                current = (*names, index)
            else:
                current = names
            found.append((current, number))
            continue
        key = _KEY.match(line)
        if key:
            found.append(((*current, *_split_dotted(key.group(1))), number))
    return found


def parse_text(path: Path, text: str):
    """The tomlkit document of ``text``; a PolicyError names the line of a syntax error."""
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        message = re.sub(r"\s+at line \d+ col \d+$", "", str(exc))
        raise PolicyError(_("{path}:{line}: {message}").format(path=path, line=exc.line, message=message)) from None
    except TOMLKitError as exc:  # e.g. a key defined twice
        raise PolicyError(_("{path}: {exc}").format(path=path, exc=exc)) from None


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(
            _("{path} is missing: run `cstool init` to create the default policy").format(path=path)
        ) from None
    except UnicodeDecodeError as exc:
        raise PolicyError(
            _("{path}: not UTF-8 text ({reason} at byte {start})").format(path=path, reason=exc.reason, start=exc.start)
        ) from None
    return Policy(path, text, read_text(path, text))


def read_text(path: Path, text: str) -> dict:
    """Plain data of ``text`` for reading. Every command reads the policy and few edit it, so
    reading uses the standard library's parser (about 10x faster than building tomlkit's
    document); ``set_value`` edits through tomlkit so comments and layout survive."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        located = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(exc))
        if located is None:
            raise PolicyError(_("{path}: {exc}").format(path=path, exc=exc)) from None
        line, column = int(located.group(1)), int(located.group(2))
        lines = text.splitlines()
        shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        key = shown.split("=", 1)[0].strip() if "=" in shown else shown
        raise PolicyError(
            _("{path}:{line}:{column}: not valid TOML at {key!r} ({reason})").format(
                path=path, line=line, column=column, key=key, reason=str(exc)[: located.start()]
            )
        ) from None


# The sections and keys the core itself reads (plugins declare theirs: cstool_policy_keys).
CORE_KEYS = (
    "workspace.timezone",
    "workspace.language",
    "workspace.priorities",
    "workspace.default_priority",
    "workspace.store",
    "plugins.blocked",
    "departments.*.manager",
    "departments.*.supervisor",
    "departments.*.members",
    "calendars.*",
    "sla.*",
    "escalation.levels",
    "notify.calendar",
    "reports.compliance_target_pct",
    "reports.send",
    "names",
    "people",
    "roles",
    "privacy.retain_closed_days",
    "privacy.own_department_only",
    "worker",
    "attachments.max_mb",
    "attachments.types",
)


def check_keys(
    policy: Policy, declared: Iterable[str], named_by_choices: Iterable[str] = ()
) -> list[tuple[Problem, bool]]:
    """Keys that nothing declares it reads, at any depth: most often a typo
    (``complaints.chanels``, ``departments.sales.manger``), reported with the closest known
    name. Each comes with whether it is a typo (a known name is close).

    A declared key is a dotted path; ``*`` (or a ``{field}`` of a ``choices_from``) stands
    for any name (a table of named things, ``departments.*.manager``). A table is checked
    key by key when declared paths go deeper than it; a table some path is declared to end
    at (``names``, ``calendars.*``) is open: its contents are its reader's to check. A table
    a field takes its choices from (``named_by_choices``) is known, and open unless declared
    paths go deeper (``departments``: its names are choices, each one's keys are checked)."""
    import difflib

    open_here = ""  # in a node: a declared path ends here
    tree: dict = {}
    for key, ends_open in [*((k, True) for k in declared), *((k, False) for k in named_by_choices)]:
        node = tree
        for part in key.split("."):
            node = node.setdefault("*" if part.startswith("{") else part, {})
        if ends_open:
            node[open_here] = {}
    found: list[tuple[Problem, bool]] = []

    def walk(value: Any, node: dict, path: tuple) -> None:
        if open_here in node or not node or not isinstance(value, dict):
            return
        for key, item in value.items():
            child = node.get(key, node.get("*"))
            if child is None:
                found.append(_unknown((*path, key), {name for name in node if name not in ("*", open_here)}, difflib))
            else:
                walk(item, child, (*path, key))

    walk(policy.data, tree, ())
    return found


def _unknown(path: tuple[str, ...], names: set[str], difflib) -> tuple[Problem, bool]:
    close = difflib.get_close_matches(path[-1], sorted(names), n=1, cutoff=0.6)
    if close:
        return Problem(path, _("unknown key; did you mean {close!r}?").format(close=close[0])), True
    message = _("unknown key: no part of cstool or its plugins reads it (known here: {names})")
    return Problem(path, message.format(names=", ".join(sorted(names)) or _("none"))), False


def check_department_names(policy: Policy) -> list[Problem]:
    """A section's ``department`` key names a department of [departments] (the convention
    every plugin follows: complaints.department, aftersales.department, ...)."""
    departments = policy.get("departments") or {}
    if not isinstance(departments, dict):
        return []
    return [
        Problem(
            (section, "department"),
            _("{name!r} is not a department; departments: {known}").format(
                name=table["department"], known=", ".join(departments)
            ),
        )
        for section, table in policy.data.items()
        if isinstance(table, dict)
        and "department" in table
        and not (isinstance(table["department"], str) and table["department"] in departments)
    ]


def _non_finite_numbers(value: Any, path: tuple) -> Iterator[Problem]:
    """TOML's nan and inf, anywhere: no standard is counted in them, and each compares false
    to everything (an approval limit of nan would ask for no approval at all)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield Problem(path, _("must be a finite number, not {value}").format(value=value))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite_numbers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite_numbers(item, (*path, index))


def check_core(policy: Policy) -> list[Problem]:
    """Checks of the sections every plugin relies on: [workspace] and [departments]."""
    from cstool.core.timeutil import zone

    problems: list[Problem] = list(_non_finite_numbers(policy.data, ()))
    workspace = policy.get("workspace")
    if not isinstance(workspace, dict):
        return [*problems, Problem(("workspace",), _("the [workspace] table is missing"))]
    if "store" in workspace:
        from cstool.stores.base import check_store_setting

        refused = check_store_setting(workspace["store"])
        if refused:
            problems.append(Problem(("workspace", "store"), refused))
    tz = workspace.get("timezone", "Asia/Shanghai")
    if not isinstance(tz, str):
        problems.append(Problem(("workspace", "timezone"), _('must be a time zone name such as "Asia/Shanghai"')))
    else:
        try:
            zone(tz)
        except ValueError as exc:
            problems.append(Problem(("workspace", "timezone"), str(exc)))
    language = workspace.get("language", "zh")
    if language not in LANGUAGES:
        problems.append(
            Problem(
                ("workspace", "language"),
                _("must be one of {LANGUAGES}, not {language!r}").format(
                    LANGUAGES=", ".join(LANGUAGES), language=language
                ),
            )
        )
    priorities = workspace.get("priorities", ["urgent", "high", "normal", "low"])
    if not (isinstance(priorities, list) and priorities and all(isinstance(p, str) and p for p in priorities)):
        problems.append(Problem(("workspace", "priorities"), _("must be a list of priority names, most urgent first")))
    elif len(set(priorities)) != len(priorities):
        problems.append(Problem(("workspace", "priorities"), _("names a priority twice")))
    elif workspace.get("default_priority", "normal") not in priorities:
        problems.append(
            Problem(
                ("workspace", "default_priority"),
                _("must be one of the priorities: {priorities}").format(priorities=", ".join(priorities)),
            )
        )
    departments = policy.get("departments", {})
    if not isinstance(departments, dict):
        problems.append(Problem(("departments",), _("must be a table of departments")))
        departments = {}
    for name, department in departments.items():
        if not isinstance(department, dict):
            problems.append(Problem(("departments", name), _("must be a table with manager, supervisor and members")))
            continue
        for role in ("manager", "supervisor"):
            if role in department and not isinstance(department[role], str):
                problems.append(Problem(("departments", name, role), _("must be a name in quotes")))
        members = department.get("members", [])
        if not (isinstance(members, list) and all(isinstance(m, str) for m in members)):
            problems.append(Problem(("departments", name, "members"), _("must be a list of names")))
    blocked = policy.get("plugins.blocked", [])
    if not (isinstance(blocked, list) and all(isinstance(name, str) for name in blocked)):
        problems.append(Problem(("plugins", "blocked"), _('must be a list of plugin names, such as ["smtp"]')))
    return (
        problems
        + _report_problems(policy, departments)
        + _name_problems(policy.get("names", {}))
        + _worker_problems(policy.get("worker", {}))
        + _attachment_problems(policy.get("attachments", {}))
    )


def _name_problems(table: Any) -> list[Problem]:
    """[names]: each id a table of a zh and/or an en name."""
    from cstool.core.names import LANGUAGES

    if not isinstance(table, dict):
        return [Problem(("names",), _('must be a table of id = { zh = "…", en = "…" }'))]
    return [
        Problem(("names", str(key)), _('must be { zh = "…", en = "…" }: a Chinese and an English name'))
        for key, value in table.items()
        if not (
            isinstance(value, dict)
            and value
            and set(value) <= set(LANGUAGES)
            and all(isinstance(v, str) and v.strip() for v in value.values())
        )
    ]


def _attachment_problems(settings: Any) -> list[Problem]:
    """[attachments]: a file's largest size and the types taken."""
    if not isinstance(settings, dict):
        return [Problem(("attachments",), _("must be a table with max_mb and types"))]
    problems = []
    most = settings.get("max_mb", 1)
    if isinstance(most, bool) or not isinstance(most, int | float) or most <= 0:
        problems.append(Problem(("attachments", "max_mb"), _("must be a number of megabytes above 0")))
    types = settings.get("types", [])
    if not (isinstance(types, list) and all(isinstance(t, str) and "/" in t for t in types)):
        problems.append(
            Problem(("attachments", "types"), _('must be a list of types, e.g. ["image/jpeg", "application/pdf"]'))
        )
    return problems


def _worker_problems(settings: Any) -> list[Problem]:
    """[worker]: each job's interval (the jobs are the core's and the plugins': named at start)."""
    from cstool.core.worker import parse_every

    if not isinstance(settings, dict):
        return [Problem(("worker",), _('must be a table of job = interval, e.g. mail = "1m"'))]
    problems = []
    for name, every in settings.items():
        try:
            parse_every(every)
        except CstoolError as exc:
            problems.append(Problem(("worker", name), str(exc)))
    return problems


def _report_problems(policy: Policy, departments: dict) -> list[Problem]:
    """[reports]: the compliance target of the charts, and who ``report --send`` sends to."""
    problems = []
    for key in ("compliance_target_pct", "csat_target_pct"):
        target = policy.get(f"reports.{key}", 0)
        if isinstance(target, bool) or not isinstance(target, int | float) or not 0 <= target <= 100:
            problems.append(Problem(("reports", key), _("must be a percentage, 0 to 100")))
    send = policy.get("reports.send", {})
    if not isinstance(send, dict):
        return [*problems, Problem(("reports", "send"), _("must be a table with department and recipients"))]
    if "department" in send and not (isinstance(send["department"], str) and send["department"] in departments):
        problems.append(
            Problem(
                ("reports", "send", "department"),
                _("names no department of [departments]: {names}").format(names=", ".join(departments)),
            )
        )
    recipients = send.get("recipients", [])
    if not (isinstance(recipients, list) and all(isinstance(name, str) for name in recipients)):
        problems.append(Problem(("reports", "send", "recipients"), _("must be a list of names")))
    return problems


def parse_toml_value(raw: str) -> Any:
    """VALUE of ``policy set``: a TOML value when it parses as one, else the string itself."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        return tomlkit.parse(f"value = {raw}")["value"]
    except (TOMLKitError, ValueError):
        return raw


def set_value(path: Path, text: str, key: str, raw_value: str) -> str:
    """The policy text with one value changed in place; every other byte is kept."""
    import tomlkit

    parts = parse_key(key)
    document = parse_text(path, text)
    node: Any = document
    for depth, part in enumerate(parts[:-1]):
        where = format_key(parts[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise PolicyError(
                    _("{key}: {where} does not exist (there are {count} entries)").format(
                        key=key, where=where, count=len(node) if isinstance(node, list) else 0
                    )
                )
            node = node[part]
            continue
        if not hasattr(node, "keys"):
            raise PolicyError(
                _("{key}: {parent} is a value, not a table").format(key=key, parent=format_key(parts[:depth]))
            )
        if part not in node:
            if isinstance(parts[depth + 1], int):
                raise PolicyError(_("{key}: {where} does not exist").format(key=key, where=where))
            node[part] = tomlkit.table()
        node = node[part]
    last = parts[-1]
    value = parse_toml_value(raw_value)
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise PolicyError(_("{key}: index {last} does not exist").format(key=key, last=last))
    elif not hasattr(node, "keys"):
        raise PolicyError(_("{key}: {parent} is a value, not a table").format(key=key, parent=format_key(parts[:-1])))
    node[last] = value
    return document.as_string()


def remove_key(text: str, key: str) -> str:
    """The policy text without ``key`` (a dotted key of a table); every other byte is kept."""
    import tomlkit

    document = tomlkit.parse(text)
    *tables, last = key.split(".")
    node: Any = document
    for part in tables:
        node = node.get(part) if hasattr(node, "get") else None
        if node is None:
            return text
    if hasattr(node, "keys") and last in node:
        del node[last]
    return document.as_string()


def with_fragments(text: str, fragments: Iterable[tuple[str, str]]) -> tuple[str, list[str], list[str]]:
    """``text`` (a policy.toml) with each plugin's default policy (``(plugin, its
    policy.toml)``) appended, as written, comments and all: (the new text, the plugins merged,
    the plugins left out because the policy has a section of theirs already or theirs
    does not parse). A department's own sections always win."""
    import tomllib

    taken = set(tomllib.loads(text))
    merged, left = [], []
    for plugin, fragment in fragments:
        try:
            sections = set(tomllib.loads(fragment))
        except tomllib.TOMLDecodeError:
            left.append(plugin)
            continue
        if not sections or sections & taken:
            left.append(plugin)
            continue
        text = (
            text.rstrip("\n")
            + f"\n\n# ---- from the plugin {plugin} (its defaults: edit freely) ----\n"
            + fragment.strip()
            + "\n"
        )
        taken |= sections
        merged.append(plugin)
    return text, merged, left
