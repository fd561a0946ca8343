"""The program's own messages in Chinese and English: gettext catalogues in cstool/locale/.

Messages are written in English in the code, marked ``_("...")`` (placeholders are
``{name}``, filled by ``.format`` after translation, so a translation may reorder them).
The catalogues are gettext ``.po`` files kept with Babel (``make messages``) and compiled to
``.mo``, which the standard library reads; nothing is parsed until a message is needed.

Labels of kinds, fields, statuses and reports are not here: a plugin declares them beside
its fields as ``label(en, zh)`` (they are part of the kind, and ``cstool kinds`` prints both).
"""

from __future__ import annotations

import os
from pathlib import Path

DOMAIN = "cstool"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
ENV = "CSTOOL_LANG"

_language = DEFAULT_LANGUAGE
_catalogues: dict[str, object] = {}


def set_language(lang: str | None) -> None:
    """Messages from now on are in ``lang`` (ignored unless it is one of LANGUAGES)."""
    global _language
    if lang in LANGUAGES:
        _language = lang


def language() -> str:
    return _language


def requested_language(explicit: str | None) -> str | None:
    """``--lang``, else ``CSTOOL_LANG``, else None (the workspace policy decides)."""
    chosen = explicit or os.environ.get(ENV)
    return chosen if chosen in LANGUAGES else None


def _catalogue(lang: str):
    found = _catalogues.get(lang)
    if found is None:
        import gettext as stdlib_gettext

        found = stdlib_gettext.translation(DOMAIN, LOCALE_DIR, [lang], fallback=True)
        _catalogues[lang] = found
    return found


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the current language); itself when not catalogued."""
    return _catalogue(lang or _language).gettext(message)


_ = gettext


def catalogue_of(folder, domain: str):
    """``_`` for a plugin that ships its messages: ``folder/<lang>/LC_MESSAGES/<domain>.mo``,
    in the language of the moment; a message it does not hold is looked up in cstool's
    own, then shown as written."""
    import gettext as stdlib_gettext

    found: dict[str, object] = {}

    def translated(message: str) -> str:
        catalogue = found.get(_language)
        if catalogue is None:
            catalogue = found[_language] = stdlib_gettext.translation(domain, str(folder), [_language], fallback=True)
        text = catalogue.gettext(message)  # type: ignore[attr-defined]
        return text if text != message else gettext(message)

    return translated


LIBRARY_DOMAIN = "click"  # click's own messages, translated by hand in cstool/locale/zh/LC_MESSAGES/click.po


def translate_library_messages() -> None:
    """click marks its own messages (``Aborted!``, ``Usage:``, ``Invalid value for …``) with
    the standard library's ``gettext``, in the process-wide default domain. Route that
    domain to cstool's catalogue of them, in the current language, so a person who works in
    Chinese never meets click's English; any other domain is left as it was.

    Why this and not ``gettext.install``/``bindtextdomain``: click reads the *default*
    domain, which a process has one of; binding it to a catalogue would take it from any
    other library in the process and fix the language at start-up, while --lang and the
    workspace's policy choose it later. Wrapping the two functions costs one string
    comparison a message and leaves every other domain untouched."""
    import gettext as stdlib_gettext

    if getattr(stdlib_gettext.dgettext, "cstool", False):
        return
    plain_dgettext, plain_dngettext = stdlib_gettext.dgettext, stdlib_gettext.dngettext
    libraries: dict[str, object] = {}

    def catalogue():
        found = libraries.get(_language)
        if found is None:
            found = libraries[_language] = stdlib_gettext.translation(
                LIBRARY_DOMAIN, LOCALE_DIR, [_language], fallback=True
            )
        return found

    def dgettext(domain: str, message: str) -> str:
        if domain != stdlib_gettext.textdomain():
            return plain_dgettext(domain, message)
        return catalogue().gettext(message)

    def dngettext(domain: str, singular: str, plural: str, n: int) -> str:
        if domain != stdlib_gettext.textdomain():
            return plain_dngettext(domain, singular, plural, n)
        return catalogue().gettext(singular if n == 1 else plural)  # each form kept as a message of its own

    dgettext.cstool = True  # type: ignore[attr-defined]
    stdlib_gettext.dgettext, stdlib_gettext.dngettext = dgettext, dngettext  # type: ignore[assignment]


def translate_help(command, translated=None) -> None:
    """The --help of ``command`` and every command below it in the current language: the
    texts are the catalogue's messages (`make messages` extracts the docstrings of click
    commands and each option's ``help=``, see ``extract_messages``); a text it does not
    hold (an outside plugin's) is shown as written. ``translated``: a plugin's own catalogue
    (``catalogue_of``) for the commands it added."""
    import inspect

    translated = translated or gettext

    def translate(holder, name: str) -> None:
        # the text as declared is kept aside: commands are built again in one process (tests),
        # in either language, from the same click objects
        source = f"_cstool_{name}"
        if not hasattr(holder, source):
            setattr(holder, source, getattr(holder, name, None))
        text = getattr(holder, source)
        setattr(holder, name, translated(inspect.cleandoc(text)) if text else text)

    translate(command, "help")
    translate(command, "short_help")
    for param in command.params:
        if getattr(param, "help", None) is not None:
            translate(param, "help")
    for child in getattr(command, "commands", {}).values():
        translate_help(child, translated)


def extract_messages(fileobj, keywords, comment_tags, options):
    """Babel's Python extraction, and beside it the help of click commands: a command's
    docstring and the ``help="…"`` of its options, which are not ``_()`` calls (click reads
    them when the command is declared; ``translate_help`` translates them when it is shown)."""
    import ast
    import inspect

    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    tree = ast.parse(source.decode(options.get("encoding", "utf-8")))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            "command" in ast.unparse(d) or "group" in ast.unparse(d) for d in node.decorator_list
        ):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.lineno, None, inspect.cleandoc(docstring), []
        if isinstance(node, ast.Call) and "option" in ast.unparse(node.func):
            for keyword in node.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                    yield node.lineno, None, keyword.value.value, []


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (it is translated
    where it is shown, with ``_(value)``)."""
    return message
