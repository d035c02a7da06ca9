"""Which input sizes a network accepts, and why: the requirements its layers put on the symbolic
sizes of its inputs (netdsl.checker.Constraint), solved exactly.

The method is SIZES.md's floor-affine periodicity argument. Every size in a network is a composition
of floor-affine maps of an input symbol x, so each requirement is `d(x) == 0` or `d(x) >= 0` with
`d(x + P) = d(x) + s·P` for its slope s and a period P (the product of the divisors along each floor).
Past a threshold T that the slope and the periodic part of d give, an inequality is settled (true or
false for good) and an equality holds on whole residue classes mod P (or, with a slope, never). So the
accepted set is a finite set below T plus residue classes mod P from T on, and evaluating every
requirement at 1 … T + P − 1 (microseconds each) reads it off exactly.

Symbols that meet only through an equality `H == W` are solved as one; symbols that meet otherwise, or
sizes that are not floor-affine (a product H*W compared with something, a float scale that is not a
small dyadic fraction) are reported as "could not determine", with the reason — never as accepted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from . import codes, records
from .checker import CheckedGraph, Constraint, LayerResult
from .diagnostics import Diagnostic, Diagnostics, Note, Severity
from .ir import Assumption
from .shapes import format_shape
from .sizes import (
    Condition,
    Dim,
    Floor,
    Max,
    Size,
    Symbol,
    relate,
    slope,
    substitute,
    symbol,
    symbol_name,
)
from .suggest import did_you_mean

if TYPE_CHECKING:
    from fractions import Fraction

# Enumeration beyond this many sizes is refused (a huge stride product); the answer is then unknown.
MAX_WINDOW = 1 << 20


@records.value
class Reason:
    """One layer's part in the answer: what it needs of the symbol, in words."""
    layer: str            # "`concat` in `Up`"
    where: str            # "12:12", and the block calls it is reached through: "12:12, called at 21:10, 22:10"
    needs: str            # "H a multiple of 8"
    span: object          # the Span, for diagnostics
    sizes: SizeSet        # what this layer alone accepts


@records.value
class SizeSet:
    """Sizes x ≥ 1 in `extra`, or x ≥ start with x mod modulus in residues (all of them when residues
    is None), except those in `missing`."""
    start: int
    modulus: int
    residues: tuple[int, ...] | None
    extra: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()

    def __contains__(self, x: int) -> bool:
        if x in self.extra:
            return True
        if x < self.start or x in self.missing or self.residues == ():
            return False
        return self.residues is None or x % self.modulus in self.residues

    @property
    def empty(self) -> bool:
        return self.residues == () and not self.extra

    @property
    def everything(self) -> bool:
        return self.residues is None and self.start <= 1 and not self.missing

    def smallest(self) -> int | None:
        candidates = list(self.extra)
        if self.residues != ():
            x = self.start
            while x not in self and x < self.start + self.modulus + len(self.missing) + 1:
                x += 1
            candidates.append(x)
        return min(candidates) if candidates else None

    def nearest(self, x: int) -> tuple[int | None, int | None]:
        """The accepted sizes just below and just above x (None where there is none)."""
        below = next((y for y in range(x - 1, max(0, x - 2 * self.modulus - len(self.missing) - 2), -1)
                      if y in self), None)
        if below is None:
            below = max((y for y in self.extra if y < x), default=None)
        above = None
        if self.residues != ():
            above = next((y for y in range(x + 1, max(x, self.start) + 2 * self.modulus + len(self.missing) + 2)
                          if y in self), None)
        if above is None:
            above = min((y for y in self.extra if y > x), default=None)
        return below, above

    def words(self, name: str) -> str:
        """"H a multiple of 8", "any H ≥ 32", "H odd and ≥ 7", "H = 3 or 5"."""
        if self.empty:
            return f"no {name}"
        if self.residues == ():
            return f"{name} = " + " or ".join(map(str, self.extra))
        if self.residues is None:
            parts = [f"any {name}" if self.start <= 1 else f"{name} ≥ {self.start}"]
        else:
            parts = [f"{name} {_pattern(self.modulus, self.residues)}"]
            if self.start > _first_of(self.modulus, self.residues):
                first = next(x for x in range(self.start, self.start + self.modulus) if x % self.modulus in self.residues)
                parts[0] += f" and ≥ {first}"
        if self.missing:
            parts.append("except " + ", ".join(map(str, self.missing)))
        if self.extra:
            parts.append("and also " + ", ".join(map(str, self.extra)))
        return " ".join(parts)


