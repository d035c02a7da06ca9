"""AST of a .net file: plain dataclasses, each with the span it came from. Nothing changes a node after
the parser made it."""

from __future__ import annotations

from typing import Union

from . import records
from .source import Span

# The statement rule (grammars/netdsl.lark, parser.LineBreaks) in the words diagnostics quote.
LINE_BREAK_RULE = ("a line break ends a statement, except inside brackets, after a token that cannot end "
                   "one (`->`, `=`, `,`, an operator) and before a line that starts with `->`, an operator or `where`")


class Node:
    """Every AST class. A node is one place in one file, so nodes compare and hash by identity, and
    their dataclasses (netdsl.records.plain) have only `__init__`: each generated method is compiled by
    `exec` at import, and with eq, repr and frozen this module was the most expensive import of `netdsl check`."""

    def __repr__(self) -> str:   # a dataclass's repr
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{type(self).__qualname__}({fields})"


@records.plain
class Ident(Node):
    name: str
    span: Span


# ---------------------------------------------------------------- expressions

@records.plain
class Literal(Node):
    value: int | float | str | bool | None | type(Ellipsis)
    span: Span


@records.plain
class Var(Node):
    name: str
    span: Span


@records.plain
class BinOp(Node):
    op: str  # one of + - * / // % @ **, == != < <= > >=, and or
    left: Expr
    right: Expr
    span: Span


@records.plain
class Neg(Node):
    operand: Expr
    span: Span


@records.plain
class TupleExpr(Node):
    items: tuple[Expr, ...]
    span: Span


@records.plain
class Arg(Node):
    name: Ident | None  # None for a positional argument
    value: Expr
    span: Span


@records.plain
class Call(Node):
    """`f(args)`, or a bare `f` inside a chain (then `parens` is False)."""
    func: Ident
    args: tuple[Arg, ...]
    span: Span
    parens: bool = True
    label: Ident | None = None  # `conv1: conv2d(...)` names the layer


@records.plain
class Repeat(Node):
    """`(a -> b) * 3` or `Block(64) * 3` inside a chain."""
    stages: tuple[Stage, ...]
    count: Expr
    span: Span
    label: Ident | None = None  # `blocks: Block(64) * 3` names the copies blocks1, blocks2, blocks3


@records.plain
class OutputStage(Node):
    span: Span


@records.plain
class Chain(Node):
    head: Expr
    stages: tuple[Stage, ...]
    span: Span


# ---------------------------------------------------------------- structure decided at spec time

@records.plain
class Not(Node):
    operand: Expr
    span: Span


@records.plain
class Conditional(Node):
    """`a if test else b`: only the branch the test picks is lowered."""
    test: Expr
    then: Expr
    otherwise: Expr
    span: Span


@records.plain
class Slice(Node):
    """`start:stop:step` between brackets; an omitted part is None."""
    start: Expr | None
    stop: Expr | None
    step: Expr | None
    span: Span


@records.plain
class Subscript(Node):
    """`x[:, 0]`: items are expressions (an index, or `None` for a new dim), Slices, and `...` (a Literal
    whose value is Ellipsis)."""
    value: Expr
    items: tuple[Expr | Slice, ...]
    span: Span


@records.plain
class IfStage(Node):
    """`-> if test { stages } else { stages }`: without `else`, the tensor passes unchanged when the test
    is false. `else if` is an `otherwise` of one IfStage."""
    test: Expr
    then: tuple[Stage, ...]
    otherwise: tuple[Stage, ...]
    span: Span


@records.plain
class ForStage(Node):
    """`-> for t, c in config { stages }`: the stages once per item of a tuple, the names bound to it."""
    targets: tuple[Ident, ...]
    iterable: Expr
    stages: tuple[Stage, ...]
    span: Span


Expr = Union[Literal, Var, BinOp, Neg, TupleExpr, Call, Chain, Not, Conditional, Subscript]
Stage = Union[Call, Repeat, OutputStage, IfStage, ForStage]


# ---------------------------------------------------------------- statements

@records.plain
class ShapeExpr(Node):
    dims: tuple[Expr, ...]
    span: Span


@records.plain
class InputDecl(Node):
    name: Ident
    shape: ShapeExpr | None
    span: Span


@records.plain
class SizeCondition(Node):
    """`H % 16 == 0` in `input x: [N, C, H, W] where H % 16 == 0`."""
    left: Expr
    op: str    # == != < <= > >=
    right: Expr
    span: Span


@records.plain
class InputStmt(Node):
    decls: tuple[InputDecl, ...]
    span: Span
    conditions: tuple[SizeCondition, ...] = ()


@records.plain
class Assign(Node):
    target: Ident
    value: Expr
    span: Span


@records.plain
class TargetGroup(Node):
    """`(h, c)` among the names of an unpacking: tensors a layer returns grouped, as an LSTM's state."""
    targets: tuple[Ident | TargetGroup, ...]
    span: Span


DISCARD = "_"   # `_, (h, c) = x -> lstm(64)`: a tensor given a place in an unpacking but no name


@records.plain
class Unpack(Node):
    """`a, b = x -> chunk(2)`, `out, (h, c) = x -> lstm(64)`: one name per tensor of a layer that returns
    several, nested as it returns them."""
    targets: tuple[Ident | TargetGroup, ...]
    value: Expr
    span: Span

    @property
    def names(self) -> tuple[Ident, ...]:
        """Every name of the targets, flattened in order, `_` included."""
        found, pending = [], list(reversed(self.targets))
        while pending:
            target = pending.pop()
            if isinstance(target, TargetGroup):
                pending += reversed(target.targets)
            else:
                found.append(target)
        return tuple(found)

    @property
    def bound(self) -> tuple[Ident, ...]:
        """The names that name a tensor (not `_`)."""
        return tuple(name for name in self.names if name.name != DISCARD)


@records.plain
class OutputStmt(Node):
    value: Expr
    span: Span


@records.plain
class ChainStmt(Node):
    chain: Chain
    span: Span


@records.plain
class Learnable(Node):
    """`param W: [in, out] = normal(0, 0.02)` or `buffer mask: [T, T] = ones -> tril`: a tensor the module
    holds (nn.Parameter or register_buffer), made at construction by an initialiser and stateless stages."""
    buffer: bool
    name: Ident
    shape: ShapeExpr | None
    init: Expr | None            # the initialiser: `zeros` (a Var) or `normal(0, 0.02)` (a Call)
    stages: tuple[Stage, ...]    # applied to the initialised tensor, once
    span: Span

    @property
    def keyword(self) -> str:
        return "buffer" if self.buffer else "param"


Statement = Union[InputStmt, Assign, Unpack, OutputStmt, ChainStmt, Learnable]


@records.plain
class Param(Node):
    name: Ident
    type: Ident
    default: Expr | None
    span: Span


@records.plain
class Definition(Node):
    kind: str  # "network" or "block"
    name: Ident
    params: tuple[Param, ...]
    body: tuple[Statement, ...]
    span: Span


@records.plain
class Import(Node):
    path: Literal
    names: tuple[Ident, ...] | None  # None: import everything
    span: Span


@records.plain
class Module(Node):
    imports: tuple[Import, ...]
    definitions: tuple[Definition, ...]
