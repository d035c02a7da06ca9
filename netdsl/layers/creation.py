"""Tensors made from sizes alone, with no tensor input: ones, zeros, arange (`causal = ones(L, L) -> tril`).

Their sizes may be symbols of the inputs (`L`); generated code reads such a size off the inputs of the
class it is in (`x.size(1)`): the code generator passes a kind with no tensor input those inputs.
"""

from __future__ import annotations

import math

from .. import codes
from ..dtypes import FLOATING, INTEGER, NAMED, DTypes, from_argument
from ..kinds import LayerKind
from ..schema import Anything, Choice, Either, Field, Float, Int, Schema, Tuple, format_value, optional
from ..shapes import ShapeError, require
from ..sizes import Size, at_least, format_size
from . import input_sizes, python_dim

DTYPES = tuple(NAMED)
_DTYPE = Field(optional(Choice(DTYPES)), None)


def _options(args, names: tuple[str, ...]) -> str:
    """dtype, and the device of the class's first input (a mask must be where the tensors it masks are)."""
    return (f", dtype=torch.{args.dtype}" if args.dtype is not None else "") + \
        (f", device={names[0]}.device" if names else "")


def _filled(name: str) -> LayerKind:
    def infer(args, inputs):
        for size in args.size:
            if not (isinstance(size, Size) or type(size) is int and size >= 1):
                raise ShapeError(f"`{name}` sizes are positive integers or symbols; got {format_value(size)}",
                                 arg="size", code=codes.E0306)
        return tuple(args.size)

    def emit(args, names, inputs):
        spelled = input_sizes(names, inputs)
        sizes = ", ".join(python_dim(s, spelled) for s in args.size) or "()"
        return f"torch.{name}({sizes}{_options(args, names)})"

    return LayerKind(
        name=name, schema=Schema(dict(size=Field(Tuple(Anything())), dtype=_DTYPE)), infer=infer, prefix=name,
        positional=("*size",), inputs=0, functional=emit, dtypes=from_argument("dtype", lambda args, inputs: FLOATING),
        label=lambda args, inputs: f"{name}({', '.join(map(format_size, args.size))})",
        doc=f"torch.{name}(*size): sizes, symbols or size arithmetic; dtype one of {', '.join(DTYPES)}")


_BOUND = Either((Int(symbolic=True), Float()))


def _limits(args) -> tuple:
    """(start, end, step): `arange(n)` is arange(0, n), as torch reads a single bound."""
    return (0, args.start, args.step) if args.end is None else (args.start, args.end, args.step)


def _arange_infer(args, inputs):
    start, end, step = _limits(args)
    if step == 0:
        raise ShapeError("`arange` needs a non-zero step", arg="step", code=codes.E0314)
    span = end - start
    if any(isinstance(v, float) for v in (start, end, step)):
        if isinstance(span, Size):
            raise ShapeError("`arange` with fractional bounds needs numbers, not sizes", arg="step", code=codes.E0314)
        length = math.ceil(span / step)   # as torch computes it, in double precision
    else:
        forward = step > 0 if isinstance(step, int) else True
        length = (span + step - 1) // step if forward else (-span - step - 1) // -step
    require(at_least(length, 1), lambda: ShapeError(
        f"`arange({', '.join(map(format_size, _limits(args)))})` has no elements", arg="end" if args.end is not None
        else "start", code=codes.E0420, help="the step must lead from start towards end"))
    return (length,)


def _arange_emit(args, names, inputs):
    start, end, step = _limits(args)
    written = [end] if start == 0 and step == 1 else [start, end] if step == 1 else [start, end, step]
    spelled = input_sizes(names, inputs)
    return f"torch.arange({', '.join(python_dim(v, spelled) for v in written)}{_options(args, names)})"


ARANGE = LayerKind(
    name="arange", schema=Schema(dict(start=Field(_BOUND, 0), end=Field(optional(_BOUND), None),
                                      step=Field(_BOUND, 1), dtype=_DTYPE)),
    infer=_arange_infer, prefix="arange", positional=("start", "end", "step"), inputs=0, functional=_arange_emit,
    dtypes=from_argument("dtype", lambda args, inputs: FLOATING if any(isinstance(v, float) for v in _limits(args))
                         else INTEGER),   # torch's default: int64 unless a bound is a float
    label=lambda args, inputs: f"arange({', '.join(map(format_size, _limits(args)))})",
    doc="torch.arange: arange(end) or arange(start, end, step); bounds may be sizes (`arange(L)`)")

TO = LayerKind(
    name="to", schema=Schema({"dtype": Field(Choice(DTYPES))}), infer=lambda args, inputs: inputs[0], prefix="to",
    positional=("dtype",), functional=lambda args, names, inputs: f"{names[0]}.to(torch.{args.dtype})",
    label=lambda args, inputs: f"to({args.dtype})", dtypes=from_argument("dtype", lambda args, inputs: inputs[0]),
    doc=f"torch.Tensor.to(dtype): the same values in another dtype, one of {', '.join(DTYPES)} "
        "(`x -> argmax(1) -> to('float32')`)")

KINDS = (_filled("ones"), _filled("zeros"), ARANGE, TO)
