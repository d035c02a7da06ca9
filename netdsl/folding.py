"""Constant folding: the arithmetic of parameter values and sizes in a spec (`channels // reduction`,
`C * t`, `16 * 5 * 5`). A pure function of two values; tensors never reach it.

Values are ints, floats, bools, strings, None, tuples and symbolic sizes. Sizes follow
netdsl.sizes: `+ - *` between sizes and integers, `//` and `%` by positive integers.
"""

from __future__ import annotations

import math

from . import codes
from .codes import Code
from .schema import format_value
from .sizes import Size, SymbolicSizeError

MAX_INT = 2**63 - 1
MIN_INT = -(2**63)   # sizes are int64 in torch


class FoldError(Exception):
    def __init__(self, code: Code, message: str, help: str | None = None):
        super().__init__(message)
        self.code, self.message, self.help = code, message, help


def _is_number(value) -> bool:
    return type(value) in (int, float)


def fold(op: str, left, right):
    """left op right for + - * / // %, or FoldError."""
    if isinstance(left, Size) or isinstance(right, Size):
        return _fold_sizes(op, left, right)
    if not (_is_number(left) and _is_number(right)):
        raise FoldError(codes.E0317, f"`{op}` needs numbers, but gets {format_value(left)} and {format_value(right)}")
    if op in ("/", "//", "%") and right == 0:
        raise FoldError(codes.E0325, "division by zero")
    try:
        result = {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                  "/": lambda: left / right, "//": lambda: left // right, "%": lambda: left % right}[op]()
    except OverflowError:
        raise FoldError(codes.E0326, f"`{op}` overflows a float") from None
    if isinstance(result, int) and not MIN_INT <= result <= MAX_INT:
        raise FoldError(codes.E0326, f"`{op}` overflows: the result has {len(str(abs(result)))} digits",
                        help=f"integers go up to {MAX_INT:,} (2**63 - 1)")
    if isinstance(result, float) and not math.isfinite(result) and math.isfinite(left) and math.isfinite(right):
        raise FoldError(codes.E0326, f"`{op}` overflows: the result is not a finite number")
    return result


def _fold_sizes(op: str, left, right):
    """Size arithmetic: integers and sizes only, exact."""
    for value in (left, right):
        if not (isinstance(value, Size) or type(value) is int):
            raise FoldError(codes.E0317, f"`{op}` combines sizes with integers, not {format_value(value)}",
                            help="use `//` for integer division" if type(value) is float else None)
    if op == "/":
        raise FoldError(codes.E0328, f"sizes are integers: `{format_value(left)} / {format_value(right)}` has no "
                        "integer meaning", help="use `//` for integer division")
    try:
        return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                "//": lambda: left // right, "%": lambda: left % right}[op]()
    except SymbolicSizeError as error:
        raise FoldError(codes.E0328, str(error), help="divide sizes by integers (or parameters with values)") from None


def negate(value):
    """-value: numbers and sizes."""
    if isinstance(value, Size):
        return -value
    return fold("-", 0, value)