def _first_of(modulus: int, residues: tuple[int, ...]) -> int:
    return min((r if r else modulus) for r in residues)


def _pattern(modulus: int, residues: tuple[int, ...]) -> str:
    if modulus == 2 and residues == (1,):
        return "odd"
    if modulus == 2 and residues == (0,):
        return "even"
    if residues == (0,):
        return f"a multiple of {modulus}"
    if len(residues) == 1:
        return f"≡ {residues[0]} (mod {modulus})"
    return "≡ " + ", ".join(map(str, residues)) + f" (mod {modulus})"


@records.value
class Answer:
    """What the network accepts for one symbol (or several tied by equalities, `tied`)."""
    symbol: str
    sizes: SizeSet | None            # None: could not be determined
    tied: tuple[str, ...] = ()       # other symbols that must equal this one
    reasons: tuple[Reason, ...] = ()
    unknown: str | None = None       # why it could not be determined

    def words(self) -> str:
        if self.sizes is None:
            return f"{self.symbol} undetermined"
        return self.sizes.words(self.symbol) + "".join(f" with {other} = {self.symbol}" for other in self.tied)


@records.value
class Declared:
    """What a network's `where` clause allows for one symbol (or several it makes equal), and the
    smallest allowed sizes the network does not accept, if any."""
    symbols: tuple[str, ...]
    sizes: SizeSet | None                       # None: the clause could not be solved (`unknown` says why)
    conditions: tuple[Assumption, ...]
    counterexample: dict[str, int] | None = None
    unknown: str | None = None
    proved: bool | None = None                  # None: what the network accepts is itself undetermined

    def words(self) -> str:
        return ", ".join(c.span.text for c in self.conditions)


@records.value
class Accepted:
    answers: tuple[Answer, ...]
    free: tuple[str, ...]             # input symbols no layer constrains
    declared: tuple[Declared, ...] = ()

    @property
    def restricted(self) -> bool:
        return bool(self.declared) or any(a.sizes is None or not a.sizes.everything or a.tied for a in self.answers)

    def words(self) -> str:
        parts = [a.words() for a in self.answers if a.sizes is not None]
        if self.free and parts:
            parts.append(f"any {', '.join(self.free)}")
        return "; ".join(parts)

    def undetermined(self) -> dict[str, list[str]]:
        """Why some sizes could not be determined → the symbols it concerns."""
        found: dict[str, list[str]] = {}
        for answer in self.answers:
            if answer.sizes is None:
                found.setdefault(answer.unknown, []).append(answer.symbol)
        return found

    def answer(self, name: str) -> Answer | None:
        return next((a for a in self.answers if a.symbol == name or name in a.tied), None)


# ---------------------------------------------------------------- evaluation

def _evaluator(value: Dim, name: str) -> Callable[[int], int]:
    """value as a function of the one symbol `name` (no eval: closures over the canonical form)."""
    if isinstance(value, int):
        return lambda x: value
    terms = []
    for monomial, c in value.terms:
        factors = [(_atom_evaluator(atom, name), power) for atom, power in monomial]
        terms.append((c, factors))

    def evaluate(x: int) -> int:
        total = 0
        for c, factors in terms:
            term = c
            for factor, power in factors:
                term *= factor(x) ** power
            total += term
        return total
    return evaluate


def _atom_evaluator(atom, name: str) -> Callable[[int], int]:
    if isinstance(atom, Symbol):
        if atom.name != name:
            raise KeyError(atom.name)
        return lambda x: x
    if isinstance(atom, Max):
        a, b = (_evaluator(v, name) for v in atom.operands)
        return lambda x: max(a(x), b(x))
    inner = _evaluator(atom.numerator, name)
    if isinstance(atom, Floor):
        divisor = atom.divisor
        return lambda x: inner(x) // divisor
    factor = atom.factor
    return lambda x: math.floor(inner(x) * factor)


