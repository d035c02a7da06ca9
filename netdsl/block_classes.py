"""Which class each block call gets: one class per block, parametric like hand-written code.

First choice, the block's recipe (netdsl.recipes): the block checked once with its integer parameters
and input-pattern sizes as symbols. When every use of the block is the recipe with numbers put in, the
class is written from the recipe: its constructor takes the symbols the constructor arguments use and
computes derived sizes as Python expressions (`nn.Conv2d(C, C * t, 1)`), and each call passes its
numbers: `InvertedResidual(t=6, out=24, C=16)`.

Otherwise (a parameter decides structure, such as a repeat count or an `if`) all uses are rendered once with
every constructor argument replaced by a placeholder; uses whose renderings differ have different structures
and get a class each (`Block`, `Block2`, in order of first use). Among the uses of one structure, each constructor argument
that differs between uses must equal, in every use, one of the block's parameters or one of the
symbols of its declared input shapes; the class then takes those names as constructor parameters. Else
that structure gets one class per distinct instantiation, numbered on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .checker import CheckedGraph, LayerResult
from .pysource import literal
from .recipes import specializes, symbols_in
from .shapes import format_shape
from .sizes import Size, format_size, symbol_name


@dataclass(frozen=True, eq=False)
class BlockClass:
    """One class to emit for a block, rendered from `representative`: a recipe, whose sizes are written
    as Python expressions over `names` (symbol → constructor parameter), or a use, with `args[i]` the
    constructor parameter written for the i-th constructor argument (None: its literal value) and
    `comments[i]` the shape comment of the i-th forward line (None: no comment)."""
    block: str
    number: int                          # 1 for the block's own name, 2, 3, ... for numbered classes
    representative: CheckedGraph
    params: tuple[tuple[str, str], ...]  # (Python name, annotation) of each constructor parameter
    args: tuple[str | None, ...] | None
    comments: tuple[str | None, ...] | None
    doc: str
    names: dict[str, str] | None = None  # for a recipe class


@dataclass(frozen=True, eq=False)
class Instance:
    cls: BlockClass
    arguments: dict[str, object] = field(default_factory=dict)   # constructor keyword → value


# render(checked, fill) → the class text; fill.arg(value), fill.shape(shape) and fill.block(layer) give
# the text of a constructor argument, a shape comment, and a block call's (class, keyword arguments).
Render = Callable[[CheckedGraph, object], str]


def plan_block_classes(networks: list[CheckedGraph], render: Render, namespace: Callable[[], object],
                       describe: Callable[[CheckedGraph], str],
                       recipe_of: Callable[[CheckedGraph], CheckedGraph | None]) -> dict[int, Instance]:
    """id(block call's inner CheckedGraph) → the class it instantiates and the keyword arguments it
    passes. namespace() gives a fresh `Namespace` for constructor parameter names; describe(checked)
    is a block instantiation's docstring; recipe_of(use) the recipe of the block a use instantiates."""
    uses: dict[str, list[LayerResult]] = {}

    def collect(checked: CheckedGraph) -> None:
        for layer in checked.layers:
            if layer.inner is not None:
                uses.setdefault(layer.inner.graph.name, []).append(layer)
                collect(layer.inner)
    for network in networks:
        collect(network)
    instances: dict[int, Instance] = {}
    recipes = _Recipes(uses, render, namespace, recipe_of, instances)

    def lookup(layer: LayerResult) -> Instance:
        if id(layer.inner) not in instances and recipes.planned(layer.inner.graph.name) is None:
            _Planner(uses[layer.inner.graph.name], render, lookup, namespace, describe).plan(instances)
        return instances[id(layer.inner)]
    for calls in uses.values():
        lookup(calls[0])
    return instances


class _Recipes:
    """Recipe classes, planned once per block: one class per structure (uses whose `if`s went the same
    way), or None when some use is not the recipe of its structure."""

    def __init__(self, uses: dict[str, list[LayerResult]], render: Render, namespace, recipe_of,
                 instances: dict[int, Instance]):
        self.uses, self.render, self.namespace, self.recipe_of = uses, render, namespace, recipe_of
        self.instances = instances
        self.classes: dict[str, list[BlockClass] | None] = {}

    def planned(self, block: str) -> list[BlockClass] | None:
        if block not in self.classes:
            structures: dict[tuple, list[LayerResult]] = {}
            for call in self.uses[block]:
                structures.setdefault(call.inner.graph.decisions, []).append(call)
            classes = [self.plan(block, calls, number) for number, calls in enumerate(structures.values(), 1)]
            self.classes[block] = None if None in classes else classes
        return self.classes[block]

    def specialized(self, layer: LayerResult) -> tuple[BlockClass, dict] | None:
        """The recipe class a nested block call is, and its binding."""
        for cls in self.planned(layer.inner.graph.name) or ():
            binding = specializes(cls.representative, layer.inner)
            if binding is not None:
                return cls, binding
        return None

    def plan(self, block: str, calls: list[LayerResult], number: int) -> BlockClass | None:
        recipe = self.recipe_of(calls[0].inner)
        if recipe is None:
            return None
        bindings = [specializes(recipe, call.inner) for call in calls]
        if any(binding is None for binding in bindings):
            return None
        nested = {}   # the recipe's own block calls, bound in this recipe's symbols
        for layer in recipe.layers:
            if layer.inner is None:
                continue
            found = self.specialized(layer)
            if found is None:
                return None
            nested[id(layer.inner)] = found
        used = _UsedSymbols(self, nested)
        self.render(recipe, used)
        order = [*recipe.graph.params, *(n for shape in recipe.input_shapes.values() for d in shape
                                          for n in sorted(symbols_in(d)))]
        needed = [name for name in dict.fromkeys(order) if name in used.symbols]
        namespace = self.namespace()
        names = {name: namespace.create(name) for name in needed}
        cls = BlockClass(block, number, recipe, tuple((names[n], "int") for n in needed), None, None,
                         _recipe_doc(recipe), names)
        for inner_id, (inner_class, binding) in nested.items():
            self.instances[inner_id] = _instance(inner_class, binding)
        for call, binding in zip(calls, bindings):
            self.instances[id(call.inner)] = _instance(cls, binding)
        return cls


def _instance(cls: BlockClass, binding: dict) -> Instance:
    return Instance(cls, {python: binding[symbol] for symbol, python in cls.names.items()})


class _UsedSymbols:
    """A fill that records the symbols a recipe's constructor arguments use."""

    def __init__(self, recipes: _Recipes, nested: dict):
        self.recipes, self.nested, self.symbols = recipes, nested, set()

    def arg(self, value) -> str:
        self.symbols |= symbols_in(value)
        return "_"

    def shape(self, shape) -> None:
        return None

    def block(self, layer: LayerResult) -> tuple[str, dict[str, object]]:
        inner_class, binding = self.nested[id(layer.inner)]
        return inner_class.block, {python: binding[symbol] for symbol, python in inner_class.names.items()}


def _recipe_doc(recipe: CheckedGraph) -> str:
    graph = recipe.graph
    params = ", ".join(name if isinstance(value, Size) else f"{name}={literal(value)}"
                       for name, value in graph.params.items())
    inputs = ", ".join(f"{name} {format_shape(shape)}" for name, shape in recipe.input_shapes.items())
    where = ", ".join(f"`{test}` is {'true' if truth else 'false'}" for test, truth in graph.decisions)
    text = f"Block {graph.name}({params})" + (f" when {where}" if where else "") + \
        f": {inputs} -> {format_shape(recipe.output_shape)}."
    return text


class _Recorder:
    """A fill that records the values a rendering would write and writes a placeholder instead."""

    def __init__(self, lookup: Callable[[LayerResult], Instance]):
        self.lookup, self.args, self.shapes = lookup, [], []

    def arg(self, value) -> str:
        self.args.append(value)
        return "_"

    def shape(self, shape) -> str:
        self.shapes.append(shape)
        return "_"

    def block(self, layer: LayerResult) -> tuple[str, dict[str, object]]:
        instance = self.lookup(layer)
        return f"{instance.cls.block}__{instance.cls.number}", instance.arguments


def _key(value) -> tuple:
    """Equality that tells 1 from True and 1.0, and a symbol from a string."""
    return type(value), repr(value)


def _annotation(values) -> str:
    def one(value) -> str:
        if isinstance(value, tuple):
            return f"tuple[{', '.join(one(v) for v in value)}]" if value else "tuple"
        return "None" if value is None else type(value).__name__
    return " | ".join(dict.fromkeys(one(v) for v in values))


class _Planner:
    def __init__(self, calls: list[LayerResult], render: Render, lookup, namespace, describe, recorded=None):
        self.calls, self.render, self.lookup = calls, render, lookup
        self.namespace, self.describe = namespace, describe
        self.graphs = [call.inner for call in calls]
        self.recorded = recorded
        if recorded is None:
            self.recorded = []
            for graph in self.graphs:
                recorder = _Recorder(lookup)
                self.recorded.append((render(graph, recorder), recorder.args, recorder.shapes))
        self.candidates = self._candidates()

    def _candidates(self) -> list[tuple[str, list]]:
        """(name, its value in each use): the block's parameters, then its input shapes' symbols
        (self.positions: a symbol's dim in its pattern)."""
        first = self.graphs[0].graph
        found = {name: [g.parameters.get(name) for g in self.graphs] for name in first.params}
        self.positions: dict[str, int] = {}
        for declared in first.inputs:
            for position, dim in enumerate(declared.shape or ()):
                if symbol_name(dim) is None or symbol_name(dim) in found:
                    continue
                values = [(g.input_shapes.get(declared.name) or ())[position:position + 1] for g in self.graphs]
                if all(len(v) == 1 and type(v[0]) is int for v in values):
                    found[symbol_name(dim)] = [v[0] for v in values]
                    self.positions[symbol_name(dim)] = position
        return list(found.items())

    def name(self, values: list, position: int | None = None) -> str | None:
        """The first candidate equal to values in every use, or None when none is. For a dim of a shape
        (position: its index), a symbol declared at that index comes first: W rather than H when equal."""
        keys = [_key(v) for v in values]
        names = [name for name, have in self.candidates if [_key(v) for v in have] == keys]
        return next((n for n in names if self.positions.get(n, -1) == position), names[0] if names else None)

    def plan(self, instances: dict[int, Instance], number: int = 1) -> int:
        """Plan the classes, numbered from `number`; the next free number. Uses of several structures (a
        block whose `if` went different ways) get one class per structure, in order of first use."""
        texts = list(dict.fromkeys(text for text, _, _ in self.recorded))
        if len(texts) > 1:
            for text in texts:
                chosen = [i for i, (written, _, _) in enumerate(self.recorded) if written == text]
                structure = _Planner([self.calls[i] for i in chosen], self.render, self.lookup, self.namespace,
                                     self.describe, [self.recorded[i] for i in chosen])
                number = structure.plan(instances, number)
            return number
        columns = list(zip(*(args for _, args, _ in self.recorded)))
        names = [None if len({_key(v) for v in column}) == 1 else self.name(list(column)) for column in columns]
        if any(n is None and len({_key(v) for v in c}) > 1 for n, c in zip(names, columns)):
            return self.numbered(instances, number)
        self.merged(names, instances, number)
        return number + 1

    def merged(self, names: list[str | None], instances: dict[int, Instance], number: int) -> None:
        used = [name for name, _ in self.candidates if name in names]
        namespace = self.namespace()
        python = {name: namespace.create(name) for name in used}
        values = dict(self.candidates)
        params = tuple((python[name], _annotation(values[name])) for name in used)
        shapes = list(zip(*(recorded for _, _, recorded in self.recorded)))
        comments = tuple(self.shape_text(list(column), python) for column in shapes)
        docs = {self.describe(graph) for graph in self.graphs}
        doc = docs.pop() if len(docs) == 1 else self.doc()
        cls = BlockClass(self.graphs[0].graph.name, number, self.graphs[0], params,
                         tuple(python.get(n) if n else None for n in names), comments, doc)
        for index, graph in enumerate(self.graphs):
            instances[id(graph)] = Instance(cls, {python[n]: values[n][index] for n in used})

    def shape_text(self, shapes: list, python: dict[str, str], unknown: str | None = None) -> str | None:
        """A shape valid for every use: differing dims by name; a dim with no name is `unknown`, or
        makes the whole shape None when that is None."""
        if len({len(s) if s is not None else -1 for s in shapes}) != 1 or shapes[0] is None:
            return None
        dims = []
        for position, column in enumerate(zip(*shapes)):
            if len({_key(d) for d in column}) == 1:
                dims.append(format_size(column[0]))
                continue
            name = self.name(list(column), position)
            if name is None and unknown is None:
                return None
            dims.append(unknown if name is None else python.get(name, name))
        return "[" + ", ".join(dims) + "]"

    def doc(self) -> str:
        """The block with its parameters (and the spec's names for sizes), none of one use's sizes."""
        graph = self.graphs[0].graph
        params = []
        for name in graph.params:
            values = [g.parameters.get(name) for g in self.graphs]
            params.append(name if len({_key(v) for v in values}) > 1 else f"{name}={literal(values[0])}")
        inputs = []
        for declared in graph.inputs:
            shape = self.shape_text([g.input_shapes.get(declared.name) for g in self.graphs], {}, "?")
            inputs.append(f"{declared.name} {shape}" if shape else declared.name)
        output = self.shape_text([g.output_shape for g in self.graphs], {}, "?")
        totals = {g.params + g.frozen for g in self.graphs}
        text = f"Block {graph.name}({', '.join(params)}): {', '.join(inputs)} -> {output or '?'}"
        return text + (f", {totals.pop():,} parameters." if len(totals) == 1 else ".")

    def numbered(self, instances: dict[int, Instance], number: int) -> int:
        """One class per distinct instantiation, numbered in order of first use from `number`."""
        classes: dict[tuple, BlockClass] = {}
        for graph, (text, args, shapes) in zip(self.graphs, self.recorded):
            doc = self.describe(graph)
            comments = tuple(format_shape(s) for s in shapes)
            key = (text, tuple(_key(v) for v in args), comments, doc)
            if key not in classes:
                classes[key] = BlockClass(graph.graph.name, number + len(classes), graph, (), (None,) * len(args),
                                          comments, doc)
            instances[id(graph)] = Instance(classes[key])
        return number + len(classes)

