"""Writing Python source: identifiers that are always legal, literals quoted as ruff quotes them, and
statements laid out as ruff format lays them out. Shared by every generator of Python (code
generation, import); nothing here knows about networks."""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import math
import re
import tokenize

from .emit import printable
from .names import check_python_name
from .sizes import Size

LINE_WIDTH = 88  # ruff's default line length
INDENT = "    "
# Module-level names an emitted expression may use, and the import that provides each.
KNOWN_GLOBALS = {"torch": "import torch", "F": "import torch.nn.functional as F", "nn": "from torch import nn",
                  "math": "import math"}
# Names ruff rejects as variables (E741), besides keywords and builtins.
_AMBIGUOUS = frozenset({"l", "O", "I"})


class CodegenError(Exception):
    """A layer kind produced something that cannot become Python: a bug in that kind (or plugin)."""


class Namespace:
    """Hands out unique identifiers: an illegal or taken candidate gets `_1`, `_2`, ... (torch.fx style)."""

    def __init__(self, reserved=(), legal=None):
        self._used = set(reserved)
        self._legal = legal or legal_variable

    def create(self, candidate: str) -> str:
        base = re.sub(r"\W", "_", candidate) or "_"
        if base[0].isdigit():
            base = "_" + base
        if not self._legal(f"{base}_1"):  # no suffix helps: an attribute or class may not start with `_`
            base = base.lstrip("_") or "value"
            if not self._legal(f"{base}_1"):
                raise CodegenError(f"no legal Python name can be made from {candidate!r}")
        name, number = base, 0
        while name in self._used or not self._legal(name):
            number += 1
            name = f"{base}_{number}"
        self._used.add(name)
        return name


def legal_variable(name: str) -> bool:
    return (name.isidentifier() and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
            and not hasattr(builtins, name) and name not in _AMBIGUOUS and name != "self")


def legal_class(name: str) -> bool:
    # `__Name` inside another class's body is mangled to `_Other__Name`: the class would not be found,
    # and a constructor keyword `__name=` would not reach its parameter.
    return legal_variable(name) and not name.startswith("__")


def legal_attribute(name: str) -> bool:
    return name.isidentifier() and check_python_name(name) is None


# ------------------------------------------------------------------ literals and layout

def literal(value) -> str:
    """A constructor argument as Python source, quoted the way ruff format quotes it. Exact types only:
    a subclass could print itself as anything."""
    if isinstance(value, Size):
        raise CodegenError(f"symbolic size `{value}` cannot be written as a literal")
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


def wrap(pad: str, opening: str, items: list[str], closing: str, explode: bool = True, reserve: int = 0) -> list[str]:
    """`opening item, item closing` on one line, else items on one indented line, else one per line."""
    joined = ", ".join(items)
    if len(pad + opening + joined + closing) + reserve <= LINE_WIDTH or not items:
        return [pad + opening + joined + closing]
    inner = pad + INDENT
    if len(inner + joined) <= LINE_WIDTH or not explode:
        return [pad + opening, inner + joined, pad + closing]
    lines = [pad + opening]
    for item in items:  # an item too long for its own line is split in turn, as ruff does
        split = statement(inner, "", item, reserve=1)
        lines += [*split[:-1], split[-1] + ","]
    return lines + [pad + closing]


def statement(pad: str, head: str, expr: str, comment: str = "", reserve: int = 0) -> list[str]:
    """`head + expr` (head: "out = ", "return ") laid out as ruff format would, with a trailing comment
    that moves above the statement when it does not fit beside it."""
    line = pad + head + expr
    if comment and len(line) + 2 + len(comment) <= LINE_WIDTH:
        return [f"{line}  {comment}"]
    above = [pad + comment] if comment else []
    if len(line) + reserve <= LINE_WIDTH:  # reserve: room for a trailing comma
        return above + [line]
    tree = ast.parse(expr, mode="eval").body
    indexed = tree   # ruff splits the last brackets whose opening fits first: `out = f(x)[` / index / `]`
    while isinstance(indexed, ast.Subscript):
        opening = pad + head + expr[:indexed.slice.col_offset]
        if len(opening) <= LINE_WIDTH:
            return above + [opening, pad + INDENT + ast.get_source_segment(expr, indexed.slice),
                            pad + "]" + expr[indexed.end_col_offset:]]
        indexed = indexed.value
    suffix = ""   # else a call indexed, `self.attn(q, k, v)[0]`, splits like the call, its index after `)`
    if isinstance(indexed, ast.Call) and indexed is not tree:
        tree, suffix = indexed, expr[indexed.end_col_offset:]
    opening = pad + head + (ast.get_source_segment(expr, tree.func) + "(" if isinstance(tree, ast.Call) else "")
    # ruff's preference: split the call's own parentheses if its opening fits, else parenthesize the
    # whole right-hand side if that fits on one line, else split the call anyway.
    fits_parenthesized = len(pad + INDENT + expr) <= LINE_WIDTH and head
    nested = isinstance(tree, ast.Call) and head and len(pad + INDENT + opening.lstrip()[len(head):]) <= LINE_WIDTH
    if isinstance(tree, ast.Call) and (len(opening) <= LINE_WIDTH or not (fits_parenthesized or nested)):
        parts = sorted([*tree.args, *tree.keywords], key=lambda n: (n.lineno, n.col_offset))
        callee = ast.get_source_segment(expr, tree.func)
        return above + wrap(pad, f"{head}{callee}(", [ast.get_source_segment(expr, p) for p in parts], ")" + suffix,
                             reserve=reserve)
    if fits_parenthesized or not head:
        return above + wrap(pad, f"{head}(", [expr], ")", explode=False)
    return above + [f"{pad}{head}(", *statement(pad + INDENT, "", expr), f"{pad})"]


def checked_expression(expr: str, allowed: set[str], who: str) -> tuple[str, set[str]]:
    """Parse an expression a layer kind produced; return it in canonical spelling (ast.unparse, with
    strings quoted as ruff quotes them: a kind's `(a, b,)` would otherwise be exploded by ruff format)
    and the module-level names it uses."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as error:
        raise CodegenError(f"layer kind `{who}` produced invalid Python {expr!r}: {error.msg}") from None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    unknown = names - allowed - set(KNOWN_GLOBALS) - {"float"}  # float("inf"): see literal
    if unknown:
        raise CodegenError(f"layer kind `{who}` uses undefined names {sorted(unknown)} in {expr!r}")
    text, parts, last = ast.unparse(tree), [], 0
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING and token.string[0] in "'\"":
            parts += [text[last:token.start[1]], literal(ast.literal_eval(token.string))]
            last = token.end[1]
    return "".join(parts) + text[last:], names & set(KNOWN_GLOBALS)