def _period(value: Dim) -> int | None:
    if isinstance(value, int):
        return 1
    period = 1
    for monomial, _ in value.terms:
        for atom, _ in monomial:
            if isinstance(atom, Floor):
                inner = _period(atom.numerator)
                if inner is None:
                    return None
                period = math.lcm(period, atom.divisor * inner)
            elif not isinstance(atom, Symbol):   # Scaled, Max, Quotient: no period
                return None
    return period


@records.record
class _Requirement:
    """A requirement in one symbol: differences[0] >= 0 (">="), != 0 ("!="), or one of the differences
    == 0; a layer's (constraint) or a `where` condition's (assumption)."""
    constraint: Constraint | None
    differences: tuple[Dim, ...]
    relation: str
    assumption: Assumption | None = None

    def holds(self, evaluators, x: int) -> bool:
        if self.relation == ">=":
            return evaluators[0](x) >= 0
        if self.relation == "!=":
            return evaluators[0](x) != 0
        return any(evaluate(x) == 0 for evaluate in evaluators)

    def origin(self) -> str:
        if self.constraint is None:
            return f"`where {self.assumption.span.text}`"
        layer = self.constraint.node
        return f"`{layer.kind}` at {layer.span.short()} needs {self.constraint.requirement.condition}, which"


def _threshold(relation: str, slope: Fraction, period: int, evaluate) -> int:
    """From this size on, an inequality is settled and an equality is periodic or never holds."""
    if slope == 0:
        return 1
    offsets = [evaluate(x) - slope * x for x in range(1, period + 1)]
    low, high = min(offsets), max(offsets)
    if relation == ">=":
        bound = -low / slope if slope > 0 else high / -slope
    else:
        bound = max(abs(low), abs(high)) / abs(slope)
    return max(1, math.floor(bound) + 2)


def _solve(name: str, requirements: list[_Requirement]) -> tuple[SizeSet | None, str | None, list]:
    """The sizes of `name` that satisfy every requirement, and per requirement its failing sizes."""
    period, threshold, evaluators = 1, 1, []
    for requirement in requirements:
        own_evaluators = []
        for difference in requirement.differences:
            rate, own = slope(difference), _period(difference)
            if rate is None or own is None:
                return None, f"{requirement.origin()} is not a floor-affine function of {name}", []
            period = math.lcm(period, own)
            if period > MAX_WINDOW:   # before _threshold walks one period (a stride of 2**31 - 1)
                return None, f"the sizes repeat only every {period:,} values of {name}", []
            evaluate = _evaluator(difference, name)
            own_evaluators.append(evaluate)
            threshold = max(threshold, _threshold(requirement.relation, rate, own, evaluate))
        evaluators.append(own_evaluators)
    if threshold + period > MAX_WINDOW:
        return None, f"the sizes repeat only every {period:,} values of {name}", []
    end = threshold + period
    accepted = [True] * end
    failures = [[] for _ in requirements]
    for index, (requirement, own) in enumerate(zip(requirements, evaluators)):
        for x in range(1, end):
            if not requirement.holds(own, x):
                accepted[x] = False
                failures[index].append(x)
    return _canonical(accepted, threshold, period), None, failures


def _canonical(accepted: list[bool], threshold: int, period: int) -> SizeSet:
    """The accepted list (index x, from 1 to threshold + period − 1) as the simplest SizeSet."""
    window = [x for x in range(threshold, threshold + period) if accepted[x]]
    residues = sorted({x % period for x in window})
    modulus = period
    for divisor in sorted(d for d in range(1, period + 1) if period % d == 0):   # the smallest true period
        reduced = sorted({r % divisor for r in residues})
        if all((r % divisor in reduced) == (r in residues) for r in range(period)):
            modulus, residues = divisor, reduced
            break
    pattern = (lambda x: True) if len(residues) == modulus else (lambda x: x % modulus in residues)
    start = threshold
    while start > 1 and accepted[start - 1] == pattern(start - 1):
        start -= 1
    below = range(1, start)
    extra = tuple(x for x in below if accepted[x])
    if not residues:
        return SizeSet(start, modulus, (), extra)
    if len(residues) == modulus:
        return SizeSet(start, 1, None, extra)
    return SizeSet(start, modulus, tuple(residues), extra)


