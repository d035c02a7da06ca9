"""Habits from Python that parse but do not mean what was meant. Lowering asks here when a name does not
resolve: `False` written for `false`, and a layer name that starts a statement because the `->` that
would have continued the statement before it is missing."""

from __future__ import annotations

from collections.abc import Callable

from . import syntax as ast
from .diagnostics import Diagnostic, Edit, Fix, Note, Severity
from .source import Span
from .syntax_errors import LINE_BREAK_RULE

# Python's (and JSON's) spellings of the values a spec writes `true`, `false` and `None`.
_VALUE_SPELLINGS = {"True": "true", "TRUE": "true", "False": "false", "FALSE": "false",
                    "none": "None", "null": "None", "NULL": "None", "Null": "None", "nil": "None"}


def value_spelling(use: ast.Var) -> Diagnostic | None:
    """`bias=False`: the spec spelling of a value written the Python (or JSON) way."""
    spelling = _VALUE_SPELLINGS.get(use.name)
    if spelling is None:
        return None
    return Diagnostic("E0117", Severity.ERROR, f"`{use.name}` is written `{spelling}` in a spec", use.span,
                      help="the values are `true`, `false` and `None`",
                      fixes=(Fix(f"write `{spelling}`", (Edit(use.span, spelling),)),))


def missing_arrow(head: ast.Var | ast.Call, previous: ast.Statement | None) -> Diagnostic:
    """A statement that starts with a layer or block (`relu -> output` after `x -> conv2d(16, 3)`)."""
    name = head.name if isinstance(head, ast.Var) else head.func.name
    span = head.span if isinstance(head, ast.Var) else head.func.span
    if previous is None or isinstance(previous, ast.InputStmt):
        return Diagnostic("E0113", Severity.ERROR, f"`{name}` is a layer, not a tensor: a chain starts from a "
                          "tensor", span, help=f"write `x -> {name}`, where `x` is a tensor")
    line = span.line_col[0]
    previous_line = previous.span.source.line_col(previous.span.end)[0]
    notes = () if previous_line == line else (
        Note(f"the line break after line {previous_line} ends the statement there: {LINE_BREAK_RULE}"),)
    return Diagnostic("E0113", Severity.ERROR, f"`->` is missing before `{name}`", span,
                      label=f"`{name}` is a layer, not a tensor", notes=notes,
                      help=f"write `-> {name}` to continue the chain of line {previous_line}",
                      fixes=(Fix("insert `->`", (Edit(Span(span.source, span.start, span.start), "-> "),)),))


def layer_like(head: ast.Expr, is_value: Callable[[str], bool]) -> ast.Var | ast.Call | None:
    """The head of a chain statement when it may be a layer rather than a tensor: a bare name, or a call
    whose arguments name no tensor (`linear(10)`, not `relu(x)`). `is_value(name)`: a non-tensor value."""
    if isinstance(head, ast.Var) or isinstance(head, ast.Call) and all(_constant(a.value, is_value) for a in head.args):
        return head
    return None


def _constant(expr: ast.Expr, is_value: Callable[[str], bool]) -> bool:
    if isinstance(expr, ast.Literal):
        return True
    if isinstance(expr, ast.Var):
        return is_value(expr.name)
    if isinstance(expr, ast.TupleExpr):
        return all(_constant(item, is_value) for item in expr.items)
    if isinstance(expr, ast.Neg):
        return _constant(expr.operand, is_value)
    return isinstance(expr, ast.BinOp) and _constant(expr.left, is_value) and _constant(expr.right, is_value)
