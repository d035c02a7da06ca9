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
from .sizes import Size, SymbolicSizeError, at_least, compare

MAX_INT = 2**63 - 1
MIN_INT = -(2**63)   # sizes are int64 in torch
MAX_REPEAT = 10_000  # the copies a repeat makes, the items of a `range()`


class FoldError(Exception):
    def __init__(self, code: Code, message: str, help: str | None = None):
        super().__init__(message)
        self.code, self.message, self.help = code, message, help


def _is_number(value) -> bool:
    return type(value) in (int, float)


def fold(op: str, left, right):
    """left op right for + - * / // % **, == != < <= > >=, or FoldError."""
    if op in COMPARISONS:
        return compare_values(op, left, right)
    if op == "**":
        return power(left, right)
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
    """-value: numbers and sizes (-0.0 keeps its sign, which torch can tell apart: softplus(beta=-0.0))."""
    if isinstance(value, Size) or type(value) is float:
        return -value
    return fold("-", 0, value)


# ---------------------------------------------------------------- structure decided at spec time

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
VALUE_FUNCTIONS = ("range",)   # calls that make a value, not a layer (unless a block takes the name)


class Undecidable(FoldError):
    """A comparison of sizes whose answer depends on symbols that stay symbols (`C == 64`, with C a
    size of the network's input): structure is decided when the spec is checked, so this is an error."""

    def __init__(self, symbols: set[str]):
        self.symbols = sorted(symbols)
        names = ", ".join(f"`{s}`" for s in self.symbols)
        super().__init__(codes.E0350, f"depends on the size{'s' if len(self.symbols) > 1 else ''} {names}, "
                         "unknown until the network runs")


def compare_values(op: str, left, right) -> bool:
    """A comparison at spec time: numbers and sizes (exactly, or Undecidable), and equality of any values."""
    if isinstance(left, Size) or isinstance(right, Size):
        for value in (left, right):
            if not (isinstance(value, Size) or type(value) is int):
                raise FoldError(codes.E0317, f"`{op}` compares sizes with integers, not {format_value(value)}")
        truth = {"==": lambda: compare(left, right), "!=": lambda: compare(left, right),
                 "<": lambda: at_least(right, left + 1), "<=": lambda: at_least(right, left),
                 ">": lambda: at_least(left, right + 1), ">=": lambda: at_least(left, right)}[op]()
        if truth is not True and truth is not False:
            raise Undecidable(truth.symbols())
        return truth if op != "!=" else not truth
    if op in ("==", "!="):   # true is not 1 in a spec (Python says it is)
        same = left == right and (type(left) is bool) == (type(right) is bool)
        return same == (op == "==")
    if not (_is_number(left) and _is_number(right)):
        raise FoldError(codes.E0317, f"`{op}` orders numbers, but gets {format_value(left)} and {format_value(right)}")
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def power(base, exponent):
    """base ** exponent: numbers as Python computes them (a real result only), a size to a count."""
    if isinstance(base, Size) or isinstance(exponent, Size):
        if not (type(exponent) is int and exponent >= 0):
            raise FoldError(codes.E0328, f"a size to the power {format_value(exponent)} has no integer meaning",
                            help="raise sizes to non-negative integer powers")
        result = 1
        for _ in range(exponent):
            result = result * base
        return result
    if not (_is_number(base) and _is_number(exponent)):
        raise FoldError(codes.E0317, f"`**` needs numbers, but gets {format_value(base)} and {format_value(exponent)}")
    if type(base) is int and type(exponent) is int and exponent > 0 and base not in (0, 1, -1) and \
            (abs(base).bit_length() - 1) * exponent > 64:
        raise FoldError(codes.E0326, "`**` overflows", help=f"integers go up to {MAX_INT:,} (2**63 - 1)")
    if base == 0 and exponent < 0:
        raise FoldError(codes.E0325, "division by zero: 0 to a negative power")
    try:
        result = base ** exponent
    except OverflowError:
        raise FoldError(codes.E0326, "`**` overflows a float") from None
    if isinstance(result, complex):
        raise FoldError(codes.E0317, f"`{format_value(base)} ** {format_value(exponent)}` has no real value")
    if isinstance(result, int) and not MIN_INT <= result <= MAX_INT:
        raise FoldError(codes.E0326, "`**` overflows", help=f"integers go up to {MAX_INT:,} (2**63 - 1)")
    return result


def value_range(arguments: list, longest: int) -> tuple[int, ...]:
    """`range(stop)`, `range(start, stop)`, `range(start, stop, step)` as Python: integers only, at most
    `longest` of them."""
    if not 1 <= len(arguments) <= 3:
        raise FoldError(codes.E0317, f"`range` takes 1 to 3 integers, but gets {len(arguments)}",
                        help="range(n), range(start, stop) or range(start, stop, step)")
    for value in arguments:
        if type(value) is not int:
            raise FoldError(codes.E0317, f"`range` takes integers, not {format_value(value)}",
                            help="a loop's length is decided when the spec is checked: use parameters and numbers")
    if len(arguments) == 3 and arguments[2] == 0:
        raise FoldError(codes.E0320, "`range` step must not be zero")
    if len(range(*arguments)) > longest:
        raise FoldError(codes.E0320, f"`range` has {len(range(*arguments)):,} items; a loop goes up to {longest:,}")
    return tuple(range(*arguments))
