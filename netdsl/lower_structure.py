"""Lowering of structure decided when the spec is checked (`if`, conditional expressions, `and`/`or`/`not`,
`for` over a table, `range()`, subscripts): methods of the lowerer (netdsl.lower), kept apart so that each
module does one job."""

from __future__ import annotations

from typing import Any

from . import codes, registry
from . import syntax as ast
from .diagnostics import Note
from .folding import MAX_REPEAT, FoldError, Undecidable, value_range
from .schema import format_value
from .scopes import POISON, Binding, Scope, Tensor
from .sizes import Size


class StructureLowering:
    def decide(self, scope: Scope, test: ast.Expr) -> bool | None:
        """The outcome of an `if` or a conditional expression, recorded; a recipe replays a use's outcomes
        (its sizes are symbols: see recipes.block_recipe)."""
        if scope.replay is not None:
            if not scope.replay:
                self.diagnostics.error(codes.E0350, "the recipe takes more decisions than its use", test.span)
                return None
            truth = scope.replay.pop(0)
        else:
            truth = self.truth(scope, test)
        if truth is not None:
            scope.decisions.append((" ".join(test.span.text.split()), truth))
        return truth

    def truth(self, scope: Scope, expr: ast.Expr, operator: str | None = None) -> bool | None:
        """The value of a condition (`if`, `a if test else b`, an operand of and/or/not): true or false,
        or None after reporting why not."""
        value = self.expression(scope, expr)
        if value is POISON or type(value) is bool:
            return None if value is POISON else value
        if isinstance(value, Tensor):
            if operator is not None:
                self.diagnostics.error(codes.E0354, f"`{operator}` decides structure between true and false when "
                                       "the spec is checked, but this is a tensor", expr.span,
                                       help="for an element-wise test, combine masks with `where`, or multiply "
                                       "them: `(x > 0) * (x < 1)`")
            else:
                self.diagnostics.error(codes.E0351, "a tensor cannot decide structure: the test is decided when "
                                       "the spec is checked", expr.span,
                                       help="for an element-wise choice use `where(mask, a, b)`")
            return None
        what = f"an operand of `{operator}`" if operator else "a condition"
        self.diagnostics.error(codes.E0351, f"{what} must be true or false, but this is {format_value(value)}",
                               expr.span, help=f"compare it, e.g. `{expr.span.text} != 0`"
                               if type(value) in (int, float) or isinstance(value, Size) else None)
        return None

    def boolean(self, scope: Scope, expr: ast.BinOp) -> Any:
        """`a and b`, `a or b` as Python evaluates them: the right operand only when the left does not
        decide (so `stride == 1 and C == out` needs no answer about C when stride is 2)."""
        left = self.truth(scope, expr.left, expr.op)
        if left is None or left == (expr.op == "or"):
            return POISON if left is None else left
        right = self.truth(scope, expr.right, expr.op)
        return POISON if right is None else right

    def undecidable(self, error: Undecidable, expr: ast.Expr) -> None:
        names = ", ".join(f"`{s}`" for s in error.symbols)
        fixed = ",".join(f"{s}=..." for s in error.symbols)
        self.diagnostics.error(codes.E0350, f"`{expr.span.text}` cannot be decided when the spec is checked: it "
                               f"{error.message}", expr.span, label="decided when the spec is checked",
                               notes=self.context, help=f"give {names} a number in the input's shape, or fix "
                               f"it with `--input {fixed}`")

    def loop(self, scope: Scope, stage: ast.ForStage, value: Any) -> Any:
        """`-> for t, c in table { stages }`: the stages once per item, each name bound to its value."""
        table = self.expression(scope, stage.iterable)
        if table is POISON:
            return POISON
        source = stage.iterable.span
        if not isinstance(table, tuple) or any(isinstance(item, Tensor) for item in table):
            self.diagnostics.error(codes.E0352, f"`for` goes over a tuple, but `{source.text}` is "
                                   f"{format_value(table)}", source,
                                   notes=self.declared(scope, stage.iterable),
                                   help="loop over a tuple of rows (a `tuple` parameter), or over `range(n)`")
            return POISON
        names = stage.targets
        saved = {target.name: scope.env.get(target.name) for target in names}
        scope.loops += 1
        try:
            for index, item in enumerate(table):
                self.count_work(stage.span)
                if len(names) > 1 and not (isinstance(item, tuple) and len(item) == len(names)):
                    written = ", ".join(n.name for n in names)
                    span = stage.iterable.items[index].span if isinstance(stage.iterable, ast.TupleExpr) else source
                    self.diagnostics.error(codes.E0353, f"item {index} of `{source.text}` is {format_value(item)}, "
                                           f"but the loop unpacks {len(names)} values ({written})", span,
                                           notes=self.declared(scope, stage.iterable, index),
                                           help=f"give every item {len(names)} values")
                    return POISON
                for target, part in zip(names, item if len(names) > 1 else (item,)):
                    scope.env[target.name] = Binding(part, target.span, "param")
                for inner in stage.stages:
                    value = self.stage(scope, inner, value, None)
        finally:
            scope.loops -= 1
            for name, binding in saved.items():
                if binding is None:
                    scope.env.pop(name, None)
                else:
                    scope.env[name] = binding
        return value

    def declared(self, scope: Scope, expr: ast.Expr, item: int | None = None) -> tuple[Note, ...]:
        """Where the parameter a loop goes over is declared, or the item of its default that is wrong."""
        binding = scope.env.get(expr.name) if isinstance(expr, ast.Var) else None
        if binding is None or binding.role != "param":
            return ()
        param = self.resolution(scope.definition).params.get(expr.name)
        default = param.default if param is not None else None
        if item is not None and isinstance(default, ast.TupleExpr) and item < len(default.items) and \
                scope.definition.kind == "network":
            return (Note(f"item {item} of `{expr.name}`'s default", default.items[item].span),)
        return (Note(f"`{expr.name}` is declared here", binding.span),)

    def value_function(self, call: ast.Call, tensors: list, positional: list, keywords: list, failed: bool) -> Any:
        """`range(n)`: a tuple of integers, for `for i in range(n) { ... }`."""
        if failed:
            return POISON
        if tensors or keywords:
            self.diagnostics.error(codes.E0317, f"`{call.func.name}` takes numbers, not tensors or named arguments",
                                   call.span)
            return POISON
        try:
            return value_range([value for value, _ in positional], MAX_REPEAT)
        except FoldError as error:
            self.error(error, call.span)
            return POISON

    def subscript(self, scope: Scope, expr: ast.Subscript) -> Any:
        """`x[:, 0]` on a tensor (the registry's `[]` operator kind), or on a tuple at spec time."""
        value = self.expression(scope, expr.value)
        index = []
        for item in expr.items:
            if isinstance(item, ast.Slice):
                parts = tuple(None if part is None else self.expression(scope, part)
                              for part in (item.start, item.stop, item.step))
                index.append(POISON if POISON in parts else parts)
            else:
                index.append(self.expression(scope, item))
        if value is POISON or POISON in index:
            return POISON
        for item, written in zip(index, expr.items):
            parts = item if isinstance(written, ast.Slice) else (item,)
            if any(isinstance(part, Tensor) for part in parts):
                self.diagnostics.error(codes.E0322, "an index is a number, a slice, `None` or `...`, not a tensor",
                                       written.span, help="select by a mask with `where` or `masked_fill`")
                return POISON
        if isinstance(value, Tensor):
            kind = registry.operator_kind("[]")
            if kind is None:
                self.diagnostics.error(codes.E0327, "indexing is not defined on tensors", expr.span)
                return POISON
            args = self.layer_args(kind, [(tuple(index), expr.span)], [], expr.span)
            return POISON if args is None else self.add_node(scope, kind, args, {}, [value.ref], expr.span, None)
        return self.index_value(value, index, expr)

    def index_value(self, value: Any, index: list, expr: ast.Subscript) -> Any:
        """`config[0]`, `row[1:]`: a tuple indexed as Python does."""
        if not isinstance(value, tuple) or len(index) != 1 or not (
                type(index[0]) is int or isinstance(index[0], tuple) and all(
                    part is None or type(part) is int for part in index[0])):
            self.diagnostics.error(codes.E0317, f"`{expr.value.span.text}` is {format_value(value)}: only tensors "
                                   "and tuples are indexed, tuples by one integer or slice", expr.span)
            return POISON
        item = index[0]
        if isinstance(item, tuple):
            if item[2] == 0:
                self.diagnostics.error(codes.E0317, "a slice step must not be zero", expr.items[0].span)
                return POISON
            return value[slice(*item)]
        if not -len(value) <= item < len(value):
            self.diagnostics.error(codes.E0317, f"index {item} is out of range for `{expr.value.span.text}`, a tuple "
                                   f"of {len(value)}", expr.items[0].span)
            return POISON
        return value[item]
