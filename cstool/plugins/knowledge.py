"""Common questions and what to say (常见问题、话术库): entries in ``templates/faq/*.toml``
(the workspace's own, editable; the bundled ones otherwise), each a question and an answer
in Chinese and English with tags; ``cstool faq WORDS`` finds the ones an agent answers from.
"""

from __future__ import annotations

from pathlib import Path

from cstool.api import CstoolError, _, hookimpl

FOLDER = "faq"


def load_entries(folder: Path) -> list[dict]:
    """Every entry of every ``*.toml`` in ``folder``, in file order; a malformed file or entry
    is refused naming the file (and its line)."""
    import tomllib

    entries = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CstoolError(_("{path}: {error}").format(path=path, error=exc)) from None
        for number, entry in enumerate(data.get("entry") or [], 1):
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("question"), dict)
                and isinstance(entry.get("answer"), dict)
            ):
                raise CstoolError(
                    _("{path}: entry {number} needs question and answer, each as {{ zh = …, en = … }}").format(
                        path=path, number=number
                    )
                )
            entries.append({**entry, "file": path.name})
    return entries


def matching(entries: list[dict], words: list[str]) -> list[tuple[int, dict]]:
    """The entries holding the most of ``words`` (in either language, the tags included),
    best first: (how many words matched, entry). No words: every entry."""
    found = []
    for entry in entries:
        text = " ".join([*entry["question"].values(), *entry["answer"].values(), *(entry.get("tags") or [])]).lower()
        hits = sum(1 for word in words if word.lower() in text)
        if hits or not words:
            found.append((hits, entry))
    found.sort(key=lambda pair: -pair[0])  # stable: the file's order among equals
    return found


def shown(entry: dict, lang: str) -> tuple[str, str]:
    other = "en" if lang == "zh" else "zh"
    question, answer = entry["question"], entry["answer"]
    return question.get(lang) or question.get(other, ""), answer.get(lang) or answer.get(other, "")


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import emit_json, format_option

    @cli.command("faq")
    @click.argument("words", nargs=-1)
    @click.option("--most", default=5, show_default=True, help="Show at most this many entries.")
    @format_option(("table", "json"))
    @click.pass_obj
    def faq(app, words, most, fmt):
        """常见问题: what to say, from templates/faq/ (the workspace's own, editable): the
        entries that hold the most of WORDS (Chinese or English, tags too); none: all."""
        entries = load_entries(app.template(FOLDER))
        found = matching(entries, list(words))[: max(1, most) if words else None]
        if fmt == "json":
            emit_json(
                {
                    "words": list(words),
                    "count": len(found),
                    "entries": [{**entry, "matched": hits} for hits, entry in found],
                }
            )
            return
        if not found:
            click.echo(_("nothing in templates/faq/ holds {words}").format(words=" ".join(words)))
            return
        for _hits, entry in found:
            question, answer = shown(entry, app.lang)
            click.echo(f"【{question}】\n{answer}\n")
