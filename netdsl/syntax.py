"""AST of a .net file: plain frozen dataclasses, each with the span it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .source import Span

# The statement rule (grammars/netdsl.lark, parser.LineBreaks) in the words diagnostics quote.
LINE_BREAK_RULE = ("a line break ends a statement, except inside brackets, after a token that cannot end "
                   "one (`->`, `=`, `,`, an operator) and before a line that starts with `->`, an operator or `where`")


@dataclass(frozen=True)
class Ident:
    name: str
    span: Span


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True)
class Literal:
    value: int | float | str | bool | None
    span: Span


@dataclass(frozen=True)
class Var:
    name: str
    span: Span


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / // % @
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True)
class Neg:
    operand: Expr
    span: Span


@dataclass(frozen=True)
class TupleExpr:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class Arg:
    name: Ident | None  # None for a positional argument
    value: Expr
    span: Span


@dataclass(frozen=True)
class Call:
    """`f(args)`, or a bare `f` inside a chain (then `parens` is False)."""
    func: Ident
    args: tuple[Arg, ...]
    span: Span
    parens: bool = True
    label: Ident | None = None  # `conv1: conv2d(...)` names the layer


@dataclass(frozen=True)
class Repeat:
    """`(a -> b) * 3` or `Block(64) * 3` inside a chain."""
    stages: tuple[Stage, ...]
    count: Expr
    span: Span
    label: Ident | None = None  # `blocks: Block(64) * 3` names the copies blocks1, blocks2, blocks3


@dataclass(frozen=True)
class OutputStage:
    span: Span


@dataclass(frozen=True)
class Chain:
    head: Expr
    stages: tuple[Stage, ...]
    span: Span


Expr = Union[Literal, Var, BinOp, Neg, TupleExpr, Call, Chain]
Stage = Union[Call, Repeat, OutputStage]


# ---------------------------------------------------------------- statements

@dataclass(frozen=True)
class ShapeExpr:
    dims: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class InputDecl:
    name: Ident
    shape: ShapeExpr | None
    span: Span


@dataclass(frozen=True)
class SizeCondition:
    """`H % 16 == 0` in `input x: [N, C, H, W] where H % 16 == 0`."""
    left: Expr
    op: str    # == != < <= > >=
    right: Expr
    span: Span


@dataclass(frozen=True)
class InputStmt:
    decls: tuple[InputDecl, ...]
    span: Span
    conditions: tuple[SizeCondition, ...] = ()


@dataclass(frozen=True)
class Assign:
    target: Ident
    value: Expr
    span: Span


@dataclass(frozen=True)
class TargetGroup:
    """`(h, c)` among the names of an unpacking: tensors a layer returns grouped, as an LSTM's state."""
    targets: tuple[Ident | TargetGroup, ...]
    span: Span


DISCARD = "_"   # `_, (h, c) = x -> lstm(64)`: a tensor given a place in an unpacking but no name


@dataclass(frozen=True)
class Unpack:
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


@dataclass(frozen=True)
class OutputStmt:
    value: Expr
    span: Span


@dataclass(frozen=True)
class ChainStmt:
    chain: Chain
    span: Span


@dataclass(frozen=True)
class Learnable:
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


@dataclass(frozen=True)
class Param:
    name: Ident
    type: Ident
    default: Expr | None
    span: Span


@dataclass(frozen=True)
class Definition:
    kind: str  # "network" or "block"
    name: Ident
    params: tuple[Param, ...]
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class Import:
    path: Literal
    names: tuple[Ident, ...] | None  # None: import everything
    span: Span


@dataclass(frozen=True)
class Module:
    imports: tuple[Import, ...]
    definitions: tuple[Definition, ...]
