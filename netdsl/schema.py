"""Argument schemas: the names, types, defaults and bounds a layer kind (or a block) accepts, and the
words for them. Validation is strict (a spec's `5.0` is not silently an int, `true` is not 1) and
cheap to declare: a schema is plain data, so the 70-odd kinds cost nothing until one is used.

Integer fields declared `symbolic` also take symbolic sizes (`conv2d(C * t, 1)` in a block); their
bounds are checked once the sizes are known (the checker validates again after binding symbols).
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any

from . import records
from .sizes import Size, at_least, format_size


class Invalid(Exception):
    """A value a type rejects; `message` completes "`conv2d` argument `stride` …"."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def format_value(value) -> str:
    """A value as a spec writes it: true, 'text', (1, 2), H//2."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, Size):
        return format_size(value)
    return str(value)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


class Type:
    def validate(self, value):
        raise NotImplementedError

    def describe(self, plural: bool = False) -> str:
        raise NotImplementedError

    def accepts_type(self, value) -> bool:
        """Whether value has this type's kind (bounds aside): picks the message for unions."""
        return False

    def notation(self) -> str:
        """Compact, as `netdsl layers` shows it: `int > 0 | (int > 0, int > 0)`."""
        raise NotImplementedError


def _bounded(name: str, gt, ge, le) -> str:
    return " ".join([name, *(f"{sign} {bound}" for sign, bound in ((">", gt), ("≥", ge), ("≤", le))
                             if bound is not None)])


def _describe_number(noun: str, gt, ge, le, plural: bool) -> str:
    """"a positive integer", "non-negative integers", "a number at least 0 at most 1"."""
    nouns = noun + "s" if plural else noun
    if gt == 0 and ge is None and le is None:
        return f"positive {nouns}" if plural else f"a positive {nouns}"
    if ge == 0 and gt is None and le is None:
        return f"non-negative {nouns}" if plural else f"a non-negative {nouns}"
    limits = [w for w in (f"greater than {gt}" if gt is not None else "", f"at least {ge}" if ge is not None else "",
                          f"at most {le}" if le is not None else "") if w]
    text = nouns if plural else _article(noun)
    return " ".join([text, *limits])


@records.value
class Int(Type):
    gt: int | None = None
    ge: int | None = None
    le: int | None = None
    symbolic: bool = False   # a size: symbolic values are accepted, their bounds checked once bound

    def accepts_type(self, value) -> bool:
        return (type(value) is int) or (self.symbolic and isinstance(value, Size))

    def validate(self, value):
        if not self.accepts_type(value):
            hint = "use `//` for integer division" if isinstance(value, float) else None
            raise Invalid(f"expects {self.describe()}, got {format_value(value)}", hint)
        for words, bound, holds in ((f"greater than {self.gt}", self.gt, lambda b: at_least(value, b + 1)),
                                    (f"greater than or equal to {self.ge}", self.ge, lambda b: at_least(value, b)),
                                    (f"less than or equal to {self.le}", self.le, lambda b: at_least(b, value))):
            if bound is not None and holds(bound) is False:   # a symbolic size is checked once it is bound
                raise Invalid(f"must be {words}, got {format_value(value)}")
        return value

    def describe(self, plural: bool = False) -> str:
        return _describe_number("integer", self.gt, self.ge, self.le, plural)

    def notation(self) -> str:
        return _bounded("int", self.gt, self.ge, self.le)


@records.value
class Float(Type):
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    infinite: bool = False          # ±inf are accepted too, outside the bounds (a float32 holds them)

    def accepts_type(self, value) -> bool:
        return type(value) in (int, float)

    def validate(self, value):
        if not self.accepts_type(value):
            raise Invalid(f"expects {self.describe()}, got {format_value(value)}")
        value = float(value)
        if self.infinite and value in (math.inf, -math.inf):
            return value
        for words, bound, holds in ((f"greater than {self.gt}", self.gt, lambda b: value > b),
                                    (f"greater than or equal to {self.ge}", self.ge, lambda b: value >= b),
                                    (f"less than or equal to {self.le}", self.le, lambda b: value <= b)):
            if bound is not None and not holds(bound):
                raise Invalid(f"must be {words}, got {format_value(value)}")
        return value

    def describe(self, plural: bool = False) -> str:
        return _describe_number("number", self.gt, self.ge, self.le, plural) + " or infinite" * self.infinite

    def notation(self) -> str:
        return _bounded("float", self.gt, self.ge, self.le)


# Numbers torch converts to a float32 tensor's dtype (an activation's constant, a fill value, a bound):
# beyond float32's range it raises "value cannot be converted to type float without overflow".
FLOAT32_MAX = 3.4028234663852886e38
FLOAT32 = Float(ge=-FLOAT32_MAX, le=FLOAT32_MAX)
FLOAT32_OR_INFINITE = Float(ge=-FLOAT32_MAX, le=FLOAT32_MAX, infinite=True)   # masked_fill(mask, -1e999)


@records.value
class Bool(Type):
    def accepts_type(self, value) -> bool:
        return type(value) is bool

    def validate(self, value):
        if type(value) is not bool:
            raise Invalid(f"expects true or false, got {format_value(value)}")
        return value

    def describe(self, plural: bool = False) -> str:
        return "true or false"

    def notation(self) -> str:
        return "bool"


@records.value
class Choice(Type):
    options: tuple[str, ...]

    def accepts_type(self, value) -> bool:
        return isinstance(value, str) and value in self.options

    def validate(self, value):
        if not self.accepts_type(value):
            raise Invalid(f"expects {self.describe()}, got {format_value(value)}")
        return value

    def describe(self, plural: bool = False) -> str:
        return " or ".join(repr(o) for o in self.options)

    def notation(self) -> str:
        return " | ".join(repr(o) for o in self.options)