# ---------------------------------------------------------------- components

def _symbols(value: Dim) -> set[str]:
    return value.symbols() if isinstance(value, Size) else set()


def _ties(constraints: list[Constraint]) -> dict[str, str]:
    """Symbols that a requirement `A == B` makes equal: each to its representative."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.get(a, a) != a:
            a = parent[a]
        return a
    for constraint in constraints:
        condition = constraint.requirement.condition
        if condition.relation != "==":
            continue
        left, right = symbol_name(condition.left), symbol_name(condition.right)
        if left and right and find(left) != find(right):
            a, b = sorted((find(left), find(right)))
            parent[b] = a
    return {name: find(name) for name in parent}


def _layer_name(constraint: Constraint) -> str:
    where = [n.message.removeprefix("in block ").split(" called")[0] for n in constraint.context]
    return f"`{constraint.node.kind}`" + (f" in {where[0]}" if where else "")


def accepted_sizes(checked: CheckedGraph) -> Accepted:
    """What the network accepts for each symbol of its input shapes."""
    inputs = [name for shape in checked.input_shapes.values() for d in shape or () for name in _symbols(d)]
    inputs = list(dict.fromkeys(inputs))
    constraints = [c for c in checked.constraints if c.requirement.condition.symbols() <= set(inputs)]
    ties = _ties(constraints)
    tied = {name: symbol(rep) for name, rep in ties.items() if name != rep}
    groups: dict[frozenset, list[_Requirement]] = {}
    for constraint in constraints:
        condition = constraint.requirement.condition
        differences = tuple(substitute(d, tied) for d in condition.differences())
        if all(isinstance(d, int) for d in differences):
            if _Requirement(constraint, differences, condition.relation).holds([lambda x, d=d: d for d in differences], 1):
                continue   # a tie itself, now settled
        names = frozenset().union(*(_symbols(d) for d in differences))
        groups.setdefault(names, []).append(_Requirement(constraint, differences, condition.relation))
    tied_to = {rep: tuple(n for n, r in ties.items() if r == rep) for rep in set(ties.values())}
    answers: dict[str, Answer] = {}
    for names, requirements in sorted(groups.items(), key=lambda item: sorted(item[0])):
        if len(names) == 1:
            (name,) = names
            answers[name] = _answer(name, requirements, tied_to.get(name, ()))
    for names, requirements in groups.items():   # symbols that meet other than by equality
        if len(names) > 1:
            first = requirements[0].constraint
            reason = (f"they meet at `{first.node.kind}` ({first.node.span.short()}), which needs "
                      f"{first.requirement.condition}")
            for name in names:
                answers[name] = Answer(name, None, tied_to.get(name, ()), (), reason)
    for rep, others in tied_to.items():
        answers.setdefault(rep, Answer(rep, SizeSet(1, 1, None), others))
    constrained = set(answers) | set(ties)
    order = {name: i for i, name in enumerate(inputs)}
    ordered = sorted(answers.values(), key=lambda a: order.get(a.symbol, len(order)))
    accepted = Accepted(tuple(ordered), tuple(n for n in inputs if n not in constrained))
    return replace(accepted, declared=tuple(_declared(checked.graph.assumptions, accepted)))


def _answer(name: str, requirements: list[_Requirement], tied: tuple[str, ...]) -> Answer:
    sizes, unknown, failures = _solve(name, requirements)
    if sizes is None:
        return Answer(name, None, tied, (), unknown)
    by_layer: dict[tuple[str, str], list[_Requirement]] = {}
    for requirement, failed in zip(requirements, failures):
        if failed:   # a layer whose requirements hold for every size plays no part
            key = (_layer_name(requirement.constraint), requirement.constraint.node.span.short())
            by_layer.setdefault(key, []).append(requirement)
    reasons = []
    for (layer, where), own in by_layer.items():
        solved, _, _ = _solve(name, own)
        calls = list(dict.fromkeys(n.span.short() for r in own for n in r.constraint.context[:1] if n.span))
        where += f", called at {', '.join(calls)}" if calls else ""
        reasons.append(Reason(layer, where, solved.words(name), own[0].constraint.node.span, solved))
    return Answer(name, sizes, tied, tuple(reasons))


# ---------------------------------------------------------------- the `where` clause

def _declared(assumptions: tuple[Assumption, ...], accepted: Accepted) -> list[Declared]:
    """A network's `where` clause, solved per symbol and checked against what the network accepts: the
    smallest allowed sizes it rejects, if any. (Equalities that define a size, `W == H`, were already
    substituted when lowering.)"""
    single: dict[str, list[Assumption]] = {}
    related: list[set[str]] = []   # sizes that conditions relate, merged where they overlap
    for assumption in assumptions:
        names = _members(assumption)
        if len(names) == 1:
            single.setdefault(next(iter(names)), []).append(assumption)
            continue
        for group in [g for g in related if g & names]:
            related.remove(group)
            names |= group
        related.append(names)
    declared = []
    for names in related:
        own = tuple(a for a in assumptions if _members(a) <= names)
        symbols = tuple(sorted(names))
        if names <= set(accepted.free):   # the network accepts every size of these: nothing to prove
            declared.append(Declared(symbols, None, own, proved=True))
            continue
        counterexample = _search(symbols, own, accepted)
        relation = next(a for a in own if len(_members(a)) > 1)
        declared.append(Declared(symbols, None, own, counterexample, proved=False if counterexample else None,
                                 unknown=None if counterexample else
                                 f"`where {relation.span.text}` relates several sizes"))
    for name, own in single.items():
        if any(name in group for group in related):
            continue
        requirements = [_Requirement(None, c.differences(), c.relation, a)
                        for a in own if isinstance(c := relate(a.left, a.op, a.right), Condition)]
        sizes, unknown, _ = _solve(name, requirements)
        answer = accepted.answer(name)
        undetermined = answer is not None and answer.sizes is None
        counterexample = None if undetermined else _rejected(sizes, name, answer)
        proved = None if sizes is None or undetermined else not sizes.empty and counterexample is None
        declared.append(Declared((name,), sizes, tuple(own), counterexample, unknown, proved))
    return _unequal(declared, accepted)


def _search(names: tuple[str, ...], conditions: tuple[Assumption, ...], accepted: Accepted) -> dict[str, int] | None:
    """Sizes that conditions relating several symbols allow but the network rejects, smallest first,
    among small sizes (a counterexample found is one; none found proves nothing)."""
    per_symbol = {2: 64, 3: 16}.get(len(names))
    if per_symbol is None:
        return None
    for values in sorted(itertools.product(range(1, per_symbol + 1), repeat=len(names)), key=sum):
        binding = dict(zip(names, values))
        if all(_holds(a, binding) for a in conditions) and not _accepts(accepted, binding):
            return binding
    return None


def _holds(assumption: Assumption, binding: dict[str, int]) -> bool:
    left, right = (substitute(side, binding) for side in (assumption.left, assumption.right))
    return relate(left, assumption.op, right) is True


def _accepts(accepted: Accepted, binding: dict[str, int]) -> bool:
    """Whether the network accepts these sizes (True where its answer is undetermined: no refutation)."""
    for name, value in binding.items():
        answer = accepted.answer(name)
        if answer is None or answer.sizes is None:
            continue
        equal = [binding[n] for n in (answer.symbol, *answer.tied) if n in binding]
        if value not in answer.sizes or any(v != value for v in equal):
            return False
    return True


def _members(assumption: Assumption) -> set[str]:
    return set().union(*(_symbols(v) for v in (assumption.left, assumption.right)))


def _rejected(allowed: SizeSet | None, name: str, answer: Answer | None) -> dict[str, int] | None:
    """The smallest size in `allowed` that the network does not accept."""
    if allowed is None or allowed.empty or answer is None:
        return None   # nothing allowed (E0421), or every size accepted
    accepts = answer.sizes
    limit = max(allowed.start, *allowed.extra, *allowed.missing, accepts.start, *accepts.extra, *accepts.missing) \
        + math.lcm(allowed.modulus, accepts.modulus) + 1
    x = next((x for x in range(1, limit + 1) if x in allowed and x not in accepts), None)
    return None if x is None else {name: x}


def _unequal(declared: list[Declared], accepted: Accepted) -> list[Declared]:
    """Two parts of the clause that allow different sizes for symbols the layers need equal (`H % 8 == 0,
    W % 8 == 0` where a layer needs H == W): the first such pair is a counterexample."""
    for index, part in enumerate(declared):
        if not part.proved:
            continue
        group = accepted.answer(part.symbols[0])
        for other in declared[index + 1:]:
            if not other.proved or group is None or accepted.answer(other.symbols[0]) is not group:
                continue
            x = part.sizes.smallest()
            y = next((y for y in range(1, x + 2 * other.sizes.modulus + other.sizes.start + len(other.sizes.extra) + 2)
                      if y in other.sizes and y != x), None)
            if y is not None:
                declared[index] = replace(part, proved=False, counterexample={**{m: x for m in part.symbols},
                                                                              **{m: y for m in other.symbols}})
                break
    return declared


# ---------------------------------------------------------------- reporting

def report_accepted(checked: CheckedGraph, accepted: Accepted, diagnostics: Diagnostics) -> None:
    """E0416 when no size satisfies a symbol's requirements; W0107 when they could not be solved."""
    for reason, names in accepted.undetermined().items():
        diagnostics.warning(codes.W0107, f"could not determine which {_listing(names)} `{checked.graph.name}` "
                            f"accepts: {reason}", _declaring_input(checked, names[0]),
                            help=f"fix the sizes to check them exactly, e.g. `--input {names[0]}=32`")
    for part in accepted.declared:
        names = _listing(list(part.symbols))
        if part.unknown is not None:
            diagnostics.warning(codes.W0110, f"could not prove `{checked.graph.name}` for every {names} its `where` "
                                f"clause allows: {part.unknown}", part.conditions[0].span,
                                help=f"fix the sizes to check them exactly, e.g. `--input {part.symbols[0]}=32`")
        elif part.sizes is not None and part.sizes.empty:
            diagnostics.error(codes.E0421, f"no {names} satisfies `where {part.words()}`", part.conditions[0].span,
                              notes=tuple(Note("this condition", c.span) for c in part.conditions[1:]),
                              help="the conditions contradict each other: correct one of them")
    for answer in accepted.answers:
        declared = _declaring_input(checked, answer.symbol)
        if answer.sizes is not None and answer.sizes.empty:
            diagnostics.error(codes.E0416, f"no {answer.symbol} satisfies network `{checked.graph.name}`", declared,
                              notes=tuple(_conflict_notes(checked, answer.symbol)),
                              help="the notes say what each layer needs: change the one that is not meant")
    report_batch_parameters(checked, accepted, diagnostics)


