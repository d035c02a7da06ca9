"""The resolved graph IR: what lowering produces and every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .shapes import Shape
from .source import Span


@dataclass(frozen=True)
class Input:
    name: str
    shape: Shape | None  # a pattern in blocks ([N, channels, H, W]); None when not declared
    span: Span


@dataclass(frozen=True)
class RepeatCopy:
    """A node made by a repeat `(...) * n`: which copy it belongs to. Only the outermost repeat of the node's
    own definition is recorded (a block body's repeats are the block's own)."""
    repeat: Span                   # the repeat in the spec: the copies of one repeat share it
    index: int                     # 0-based
    count: int


@dataclass(frozen=True)
class PyTorchReading:
    """A call whose first positional argument may be the size netdsl infers, written out of PyTorch's
    habit (`conv2d(3, 64, 3)`): the arguments in PyTorch's order, kept for the checker to decide once
    the input's size is known (netdsl.checker, lint's W0108)."""
    args: Any                       # the call bound as (inferred size, *netdsl's positional order)
    first: Span                     # the first positional argument
    count: int                      # how many arguments are positional
    errors: tuple = ()              # netdsl's own reading's diagnostics, when that reading is invalid


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Assumption:
    """A `where` condition on the input sizes that was not settled when lowering: `left op right` over
    the graph's size symbols. A network's assumptions say which sizes it is meant for; a block's are
    requirements on its caller's sizes."""
    left: Any                      # a Size or int
    op: str                        # == != < <= > >=
    right: Any
    span: Span                     # the condition in the spec


@dataclass(frozen=True)
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

    @cached_property
    def _by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    def node(self, name: str) -> Node | None:
        return self._by_name.get(name)

    def lint(self) -> list[str]:
        """Invariants later stages rely on; an empty list when the graph is well formed."""
        problems, seen = [], {i.name for i in self.inputs}
        for node in self.nodes:
            if node.name in seen:
                problems.append(f"duplicate value name {node.name!r}")
            problems += [f"{node.name} reads {i!r} before it is defined" for i in node.inputs if i not in seen]
            seen.add(node.name)
        if self.output is not None and self.output not in seen:
            problems.append(f"output {self.output!r} is not a value of the graph")
        return problems
