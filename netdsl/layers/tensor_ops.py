"""Tensor reshaping: flatten, reshape, view."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Optional

from pydantic import create_model

from ..emit import literal
from ..registry import Args, LayerKind, changed, register
from ..shapes import ShapeError, Sym, broadcast, format_shape, normalize_dim


def _product(dims) -> int | Sym:
    """Product of dims; symbolic when any dim is, e.g. N*400."""
    number = math.prod(d for d in dims if isinstance(d, int))
    symbols = [d for d in dims if isinstance(d, Sym)]
    if not symbols:
        return number
    return Sym("*".join(symbols + ([str(number)] if number != 1 else [])))


def _flatten_infer(args, inputs):
    (shape,) = inputs
    rank = max(len(shape), 1)
    start = normalize_dim(args.start_dim, rank, "start_dim")
    end = normalize_dim(args.end_dim, rank, "end_dim")
    if start > end:
        raise ShapeError(f"start_dim ({args.start_dim}) comes after end_dim ({args.end_dim}) for "
                         f"{format_shape(shape)}", arg="start_dim", code="E0402")
    if not shape:
        return (1,)
    return tuple(shape[:start]) + (_product(shape[start:end + 1]),) + tuple(shape[end + 1:])


register(LayerKind(
    name="flatten",
    args=create_model("FlattenArgs", __base__=Args, start_dim=(int, 1), end_dim=(int, -1)),
    infer=_flatten_infer, prefix="flatten", positional=("start_dim", "end_dim"), module="nn.Flatten",
    module_args=lambda args, inputs: ((), changed(args, "start_dim", "end_dim")),
    label=lambda args, inputs: "flatten", doc="torch.nn.Flatten (start_dim=1 keeps the batch dim)",
    role="flatten"))


def _factors(dims) -> tuple[int, Counter]:
    return math.prod(d for d in dims if isinstance(d, int)), Counter(str(d) for d in dims if isinstance(d, Sym))


def _reshape_infer(args, inputs):
    (shape,) = inputs
    target = args.shape
    for size in target:
        if not isinstance(size, (int, Sym)) or isinstance(size, bool) or (isinstance(size, int) and size < -1):
            raise ShapeError(f"reshape sizes are positive integers, symbols or one -1; got {size!r}", arg="shape",
                             code="E0306")
    if sum(1 for d in target if d == -1) > 1:
        raise ShapeError("only one size may be -1", arg="shape", code="E0306")
    have_number, have_symbols = _factors(shape)
    known = [d for d in target if d != -1]
    want_number, want_symbols = _factors(known)
    description = f"cannot reshape {format_shape(shape)} into {format_shape(tuple(target))}"
    if -1 not in target:
        if (have_number, have_symbols) != (want_number, want_symbols):
            raise ShapeError(f"{description}: {_product(shape)} elements vs {_product(known)}", arg="shape",
                             code="E0407")
        return tuple(target)
    if want_symbols - have_symbols or want_number == 0 or have_number % want_number:
        raise ShapeError(f"{description}: {_product(shape)} elements do not divide into {_product(known)}",
                         arg="shape", code="E0407")
    rest = have_symbols - want_symbols
    inferred = _product([have_number // want_number, *(Sym(s) for s in sorted(rest.elements()))])
    return tuple(inferred if d == -1 else d for d in target)


def _reshape_expression(method: str):
    def emit(args, names, inputs):
        (source,), (shape,) = names, inputs
        sizes, used_minus_one = [], -1 in args.shape
        for size in args.shape:
            if isinstance(size, Sym) and size in shape:
                sizes.append(f"{source}.size({list(shape).index(size)})")
            elif isinstance(size, Sym) and not used_minus_one:
                sizes.append("-1")
                used_minus_one = True
            else:
                sizes.append(str(size))
        return f"{source}.{method}({', '.join(sizes) or '()'})"  # reshape(()) → a 0-D tensor
    return emit


for _name in ("reshape", "view"):
    register(LayerKind(
        name=_name, args=create_model(f"{_name.title()}Args", __base__=Args, shape=(tuple[Any, ...], ...)),
        # Both emit `.reshape`: it is the same view wherever torch's `.view` succeeds, and a copy where the
        # input's strides (after a transpose or a chunk, which shapes do not show) make `.view` raise.
        infer=_reshape_infer, prefix=_name, positional=("*shape",), functional=_reshape_expression("reshape"),
        label=lambda args, inputs, _n=_name: f"{_n}({', '.join(map(str, args.shape))})",
        doc=f"torch.Tensor.{_name}: sizes, symbols from the input shape, or one -1"))


# ---------------------------------------------------------------- element-wise arithmetic

_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _elementwise_infer(args, inputs):
    if len(inputs) == 1:
        return inputs[0]
    a, b = inputs
    return broadcast(a, b)


def _elementwise_kind(name: str, symbol: str) -> LayerKind:
    def emit(args, names, inputs):
        operands = list(names)
        if args.scalar is not None:
            operands.insert(0 if args.scalar_first else 1, literal(args.scalar))  # inf: float("inf")
        return f"{operands[0]} {symbol} {operands[1]}"

    def label(args, inputs):
        if args.scalar is None:
            return name
        return f"{args.scalar} {symbol} x" if args.scalar_first else f"x {symbol} {args.scalar}"

    return register(LayerKind(
        name=name, args=create_model(f"{name.title()}Args", __base__=Args,
                                     scalar=(Optional[int | float], None), scalar_first=(bool, False)),
        infer=_elementwise_infer, prefix=name, inputs=None, functional=emit, label=label,
        doc=f"`a {symbol} b` with torch broadcasting, or a tensor and a number"))


for _name, _symbol in _OPERATORS.items():
    _elementwise_kind(_name, _symbol)