def report_batch_parameters(checked: CheckedGraph, accepted: Accepted, diagnostics: Diagnostics) -> None:
    """W0111: a batch size (an input's leading symbol) that only 1 satisfies, because a layer needs it
    equal to a parameter's dim of size 1 (`cat(cls, x, dim=1)` without expanding `cls`)."""
    batches = {symbol_name(i.shape[0]) for i in checked.graph.inputs if i.shape}
    learnables = {layer.node.name: layer for layer in checked.layers if layer.node.learnable is not None}
    only_one = {a.symbol for a in accepted.answers if a.sizes is not None and 1 in a.sizes and 2 not in a.sizes}
    for constraint in checked.constraints:
        symbols = constraint.requirement.condition.symbols()
        name = next(iter(symbols)) if len(symbols) == 1 else None
        parameter = next((learnables[i] for i in constraint.node.inputs if i in learnables), None)
        if name not in batches & only_one or parameter is None or 1 not in parameter.shape:
            continue
        what = "buffer" if parameter.node.learnable.buffer else "parameter"
        sizes = ", ".join([name, *["-1"] * (len(parameter.shape) - 1)])
        diagnostics.warning(codes.W0111, f"{what} `{parameter.node.name}` is {format_shape(parameter.shape)}, so "
                            f"`{constraint.node.kind}` accepts a batch {name} of 1 only", constraint.node.span,
                            notes=(Note(f"`{parameter.node.name}` is declared here", parameter.node.span),),
                            help=f"`{constraint.node.kind}` does not broadcast: expand it over the batch, "
                                 f"`{parameter.node.name} -> expand({sizes})`")
        only_one.discard(name)


