"""Tensor reshaping (flatten, reshape, view) and the element-wise operators: arithmetic (a + b, x * 2,
x ** 2) and comparisons (x > 0, a == b), which give boolean masks."""

from __future__ import annotations

from .. import codes
from ..dtypes import ANY, COMPARISON, FLOAT_RESULT, FLOATS, NUMBERS, DTypes, with_scalar
from ..kinds import CannotImport, LayerKind, Recognise, Role, TensorArg
from ..schema import (
    INT,
    Anything,
    Bool,
    Either,
    Field,
    Float,
    Nothing,
    Schema,
    Tuple,
    format_value,
)
from ..shapes import ShapeError, broadcast, format_shape, normalize_dim, numel, require
from ..sizes import Size, compare, exact_quotient, format_size, python_size
from . import input_sizes, python_dim


def _flatten_infer(args, inputs):
    (shape,) = inputs
    rank = max(len(shape), 1)
    start = normalize_dim(args.start_dim, rank, "start_dim")
    end = normalize_dim(args.end_dim, rank, "end_dim")
    if start > end:
        raise ShapeError(f"start_dim ({args.start_dim}) comes after end_dim ({args.end_dim}) for "
                         f"{format_shape(shape)}", arg="start_dim", code=codes.E0402)
    if not shape:
        return (1,)
    return tuple(shape[:start]) + (numel(shape[start:end + 1]),) + tuple(shape[end + 1:])


FLATTEN = LayerKind(
    name="flatten", schema=Schema(dict(start_dim=Field(INT, 1), end_dim=Field(INT, -1))),
    infer=_flatten_infer, prefix="flatten", positional=("start_dim", "end_dim"), module="nn.Flatten",
    module_args=lambda args, inputs: ((), args.changed("start_dim", "end_dim")),
    label=lambda args, inputs: "flatten", doc="torch.nn.Flatten (start_dim=1 keeps the batch dim)", role=Role.FLATTEN,
    recognise=Recognise(tuple(f"{f}(input, start_dim=0, end_dim=-1)" for f in ("torch.flatten", "Tensor.flatten"))))


def _is_minus_one(size) -> bool:
    return type(size) is int and size == -1


def _reshape_infer(args, inputs):
    (shape,) = inputs
    target = args.shape
    for size in target:
        if not (isinstance(size, Size) or type(size) is int and size >= -1):
            raise ShapeError(f"reshape sizes are positive integers, symbols or one -1; got {format_value(size)}",
                             arg="shape", code=codes.E0306)
    if sum(map(_is_minus_one, target)) > 1:
        raise ShapeError("only one size may be -1", arg="shape", code=codes.E0306)
    total = numel(shape)
    known = numel(tuple(d for d in target if not _is_minus_one(d)))
    description = f"cannot reshape {format_shape(shape)} into {format_shape(tuple(target))}"
    if not any(map(_is_minus_one, target)):
        require(compare(known, total), lambda: ShapeError(
            f"{description}: {format_size(total)} elements vs {format_size(known)}", arg="shape", code=codes.E0407))
        return tuple(target)
    inferred = exact_quotient(total, known)
    if inferred is None and isinstance(known, int) and known > 0:   # the total divides only for some sizes
        require(compare(total % known, 0), lambda: ShapeError(
            f"{description}: {format_size(total)} elements do not divide into {format_size(known)}", arg="shape",
            code=codes.E0407))
        inferred = total // known
    if inferred is None:
        raise ShapeError(f"{description}: {format_size(total)} elements do not divide into {format_size(known)}",
                         arg="shape", code=codes.E0407)
    return tuple(inferred if _is_minus_one(d) else d for d in target)


def _reshape_expression(method: str):
    def emit(args, names, inputs):
        """Sizes in the input's own terms where they can be (a symbol that is an input dim is read with
        `.size(i)`); the first other symbolic size becomes the one -1 (torch infers it), any further one is
        written with its symbols' names, which forward defines from its own inputs."""
        (source,) = names
        spelled = input_sizes(names, inputs)
        sizes, minus_one = [], any(map(_is_minus_one, args.shape))
        for size in args.shape:
            written = python_size(size, spelled)
            if written is None and not minus_one:
                written, minus_one = "-1", True
            sizes.append(written if written is not None else python_dim(size, spelled))
        return f"{source}.{method}({', '.join(sizes) or '()'})"  # reshape(()) → a 0-D tensor
    return emit


def _reshape_kind(name: str, calls: tuple[str, ...]) -> LayerKind:
    return LayerKind(
        name=name, schema=Schema({"shape": Field(Tuple(Anything()))}), infer=_reshape_infer, prefix=name,
        # Both emit `.reshape`: it is the same view wherever torch's `.view` succeeds, and a copy where the
        # input's strides (after a transpose or a chunk, which shapes do not show) make `.view` raise.
        positional=("*shape",), functional=_reshape_expression("reshape"),
        label=lambda args, inputs: f"{name}({', '.join(map(format_size, args.shape))})",
        doc=f"torch.Tensor.{name}: sizes, symbols and size arithmetic, or one -1", recognise=Recognise(calls))


