"""Printable forms: a template (``$name`` placeholders, string.Template) filled from values.

Values are escaped for HTML when the template is HTML; a placeholder with no value is
left blank, so a department can add fields to its copy of a template freely.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any

from cstool.core.text import markdown_text, printable

_PLACEHOLDER = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def render_form(template: Path, values: Mapping[str, Any]) -> str:
    text = template.read_text(encoding="utf-8")
    is_html = template.suffix.lower() in (".html", ".htm")

    def show(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        value = str(value)
        return html.escape(printable(value)).replace("\n", "<br>") if is_html else markdown_text(value)

    names = {a or b for a, b in _PLACEHOLDER.findall(text)}
    filled = {name: show(values.get(name)) for name in names}
    return Template(text).safe_substitute(filled)
