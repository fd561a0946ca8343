"""Text from records made safe to show: on a terminal, in a spreadsheet, in a page."""

from __future__ import annotations

import html

# Control characters (C0 but tab and newline, DEL, C1): in records they can only be mischief
# aimed at a terminal (colours, OSC-8 fake links, cursor reports, BEL, overwriting with
# backspaces). They are shown escaped, as \x1b, in every format but JSON (which escapes them).
_SHOWN = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))}
# Bidirectional controls reorder what follows them ("Trojan Source", CVE-2021-42574): a name
# or a file name could be made to read as something else. Shown as \u202e.
_SHOWN.update(
    {code: f"\\u{code:04x}" for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
)


def printable(text: str) -> str:
    """``text`` with every control character but tab and newline shown escaped (``\\x1b``)."""
    return text.translate(_SHOWN) if not text.isprintable() else text


def markdown_text(text: str) -> str:
    """``text`` for a Markdown page: no HTML (``<script>`` shows as text), no link or image
    syntax (``[x](javascript:…)`` shows as written), no control characters."""
    escaped = html.escape(printable(text), quote=False)
    return "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in escaped)


# What could make a link, an image, raw HTML or a new table cell; emphasis is harmless and
# stays as typed (a masked 138****1234 reads as it is in the page's source too).
_MARKDOWN_PUNCTUATION = set("\\`[]()!<>|")
