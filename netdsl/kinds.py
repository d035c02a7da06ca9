"""What a layer kind is: its declaration, read by every stage. Built-in kinds (netdsl/layers/) and
plugins declare `LayerKind` values; netdsl.registry collects them."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import field
from functools import cached_property
from typing import Any

from . import records
from .arguments import Signature
from .dtypes import SAME, DTypes
from .schema import Args, Schema
from .shapes import Shape


class Role(enum.Enum):
    """What the warnings stage (lint.py) needs to know of a kind."""
    NONE = "none"
    ACTIVATION = "activation"   # relu-like: clips its input
    SQUASH = "squash"           # sigmoid, tanh, softmax: deliberate output layers
    DROPOUT = "dropout"
    POOL = "pool"
    CONV = "conv"               # convolutions: their outputs are laid out [N, C, *spatial]
    LINEAR = "linear"
    FLATTEN = "flatten"


@records.value
class Inferred:
    """An argument the kind reads off its inputs, such as conv2d's `in_channels` from dim 1. Written
    in a spec anyway, it must agree: the checker compares the two, once, for every kind."""
    field: str
    read: Callable[[Args, tuple[Shape, ...]], Any]   # may raise ShapeError (e.g. the input's rank)
    what: str                                        # "input channels", in messages
    source: int = 0                                  # the input the size is read from


class CannotUnpack(Exception):
    """Raised by an `unpack` hook when the call gives one tensor; the message is the help to show."""


class CannotImport(Exception):
    """Raised by a `Recognise` hook when a PyTorch call has no equivalent in the kind (an attention mask,
    a slice); the message says what is not supported."""


@records.value
class TensorArg:
    """A tensor among the arguments a `Recognise.bind` hook receives: `name` tells tensors apart."""
    name: str


@records.value
class Recognise:
    """How `netdsl import` finds the kind in a model traced by torch.fx: the inverse of `module`,
    `functional` and `call`. By default a module of the class `module` names is the kind, each argument
    read from the module attribute of the same name (a tensor-or-None attribute such as `bias` gives a
    bool), and a call binds the kind's `positional` arguments after its tensor inputs, with the schema's
    defaults. The importer leaves out inferred sizes and arguments equal to their defaults, and checks
    what it read by building the module again from it."""
    # Functions, tensor methods and operators that compute the kind, as dotted names ("torch.relu",
    # "torch.nn.functional.relu", "Tensor.relu" for a method, "operator.add"), each with its Python
    # parameter list where it is not `input` followed by the kind's positional arguments with the schema's
    # defaults: "torch.flatten(input, start_dim=0, end_dim=-1)" (torch's default is not nn.Flatten's).
    # A parameter the kind does not have must keep its default, unless a `bind` hook takes the arguments.
    calls: tuple[str, ...] = ()
    # Where torch's arguments do not correspond to the kind's name for name: the bound arguments of a
    # call, or of a module's forward (tensors given as TensorArg, defaults filled in) → (the tensors the
    # layer consumes, the kind's arguments). It replaces the default binding, defaults check included.
    bind: Callable[[dict[str, Any]], tuple[tuple[TensorArg, ...], dict[str, Any]]] | None = None
    # Arguments a module holds under other names (module → {argument: value}); the rest are read by name.
    attributes: Callable[[Any], dict[str, Any]] | None = None
    # Kinds whose torch call returns several tensors: the index path of one of them → the arguments that
    # make the layer stand for it (LSTM: (1, 0) → returns="hidden"); None where the path is no tensor.
    results: Callable[[tuple[int, ...]], dict[str, Any] | None] | None = None


@records.value
class Result:
    """One of the tensors a kind's single torch call returns when it returns several (an LSTM's output,
    h_n and c_n): a value of the graph of its own, from the same module and the same call."""
    name: str                                           # in messages, tables and diagrams: "hidden"
    shape: Callable[[Args, tuple[Shape, ...]], Shape]   # its shape rule (`infer` has validated the call)


def nested(structure: tuple, text: Callable[[Any], str]) -> str:
    """A nested tuple written as Python unpacks it: ("output", ("hidden", "cell")) → "output, (hidden, cell)"."""
    return ", ".join((f"({nested(item, text)},)" if len(item) == 1 else f"({nested(item, text)})")
                     if isinstance(item, tuple) else text(item) for item in structure)


def flatten(structure: tuple) -> tuple:
    """The leaves of a nested tuple, in order."""
    return tuple(leaf for item in structure for leaf in (flatten(item) if isinstance(item, tuple) else (item,)))


def shaped(structure: tuple, leaves: Iterator) -> tuple:
    """structure's nesting with its leaves taken in order from an iterator: ((a, b),), [x, y] → ((x, y),)."""
    return tuple(shaped(item, leaves) if isinstance(item, tuple) else next(leaves) for item in structure)


