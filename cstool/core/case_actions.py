"""What a plugin offers to do to one record at the desk (``cstool_case_actions``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseAction:
    """One action a plugin offers on a record at the desk (key ``p``).

    ``name``: a short id (``approve``); ``label``: what a person reads, by language
    (``{"en": "Approve", "zh": "批准"}``); ``ask``: the question for one line of text the
    action needs, by language (None: it needs none); ``run(app, record_id, text)``: change
    the record through ``app.book`` as the plugin's command would (same permissions, same
    trail) and return it as stored, or return a line to show the person (``written: F``);
    a refusal is a ``CstoolError``."""

    name: str
    label: Mapping[str, str]
    run: Callable[..., dict | str]
    ask: Mapping[str, str] | None = None

    def title(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("en") or self.name
