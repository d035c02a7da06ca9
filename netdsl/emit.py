"""Text that reaches generated files and terminals. Spec text is data: every piece of it that generated
Python holds is written by one of these functions (comments, the docstring) or by `pysource.literal`
(literals), which escape it; names are validated by `pysource.Namespace`; render.py, mermaid.py and
page.py pass DOT, Mermaid and HTML text through `printable` too, and diagnostics on a terminal. A spec can
therefore never add a line, a statement or a token to what a generator writes.
"""

from __future__ import annotations


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """text on one line with nothing hidden: every character Python does not call printable (line
    breaks, tabs, ESC of an ANSI sequence, NUL, U+2028, ...) is written as its escape, `\\x1b`."""
    return text if text.isprintable() else "".join(c if c.isprintable() else _escape(c) for c in text)


def comment(text: str) -> str:
    """A Python comment holding text: one line, whatever text contains."""
    return "# " + printable(text)


def docstring(text: str) -> str:
    """A one-line docstring literal holding text. `"` becomes `'` (a docstring needs no quotes, and
    ruff format leaves the result alone); backslashes are escaped."""
    return '"""' + printable(text).replace("\\", "\\\\").replace('"', "'") + '"""'