def _conflict_notes(checked: CheckedGraph, name: str) -> list[Note]:
    """Each requirement on `name` that rules sizes out, with the sizes it alone allows."""
    notes = []
    for constraint in checked.constraints:
        condition = constraint.requirement.condition
        if condition.symbols() != {name}:
            continue
        requirement = _Requirement(constraint, condition.differences(), condition.relation)
        own, _, _ = _solve(name, [requirement])
        if own is not None and not own.everything:
            notes.append(Note(f"{_layer_name(constraint)} needs {condition}: {own.words(name)}", constraint.node.span))
    shaped = [n for n in notes if ": any " not in n.message and " ≥ " not in n.message.rsplit(": ", 1)[1]]
    return shaped or notes


def _declaring_input(checked: CheckedGraph, name: str):
    for declared in checked.graph.inputs:
        if any(name in _symbols(d) for d in declared.shape or ()):
            return declared.span
    return checked.graph.span


def rejected_sizes(checked: CheckedGraph, accepted: Accepted, sizes: dict[str, int],
                   diagnostics: Diagnostics) -> list[tuple[str, int, Answer]] | None:
    """The sizes given with `--input` that the network does not accept: (symbol, size, its answer).
    None after reporting names that are not symbols of the inputs (E0418)."""
    symbols = [n for s in checked.input_shapes.values() for d in s or () for n in _symbols(d)]
    unknown = [name for name in sizes if name not in symbols and name not in checked.graph.defined]
    for name in unknown:
        where = checked.graph.inputs[0].span if checked.graph.inputs else checked.graph.span
        diagnostics.error(codes.E0418, f"`--input {name}`: the inputs of `{checked.graph.name}` have no size "
                          f"`{name}`", where, help=did_you_mean(name, symbols) or
                          (f"their symbols are: {', '.join(dict.fromkeys(symbols))}" if symbols else
                           "their shapes have no symbols"))
    if unknown:
        return None
    rejected = []
    for name, value in sizes.items():
        answer = accepted.answer(name)
        if answer is not None and answer.sizes is not None and value not in answer.sizes:
            rejected.append((name, value, answer))
    return rejected


