"""A block's recipe: the block lowered and checked once with its integer parameters and the sizes of
its input patterns as symbols (einops builds the parametric recipe once and binds sizes late). Code
generation writes one class from it, with those symbols as constructor parameters, when every use of
the block is the recipe with its own numbers put in (`specializes`)."""

from __future__ import annotations

from .checker import CheckedGraph, LayerResult, check_recipe
from .diagnostics import Diagnostics
from .lower import lower_block
from .program import Program
from .sizes import Dim, Size, compare, substitute, symbol, symbol_name


def block_recipe(program: Program, use: CheckedGraph) -> CheckedGraph | None:
    """The recipe of the block `use` is an instantiation of; None when it has none (a parameter that
    decides structure, such as a repeat count, or a rule that needs numbers). Parameters that are not
    integers keep the values of this use; an input without a shape pattern gets a symbol per dim, named
    after the input (`skip_1`)."""
    block = use.graph
    definition = program.definition_at(block.span)
    if definition is None:
        return None
    params = {name: symbol(name) if type(value) is int else value for name, value in block.params.items()}
    graph = lower_block(program, definition, params, Diagnostics())
    if graph is None:
        return None
    shapes = {}
    for declared in graph.inputs:
        rank = len(use.input_shapes.get(declared.name) or ())
        shapes[declared.name] = declared.shape if declared.shape is not None else \
            tuple(symbol(f"{declared.name}_{i}") for i in range(rank))
    return check_recipe(graph, shapes)


def specializes(recipe: CheckedGraph, use: CheckedGraph) -> dict[str, Dim] | None:
    """The values of the recipe's symbols that make it this use (every argument, shape and nested
    call equal once they are put in), or None when the use is not the recipe."""
    binding: dict[str, Dim] = {}
    for name, value in recipe.graph.params.items():
        given = use.parameters.get(name)
        if isinstance(value, Size):
            binding[symbol_name(value)] = given
        elif type(value) is not type(given) or value != given:
            return None
    for declared in recipe.graph.inputs:
        pattern, actual = recipe.input_shapes[declared.name], use.input_shapes.get(declared.name)
        if actual is None or len(pattern) != len(actual):
            return None
        for want, have in zip(pattern, actual):
            name = symbol_name(want)
            if name is not None and name not in binding:
                binding[name] = have
            elif not _agree((substitute(want, binding),), (have,)):
                return None
    if len(recipe.layers) != len(use.layers):
        return None
    return binding if all(_same_layer(r, u, binding) for r, u in zip(recipe.layers, use.layers)) else None


def _same_layer(recipe: LayerResult, use: LayerResult, binding: dict[str, Dim]) -> bool:
    """The same layer with the same arguments; shapes agree wherever the use's are numbers (symbolic
    sizes may be written differently: both are equal where the network accepts its input)."""
    a, b = recipe.node, use.node
    if (a.name, a.kind, a.inputs) != (b.name, b.kind, b.inputs) or recipe.shape is None or use.shape is None:
        return False
    if len(recipe.results) != len(use.results) or not all(
            _agree(_bound(s, binding), t) for s, t in zip((recipe.shape, *recipe.inputs, *recipe.results),
                                                            (use.shape, *use.inputs, *use.results))):
        return False
    if a.block is not None:   # the parameters as each call bound them
        return _bound(tuple(recipe.args.values()), binding) == tuple(use.args.values())
    return tuple(_bound(v, binding) for v in recipe.args.values.values()) == tuple(use.args.values.values())


def _agree(shape, other) -> bool:
    return len(shape) == len(other) and all(
        (x == y) if isinstance(y, int) else compare(x, y) is not False for x, y in zip(shape, other))


def _bound(value, binding):
    bound = substitute(value, binding)
    return tuple(bound) if isinstance(bound, tuple) else bound


def symbols_in(value) -> set[str]:
    """The symbols a constructor argument uses (a size, or a tuple of them)."""
    if isinstance(value, tuple):
        return set().union(*(symbols_in(v) for v in value)) if value else set()
    return value.symbols() if isinstance(value, Size) else set()
