"""Element-wise math (sqrt, exp, clamp, ...), selection by a mask (where, masked_fill) and triangles
(tril, triu). The operators (`+ - * / ** > >= < <= == !=`) are in tensor_ops.

A comparison gives a boolean mask, and `where` and `masked_fill` take one (their dtype declarations).
"""

from __future__ import annotations

from .. import codes
from ..dtypes import ANY, BOOLS, FLOAT_RESULT, NUMERIC, DTypes, first_input, holding, promote, with_scalar
from ..kinds import LayerKind, Recognise
from ..pysource import literal
from ..schema import FLOAT32_OR_INFINITE, INT, Either, Field, Nothing, Schema, format_value
from ..shapes import ShapeError, broadcast
from . import least_rank
from .axes import methods

_NUMBER = Either((INT, FLOAT32_OR_INFINITE))


def _unary(name: str, doc: str, dtypes: DTypes = FLOAT_RESULT) -> LayerKind:
    return LayerKind(name=name, schema=Schema({}), infer=lambda args, inputs: inputs[0], prefix=name, dtypes=dtypes,
                     functional=lambda args, names, inputs: f"torch.{name}({names[0]})",
                     label=lambda args, inputs: name, doc=doc, recognise=Recognise(methods(name)))


def _clamp_infer(args, inputs):
    if args.min is None and args.max is None:
        raise ShapeError("`clamp` needs min, max or both", code=codes.E0311,
                         help="e.g. clamp(min=0.0), or clamp(0.0, 6.0)")
    return inputs[0]


def _clamp_bounds(args) -> str:
    return ", ".join(f"{k}={literal(v)}" for k, v in args.changed("min", "max").items())


def _clamps(args, count: int) -> tuple:
    """The tensor holds the bounds (an integer one is promoted to float32 first)."""
    return (holding(args.min, promoted=True) & holding(args.max, promoted=True),)


CLAMP = LayerKind(
    name="clamp", schema=Schema(dict(min=Field(Either((INT, FLOAT32_OR_INFINITE, Nothing())), None),
                                     max=Field(Either((INT, FLOAT32_OR_INFINITE, Nothing())), None))),
    infer=_clamp_infer, prefix="clamp", positional=("min", "max"), dtypes=DTypes(_clamps, with_scalar("min", "max").output),
    functional=lambda args, names, inputs: f"torch.clamp({names[0]}, {_clamp_bounds(args)})",
    label=lambda args, inputs: f"clamp({_clamp_bounds(args)})",
    doc="torch.clamp: min, max or both (a number each); min > max gives max everywhere, as torch",
    recognise=Recognise(methods("clamp")))


def _where_infer(args, inputs):
    condition, a, b = inputs
    return broadcast(broadcast(condition, a), b)


WHERE = LayerKind(
    name="where", schema=Schema({}), infer=_where_infer, prefix="where", inputs=3,
    dtypes=DTypes((BOOLS, ANY, ANY), lambda args, inputs: promote(*inputs[1:])),
    functional=lambda args, names, inputs: f"torch.where({', '.join(names)})",
    label=lambda args, inputs: "where", doc="torch.where(condition, a, b): a where the boolean condition holds, else "
                                            "b; the three shapes broadcast",
    recognise=Recognise(("torch.where(condition, input, other)",)))

def _fillable(args, count: int) -> tuple:
    """The tensor must hold the value (torch: "value cannot be converted"); the mask is boolean."""
    return (holding(args.value), BOOLS)


MASKED_FILL = LayerKind(
    name="masked_fill", schema=Schema({"value": Field(_NUMBER)}), infer=lambda args, inputs: broadcast(*inputs),
    prefix="fill", inputs=2, positional=("value",), dtypes=DTypes(_fillable, first_input),
    functional=lambda args, names, inputs: f"{names[0]}.masked_fill({names[1]}, {literal(args.value)})",
    label=lambda args, inputs: f"masked_fill({format_value(args.value)})",
    doc="torch.Tensor.masked_fill(mask, value): `x -> masked_fill(mask, -1e9)`; the shapes broadcast",
    recognise=Recognise(tuple(f"{call}(input, mask, value)" for call in methods("masked_fill"))))


def _triangle(name: str) -> LayerKind:
    def infer(args, inputs):
        least_rank(name, inputs[0], 2, "a matrix or a batch of them")
        return inputs[0]

    def emit(args, names, inputs):
        return f"torch.{name}({names[0]}" + (f", diagonal={args.diagonal}" if args.diagonal else "") + ")"

    part = "lower" if name == "tril" else "upper"
    return LayerKind(name=name, schema=Schema({"diagonal": Field(INT, 0)}), infer=infer, prefix=name,
                     positional=("diagonal",), functional=emit,
                     label=lambda args, inputs: name + (f"({args.diagonal})" if args.diagonal else ""),
                     doc=f"torch.{name}: the {part} triangle of the last two dims (diagonal=0: the main one), "
                         f"the rest zero", recognise=Recognise(methods(name)))


KINDS = (
    _unary("sqrt", "torch.sqrt"),
    _unary("rsqrt", "torch.rsqrt: 1 / sqrt(x)"),
    _unary("exp", "torch.exp"),
    _unary("log", "torch.log (natural logarithm)"),
    _unary("abs", "torch.abs", NUMERIC),
    CLAMP,
    WHERE,
    MASKED_FILL,
    _triangle("tril"),
    _triangle("triu"),
)
