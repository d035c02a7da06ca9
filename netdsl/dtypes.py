"""Dtype classes: whether a tensor holds floating-point numbers, integers or booleans.

netdsl checks the class, not the exact dtype: the class is what decides whether torch runs a layer at all
(`logsigmoid` of argmin's integer indices raises). Floating-point tensors are of the module's precision
(float32, or whatever `.double()` makes it) or of another one (`to('float64')`, `ones(dtype='float16')`),
which a layer with float32 weights refuses ("mixed dtype"). Each value carries a class; a kind declares
(`LayerKind.dtypes`) the classes its inputs may have and the class of its output. A network's inputs are
`unknown`: the caller decides, and an unknown class satisfies every layer.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any

from . import records


class DType(enum.Enum):
    FLOATING = "floating"
    OTHER_FLOAT = "floating, another precision"   # float64, float16 or bfloat16 where the module is float32
    INTEGER = "integer"
    BOOL = "bool"
    UNKNOWN = "unknown"

    def describe(self) -> str:
        """How messages name a tensor of the class: "an integer tensor"."""
        return {DType.FLOATING: "a floating-point tensor",
                DType.OTHER_FLOAT: "a tensor of another floating-point precision (float64, float16, bfloat16)",
                DType.INTEGER: "an integer tensor",
                DType.BOOL: "a boolean tensor", DType.UNKNOWN: "a tensor"}[self]


FLOATING, OTHER_FLOAT, INTEGER, BOOL, UNKNOWN = (DType.FLOATING, DType.OTHER_FLOAT, DType.INTEGER, DType.BOOL,
                                                 DType.UNKNOWN)
ANY = frozenset({FLOATING, OTHER_FLOAT, INTEGER, BOOL})
NUMBERS = frozenset({FLOATING, INTEGER})
FLOATS = frozenset({FLOATING})
INTEGERS = frozenset({INTEGER})
BOOLS = frozenset({BOOL})

# A dtype argument's value (ones(..., dtype='int64'), to('bool')) → its class.
NAMED = {"float32": FLOATING, "float64": OTHER_FLOAT, "float16": OTHER_FLOAT, "bfloat16": OTHER_FLOAT,
         "int64": INTEGER, "int32": INTEGER, "bool": BOOL}
# The cast a fix suggests to reach a class (the `to` kind's argument).
CAST = {FLOATING: "float32", INTEGER: "int64", BOOL: "bool"}


def promote(*dtypes: DType) -> DType:
    """The class torch's type promotion gives to an operation on tensors of these classes: the highest of
    bool < integer < floating. A floating operand makes the result floating whatever the unknown ones are;
    one of another precision makes it that (float32 + float64 is float64; float32 + float16 is float32, but
    taking it as another precision only makes netdsl stricter)."""
    if OTHER_FLOAT in dtypes:
        return OTHER_FLOAT
    if FLOATING in dtypes:
        return FLOATING
    if UNKNOWN in dtypes or not dtypes:
        return UNKNOWN
    return INTEGER if INTEGER in dtypes else BOOL


def of_value(value: Any) -> DType:
    """The class of a Python number taking part in an operation (`x * 0.5`): a wrapped scalar."""
    return BOOL if isinstance(value, bool) else FLOATING if isinstance(value, float) else INTEGER


Rule = Callable[[Any, tuple[DType, ...]], DType]   # (the layer's arguments, its inputs' classes) → output class
Accepts = frozenset[DType] | tuple[frozenset[DType], ...] | Callable[[Any, int], tuple[frozenset[DType], ...]]


@records.value
class DTypes:
    """A kind's dtype declaration. `accepts`: the classes every input may have, one set per input
    (`where`: a boolean condition, then anything; inputs beyond the sets take anything), or a rule over the
    arguments and the number of inputs giving those sets (attention's masks are the last inputs).
    `output`: a class, or a rule over the arguments and the inputs' classes; None is the inputs' class,
    promoted (relu, reshape, add)."""
    accepts: Accepts = ANY
    output: DType | Rule | None = None

    def required(self, args: Any, index: int, count: int) -> frozenset[DType]:
        if isinstance(self.accepts, frozenset):
            return self.accepts
        sets = self.accepts if isinstance(self.accepts, tuple) else self.accepts(args, count)
        return sets[index] if index < len(sets) else ANY

    def refused(self, args: Any, inputs: tuple[DType, ...]) -> int | None:
        """The first input whose class the kind does not take (an unknown class is taken), or None."""
        return next((i for i, dtype in enumerate(inputs)
                     if dtype is not UNKNOWN and dtype not in self.required(args, i, len(inputs))), None)

    def result(self, args: Any, inputs: tuple[DType, ...]) -> DType:
        if self.output is None:
            return promote(*inputs)
        return self.output if isinstance(self.output, DType) else self.output(args, inputs)


def requirement(accepted: frozenset[DType]) -> str:
    """How a message names what a layer takes: "a floating-point tensor", "an integer or boolean tensor"."""
    names = [name for dtype, name in ((FLOATING, "floating-point"), (INTEGER, "integer"), (BOOL, "boolean"))
             if dtype in accepted]
    own = FLOATING in accepted and OTHER_FLOAT not in accepted
    if own:
        names[0] = "float32"
    listed = " or ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} or {names[-1]}"
    article = "an" if listed[0] in "aeiou" else "a"
    return f"{article} {listed} tensor" + (" (the module's precision)" if own and len(names) == 1 else "")


# ---------------------------------------------------------------- declarations the families share

# Kinds that compute on floating-point numbers take those of the module's precision only: layers with
# weights must (torch: "mixed dtype"), and for the others netdsl is stricter than torch rather than follow
# each kernel's support for float16 on each device.
SAME = DTypes()                                   # any input, output as the inputs (relu, reshape, cat)
FLOAT_LAYER = DTypes(FLOATS, FLOATING)            # weights or floating-point math only (conv, norms, softmax)
FLOAT_RESULT = DTypes(NUMBERS | {BOOL}, FLOATING)  # any number in, floating out (sqrt, sigmoid, true division)
NUMERIC = DTypes(NUMBERS)                         # no booleans (abs, pooling by max over integers)
COMPARISON = DTypes(ANY, BOOL)                    # gt, eq, ...: a boolean mask
INDICES = DTypes(NUMBERS, INTEGER)                # argmax, argmin (torch: "does not support bool input")


def with_scalar(*fields: str, accepts: frozenset[DType] = ANY) -> DTypes:
    """Arithmetic that may take Python numbers in `fields` (`x * 0.5`, clamp's bounds): promoted with them,
    as torch does (an integer tensor times 0.5 is floating, a boolean one plus 1 is integer)."""
    def output(args, inputs: tuple[DType, ...]) -> DType:
        scalars = (getattr(args, name, None) for name in fields)
        return promote(*inputs, *(of_value(value) for value in scalars if value is not None))
    return DTypes(accepts, output)


def from_argument(field: str, default: Rule) -> DTypes:
    """The class a dtype argument names (`ones(L, L, dtype='bool')`), else `default`'s."""
    def output(args, inputs: tuple[DType, ...]) -> DType:
        named = getattr(args, field, None)
        return NAMED[named] if named is not None else default(args, inputs)
    return DTypes(ANY, output)


def holding(value: Any, promoted: bool = False) -> frozenset[DType]:
    """The classes of tensor torch converts a Python number to (masked_fill's value, a pad value, clamp's
    bounds; float32's range is the schema's, netdsl.schema.FLOAT32): an integer tensor holds a finite number
    in int64's range, float16 (another precision) one up to 65,504 or an infinity. `promoted`: the operation
    promotes an integer or boolean tensor to float32 first (clamp), so those take any."""
    if value is None or isinstance(value, bool):
        return ANY
    number = float(value)
    held = {FLOATING, BOOL}
    if promoted or math.isfinite(number) and -2.0**63 <= number < 2.0**63:
        held.add(INTEGER)
    if not math.isfinite(number) or abs(number) <= 65504.0:
        held.add(OTHER_FLOAT)
    return frozenset(held)


def first_input(args, inputs: tuple[DType, ...]) -> DType:
    """The first input's class (masked_fill fills in place of its input; center_crop crops its first)."""
    return inputs[0]


# sum and prod of booleans count them: an integer tensor.
COUNTING = DTypes(ANY, lambda args, inputs: INTEGER if inputs[0] is BOOL else inputs[0])