def explain_rejection(checked: CheckedGraph, rejected: list[tuple[str, int, Answer]], sizes: dict[str, int],
                      concrete: list[Diagnostic], diagnostics: Diagnostics) -> None:
    """Report sizes outside the accepted set: the errors the network gives at those sizes (`concrete`,
    from checking with them), each with what the network accepts and the nearest accepted sizes."""
    notes, fixes = [], []
    for name, value, answer in rejected:
        below, above = answer.sizes.nearest(value)
        batch = any(shape and symbol_name(shape[0]) == name for shape in checked.input_shapes.values())
        nearest = " or ".join(f"{name} = {v}" for v in (below, above) if v is not None)
        fixes.append(f"use {nearest}" if batch or not above else
                     f"pad {name} from {value} to {above}" + (f" or crop it to {below}" if below else ""))
        notes.append(Note(f"`{checked.graph.name}` accepts {answer.words()}", _declaring_input(checked, name)))
    for error in _failures(checked, sizes, concrete):
        diagnostics.add(replace(error, notes=(*error.notes, *notes), help="; ".join(fixes)))


def explain_counterexample(checked: CheckedGraph, part: Declared, accepted: Accepted, concrete: list[Diagnostic],
                           diagnostics: Diagnostics) -> None:
    """E0422: the network fails at the smallest sizes its `where` clause allows but it does not accept."""
    sizes = part.counterexample
    given = ", ".join(f"{name} = {value}" for name, value in sizes.items())
    answers = list(dict.fromkeys(accepted.answer(name) for name in sizes))
    accepts = "; ".join(a.words() for a in answers if a is not None)
    notes = [Note(f"`where {part.words()}` allows {given}", part.conditions[0].span)]
    notes.append(Note(f"`{checked.graph.name}` accepts {accepts}", _declaring_input(checked, part.symbols[0])))
    for error in _failures(checked, sizes, concrete):
        diagnostics.error(codes.E0422, f"`{checked.graph.name}` fails for {given}, which its `where` clause "
                          f"allows: {error.message}", error.span, notes=(*error.notes, *notes),
                          help=f"narrow the clause to what it accepts ({accepts}), or change this layer")


