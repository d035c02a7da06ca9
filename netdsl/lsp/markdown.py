"""Markdown for the editor's hovers. Spec text in a hover is data: every piece of it goes through one of
these, so that a string, a name or a path reads back as the characters it is, and never becomes a link,
an image, HTML, a heading or the end of a code span (VS Code renders hovers with markdown-it, CommonMark)."""

from __future__ import annotations

import re

from ..emit import printable

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")   # CommonMark lets a backslash escape each


def text(value: str) -> str:
    """value as Markdown text, on one line (netdsl.emit.printable), each ASCII punctuation character escaped."""
    return "".join("\\" + c if c in _PUNCTUATION else c for c in printable(value))


def _longest_backticks(value: str) -> int:
    return max((len(run) for run in re.findall("`+", value)), default=0)


def code(value: str) -> str:
    """value as an inline code span, on one line: delimited by a backtick run longer than any in it, with a
    space inside where it starts or ends with a backtick (CommonMark strips one on each side)."""
    value = printable(value)
    fence = "`" * (_longest_backticks(value) + 1)
    pad = " " if value[:1] == "`" or value[-1:] == "`" or value[:1] == value[-1:] == " " else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def fenced(value: str, language: str) -> str:
    """value as a fenced code block: each line printable, the fence longer than any backtick run in it."""
    lines = [printable(line) for line in value.split("\n")]
    fence = "`" * max(3, _longest_backticks("\n".join(lines)) + 1)
    return "\n".join([fence + language, *lines, fence])
