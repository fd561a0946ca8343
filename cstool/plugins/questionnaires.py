"""Questionnaires (满意度调查 / 回访): TOML files of bilingual questions, and answer checks.

    name = "aftersales"
    title = { en = "After-sales follow-up", zh = "售后回访" }
    kinds = ["aftersales"]               # records it may be run for ([] = any)
    [[questions]]
    id = "overall"
    type = "rating"                      # rating 1-5, nps 0-10, ces 1-7, single, multiple, text
    text = { en = "How satisfied …?", zh = "您对…满意吗？" }

A rating question feeds CSAT, an nps question NPS, a ces question CES (one of each at
most); the rest are kept as answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cstool.api import CstoolError, _

RANGES = {"rating": (1, 5), "nps": (0, 10), "ces": (1, 7)}
METRIC = {"rating": "csat", "nps": "nps", "ces": "ces"}
TYPES = (*RANGES, "single", "multiple", "text")


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: dict
    choices: tuple[str, ...] = ()
    required: bool = True

    def title(self, lang: str) -> str:
        return self.text.get(lang) or self.text.get("en") or self.id

    def parse(self, raw: Any, aliases: Mapping[str, str] | None = None) -> Any:
        """The answer's value, or ValueError saying why not (out of range, not a choice). A
        choice may be given by its display name (``aliases``: lower-cased name -> id)."""
        aliases = aliases or {}
        if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
            if self.required:
                raise ValueError(_("needs an answer"))
            return None
        if self.type in RANGES:
            low, high = RANGES[self.type]
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ValueError(
                    _("{raw!r} is not a whole number from {low} to {high}").format(raw=raw, low=low, high=high)
                ) from None
            if not low <= value <= high:
                raise ValueError(
                    _("{value} is out of range: answer from {low} to {high}").format(value=value, low=low, high=high)
                )
            return value
        if self.type == "single":
            answer = aliases.get(str(raw).strip().lower(), str(raw).strip())
            if answer not in self.choices:
                raise ValueError(_("{raw!r} is not one of: {choices}").format(raw=raw, choices=", ".join(self.choices)))
            return answer
        if self.type == "multiple":
            items = raw if isinstance(raw, list) else [i.strip() for i in re.split(r"[,，、]", str(raw)) if i.strip()]
            items = [aliases.get(item.lower(), item) for item in items]
            unknown = [i for i in items if i not in self.choices]
            if unknown:
                raise ValueError(
                    _("{unknown} not among: {choices}").format(
                        unknown=", ".join(unknown), choices=", ".join(self.choices)
                    )
                )
            return items
        return str(raw).strip()


@dataclass(frozen=True)
class Questionnaire:
    name: str
    title: dict
    kinds: tuple[str, ...]
    questions: tuple[Question, ...]
    path: Path

    def metric_question(self, metric: str) -> Question | None:
        return next((q for q in self.questions if METRIC.get(q.type) == metric), None)


def load_questionnaire(path: Path) -> Questionnaire:
    """A questionnaire from its TOML file; errors name the file and the line or question."""
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    except ParseError as exc:
        raise CstoolError(
            _("{path}:{line}: {problem}").format(
                path=path, line=exc.line, problem=re.sub(r" at line .*$", "", str(exc))
            )
        ) from None
    except (TOMLKitError, OSError, UnicodeDecodeError) as exc:
        raise CstoolError(_("{path}: {exc}").format(path=path, exc=exc)) from None

    def bad(where: str, message: str) -> CstoolError:
        return CstoolError(_("{path}: {where}: {message}").format(path=path, where=where, message=message))

    name = data.get("name", path.stem)
    title = data.get("title", {})
    if not isinstance(title, dict) or not {"en", "zh"} <= set(title):
        raise bad("title", 'needs both en and zh, e.g. title = { en = "…", zh = "…" }')
    questions, seen, metrics = [], set(), set()
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise bad("questions", "needs at least one [[questions]] table")
    for index, raw in enumerate(raw_questions):
        where = f"questions[{index}]"
        if not isinstance(raw, dict):
            raise bad(where, "must be a table")
        qid, qtype, text = raw.get("id"), raw.get("type"), raw.get("text")
        if not isinstance(qid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", qid or ""):
            raise bad(f"{where}.id", "must be a lower-case name like overall or recommend")
        if qid in seen:
            raise bad(f"{where}.id", f"{qid!r} is used twice")
        seen.add(qid)
        if qtype not in TYPES:
            raise bad(f"{where}.type", f"{qtype!r} is not a question type; types: {', '.join(TYPES)}")
        if qtype in METRIC:
            if METRIC[qtype] in metrics:
                raise bad(
                    f"{where}.type", f"only one {qtype} question per questionnaire (it feeds {METRIC[qtype].upper()})"
                )
            metrics.add(METRIC[qtype])
        if not isinstance(text, dict) or not {"en", "zh"} <= set(text):
            raise bad(f"{where}.text", "needs both en and zh")
        choices = raw.get("choices", [])
        if qtype in ("single", "multiple") and not (isinstance(choices, list) and choices):
            raise bad(f"{where}.choices", "a choice question needs a list of choices")
        questions.append(
            Question(qid, qtype, dict(text), tuple(map(str, choices)), bool(raw.get("required", qtype != "text")))
        )
    return Questionnaire(str(name), dict(title), tuple(data.get("kinds", [])), tuple(questions), path)