def _failures(checked: CheckedGraph, sizes: dict[str, int], concrete: list[Diagnostic]) -> list[Diagnostic]:
    """The errors at the given sizes: the concrete check's, or, where that passes (netdsl is
    deliberately stricter on symbols), the requirements that fail."""
    if concrete:
        return concrete
    failures, seen = [], set()
    for constraint in checked.constraints:
        condition = constraint.requirement.condition
        if not condition.symbols() <= set(sizes) or condition.holds(sizes) or constraint.node.span in seen:
            continue
        seen.add(constraint.node.span)
        error = constraint.requirement.error()
        span = constraint.node.arg_spans.get(error.arg, constraint.node.span) if error.arg else constraint.node.span
        given = ", ".join(f"{n} = {v}" for n, v in sizes.items() if n in condition.symbols())
        failures.append(Diagnostic(error.code.code, Severity.ERROR, f"with {given}, {error.message}", span,
                                   notes=constraint.context))
    return failures


# ---------------------------------------------------------------- the statement `check` prints

def dividers(checked: CheckedGraph, name: str) -> list[tuple[str, str]]:
    """The layers that divide the size `name` (strided and pooling layers): (`kind`, where), in order."""
    found = []

    def walk(layers: tuple[LayerResult, ...]) -> None:
        for layer in layers:
            if layer.inner is not None:
                walk(layer.inner.layers)
            elif layer.shape is not None and layer.inputs is not None:
                before = max((_period_in(d, name) for shape in layer.inputs for d in shape), default=1)
                after = max((_period_in(d, name) for d in layer.shape), default=1)
                if after > before:
                    found.append((f"`{layer.node.kind}`", layer.node.span.short()))
    walk(checked.layers)
    return list(dict.fromkeys(found))


def _period_in(dim: Dim, name: str) -> int:
    return (_period(dim) or 1) if name in _symbols(dim) else 1


def _places(items: list[tuple[str, str]]) -> str:
    """[(`Up`, 22:10), (`Up`, 23:10), (`concat` in `Up`, 12:12)] → "`Up` at 22:10 and 23:10 and …"."""
    grouped: dict[str, list[str]] = {}
    for layer, where in items:
        grouped.setdefault(layer, []).append(where)
    return _listing([f"{layer} at {_listing(wheres)}" for layer, wheres in grouped.items()])


def format_accepted(checked: CheckedGraph, accepted: Accepted) -> str:
    """`UNet accepts H a multiple of 8; ...`, and the layers behind each part."""
    determined = accepted.words()
    lines = [f"{checked.graph.name} accepts {determined}"] if determined else []
    lines += [f"{checked.graph.name}: could not determine which {_listing(names)} it accepts: {reason}"
              for reason, names in accepted.undetermined().items()]
    for answer in accepted.answers:
        if answer.sizes is None:
            continue
        pattern = [r for r in answer.reasons if r.sizes.residues not in (None, ()) or r.sizes.extra]
        minimums = [r for r in answer.reasons if r.sizes.residues is None and not r.sizes.extra]
        if pattern and answer.sizes.residues:
            divided = dividers(checked, answer.symbol)
            by = f"; {_places(divided)} divide {answer.symbol}" if divided else ""
            shown = answer.sizes.words(answer.symbol).split(" and ≥")[0]
            lines.append(f"  {shown}: {_places([(r.layer, r.where.split(',')[0]) for r in pattern])}{by}")
        floor = max((r.sizes.start for r in minimums), default=1)
        implied = _first_of(answer.sizes.modulus, answer.sizes.residues) if answer.sizes.residues else 1
        if floor > implied:
            binding = [(r.layer, r.where.split(",")[0]) for r in minimums if r.sizes.start == floor]
            lines.append(f"  {answer.symbol} ≥ {floor}: {_places(binding)}")
    proved = [p for p in accepted.declared if p.proved]
    if proved:
        conditions = dict.fromkeys(c.span.text for p in proved for c in p.conditions)
        names = _listing([n for p in proved for n in p.symbols])
        lines.append(f"  where {', '.join(conditions)}: proved for every such {names}")
    return "\n".join(lines) + "\n"


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
