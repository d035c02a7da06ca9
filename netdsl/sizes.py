"""Symbolic sizes: exact integer arithmetic over named dims (`N`, `H`, `C`).

A size is a Python `int` or a `Size`: a canonical integer polynomial whose atoms are symbols and floors
`⌊e / k⌋` of a canonical expression `e` by a positive integer `k` (SIZES.md). Canonical means that the
usual identities hold by construction, so equal expressions compare equal structurally:
`N*L*64 == N*(L*64)`, `2*(H//2) + H % 2 == H`, `(H//2)//2 == H//4`, `(H - 2)//2 + 1 == H//2`.

Every PyTorch size rule is built from `+ - *`, floor division and modulo by integers (ceilings are
floors), so a rule written once with Python operators works on ints and on sizes alike. Comparisons
have three outcomes — true, false, or a `Condition` that holds for some sizes only — and the checker
turns undecided conditions into requirements on the input sizes instead of guessing.

Printing uses Python's notation (`16*(H//4)*(W//4)`, `H % 2`), the same everywhere and valid code.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING, Union

from . import records

if TYPE_CHECKING:
    from fractions import (
        Fraction,  # imported where used: off the start-up of concrete specs
    )

# A symbol's smallest value: sizes of tensors a network is applied to are at least 1.
SYMBOL_MINIMUM = 1


class SymbolicSizeError(TypeError):
    """Arithmetic or a decision the algebra cannot make on symbolic sizes: dividing by a symbol, or using
    a size where a plain number is needed (`if`, `<`, `range`). The checker reports it as E0328."""


class Symbol:
    """A named size. Its name comes from a spec and is a Python identifier (checked: text never
    becomes a size)."""

    __slots__ = ("key", "name")

    def __init__(self, name: str):
        if not (isinstance(name, str) and name.isidentifier() and name.isascii()):
            raise ValueError(f"a size symbol is an identifier, not {name!r}")
        self.name = name
        self.key = (0, name)

    def __eq__(self, other) -> bool:
        return isinstance(other, Symbol) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return self.name


class Floor:
    """⌊numerator / divisor⌋ with a positive integer divisor; built only by `floordiv`."""

    __slots__ = ("divisor", "key", "numerator")

    def __init__(self, numerator: Size, divisor: int):
        self.numerator, self.divisor = numerator, divisor
        self.key = (1, numerator.key, divisor)

    def __eq__(self, other) -> bool:
        return isinstance(other, Floor) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


class Scaled:
    """⌊e · f⌋ for a float factor f that is not a small dyadic fraction: torch multiplies in double
    precision, so this stays an atom that is evaluated the way torch does it."""

    __slots__ = ("factor", "key", "numerator")

    def __init__(self, numerator: Size, factor: float):
        self.numerator, self.factor = numerator, factor
        self.key = (2, numerator.key, factor)

    def __eq__(self, other) -> bool:
        return isinstance(other, Scaled) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


class Max:
    """max(a, b) of two sizes neither of which is known to be the larger: the result of broadcasting
    two different symbols (one of them may be 1). Not floor-affine: the accepted-sizes analysis says
    it could not decide sizes that depend on it."""

    __slots__ = ("operands", "key")

    def __init__(self, a: Size, b: Size):
        self.operands = tuple(sorted((a, b), key=lambda v: v.key if isinstance(v, Size) else ((), v)))
        self.key = (3, *(v.key if isinstance(v, Size) else v for v in self.operands))

    def __eq__(self, other) -> bool:
        return isinstance(other, Max) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


class Quotient:
    """numerator // divisor by a symbolic divisor: only in a block's recipe (code generation), where a
    parameter such as a stride stays a symbol; it becomes a floor once the divisor is a number."""

    __slots__ = ("numerator", "divisor", "key")

    def __init__(self, numerator, divisor: Size):
        self.numerator, self.divisor = numerator, divisor
        self.key = (4, numerator.key if isinstance(numerator, Size) else numerator, divisor.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, Quotient) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


# Set while a block's recipe is checked: a size may be divided by a symbol (see Quotient).
_symbolic_division: ContextVar[bool] = ContextVar("symbolic_division", default=False)


def allowing_symbolic_division(allowed: bool):
    return _symbolic_division.set(allowed)


def reset_symbolic_division(token) -> None:
    _symbolic_division.reset(token)


def symbolic_division_allowed() -> bool:
    return _symbolic_division.get()


Atom = Union[Symbol, Floor, Scaled, Max, Quotient]
Monomial = tuple  # tuple[tuple[Atom, int], ...]: atoms with powers, sorted by atom key
Dim = Union[int, "Size"]


def _mono_key(monomial: Monomial) -> tuple:
    return tuple((atom.key, power) for atom, power in monomial)


def _mono_mul(a: Monomial, b: Monomial) -> Monomial:
    powers: dict = {}
    for atom, power in a + b:
        powers[atom] = powers.get(atom, 0) + power
    return tuple(sorted(powers.items(), key=lambda item: item[0].key))


class Size:
    """A canonical polynomial over atoms. Never constant: operations return an `int` when they can."""

    __slots__ = ("_hash", "_key", "terms")

    def __init__(self, terms: tuple):
        self.terms = terms  # ((monomial, coefficient), ...), sorted, no zero coefficients, not constant
        self._key = None    # computed when compared or hashed: most sizes are only built and printed

    @property
    def key(self) -> tuple:
        if self._key is None:
            self._key = tuple((_mono_key(m), c) for m, c in self.terms)
        return self._key

    # ------------------------------------------------------------ construction

    @staticmethod
    def symbol(name: str) -> Size:
        return Size(((((Symbol(name), 1),), 1),))

    @staticmethod
    def _from(coefficients: dict) -> Dim:
        terms = [(m, c) for m, c in coefficients.items() if c]
        if not terms:
            return 0
        if len(terms) == 1 and terms[0][0] == ():
            return terms[0][1]
        terms.sort(key=lambda t: (len(t[0]) == 0, _mono_key(t[0])))
        return Size(tuple(terms))

    def _coefficients(self) -> dict:
        return dict(self.terms)

    # ------------------------------------------------------------ arithmetic

    def __add__(self, other) -> Dim:
        if not isinstance(other, (int, Size)) or isinstance(other, bool):
            return NotImplemented
        total = self._coefficients()
        for monomial, c in _terms(other):
            total[monomial] = total.get(monomial, 0) + c
        return Size._from(total)

    __radd__ = __add__

    def __neg__(self) -> Dim:
        return Size._from({m: -c for m, c in self.terms})

    def __sub__(self, other) -> Dim:
        if not isinstance(other, (int, Size)) or isinstance(other, bool):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other) -> Dim:
        if not isinstance(other, int) or isinstance(other, bool):
            return NotImplemented
        return (-self) + other

    def __mul__(self, other) -> Dim:
        if type(other) is int:   # the common case (an element count): the terms keep their order
            return Size(tuple((m, c * other) for m, c in self.terms)) if other else 0
        if not isinstance(other, Size):
            return NotImplemented
        product: dict = {}
        for m1, c1 in self.terms:
            for m2, c2 in _terms(other):
                monomial = _mono_mul(m1, m2)
                product[monomial] = product.get(monomial, 0) + c1 * c2
        return Size._from(product)

    __rmul__ = __mul__

    def __floordiv__(self, other) -> Dim:
        if isinstance(other, Size) and _symbolic_division.get():
            return Size._from({((Quotient(self, other), 1),): 1})
        return floordiv(self, _divisor(other, self))

    def __mod__(self, other) -> Dim:
        return self - other * floordiv(self, _divisor(other, self))

    def __rfloordiv__(self, other):
        if type(other) is int and _symbolic_division.get():
            return Size._from({((Quotient(other, self), 1),): 1})
        raise SymbolicSizeError(f"{format_value(other)} cannot be divided by the symbolic size {format_size(self)}")

    __rmod__ = __rfloordiv__

    def __truediv__(self, other):
        raise SymbolicSizeError(f"sizes are integers: divide {format_size(self)} with // rather than /")

    __rtruediv__ = __truediv__

    def _order(self, other):
        raise SymbolicSizeError(f"{format_size(self)} and {format_value(other)} have no fixed order")

    __lt__ = __le__ = __gt__ = __ge__ = _order

    def __index__(self):
        raise SymbolicSizeError(f"the symbolic size {format_size(self)} is used where a number is needed")

    # ------------------------------------------------------------ identity

    def __eq__(self, other) -> bool:
        """Structural: equal canonical forms. Use `compare` for the three-way answer."""
        return isinstance(other, Size) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __bool__(self) -> bool:
        raise SymbolicSizeError(f"whether {format_size(self)} is zero depends on the sizes")

    def __repr__(self) -> str:
        return f"Size({format_size(self)!r})"

    def __str__(self) -> str:
        return format_size(self)

    def __format__(self, spec: str) -> str:
        """f"{macs:,}" works for ints and formulas alike (a formula has no digit grouping)."""
        return format_size(self)

    # ------------------------------------------------------------ inspection

    def symbols(self) -> set[str]:
        found: set[str] = set()
        for monomial, _ in self.terms:
            for atom, _ in monomial:
                if isinstance(atom, Symbol):
                    found.add(atom.name)
                for inner in _atom_operands(atom):
                    found |= inner.symbols() if isinstance(inner, Size) else set()
        return found

    def divisors(self) -> list[int]:
        """Every divisor of a floor inside, nested ones included (they make up the period of the size)."""
        found = []
        for monomial, _ in self.terms:
            for atom, _ in monomial:
                if isinstance(atom, Floor):
                    found.append(atom.divisor)
                if isinstance(atom, (Floor, Scaled)) and isinstance(atom.numerator, Size):
                    found += atom.numerator.divisors()
        return found


def _divisor(other, value) -> int:
    if isinstance(other, int) and not isinstance(other, bool) and other > 0:
        return other
    raise SymbolicSizeError(f"{format_size(value)} can be divided by positive integers only, not by "
                            f"{format_value(other)}")


def format_value(value) -> str:
    return format_size(value) if isinstance(value, (int, Size)) else repr(value)


def _atom_operands(atom) -> tuple:
    if isinstance(atom, Max):
        return atom.operands
    if isinstance(atom, Quotient):
        return atom.numerator, atom.divisor
    return (atom.numerator,) if isinstance(atom, (Floor, Scaled)) else ()


def maximum(a: Dim, b: Dim) -> Dim:
    """max(a, b): one of them when that is provably the larger, else a Max atom."""
    if at_least(a, b) is True:
        return a
    if at_least(b, a) is True:
        return b
    return Size._from({((Max(a, b), 1),): 1})


def _terms(value: Dim) -> tuple:
    if isinstance(value, Size):
        return value.terms
    return (((), value),) if value else ()


def symbol(name: str) -> Size:
    """The size named `name` (an identifier)."""
    return Size.symbol(name)


def floordiv(value: Dim, divisor: int) -> Dim:
    """⌊value / divisor⌋ for a positive integer divisor, normalised: what divides is pulled out, common
    factors cancel, and nested floors merge (⌊⌊e/a⌋/b⌋ = ⌊e/ab⌋)."""
    if divisor <= 0:
        raise SymbolicSizeError(f"sizes are divided by positive integers only, not by {divisor}")
    if isinstance(value, int):
        return value // divisor
    if divisor == 1:
        return value
    quotient: dict = {}
    remainder: dict = {}
    for monomial, c in value.terms:
        q, r = divmod(c, divisor)
        if q:
            quotient[monomial] = q
        if r:
            remainder[monomial] = r
    rest = Size._from(remainder)
    if isinstance(rest, int):  # 0 <= rest < divisor
        return Size._from(quotient) if quotient else 0
    common = math.gcd(divisor, *(c for _, c in rest.terms))
    if common > 1:
        rest, divisor = Size._from({m: c // common for m, c in rest.terms}), divisor // common
    atom = _merged_floor(rest, divisor)
    quotient[((atom, 1),)] = quotient.get(((atom, 1),), 0) + 1
    return Size._from(quotient)


def _merged_floor(rest: Size, divisor: int) -> Floor:
    """⌊(⌊e/a⌋ + c)/b⌋ = ⌊(e + c·a)/(a·b)⌋ when rest is one floor (coefficient 1) plus a constant."""
    variable = [(m, c) for m, c in rest.terms if m != ()]
    constant = dict(rest.terms).get((), 0)
    if len(variable) == 1 and variable[0][1] == 1 and len(variable[0][0]) == 1:
        (atom, power), = variable[0][0]
        if isinstance(atom, Floor) and power == 1:
            inner = atom.numerator + constant * atom.divisor
            merged = floordiv(inner, atom.divisor * divisor)
            if isinstance(merged, Size) and len(merged.terms) == 1 and merged.terms[0][1] == 1:
                (only, _), = merged.terms[0][0]
                if isinstance(only, Floor):
                    return only
    return Floor(rest, divisor)


def ceildiv(value: Dim, divisor: int) -> Dim:
    """⌈value / divisor⌉ = ⌊(value + divisor − 1) / divisor⌋."""
    return floordiv(value + divisor - 1, divisor)


def scale(value: Dim, factor: float) -> Dim:
    """⌊value · factor⌋ as torch computes it (in double precision). An exact small dyadic factor, such
    as 2, 0.5 or 1.5, stays floor-affine; others become an atom evaluated like torch."""
    if isinstance(value, int):
        return math.floor(value * factor)
    from fractions import Fraction
    exact = Fraction(factor)
    if exact.denominator <= 1 << 16 and exact.numerator < 1 << 16:
        return floordiv(value * exact.numerator, exact.denominator)
    return Size._from({((Scaled(value, factor), 1),): 1})


def substitute(value, binding: dict[str, Dim]):
    """value with the named symbols replaced (ints, sizes, and tuples of them)."""
    if isinstance(value, tuple):
        return tuple(substitute(v, binding) for v in value)
    if not isinstance(value, Size) or not binding:
        return value
    total: Dim = 0
    for monomial, c in value.terms:
        term: Dim = c
        for atom, power in monomial:
            value = _atom_value(atom, binding)
            for _ in range(power):
                term = term * value
        total = total + term
    return total


def _atom_value(atom: Atom, binding: dict[str, Dim]) -> Dim:
    if isinstance(atom, Symbol):
        return binding[atom.name] if atom.name in binding else Size._from({((atom, 1),): 1})
    if isinstance(atom, Max):
        a, b = (substitute(v, binding) for v in atom.operands)
        return max(a, b) if isinstance(a, int) and isinstance(b, int) else maximum(a, b)
    if isinstance(atom, Quotient):
        numerator, divisor = substitute(atom.numerator, binding), substitute(atom.divisor, binding)
        if isinstance(divisor, int):
            return floordiv(numerator, _divisor(divisor, numerator))
        return Size._from({((Quotient(numerator, divisor), 1),): 1})
    numerator = substitute(atom.numerator, binding)
    if isinstance(atom, Floor):
        return floordiv(numerator, atom.divisor)
    return scale(numerator, atom.factor)


def evaluate(value: Dim, binding: dict[str, int]) -> int:
    """The integer value of a size for concrete symbols; KeyError when a symbol is missing."""
    result = substitute(value, binding)
    if not isinstance(result, int):
        raise KeyError(f"no value for {sorted(result.symbols())}")
    return result


# ---------------------------------------------------------------- bounds and comparisons

def bounds(value: Dim) -> tuple[float, float]:
    """An interval containing every value of `value` when each symbol is at least SYMBOL_MINIMUM."""
    if isinstance(value, int):
        return value, value
    low = high = 0.0
    for monomial, c in value.terms:
        lo, hi = 1.0, 1.0
        for atom, power in monomial:
            alo, ahi = _atom_bounds(atom)
            for _ in range(power):
                lo, hi = _interval_mul(lo, hi, alo, ahi)
        lo, hi = (c * lo, c * hi) if c > 0 else (c * hi, c * lo)
        low, high = _add_bound(low, lo), _add_bound(high, hi)
    return low, high


def _add_bound(a: float, b: float) -> float:
    if math.isinf(a) and math.isinf(b) and a != b:
        return -math.inf if a < 0 or b < 0 else math.inf
    return a + b


def _interval_mul(alo, ahi, blo, bhi) -> tuple[float, float]:
    products = []
    for x in (alo, ahi):
        for y in (blo, bhi):
            products.append(0.0 if x == 0 or y == 0 else x * y)
    return min(products), max(products)


def _atom_bounds(atom: Atom) -> tuple[float, float]:
    if isinstance(atom, Symbol):
        return SYMBOL_MINIMUM, math.inf
    if isinstance(atom, Max):
        (alo, ahi), (blo, bhi) = (bounds(v) for v in atom.operands)
        return max(alo, blo), max(ahi, bhi)
    if isinstance(atom, Quotient):
        return -math.inf, math.inf
    lo, hi = bounds(atom.numerator)
    if isinstance(atom, Floor):
        return (math.floor(lo / atom.divisor) if math.isfinite(lo) else lo,
                math.floor(hi / atom.divisor) if math.isfinite(hi) else hi)
    return (math.floor(lo * atom.factor) if math.isfinite(lo) else lo,
            math.floor(hi * atom.factor) if math.isfinite(hi) else hi)


@records.value
class Condition:
    """`left == right`, `left != right`, `left >= right`, or `left` and `right` broadcast (equal, or one
    of them 1), undecided for symbolic sizes: it holds for some of them."""
    difference: Size   # left − right
    relation: str      # "==", "!=", ">=" or "broadcast"
    left: Dim
    right: Dim

    def differences(self) -> tuple[Dim, ...]:
        """Values of which one must be 0 (==, broadcast) or the one that must be ≥ 0."""
        if self.relation == "broadcast":
            return (self.difference, self.left - 1, self.right - 1)
        return (self.difference,)

    def holds(self, binding: dict[str, int]) -> bool:
        if self.relation == ">=":
            return evaluate(self.difference, binding) >= 0
        if self.relation == "!=":
            return evaluate(self.difference, binding) != 0
        return any(evaluate(d, binding) == 0 for d in self.differences())

    def symbols(self) -> set[str]:
        """The symbols it depends on (a broadcast's difference may be a number: S + 6 against S)."""
        return set().union(*(d.symbols() for d in (self.difference, self.left, self.right) if isinstance(d, Size)))

    def __str__(self) -> str:
        if self.relation == "broadcast":
            return f"{format_size(self.left)} == {format_size(self.right)} or one of them is 1"
        return f"{format_size(self.left)} {self.relation} {format_size(self.right)}"

    def __bool__(self) -> bool:
        raise SymbolicSizeError(f"whether {self} depends on the sizes")


Truth = Union[bool, Condition]


def _without_positive_factor(difference: Size) -> Dim:
    """difference divided by what every term shares and is positive (symbols are ≥ 1, and the gcd of
    the coefficients): the same sign and zeros, in fewer symbols (64*N == H*N*W is 64 == H*W)."""
    common = None
    for monomial, _ in difference.terms:
        symbols = {atom: power for atom, power in monomial if isinstance(atom, Symbol)}
        common = symbols if common is None else {a: min(p, symbols[a]) for a, p in common.items() if a in symbols}
    factor: Dim = math.gcd(*(c for _, c in difference.terms))
    for atom, power in (common or {}).items():
        for _ in range(power):
            factor = factor * Size._from({((atom, 1),): 1})
    return difference if factor == 1 else exact_quotient(difference, factor)


def _sides(difference: Size, symmetric: bool = False) -> tuple[Dim, Dim]:
    """(positive terms, negated negative terms): the condition difference ⋈ 0 as left ⋈ right; for
    an equality the symbolic side goes first (H*W == 64)."""
    left = Size._from({m: c for m, c in difference.terms if c > 0})
    right = Size._from({m: -c for m, c in difference.terms if c < 0})
    return (right, left) if symmetric and isinstance(left, int) else (left, right)


def compare(left: Dim, right: Dim) -> Truth:
    """left == right: True, False (provably different for every size), or the Condition for when."""
    difference = left - right
    if isinstance(difference, int):
        return difference == 0
    difference = _without_positive_factor(difference)
    if isinstance(difference, int):
        return difference == 0
    low, high = bounds(difference)
    if low > 0 or high < 0:
        return False
    return Condition(difference, "==", *_sides(difference, symmetric=True))


def broadcasts(left: Dim, right: Dim) -> Truth:
    """Whether two sizes broadcast (torch: equal, or one of them 1): True, False, or the Condition."""
    if any(type(v) is int and v == 1 for v in (left, right)) or compare(left, right) is True:
        return True
    if isinstance(left, int) and isinstance(right, int):
        return False
    never = all(compare(d, 0) is False for d in (left - right, left - 1, right - 1))
    return False if never else Condition(left - right, "broadcast", left, right)


def at_least(left: Dim, right: Dim) -> Truth:
    """left >= right: True, False (for every size), or the Condition for when."""
    difference = left - right
    if isinstance(difference, int):
        return difference >= 0
    difference = _without_positive_factor(difference)
    if isinstance(difference, int):
        return difference >= 0
    low, high = bounds(difference)
    if low >= 0:
        return True
    if high < 0:
        return False
    return Condition(difference, ">=", *_sides(difference))


def relate(left: Dim, op: str, right: Dim) -> Truth:
    """`left op right` for a comparison written in a spec (== != < <= > >=): True, False, or the Condition."""
    if op == "==":
        return compare(left, right)
    if op == "!=":
        equal = compare(left, right)
        return (not equal) if isinstance(equal, bool) else replace(equal, relation="!=")
    if op in (">=", ">"):
        return at_least(left, right + int(op == ">"))
    return at_least(right, left + int(op == "<"))


def simpler(a: Dim, b: Dim) -> Dim:
    """Of two sizes required to be equal, the one that reads more simply (H rather than 8*(H//8), H//4
    rather than 2*(H//8)): a number, else fewer terms, atoms and coefficients, nested floors counted."""
    if a is b or isinstance(a, int):
        return a
    return b if isinstance(b, int) or _weight(b) < _weight(a) else a


def _weight(value: Size) -> int:
    return sum(1 + (coefficient != 1) + sum(power * (1 + (_weight(atom.numerator) if isinstance(atom, (Floor, Scaled))
                                                          and isinstance(atom.numerator, Size) else 0))
                                            for atom, power in monomial)
               for monomial, coefficient in value.terms)


def slope(value: Dim) -> Fraction | None:
    """s with d(x + P) − d(x) = s·P for a floor-affine size in one symbol (H//4 + 1: 1/4); None when it
    is not floor-affine (a product of symbols, a max, a scale torch rounds in double precision)."""
    from fractions import Fraction
    if isinstance(value, int):
        return Fraction(0)
    total = Fraction(0)
    for monomial, c in value.terms:
        if not monomial:
            continue
        if len(monomial) != 1 or monomial[0][1] != 1:
            return None
        atom = monomial[0][0]
        if isinstance(atom, Symbol):
            total += c
        elif isinstance(atom, Floor):
            inner = slope(atom.numerator)
            if inner is None:
                return None
            total += c * inner / atom.divisor
        else:   # Scaled, Max, Quotient: not floor-affine
            return None
    return total


def symbol_name(value) -> str | None:
    """The name when value is exactly one symbol (`H`), else None."""
    if isinstance(value, Size) and len(value.terms) == 1:
        monomial, c = value.terms[0]
        if c == 1 and len(monomial) == 1 and monomial[0][1] == 1 and isinstance(monomial[0][0], Symbol):
            return monomial[0][0].name
    return None


def exact_quotient(value: Dim, divisor: Dim) -> Dim | None:
    """value / divisor when the divisor divides it for every size (an integer dividing every
    coefficient, or a monomial dividing every term); None otherwise."""
    if isinstance(divisor, int):
        if divisor == 0:
            return None
        if isinstance(value, int):
            return value // divisor if value % divisor == 0 else None
        return floordiv(value, divisor) if all(c % divisor == 0 for _, c in value.terms) else None
    if isinstance(value, int) or len(divisor.terms) != 1:
        return 1 if value == divisor else None
    (divisor_monomial, divisor_coefficient), = divisor.terms
    quotient: dict = {}
    for monomial, c in value.terms:
        powers = dict(monomial)
        if c % divisor_coefficient or any(powers.get(atom, 0) < p for atom, p in divisor_monomial):
            return None
        for atom, p in divisor_monomial:
            powers[atom] -= p
        rest = tuple(sorted(((a, p) for a, p in powers.items() if p), key=lambda item: item[0].key))
        quotient[rest] = quotient.get(rest, 0) + c // divisor_coefficient
    return Size._from(quotient)


def equal_dims(left: Dim, right: Dim) -> bool:
    """Structural equality of two dims (an int never equals a size)."""
    return type(left) is type(right) and left == right


# ---------------------------------------------------------------- printing

def format_size(value, names: dict[str, str] | None = None) -> str:
    """Python notation in its simplest canonical form: `H//2 - 1`, `16*(H//4)*(W//4)`, `H % 2`.
    names: Python text for symbols (generated code); a symbol missing from it raises KeyError."""
    if isinstance(value, bool) or not isinstance(value, (int, Size)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    spellings = [_format_sum(_with_modulo(terms), names) for terms in _spellings(list(value.terms))]
    factored = _factored(value, names)
    return min(spellings + ([factored] if factored else []), key=len)


def _factored(value: Size, names) -> str | None:
    """c·(x₁ + k₁)·(x₂ + k₂)… when the value is that product of atoms plus constants, as a flattened
    feature map's size is: `32*((H - 6)//4)*((W - 6)//4)` reads better than its expansion."""
    terms = dict(value.terms)
    degree = {m: sum(power for _, power in m) for m in terms}
    top = max(terms, key=degree.get)
    if len(top) < 2 or any(power != 1 for _, power in top) or list(degree.values()).count(degree[top]) > 1:
        return None
    scale, factors = terms[top], []
    for i, (atom, _) in enumerate(top):
        offset, remainder = divmod(terms.get(top[:i] + top[i + 1:], 0), scale)
        if remainder:
            return None
        factors.append(Size(((((atom, 1),), 1),)) + offset)
    product = scale
    for factor in factors:
        product = product * factor
    if product != value:
        return None
    texts = [format_size(f, names) for f in factors]
    texts = [t if isinstance(f, Size) and len(f.terms) == 1 and not _is_product(f) and "//" not in t
             and "%" not in t else f"({t})" for f, t in zip(factors, texts)]
    sign, scale = ("-" if scale < 0 else ""), abs(scale)
    return sign + (" * " if names is not None else "*").join(([str(scale)] if scale != 1 else []) + texts)


def _spellings(terms: list) -> list[list]:
    """The canonical terms, and the same value with floors written with a negative offset where that
    reads better: ⌊(H + 1)/2⌋ − 1 is also ⌊(H − 1)/2⌋ (a floor's constant c may be written c − k if
    the floor's multiple m moves into the constant)."""
    shifted, constant = [], 0
    for monomial, c in terms:
        if len(monomial) == 1 and monomial[0][1] == 1 and isinstance(monomial[0][0], Floor):
            atom = monomial[0][0]
            offset = dict(_terms(atom.numerator)).get((), 0)
            if offset > 0:
                shifted.append((((Floor(atom.numerator - atom.divisor, atom.divisor), 1),), c))
                constant += c
                continue
        shifted.append((monomial, c))
    if not constant:
        return [terms]
    merged = dict(shifted)
    merged[()] = merged.get((), 0) + constant
    return [terms, [(m, c) for m, c in shifted if m != ()] + ([((), merged[()])] if merged[()] else [])]


def python_size(value, names: dict[str, str]) -> str | None:
    """A size as a Python expression with its symbols spelled by `names`; None when one is missing."""
    try:
        return format_size(value, names)
    except KeyError:
        return None


def _with_modulo(terms: list) -> list:
    """Spot e − k·⌊e/k⌋ (and multiples of it) and write it as `e % k`: returns terms where such a
    group is replaced by a ("mod", numerator, divisor, multiple) entry."""
    coefficients = dict(terms)
    out = []
    for monomial, c in terms:
        if len(monomial) != 1 or monomial[0][1] != 1 or not isinstance(monomial[0][0], Floor):
            continue
        atom = monomial[0][0]
        if c % atom.divisor or monomial not in coefficients:
            continue
        multiple = -c // atom.divisor
        if multiple <= 0:
            continue
        parts = _terms(atom.numerator)
        if all(coefficients.get(m, 0) == multiple * k for m, k in parts):
            for m, _ in parts:
                coefficients.pop(m)
            coefficients.pop(monomial)
            out.append((("mod", atom.numerator, atom.divisor), multiple))
    ordered = [(m, coefficients[m]) for m, _ in terms if m in coefficients]
    return ordered[:1] + out + ordered[1:] if ordered else out


def _format_sum(terms: list, names) -> str:
    pieces = []
    for monomial, c in terms:
        text = _format_term(monomial, abs(c), names)
        if not pieces:   # a leading minus binds tighter than // and %: -(H//2), not -H//2
            negative = f"-({text})" if "//" in text or "%" in text else f"-{text}"
            pieces.append(negative if c < 0 else text)
        else:
            pieces.append((" - " if c < 0 else " + ") + text)
    return "".join(pieces) or "0"


def _format_term(monomial, c: int, names) -> str:
    if isinstance(monomial, tuple) and monomial and monomial[0] == "mod":
        _, numerator, divisor = monomial
        inner = format_size(numerator, names)
        inner = f"({inner})" if isinstance(numerator, Size) and (len(numerator.terms) > 1 or
                                                                 _is_product(numerator)) else inner
        text = f"{inner} % {divisor}"
        return text if c == 1 else f"{c}*({text})"
    if monomial == ():
        return str(c)
    factors = []
    for atom, power in monomial:
        factor = _format_atom(atom, len(monomial) == 1 and power == 1 and c == 1, names)
        factors += [factor] * power
    # Python source (names given) is spaced as ruff format writes it: `C * t`, `k // 2`.
    return (" * " if names is not None else "*").join(([str(c)] if c != 1 else []) + factors)


def _is_product(value: Size) -> bool:
    (monomial, c), = value.terms
    return c != 1 or len(monomial) > 1 or monomial[0][1] > 1


def _format_atom(atom: Atom, alone: bool, names) -> str:
    if isinstance(atom, Symbol):
        return atom.name if names is None else names[atom.name]
    if isinstance(atom, Max):
        return f"max({', '.join(format_size(v, names) for v in atom.operands)})"
    if isinstance(atom, Quotient):
        parts = [format_size(v, names) for v in (atom.numerator, atom.divisor)]
        parts = [f"({p})" if isinstance(v, Size) and (len(v.terms) > 1 or _is_product(v)) else p
                 for p, v in zip(parts, (atom.numerator, atom.divisor))]
        slash = " // " if names is not None else "//"
        return f"{parts[0]}{slash}{parts[1]}" if alone else f"({parts[0]}{slash}{parts[1]})"
    inner = format_size(atom.numerator, names)
    if isinstance(atom.numerator, Size) and (len(atom.numerator.terms) > 1 or _is_product(atom.numerator)):
        inner = f"({inner})"
    if isinstance(atom, Scaled):   # torch multiplies in double precision and rounds down
        return f"{'math.floor' if names is not None else 'floor'}({inner} * {atom.factor!r})"
    if isinstance(atom, Max):
        return f"max({', '.join(format_size(v, names) for v in atom.operands)})"
    text = f"{inner}{' // ' if names is not None else '//'}{atom.divisor}"
    return text if alone else f"({text})"