@records.value
class Text(Type):
    def accepts_type(self, value) -> bool:
        return isinstance(value, str)

    def validate(self, value):
        if not isinstance(value, str):
            raise Invalid(f"expects a string, got {format_value(value)}")
        return value

    def describe(self, plural: bool = False) -> str:
        return "strings" if plural else "a string"

    def notation(self) -> str:
        return "str"


@records.value
class Nothing(Type):
    """The value None."""

    def accepts_type(self, value) -> bool:
        return value is None

    def validate(self, value):
        if value is not None:
            raise Invalid(f"expects None, got {format_value(value)}")
        return value

    def describe(self, plural: bool = False) -> str:
        return "None"

    def notation(self) -> str:
        return "None"


@records.value
class Tuple(Type):
    element: Type
    length: int | None = None   # None: any length

    def accepts_type(self, value) -> bool:
        return isinstance(value, tuple) and (self.length is None or len(value) == self.length) \
            and all(self.element.accepts_type(v) for v in value)

    def validate(self, value):
        if not isinstance(value, tuple) or (self.length is not None and len(value) != self.length):
            raise Invalid(f"expects {self.describe()}, got {format_value(value)}")
        return tuple(self.element.validate(v) for v in value)

    def describe(self, plural: bool = False) -> str:
        count = f"{self.length} " if self.length is not None else ""
        return f"a tuple of {count}{self.element.describe(plural=True)}"

    def notation(self) -> str:
        element = self.element.notation()
        return f"({element}, ...)" if self.length is None else "(" + ", ".join([element] * self.length) + ")"


@records.value
class Either(Type):
    options: tuple[Type, ...]

    def accepts_type(self, value) -> bool:
        return any(o.accepts_type(value) for o in self.options)

    def validate(self, value):
        for option in self.options:
            if option.accepts_type(value):
                return option.validate(value)   # its bounds decide: "must be greater than 0"
        hint = "use `//` for integer division" if isinstance(value, float) and \
            any(isinstance(o, Int) for o in self.options) else None
        raise Invalid(f"expects {self.describe()}, got {format_value(value)}", hint)

    def describe(self, plural: bool = False) -> str:
        return " or ".join(o.describe(plural) for o in self.options)

    def notation(self) -> str:
        return " | ".join(o.notation() for o in self.options)


@records.value
class Anything(Type):
    """Checked by the kind's own rule (reshape's sizes)."""

    def accepts_type(self, value) -> bool:
        return True

    def validate(self, value):
        return value

    def describe(self, plural: bool = False) -> str:
        return "values" if plural else "a value"

    def notation(self) -> str:
        return "any"


def optional(kind: Type) -> Type:
    return Either((kind, Nothing()))


def one_or_tuple(element: Type, length: int) -> Type:
    """PyTorch's `int or tuple of d ints` (kernel_size, stride, ...)."""
    return Either((element, Tuple(element, length)))


POSITIVE = Int(gt=0, symbolic=True)
NON_NEGATIVE = Int(ge=0, symbolic=True)
INT = Int()
PROBABILITY = Float(ge=0.0, le=1.0)
REQUIRED = object()


@records.value
class Field:
    type: Type
    default: Any = REQUIRED
    internal: bool = False   # set by lowering (e.g. which unpacked piece), never written in a spec

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class SchemaError(Exception):
    """Several invalid values: [(field name, Invalid)]."""

    def __init__(self, errors: list[tuple[str, Invalid]]):
        super().__init__("; ".join(f"{name}: {error.message}" for name, error in errors))
        self.errors = errors


@records.value
class Schema:
    fields: dict[str, Field]
    defaults: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", {n: f.default for n, f in self.fields.items() if not f.required})

    def public(self) -> dict[str, Field]:
        return {n: f for n, f in self.fields.items() if not f.internal}

    def validate(self, values: dict[str, Any]) -> Args:
        """Args from the given values (defaults filled in); SchemaError naming every invalid one."""
        errors = []
        checked = dict(self.defaults)
        for name, value in values.items():
            try:
                checked[name] = self.fields[name].type.validate(value)
            except Invalid as error:
                errors.append((name, error))
        if errors:
            raise SchemaError(errors)
        return Args(self, checked)


class Args:
    """Validated argument values: read as attributes (`args.kernel_size`); immutable."""

    __slots__ = ("_hash", "schema", "values")

    def __init__(self, schema: Schema, values: dict[str, Any]):
        object.__setattr__(self, "schema", schema)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "_hash", None)

    def __getattr__(self, name: str):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("Args are immutable")

    def replace(self, **changes) -> Args:
        return Args(self.schema, {**self.values, **changes})

    def items(self):
        return self.values.items()

    def public_items(self):
        return ((n, v) for n, v in self.values.items() if not self.schema.fields[n].internal)

    def changed(self, *names: str) -> dict[str, Any]:
        """The named arguments whose value differs from the default, in the order given."""
        defaults = self.schema.defaults
        return {n: self.values[n] for n in names if not _same(self.values[n], defaults.get(n, REQUIRED))}

    def __eq__(self, other) -> bool:
        return isinstance(other, Args) and other.schema is self.schema and other.values == self.values

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(tuple(self.values.items())))
        return self._hash

    def __repr__(self) -> str:
        return "Args(" + ", ".join(f"{k}={format_value(v)}" for k, v in self.values.items()) + ")"


def _same(a, b) -> bool:
    """Equality that tells true from 1 and 1.0 from 1 (a default of 1 differs from a written 1.0)."""
    return type(a) is type(b) and a == b
