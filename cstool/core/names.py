"""Display names (显示名称): a Chinese and an English name for any id in policy.

    [names]
    phone = { zh = "电话", en = "Phone" }
    after_sales = { zh = "售后服务部", en = "After-sales" }

Tables, forms, prompts and reports show an id's name in the chosen language; input takes
the id or either name, in any case; JSON keeps the ids, so scripts never see a name. One
flat table, because the same id means the same thing wherever policy uses it (the
department ``after_sales`` in a complaint, an agreement and a report). An id without a
name is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Ids the core itself hands out: the SLA clocks and their states, and the events of a record's trail.
BUILT_IN = {
    "dispatch": {"zh": "转交时限", "en": "Dispatch"},
    "first_response": {"zh": "首次响应", "en": "First response"},
    "resolution": {"zh": "解决", "en": "Resolution"},
    "promised": {"zh": "承诺时限", "en": "Promised"},
    "created": {"zh": "登记", "en": "Created"},
    "status": {"zh": "状态变更", "en": "Status"},
    "response": {"zh": "答复", "en": "Response"},
    "assigned": {"zh": "移交", "en": "Assigned"},
    "reported_up": {"zh": "上报", "en": "Reported up"},
    "updated": {"zh": "修改", "en": "Updated"},
    "classified": {"zh": "自动分类", "en": "Classified"},
    "escalated": {"zh": "升级", "en": "Escalated"},
    "revealed": {"zh": "查看个人信息", "en": "Revealed"},
    "undone": {"zh": "撤销", "en": "Undone"},
    "credit": {"zh": "信用变更", "en": "Credit change"},
    "erased": {"zh": "注销", "en": "Erased"},
    "voided": {"zh": "作废", "en": "Voided"},
    "approval_requested": {"zh": "申请审批", "en": "Approval requested"},
    "approved": {"zh": "已批准", "en": "Approved"},
    "rejected": {"zh": "已驳回", "en": "Rejected"},
    "note": {"zh": "备注", "en": "Note"},
    "mail_received": {"zh": "客户来信", "en": "Customer's mail"},
    # the states of a clock
    "met": {"zh": "达标", "en": "Met"},
    "breached": {"zh": "已超时", "en": "Breached"},
    "running": {"zh": "计时中", "en": "Running"},
    "warning": {"zh": "即将超时", "en": "Warning"},
    "paused": {"zh": "暂停中", "en": "Paused"},
    "unknown": {"zh": "未知", "en": "Unknown"},
}
LANGUAGES = ("zh", "en")


class Names:
    def __init__(self, table: Mapping[str, Any] | None = None):
        given = {str(key): value for key, value in (table or {}).items() if isinstance(value, Mapping)}
        self._names: dict[str, dict[str, str]] = {
            key: {lang: str(value[lang]) for lang in LANGUAGES if isinstance(value.get(lang), str) and value[lang]}
            for key, value in {**BUILT_IN, **given}.items()
        }

    def show(self, value: Any, lang: str) -> Any:
        """``value`` as a person reads it: an id's name in ``lang`` (else in the other
        language), each item of a list likewise; anything else unchanged."""
        if isinstance(value, str):
            names = self._names.get(value)
            if not names:
                return value
            return names.get(lang) or next(iter(names.values()))
        if isinstance(value, list):
            return [self.show(item, lang) for item in value]
        return value

    def id_of(self, text: str) -> str | None:
        """The id whose name (in either language, any case) ``text`` is, or None: for input
        that has no list of choices to look in (a category a rule set, a department)."""
        wanted = text.strip().lower()
        for key, names in self._names.items():
            if any(name.lower() == wanted for name in names.values()):
                return key
        return None

    def aliases(self, ids: Iterable[str]) -> dict[str, str]:
        """Each name of each of ``ids``, in lower case, -> its id: what input accepts beside
        the ids themselves."""
        return {name.lower(): key for key in ids for name in self._names.get(key, {}).values()}


def name_of(policy, value: str, lang: str) -> str:
    """``value``'s name in ``lang`` from ``policy``'s [names] (for a hook that has only the
    policy: commitments, a plugin's check); the value itself when it has none."""
    return str(Names(policy.get("names")).show(value, lang))
