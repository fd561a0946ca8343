"""``cstool plugin new``: a plugin package written from templates/plugin/.

The template files hold ``{{placeholder}}`` marks; a folder or file named ``__module__``
takes the package's module name. Nothing here knows what the plugin does: the template is
the example, and a team may keep its own copy in its workspace's templates/plugin/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cstool.core.errors import CstoolError
from cstool.core.i18n import _

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
MODULE_MARK = "__module__"


@dataclass(frozen=True)
class PluginNames:
    """Every name the package needs, derived from the one the user typed."""

    plugin: str  # entry-point name, shown by `cstool plugins`: warranty_claims
    dist: str  # distribution on PyPI / pip: cstool-warranty-claims
    module: str  # importable package: cstool_warranty_claims
    kind: str  # record kind: warranty_claims
    prefix: str  # id prefix: WC
    title_en: str
    title_zh: str

    def placeholders(self, cstool_version: str) -> dict[str, str]:
        return {
            "plugin": self.plugin,
            "dist": self.dist,
            "module": self.module,
            "kind": self.kind,
            "prefix": self.prefix,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "KIND_CONSTANT": self.kind.upper(),
            "cstool_version": cstool_version,
        }


def plugin_names(
    name: str, *, prefix: str | None = None, title: str | None = None, title_zh: str | None = None
) -> PluginNames:
    """Names for ``name`` (lower case words joined by - or _), or ValueError saying why not."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            _(
                "{name!r}: use lower-case letters, digits and - or _ between words, starting with a letter (e.g. warranty-claims)"
            ).format(name=name)
        )
    words = re.split(r"[-_]", name)
    snake = "_".join(words)
    if prefix is None:
        prefix = "".join(w[0] for w in words).upper() if len(words) > 1 else words[0][:3].upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9]{1,7}", prefix):
        raise ValueError(
            _("prefix {prefix!r}: 2 to 8 capital letters or digits, starting with a letter").format(prefix=prefix)
        )
    title = title or " ".join(words).capitalize()
    return PluginNames(
        plugin=snake,
        dist=f"cstool-{'-'.join(words)}",
        module=f"cstool_{snake}",
        kind=snake,
        prefix=prefix,
        title_en=title,
        title_zh=title_zh or title,
    )


def render(template: Path, output: Path, names: PluginNames, cstool_version: str) -> list[Path]:
    """Write the package into ``output`` (which must not exist or be empty); the files written."""
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise CstoolError(_("{output} already exists and is not empty: choose another --output").format(output=output))
    if not template.is_dir():
        raise CstoolError(_("the plugin template {template} is missing").format(template=template))
    values = names.placeholders(cstool_version)
    sources = sorted(p for p in template.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    written = []
    for source in sources:
        relative = Path(*(part.replace(MODULE_MARK, names.module) for part in source.relative_to(template).parts))
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        target = output / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
