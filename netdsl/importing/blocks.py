"""Module instances → definitions. The root is the network; every other instance belongs to a block,
one per class whose instances differ only in sizes — those sizes become symbols of the block's input
patterns (`C` in `input x: [N, C, H, W]`, `C * 4`) or block parameters — and `Name2`, `Name3`, ...
where instances of one class differ in structure. Consecutive calls of one block with the same
arguments become `Block(...) * n`."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace

from .. import registry
from ..schema import Anything, Either, Int, Tuple
from ..sizes import Size, symbol
from .model import Body, Problem, Step

# Names for the dims of an input pattern, by rank: conventional, and only written when the body uses one.
_DIM_NAMES = {1: ("L",), 2: ("N", "F"), 3: ("N", "C", "L"), 4: ("N", "C", "H", "W"), 5: ("N", "C", "D", "H", "W")}


@dataclass
class Definition:
    """A network or a block as the spec writes it: its steps are those of its instances, with sizes
    generalised and repeats merged (`Step.positions` says which instance steps each stands for)."""
    name: str
    kind: str                                           # "network" or "block"
    instances: list[Body]
    params: list[str] = field(default_factory=list)
    patterns: list[tuple | None] = field(default_factory=list)   # per input: written dims, or None
    steps: list[Step] = field(default_factory=list)
    values: dict[int, tuple] = field(default_factory=dict)       # id(instance) → its call's arguments
    learned: list[tuple] = field(default_factory=list)           # each parameter's or buffer's written shape


def define(bodies: list[Body], root: Body, name: str, problems: list[Problem]) -> tuple[Definition, list[Definition]]:
    """The network and the blocks (each after the blocks it calls). `bodies` come in the order they were
    walked to the end: an instance after every instance it calls."""
    blocks: list[Definition] = []
    groups: dict[tuple, Definition] = {}
    for body in bodies:
        if body is root:
            continue
        key = (type(body.module), _signature(body))
        if key not in groups:
            taken = sum(b.instances[0].class_name == body.class_name for b in blocks)
            groups[key] = Definition(body.class_name + (str(taken + 1) if taken else ""), "block", [])
            blocks.append(groups[key])
        groups[key].instances.append(body)
        body.definition = groups[key]
    for block in blocks:
        _generalise(block, problems)
    network = Definition(name, "network", [root], patterns=[shape for _, shape in root.inputs],
                         learned=[learned.shape for learned in root.learned])
    network.steps = [replace(step, values=_call_values(step), positions=(i,)) for i, step in enumerate(root.steps)]
    root.definition = network
    for definition in (*blocks, network):
        definition.steps = _merge_repeats(definition.steps, definition.instances[0].output)
    return network, blocks


# ------------------------------------------------------------------ structure

_VARIES = "#"   # a size, which may differ between the instances of one block


def _signature(body: Body) -> tuple:
    """Everything that must be equal for two instances to share a block: the steps, their wiring and
    every argument except sizes."""
    index = {name: i for i, (name, _) in enumerate(body.inputs)}
    items = [tuple(len(shape) if shape is not None else None for _, shape in body.inputs),
             tuple(learned.signature() for learned in body.learned)]
    for learned in body.learned:
        index[learned.value] = len(index)
    for step in body.steps:
        index[step.output] = len(index)
        if step.is_block:
            what, arguments = ("block", id(step.bodies[0].definition)), ()
        else:
            what = step.kind
            arguments = tuple((n, _abstract(v, _sized(step.kind, n))) for n, v in step.args.public_items())
        items.append((what, arguments, tuple(index.get(i) for i in step.inputs), step.origin, step.shares, step.tie))
    items.append(index.get(body.output))
    return tuple(items)


def _sized(kind_name: str, field_name: str) -> bool:
    """Whether an argument holds sizes, which may differ between instances: a symbolic integer type."""
    return _holds_sizes(registry.lookup(kind_name).schema.fields[field_name].type)


def _holds_sizes(type_) -> bool:
    if isinstance(type_, Int):
        return type_.symbolic
    if isinstance(type_, Either):
        return any(_holds_sizes(t) for t in type_.options)
    if isinstance(type_, Tuple):
        return _holds_sizes(type_.element)
    return isinstance(type_, Anything)


def _abstract(value, sized: bool):
    if sized and _is_size(value):
        return _VARIES
    if isinstance(value, tuple):
        return tuple(_abstract(v, sized) for v in value)
    return type(value).__name__, value


def _is_size(value) -> bool:
    return isinstance(value, Size) or type(value) is int


def _holds_size(value) -> bool:
    return _is_size(value) or (isinstance(value, tuple) and any(_is_size(v) for v in value))


def _call_values(step: Step) -> tuple:
    """A block call's arguments: the callee's parameters as this instance has them."""
    if not step.is_block:
        return ()
    callee = step.bodies[0]
    return callee.definition.values.get(id(callee), ())


# ------------------------------------------------------------------ generalising sizes

class _Symbols:
    """The names a block's sizes can be written with — its input patterns' dims and its parameters —
    each with its value in every instance. `expression(values)` finds the one for a slot: a number, a
    symbol, a multiple, a fraction or a product of two, or else a new parameter."""

    def __init__(self, block: Definition):
        self.known: list[tuple[str, tuple]] = []
        self.params: list[str] = []
        self.used: set[str] = set()
        self.inputs: list[list[str]] = []
        for position, (_, shape) in enumerate(block.instances[0].inputs):
            names = []
            for d in range(len(shape or ())):
                binding = tuple(_dim(b.inputs[position][1], d) for b in block.instances)
                # one symbol for dims that are one size of the network (N, N), not for equal numbers (224, 224)
                same = next((n for n, v in self.known if v == binding and any(isinstance(x, Size) for x in v)), None)
                names.append(same or self._add(_DIM_NAMES.get(len(shape), ("D",) * len(shape))[d], binding))
            self.inputs.append(names)

    def _add(self, base: str, values: tuple) -> str:
        taken = {n for n, _ in self.known}
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}{number}"
        self.known.append((name, values))
        return name

    def expression(self, values: tuple, hint: str):
        if all(type(v) is int for v in values) and len(set(values)) == 1:
            return values[0]
        for expression, computed in self._candidates():
            if computed == values:
                self.used |= expression.symbols()
                return expression
        if not all(type(v) is int for v in values):
            return None
        name = self._add(hint, values)
        self.params.append(name)
        self.used.add(name)
        return symbol(name)

    def _candidates(self):
        named = [(symbol(n), v) for n, v in self.known if None not in v]
        yield from named
        for i, (a, va) in enumerate(named):
            for b, vb in named[i:]:
                yield a * b, _each(va, vb, operator.mul)
        for k in range(2, 9):
            for a, va in named:
                yield a * k, _each(va, (k,) * len(va), operator.mul)
                yield a // k, _each(va, (k,) * len(va), operator.floordiv)


def _dim(shape, d: int):
    return shape[d] if shape is not None else None


def _each(a: tuple, b: tuple, operation) -> tuple | None:
    try:
        return tuple(operation(x, y) for x, y in zip(a, b))
    except (TypeError, ArithmeticError):
        return None


def _generalise(block: Definition, problems: list[Problem]) -> None:
    symbols = _Symbols(block)

    def slot(values: tuple, hint: str):
        found = symbols.expression(values, hint)
        if found is None:
            problems.append(Problem(f"block `{block.name}`: the size {values[0]} cannot be written in terms of the "
                                    f"block's input sizes", help="compute it from the block's input, or pass it "
                                                                 "to the block as a number"))
            return values[0]
        return found

    def general(values: list, hint: str):
        if isinstance(values[0], tuple):
            return tuple(general([v[i] for v in values], hint) if _holds_size(values[0][i]) else values[0][i]
                         for i in range(len(values[0])))
        return slot(tuple(values), hint)

    steps = []
    for position, step in enumerate(block.instances[0].steps):
        copies = [b.steps[position] for b in block.instances]
        if step.is_block:
            columns = zip(*(_call_values(c) for c in copies))
            steps.append(replace(step, values=tuple(slot(tuple(c), "size") for c in columns), positions=(position,)))
            continue
        changes = {name: general([c.args.values[name] for c in copies], name)
                   for name, value in step.args.public_items() if _sized(step.kind, name) and _holds_size(value)}
        steps.append(replace(step, args=step.args.replace(**changes), positions=(position,)))
    block.steps = steps
    block.learned = [general([b.learned[i].shape for b in block.instances], "size") if learned.shape else ()
                     for i, learned in enumerate(block.instances[0].learned)]
    block.params = symbols.params
    values = dict(symbols.known)
    block.values = {id(body): tuple(values[p][i] for p in symbols.params) for i, body in enumerate(block.instances)}
    block.patterns = [tuple(names) if symbols.used & set(names) else None for names in symbols.inputs]


# ------------------------------------------------------------------ repeats

def _merge_repeats(steps: list[Step], output: str | None) -> list[Step]:
    """`B(64) -> B(64)` — calls of one block with the same arguments, each feeding only the next, and
    named by a container's position rather than an attribute — → one step `B(64) * 2`."""
    uses = {output: 1}
    for step in steps:
        for name in step.inputs:
            uses[name] = uses.get(name, 0) + 1
    # steps applied again or tied to by their label keep one
    named = {s.shares for s in steps} | {s.tie for s in steps}
    merged: list[Step] = []
    for step in steps:
        previous = merged[-1] if merged else None
        if (previous is not None and step.is_block and previous.is_block and step.label() is None
                and previous.label() is None and step.shares is None and previous.shares is None
                and not named & {*previous.positions, *step.positions} and step.bodies[0].definition is previous.bodies[0].definition
                and step.values == previous.values and step.inputs == (previous.output,)
                and uses.get(previous.output) == 1):
            merged[-1] = replace(previous, output=step.output, repeat=previous.repeat + 1,
                                 positions=previous.positions + step.positions)
        else:
            merged.append(step)
    return merged