def result_paths(results: tuple, prefix: tuple[int, ...] = ()) -> dict[str, tuple[int, ...]]:
    """Each Result's index path into torch's return value: {"output": (0,), "hidden": (1, 0), ...}."""
    paths: dict[str, tuple[int, ...]] = {}
    for index, item in enumerate(results):
        if isinstance(item, tuple):
            paths.update(result_paths(item, (*prefix, index)))
        else:
            paths[item.name] = (*prefix, index)
    return paths


def _no_count(args: Args, inputs: tuple[Shape, ...]) -> int:
    return 0


def _no_macs(args: Args, inputs: tuple[Shape, ...], output: Shape) -> int:
    return 0


@records.value
class LayerKind:
    name: str                                   # the DSL keyword: "conv2d"
    schema: Schema                              # names, types, defaults and bounds of the arguments
    infer: Callable[[Args, tuple[Shape, ...]], Shape]   # raises ShapeError; uses shapes.require
    prefix: str                                 # generated layer names: conv1, conv2, ...
    positional: tuple[str, ...] = ()            # argument order for positional use ("*shape": variadic)
    aliases: dict[str, str] = field(default_factory=dict)  # short names: kernel → kernel_size
    inputs: int | None = 1                      # tensors consumed; None: one or more
    commutative: bool = False                   # the order of several tensor inputs does not matter (add, mul)
    role: Role = Role.NONE
    inferred: tuple[Inferred, ...] = ()         # arguments read off the input (filled in before infer)
    # Kinds whose torch op returns several tensors (chunk, split, unbind): unpack(args, n) gives the
    # arguments of each of the n nodes that `a, b, ... = x -> kind(...)` becomes (every IR node has
    # one output), or raises CannotUnpack with a help text.
    unpack: Callable[[Args, int], tuple[Args, ...]] | None = None
    # Kinds whose one torch call returns several tensors (an LSTM's (output, (h_n, c_n))): every Result,
    # nested as torch returns them. A node of such a kind has them all as values; `a, (b, c) = ...` names
    # them, a chain continues with the one `result_argument` names (the first when None), and `infer`
    # returns that one's shape. Empty: the kind gives one tensor, infer's.
    results: tuple = ()
    result_argument: str | None = None
    # Further tensor inputs a call may give after its `inputs` tensors, all or none, nested as the torch
    # call takes them: an LSTM's initial state is one argument, the tuple (h_0, c_0): (("h_0", "c_0"),).
    optional_inputs: tuple = ()
    # Pooling kinds: (kernel, stride, padding, dilation), one entry per spatial dim.
    window: Callable[[Args], tuple[tuple[int, ...], ...]] | None = None
    operator: str | None = None                 # tensor arithmetic written with this operator (+, -, ...; "[]": x[...])
    params: Callable[[Args, tuple[Shape, ...]], int] = _no_count         # trainable parameters
    buffers: Callable[[Args, tuple[Shape, ...]], int] = _no_count        # e.g. batchnorm running stats
    frozen_params: Callable[[Args, tuple[Shape, ...]], int] = _no_count  # requires_grad=False
    macs: Callable[[Args, tuple[Shape, ...], Shape], Any] = _no_macs
    # How PyTorch builds it: a module class and its constructor arguments (positional, keyword)...
    module: str | None = None                   # "nn.Conv2d", named as text: no torch import
    module_args: Callable[[Args, tuple[Shape, ...]], tuple[tuple, dict]] | None = None
    # How forward calls the module when it is not `self.<name>(inputs...)`, e.g. taking one element
    # of an LSTM's (output, (h, c)) result: call(module_expression, input_names, args) → expression.
    call: Callable[[str, tuple[str, ...], Args], str] | None = None
    # ...or, for stateless tensor ops, a forward expression over the input variable names. A kind with
    # no tensor input (inputs=0: ones, arange) gets the enclosing class's inputs, to read sizes off.
    functional: Callable[[Args, tuple[str, ...], tuple[Shape, ...]], str] | None = None
    label: Callable[[Args, tuple[Shape, ...]], str] | None = None
    doc: str = ""
    # The module's learnable tensors by attribute name, with their shapes (linear: weight [out, in] and
    # bias [out]); `tieable` names those that `tie=label` may share with another layer's weight of the
    # same name and shape, as `self.head.weight = self.embed.weight` does.
    weights: Callable[[Args, tuple[Shape, ...]], dict[str, Shape]] | None = None
    tieable: tuple[str, ...] = ()
    recognise: Recognise = Recognise()          # how `netdsl import` finds it in a traced PyTorch model
    # The dtype classes its inputs may have and its output's (netdsl.dtypes): by default any input, and
    # the output's class that of the inputs, promoted. Kinds with weights declare dtypes.FLOAT_LAYER.
    dtypes: DTypes = SAME

    @cached_property
    def signature(self) -> Signature:
        """What a call of this kind is bound against (made once: binding is on every layer call)."""
        return Signature(f"`{self.name}`", self.schema, self.positional, self.aliases)

    @cached_property
    def result_names(self) -> tuple[str, ...]:
        """The names of the kind's results, in the order torch returns them (empty: one tensor)."""
        return tuple(result.name for result in flatten(self.results))

    def result_paths(self) -> dict[str, tuple[int, ...]]:
        """Each result's index path into torch's return value: {"output": (0,), "hidden": (1, 0), ...}."""
        return result_paths(self.results)

    def chosen_result(self, args: Args | None) -> str | None:
        """The result a chain continues with (None for a kind with one result)."""
        if not self.results:
            return None
        chosen = args.values.get(self.result_argument) if args is not None and self.result_argument else None
        return chosen if chosen in self.result_names else self.result_names[0]

    def grouped(self, items: tuple) -> tuple:
        """One item per tensor input, nested as the torch call takes them: (x, h0, c0) → (x, (h0, c0))."""
        if self.inputs is None or len(items) == self.inputs:
            return items
        return items[:self.inputs] + shaped(self.optional_inputs, iter(items[self.inputs:]))

    def input_counts(self) -> tuple[int, ...] | None:
        """The numbers of tensors a call may give (None: one or more)."""
        if self.inputs is None:
            return None
        return (self.inputs, self.inputs + len(flatten(self.optional_inputs))) if self.optional_inputs \
            else (self.inputs,)

    def describe(self, args: Args, inputs: tuple[Shape, ...]) -> str:
        """Short text for tables and diagrams: "conv2d(1→6, 5×5)"."""
        return self.label(args, inputs) if self.label else self.name

    def validate(self) -> LayerKind:
        """Declaration mistakes a plugin could make, found when it is registered."""
        if (self.module is None) == (self.functional is None):
            raise ValueError(f"layer kind {self.name!r} needs exactly one of `module` and `functional`")
        if self.module is not None and self.module_args is None:
            raise ValueError(f"layer kind {self.name!r} has a module but no module_args")
        unknown = [n for n in (*self.positional, *self.aliases.values(), *(i.field for i in self.inferred))
                   if n.lstrip("*") not in self.schema.fields]
        if unknown:
            raise ValueError(f"layer kind {self.name!r} names arguments it does not have: {unknown}")
        if self.tieable and (self.weights is None or self.module is None
                             or not all(n.isidentifier() for n in self.tieable)):
            raise ValueError(f"layer kind {self.name!r} declares tieable weights but no module or `weights`")
        names = self.result_names
        if len(set(names)) != len(names) or any(not name.isidentifier() for name in names):
            raise ValueError(f"layer kind {self.name!r} has result names that are not distinct identifiers: {names}")
        if self.result_argument is not None and self.result_argument not in self.schema.fields:
            raise ValueError(f"layer kind {self.name!r} chooses its result by an argument it does not have")
        if self.optional_inputs and self.inputs is None:
            raise ValueError(f"layer kind {self.name!r} has optional inputs after a variable number of inputs")
        names = (call.partition("(")[0] for call in self.recognise.calls)
        malformed = [n for n in names if "." not in n or not all(part.isidentifier() for part in n.split("."))]
        if malformed:
            raise ValueError(f"layer kind {self.name!r} recognises calls that are not dotted names: {malformed}")
        return self
