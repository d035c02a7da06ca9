"""What the tests that held in one structure of a block say about its sizes. A recipe is lowered with
them (recipes.block_recipe): in MobileNetV2's skip `x + y if stride == 1 and C == out else y`, the
structure with the skip has stride 1 and an input of `out` channels, so its class is written with
`nn.Conv2d(out, ...)` and shapes `[N, out, H, W]`, not `max(C, out)`."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from . import syntax as ast
from .sizes import Size, symbol
from .source import Span


def held_equalities(definition: ast.Definition, decisions: tuple[tuple[str, bool], ...],
                    params: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """(parameter values, input-pattern sizes) that the decided tests fix: `a == b` that held (alone or
    joined by `and`), `a != b` that did not (`t != 1` false: t is 1). A parameter that is a symbol takes
    a number or another parameter, a pattern size a number or a parameter. Tests naming anything else (a
    loop variable, a tensor) say nothing here, nor does a test that went both ways."""
    decided: dict[str, bool | None] = {}
    for text, truth in decisions:
        decided[text] = truth if decided.get(text, truth) == truth else None
    patterns = {dim.name for statement in definition.body if isinstance(statement, ast.InputStmt)
                for decl in statement.decls if decl.shape is not None
                for dim in decl.shape.dims if isinstance(dim, ast.Var) and dim.name not in params}
    values, pattern = dict(params), {}
    for test in _tests(definition.body):
        truth = decided.get(" ".join(test.span.text.split()))
        if truth is None:
            continue
        for left, right in _equal(test, truth):
            for one, other in ((left, right), (right, left)):
                value = _value(other, values)
                if value is None or not isinstance(one, ast.Var):
                    continue
                if isinstance(values.get(one.name), Size) and value != values[one.name] and \
                        one.name not in patterns:
                    values[one.name] = value
                    break
                if one.name in patterns and one.name not in pattern:
                    pattern[one.name] = value
                    break
    return values, pattern


def _value(expr: ast.Expr, values: dict[str, object]):
    """An integer literal, or the symbol of an integer parameter."""
    if isinstance(expr, ast.Literal) and type(expr.value) is int:
        return expr.value
    if isinstance(expr, ast.Var) and isinstance(values.get(expr.name), Size):
        return symbol(expr.name)
    return None


def _equal(test: ast.Expr, truth: bool) -> list[tuple[ast.Expr, ast.Expr]]:
    """The pairs that are equal when test has this truth."""
    if isinstance(test, ast.Not):
        return _equal(test.operand, not truth)
    if not isinstance(test, ast.BinOp):
        return []
    if test.op == ("and" if truth else "or"):
        return _equal(test.left, truth) + _equal(test.right, truth)
    return [(test.left, test.right)] if test.op == ("==" if truth else "!=") else []


def _tests(body) -> list[ast.Expr]:
    """The tests of every `if` stage and conditional expression below body."""
    found, pending = [], list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.IfStage, ast.Conditional)):
            found.append(node.test)
        if is_dataclass(node) and not isinstance(node, (Span, ast.Ident)):
            for item in fields(node):
                value = getattr(node, item.name)
                pending += [v for v in (value if isinstance(value, tuple) else (value,)) if is_dataclass(v)]
    return found
