"""The resolved graph IR: what lowering produces and every later stage consumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from functools import cached_property
from typing import Any

from . import records
from .shapes import Shape
from .source import Span


@records.value
class Input:
    name: str
    shape: Shape | None  # a pattern in blocks ([N, channels, H, W]); None when not declared
    span: Span


@records.value
class RepeatCopy:
    """A node made by a repeat `(...) * n`: which copy it belongs to. Only the outermost repeat of the node's
    own definition is recorded (a block body's repeats are the block's own)."""
    repeat: Span                   # the repeat in the spec: the copies of one repeat share it
    index: int                     # 0-based
    count: int
    run: int = 0                   # which time its definition ran the repeat: one in a `for` runs once per item


@records.value
class PyTorchReading:
    """A call whose first positional argument may be the size netdsl infers, written out of PyTorch's
    habit (`conv2d(3, 64, 3)`): the arguments in PyTorch's order, kept for the checker to decide once
    the input's size is known (netdsl.checker, lint's W0108)."""
    args: Any                       # the call bound as (inferred size, *netdsl's positional order)
    first: Span                     # the first positional argument
    count: int                      # how many arguments are positional
    errors: tuple = ()              # netdsl's own reading's diagnostics, when that reading is invalid


@records.value
class Learnable:
    """A parameter or buffer a network or block holds (`param W: [C, out] = normal(std=0.02)`); its node's
    `args` are the initialiser's arguments. Its sizes may be the block's symbols, bound at each call."""
    buffer: bool                   # register_buffer; else nn.Parameter
    shape: Shape
    init: str                      # the initialiser's name (netdsl.initializers)
    stages: Graph | None = None    # stateless stages applied once to the initialised tensor (input `init`)


@records.value
class ResultValue:
    """One of the several tensors a node's single call gives (netdsl.kinds.Result): a value of the graph."""
    name: str                      # the kind's name for it: "hidden"
    value: str                     # how the graph refers to it: the node's own name for the result a chain
    #                                continues with, `<node>.<result>` for the others ("lstm1.hidden")
    variable: str | None = None    # the tensor name the user gave it, if any


def result_value(node: str, result: str) -> str:
    """The value name of a result that is not the one the node's name stands for."""
    return f"{node}.{result}"


@records.value
class Node:
    """One layer application (or block call). Its output is referred to by `name`."""
    name: str                      # unique in its graph; an attribute name in generated code
    kind: str                      # a registry kind, or the block's name when `block` is set
    args: Any                      # the validated argument model; None if the arguments were invalid
    inputs: tuple[str, ...]        # names of graph inputs or earlier nodes
    span: Span                     # the whole call, e.g. `linear(120, in_features=400)`
    arg_spans: dict[str, Span] = field(default_factory=dict, compare=False)
    block: Graph | None = None     # the instantiated block for a block call
    variable: str | None = None    # the tensor name the user gave the result, if any
    repeat: RepeatCopy | None = None  # set when a repeat made this node
    reading: PyTorchReading | None = None   # the call read in PyTorch's argument order, when that binds
    learnable: Learnable | None = None   # a declared parameter or buffer (kind "parameter" or "buffer")
    shares: str | None = None      # another application of the layer or block call of that name: one module
    tie: str | None = None         # the layer whose weights this layer's tieable weights are (`tie=embed`)
    results: tuple[ResultValue, ...] = ()   # a kind that gives several tensors: each, in torch's order

    @property
    def is_layer(self) -> bool:
        """A registry kind's layer (not a block call, parameter or buffer)."""
        return self.block is None and self.learnable is None

    @property
    def values(self) -> tuple[str, ...]:
        """The values this node makes: its name, or each of its results."""
        return tuple(r.value for r in self.results) or (self.name,)

    def variable_of(self, value: str) -> str | None:
        """The user's name for one of this node's values."""
        if value == self.name:
            return self.variable
        return next((r.variable for r in self.results if r.value == value), None)

    def result_of(self, value: str) -> str | None:
        """The kind's name for the result that is this value ("hidden"); None for a node with one result."""
        return next((r.name for r in self.results if r.value == value), None)


@records.value
class Assumption:
    """A `where` condition on the input sizes that was not settled when lowering: `left op right` over
    the graph's size symbols. A network's assumptions say which sizes it is meant for; a block's are
    requirements on its caller's sizes."""
    left: Any                      # a Size or int
    op: str                        # == != < <= > >=
    right: Any
    span: Span                     # the condition in the spec


@records.value
class Graph:
    name: str
    kind: str                      # "network" or "block"
    params: dict[str, Any]         # parameter values this graph was instantiated with
    inputs: tuple[Input, ...]
    nodes: tuple[Node, ...]        # in topological (source) order
    output: str | None             # the value returned; None when the spec has no output
    span: Span
    assumptions: tuple[Assumption, ...] = ()
    defined: frozenset[str] = frozenset()  # input sizes a `where` equality defines (H == 224, W == H)
    # A block whose structure depends on its input sizes (`if C == out` on its input pattern): lowered
    # when the checker knows them. specialize(parameter values, pattern symbol → size, call notes) gives
    # the block lowered with them (None after reporting why not); this graph has its inputs only.
    specialize: Callable[[dict, dict, tuple], Graph | None] | None = field(default=None, compare=False, repr=False)
    # The test (as written) and outcome of each `if` and `a if test else b` of this graph's own body, in
    # the order lowering met them: uses with the same decisions have the same structure (one class each).
    decisions: tuple[tuple[str, bool], ...] = field(default=(), compare=False)

    @cached_property
    def _by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def _by_value(self) -> dict[str, Node]:
        return {value: n for n in self.nodes for value in n.values}

    def node(self, name: str) -> Node | None:
        return self._by_name.get(name)

    def producer(self, value: str) -> Node | None:
        """The node that makes a value (None for a graph input)."""
        return self._by_value.get(value)

    def lint(self) -> list[str]:
        """Invariants later stages rely on; an empty list when the graph is well formed."""
        problems, seen = [], {i.name for i in self.inputs}
        for node in self.nodes:
            problems += [f"duplicate value name {v!r}" for v in node.values if v in seen]
            problems += [f"{node.name} reads {i!r} before it is defined" for i in node.inputs if i not in seen]
            if node.results and node.name not in node.values:
                problems.append(f"no result of {node.name} is the value its name stands for")
            seen.update(node.values)
        if self.output is not None and self.output not in seen:
            problems.append(f"output {self.output!r} is not a value of the graph")
        return problems
