"""Every hook, and every argument of it, is documented in docs/hooks.md and its docstring."""

from __future__ import annotations

import inspect
import re

import pytest
from conftest import ROOT

from cstool import hookspecs

HOOKS = [(name, fn) for name, fn in vars(hookspecs).items() if name.startswith("cstool_") and callable(fn)]


def sections() -> dict[str, str]:
    text = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    parts = re.split(r"^### `(cstool_\w+)`\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_there_are_hooks_for_every_family():
    names = {name for name, _ in HOOKS}
    for family_hook in (
        "cstool_kinds",
        "cstool_classify",
        "cstool_notify",
        "cstool_reports",
        "cstool_questionnaires",
        "cstool_commands",
        "cstool_check_policy",
    ):
        assert family_hook in names


def test_no_section_documents_a_hook_that_does_not_exist():
    assert set(sections()) <= {name for name, _ in HOOKS}


@pytest.mark.parametrize("name,spec", HOOKS, ids=[name for name, _ in HOOKS])
def test_hook_is_documented(name, spec):
    section = sections().get(name)
    assert section is not None, f"docs/hooks.md has no '### `{name}`' section"
    docstring = inspect.getdoc(spec) or ""
    assert "Called" in docstring and "Returns" in docstring, (
        f"{name}: docstring must say when it is called and what it returns"
    )
    assert "```python" in section, f"{name}: docs/hooks.md gives no example"
    for argument in inspect.signature(spec).parameters:
        assert f"`{argument}`" in section, f"{name}: argument {argument!r} is not documented in docs/hooks.md"
        assert f"``{argument}``" in docstring, f"{name}: argument {argument!r} is not in the hook's docstring"


def test_the_plugin_tutorial_shows_every_hook():
    tutorial = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    missing = [name for name, _ in HOOKS if f"| `{name}` |" not in tutorial]
    assert not missing, f"docs/plugins.md has no example row for {missing}"


def test_every_name_of_the_plugin_api_is_documented():
    import cstool.api

    tutorial = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    missing = [name for name in cstool.api.__all__ if f"| `{name}` |" not in tutorial]
    assert not missing, f"docs/plugins.md section 8 has no row for {missing}"


def test_every_command_is_documented():
    from conftest import invoke

    listed = invoke("--help").stdout.split("Commands:", 1)[1]
    commands = [line.split()[0] for line in listed.splitlines() if line.startswith("  ") and line.split()]
    assert len(commands) > 20
    texts = "\n".join(
        p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    )
    missing = [name for name in commands if f"cstool {name}" not in texts]
    assert not missing, f"no line in README.md or docs/ shows `cstool {missing[0]} …`: {missing}"
