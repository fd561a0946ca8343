"""Record kinds, their typed fields and statuses, as plugins declare them (spec section 4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field as dc_field, replace
from typing import Any

from cstool.core.errors import CstoolError
from cstool.core.i18n import _, language

PHASES = ("open", "pending", "resolved", "closed", "void")
VOID = "void"  # the status every kind has for a record entered in error (SPEC 11): out of every figure
FIELD_TYPES = ("text", "int", "decimal", "date", "datetime", "choice", "bool", "phone", "email", "list")


def label(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


@dataclass(frozen=True)
class Field:
    """One field of a kind.

    ``choices`` is a fixed list; ``choices_from`` is a dotted policy key whose value is a
    list of choices or a table whose keys are the choices, so departments edit them in
    policy.toml; a key naming other fields in braces (``internal.agreements.{agreement}
    .items``) gives its list once those are answered. ``personal`` fields are masked on
    output unless revealed.
    """

    name: str
    type: str = "text"
    required: bool = False
    label: Mapping[str, str] = dc_field(default_factory=dict)
    choices: tuple[str, ...] | None = None
    choices_from: str | None = None
    personal: bool = False
    # personal, except on records where each of these fields has this value (a corporate
    # customer's name is a company's, not a person's: customer_type = "corporate")
    public_when: Mapping[str, Any] | None = None
    default: Any = None
    multiline: bool = False
    ask: bool = True  # False: not prompted at registration (filled in later, or derived)
    update_via: str | None = None  # the command that alone may change it after registration
    min: float | None = None  # bounds of an int or decimal field, inclusive
    max: float | None = None
    link: bool = False  # its value is another record's id: the record it names lists this one on `show`

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}; types are {', '.join(FIELD_TYPES)}")

    def title(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("en") or self.name


@dataclass(frozen=True)
class Status:
    name: str
    phase: str
    label: Mapping[str, str] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"status {self.name}: phase must be one of {', '.join(PHASES)}")

    def title(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("en") or self.name


@dataclass(frozen=True)
class Kind:
    """A kind of record: its id prefix, fields and statuses (the first status is the initial one).

    ``list_columns`` are the kind's own fields shown by ``cstool list`` beside the
    envelope columns; ``department`` is the default responsible department;
    ``transitions`` (status → statuses it may move to) enforces a flow, None allows any move.
    """

    name: str
    prefix: str
    fields: tuple[Field, ...]
    statuses: tuple[Status, ...]
    label: Mapping[str, str] = dc_field(default_factory=dict)
    list_columns: tuple[str, ...] = ()
    department: str | None = None
    transitions: Mapping[str, tuple[str, ...]] | None = None
    history_field: str | None = None  # records of any kind whose this field equals our id are our history
    script: str | None = None  # a template shown before the prompts (e.g. a call script)
    # many records a day: a store keeps them so that one change never rewrites them all
    # (how is the store's business: the folder keeps parts of at most a thousand of a day)
    high_volume: bool = False
    requires: tuple[str, ...] = ()  # envelope fields its records must have (a sale names its customer_id)
    plugin: str = ""

    def __post_init__(self) -> None:
        if not self.statuses:
            raise ValueError(f"kind {self.name}: it needs at least one status")
        if not any(s.phase == VOID for s in self.statuses):  # every kind can take back a mistake
            object.__setattr__(self, "statuses", (*self.statuses, Status(VOID, VOID, {"en": "Void", "zh": "已作废"})))
        clash = {f.name for f in self.fields} & set(ENVELOPE_NAMES)
        if clash:
            raise ValueError(f"kind {self.name}: fields {sorted(clash)} clash with envelope keys")

    @property
    def initial_status(self) -> Status:
        return self.statuses[0]

    def next_statuses(self, current: str) -> tuple[str, ...]:
        """Where ``status`` may move a record: never into or out of void (``void`` and
        ``undo`` do that)."""
        status = self.status(current)
        if status is not None and status.phase == VOID:
            return ()
        if self.transitions is None:
            return tuple(s.name for s in self.statuses if s.name != current and s.phase != VOID)
        return tuple(self.transitions.get(current, ()))

    def status(self, name: str) -> Status | None:
        for status in self.statuses:
            if status.name == name or name in status.label.values():
                return status
        return None

    def stored_status(self, name: str) -> Status:
        """The status a stored (so already checked) record is in; a clear error if a hand
        edit or another program put one the kind does not have."""
        status = self.status(name)
        if status is None:
            known = ", ".join(s.name for s in self.statuses)
            raise CstoolError(
                _("{kind} has no status {name!r}; statuses: {known}").format(kind=self.name, name=name, known=known)
            )
        return status

    def field(self, name: str) -> Field | None:
        return self._fields_by_name.get(name)

    @property
    def _fields_by_name(self) -> dict[str, Field]:
        cache = self.__dict__.get("_fields_cache")
        if cache is None:
            cache = {f.name: f for f in (*ENVELOPE_FIELDS, *self.fields)}
            object.__setattr__(self, "_fields_cache", cache)
        return cache

    def all_fields(self) -> list[Field]:
        """Envelope fields a person may set, then the kind's own."""
        return list(self._fields_by_name.values())

    def title(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("en") or self.name

    def with_plugin(self, plugin: str) -> Kind:
        return replace(self, plugin=plugin)


# Envelope keys every record has, whatever its kind (spec section 4). Those a person may
# set through --set or an import column are Fields; the rest are the tool's own.
ENVELOPE_FIELDS: tuple[Field, ...] = (
    Field("created_at", "datetime", label=label("Created at", "创建时间")),
    Field("first_response_at", "datetime", label=label("First response at", "首次响应时间")),
    Field("resolved_at", "datetime", label=label("Resolved at", "解决时间")),
    Field("closed_at", "datetime", label=label("Closed at", "结案时间")),
    Field("promised_at", "datetime", label=label("Promised by", "承诺期限")),
    Field("department", "text", label=label("Department", "负责部门")),
    Field("owner", "text", label=label("Owner", "首问负责人")),
    Field("customer_id", "text", label=label("Customer id", "客户编号")),
    Field("category", "text", label=label("Category", "类别")),
    Field("priority", "choice", choices_from="workspace.priorities", label=label("Priority", "优先级")),
    Field("tags", "list", label=label("Tags", "标签")),
    Field("external_id", "text", label=label("External id", "外部编号")),
)
# A kind that includes this field is timed by [sla.KIND.grades.GRADE] as well (分级对待): the
# customers plugin fills it from the linked customer's grade when the record is made, and
# it stays as it was then (a later regrade does not re-time old cases); a walk-in VIP
# without a customer record can be given it by hand.
CUSTOMER_GRADE = Field(
    "customer_grade", "text", ask=False, label=label("Customer grade at intake", "客户等级（受理时）")
)
ENVELOPE_NAMES = (
    "id",
    "kind",
    "status",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "promised_at",
    "department",
    "owner",
    "customer_id",
    "category",
    "priority",
    "tags",
    "external_id",
    "events",
)
# What `update --set` may change; status, owner and clock stamps have their own commands.
UPDATABLE_ENVELOPE = ("department", "customer_id", "category", "priority", "tags", "external_id", "promised_at")


class KindRegistry:
    """The kinds every loaded plugin declared, checked for clashes."""

    def __init__(self, kinds: list[Kind]):
        self._by_name: dict[str, Kind] = {}
        self._by_prefix: dict[str, Kind] = {}
        for kind in kinds:
            for index, (table, key) in enumerate(((self._by_name, kind.name), (self._by_prefix, kind.prefix))):
                if key in table:
                    clash = (
                        _("kind name {key!r} is declared by both {first} and {second}")
                        if index == 0
                        else _("kind prefix {key!r} is declared by both {first} and {second}")
                    )
                    raise CstoolError(clash.format(key=key, first=table[key].plugin, second=kind.plugin))
                table[key] = kind

    def __iter__(self):
        return iter(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)

    def get(self, name: str) -> Kind:
        """A kind by its name, or by its title in either language (``投诉``, ``Complaint``);
        a near miss is refused with the name meant."""
        kind = self._by_name.get(name) or self._by_title().get(name.strip().lower())
        if kind is None:
            import difflib

            known = ", ".join(self._by_name) or _("none")
            close = difflib.get_close_matches(name.lower(), [*self._by_name, *self._by_title()], n=1, cutoff=0.6)
            if close:
                meant = self._by_name.get(close[0]) or self._by_title()[close[0]]
                raise CstoolError(
                    _("unknown kind {name!r}; did you mean {meant} ({title})?").format(
                        name=name, meant=meant.name, title=meant.title(language())
                    )
                )
            raise CstoolError(_("unknown kind {name!r}; kinds: {known}").format(name=name, known=known))
        return kind

    def _by_title(self) -> dict[str, Kind]:
        return {title.lower(): kind for kind in self._by_name.values() for title in kind.label.values() if title}

    def kind_of_id(self, record_id: str) -> Kind:
        prefix = record_id.split("-", 1)[0].upper()
        kind = self._by_prefix.get(prefix)
        if kind is None:
            raise CstoolError(
                _("{record_id!r} is not a record id (ids look like CMP-20261123-0007)").format(record_id=record_id)
            )
        return kind