# ---------------------------------------------------------------- element-wise arithmetic

def _elementwise_infer(args, inputs):
    operands = len(inputs) + (args.scalar is not None)
    if operands != 2:
        given = f"{len(inputs)} tensor{'s' * (len(inputs) != 1)}" + (" and a number" if args.scalar is not None else "")
        raise ShapeError(f"an arithmetic operator takes two operands (two tensors, or a tensor and a number), but gets "
                         f"{given}", code=codes.E0323)
    if len(inputs) == 1:
        return inputs[0]
    a, b = inputs
    return broadcast(a, b)


def _bind_operands(arguments: dict) -> tuple[tuple[TensorArg, ...], dict]:
    """`a + b`, `x * 2`, `2 - x`, torch.add(a, b): two tensors, or a tensor and a number on either side."""
    extra = {k: v for k, v in arguments.items() if k not in ("input", "other")}
    if extra not in ({}, {"alpha": 1}, {"rounding_mode": None}):
        raise CannotImport(f"{', '.join(f'{k}={v!r}' for k, v in extra.items())} has no equivalent in a spec")
    a, b = arguments["input"], arguments["other"]
    if isinstance(a, TensorArg) and isinstance(b, TensorArg):
        return (a, b), {}
    if isinstance(a, TensorArg):
        return (a,), {"scalar": b}
    return (b,), {"scalar": a, "scalar_first": True}


def _powers(args, count: int) -> tuple:
    """Integers to a negative integer power: torch raises ("Integers to negative integer powers are not allowed")."""
    negative = type(args.scalar) is int and args.scalar < 0 and not args.scalar_first
    return (FLOATS if negative else ANY,) * count


# What each operator takes and gives: torch's type promotion with the number, if any (`x * 0.5` of an integer
# tensor is floating); `/` is true division; `-` refuses booleans; comparisons give boolean masks.
_DTYPES = {"add": with_scalar("scalar"), "mul": with_scalar("scalar"), "sub": with_scalar("scalar", accepts=NUMBERS),
           "div": FLOAT_RESULT, "pow": DTypes(_powers, with_scalar("scalar").output)}


def _elementwise_kind(name: str, symbol: str, commutative: bool, calls: tuple[str, ...], what: str = "") -> LayerKind:
    def emit(args, names, inputs):
        operands = list(names)
        if args.scalar is not None:
            from ..pysource import literal  # (code generation only: no part of a check)
            # `-1 ** x` is -(1 ** x) in Python: a negative number on the left is parenthesized; inf: float("inf")
            written = f"({literal(args.scalar)})" if args.scalar_first and args.scalar < 0 else literal(args.scalar)
            operands.insert(0 if args.scalar_first else 1, written)
        return f"{operands[0]} {symbol} {operands[1]}"

    def label(args, inputs):
        if args.scalar is None:
            return name
        return f"{args.scalar} {symbol} x" if args.scalar_first else f"x {symbol} {args.scalar}"

    return LayerKind(
        name=name, schema=Schema(dict(scalar=Field(Either((INT, Float(), Nothing())), None),
                                      scalar_first=Field(Bool(), False))),
        infer=_elementwise_infer, prefix=name, inputs=None, positional=("scalar", "scalar_first"), operator=symbol,
        commutative=commutative, functional=emit, label=label, dtypes=_DTYPES.get(name, COMPARISON),
        doc=f"`a {symbol} b` with torch broadcasting, or a tensor and a number{what}",
        recognise=Recognise(calls, bind=_bind_operands))


def _operator_calls(name: str, operator: str, extra: str = "") -> tuple[str, ...]:
    """`a + b` (operator.add), `a += b` (operator.iadd), torch.add(a, b) and a.add(b)."""
    return (f"operator.{operator}(input, other)", f"operator.i{operator}(input, other)",
            f"torch.{name}(input, other{extra})", f"Tensor.{name}(input, other{extra})")


def _comparison_calls(name: str) -> tuple[str, ...]:
    """`a > b` (operator.gt), torch.gt(a, b) and a.gt(b)."""
    return f"operator.{name}(input, other)", f"torch.{name}(input, other)", f"Tensor.{name}(input, other)"


_MASK = ": a boolean mask"
KINDS = (FLATTEN, _reshape_kind("reshape", ("torch.reshape", "Tensor.reshape")),
         _reshape_kind("view", ("Tensor.view",)),
         _elementwise_kind("add", "+", True, _operator_calls("add", "add", ", alpha=1")),
         _elementwise_kind("sub", "-", False, _operator_calls("sub", "sub", ", alpha=1")),
         _elementwise_kind("mul", "*", True, _operator_calls("mul", "mul")),
         _elementwise_kind("div", "/", False, _operator_calls("div", "truediv", ", rounding_mode=None")),
         _elementwise_kind("pow", "**", False, ("operator.pow(input, other)", "torch.pow(input, other)",
                                                "Tensor.pow(input, other)"), " (x ** 2, 2 ** x)"),
         *(_elementwise_kind(name, symbol, symbol in ("==", "!="), _comparison_calls(name), _MASK) for name, symbol in (
             ("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("eq", "=="), ("ne", "!="))))
