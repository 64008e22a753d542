"""Every string that comes from YAML or an SBOM is untrusted: before it reaches Markdown
(and from there HTML, the site and the PDFs) it is escaped so that it can only ever be
shown as text. Templates never call this by hand: the Jinja environment's `finalize`
applies it to every expression, and only strings the renderer itself built (`Trusted`)
pass through unchanged."""

from __future__ import annotations

import re
from typing import Any


class Trusted(str):
    """Markdown written by cyberfile itself (links it built, tables it laid out)."""

    __slots__ = ()


_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_HTML_TABLE = str.maketrans(_HTML)
_MARKDOWN = re.compile(r"([\\`*_\[\]{}#|~!])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_LIST_ITEM = re.compile(r"(?m)^(\s*)([-+])(?=\s)")
_NUMBERED = re.compile(r"(?m)^(\s*)(\d+)\.(?=\s)")


def escape_markdown(text: str) -> str:
    """Text that renders as itself in Markdown and HTML: HTML special characters become
    entities, Markdown syntax characters are backslash-escaped, control characters go."""
    text = _CONTROL.sub(" ", text).translate(_HTML_TABLE)
    text = _MARKDOWN.sub(r"\\\1", text)
    # a line that starts like a list item stays a paragraph ('#' and '>' are handled above)
    text = _LIST_ITEM.sub(r"\1\\\2", text)
    return _NUMBERED.sub(r"\1\2\\.", text)


def finalize(value: Any) -> Any:
    """Jinja `finalize`: escape whatever a template prints unless it is Trusted."""
    if value is None:
        return ""
    if isinstance(value, Trusted):
        return value
    return escape_markdown(str(value))


def one_line(value: Any) -> str:
    """For table cells: runs of white space, newlines included, become one space."""
    return " ".join(str(value).split()) if value is not None else ""
