"""Text that reaches generated files and terminals. Spec text is data: every piece of it that generated
Python holds (a comment, the docstring, a literal) is written by one of these functions, which escape
it; names are validated by `codegen.Namespace`; render.py passes DOT and HTML text through `printable`
too. A spec can therefore never add a line, a statement or a token to what the code generator writes.
"""

from __future__ import annotations

import math


class CodegenError(Exception):
    """A layer kind produced something that cannot become Python: a bug in that kind (or plugin)."""


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


def literal(value) -> str:
    """A constructor argument as Python source, quoted the way ruff format quotes it."""
    if value is None or isinstance(value, bool) or type(value) is int:
        return repr(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if type(value) is str:  # repr escapes every character that is not printable: one line, always
        text = repr(value)
        return f'"{text[1:-1]}"' if text[0] == "'" and '"' not in value else text
    if isinstance(value, (tuple, list)):
        items = ", ".join(literal(v) for v in value)
        if isinstance(value, list):
            return f"[{items}]"
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise CodegenError(f"cannot write {type(value).__name__} value {printable(repr(value))} as Python source")
