"""Graph IR → CheckedGraph: the shape, parameter count and MACs of every node."""

from __future__ import annotations

from dataclasses import dataclass

from . import registry
from .diagnostics import Diagnostics, Note
from .ir import Graph, Node
from .shapes import MAX_ELEMENTS, Shape, ShapeError, Sym, check_tensor_size, format_shape


@dataclass(frozen=True)
class LayerResult:
    node: Node
    inputs: tuple[Shape, ...] | None   # None when an input is unknown (after an earlier error)
    shape: Shape | None                # None when this node (or its input) has an error
    params: int = 0                    # trainable parameters, nested blocks included
    frozen: int = 0                    # parameters created with requires_grad=False (not in params)
    buffers: int = 0                   # e.g. batchnorm running statistics
    macs: int = 0                      # multiply-accumulates for one forward pass (symbolic dims as 1)
    inner: CheckedGraph | None = None  # the checked block, for block calls
    error: str | None = None           # the message of the error at this node
    args: object = None                # node.args with block symbols (H, W, ...) bound: what codegen emits


@dataclass(frozen=True)
class CheckedGraph:
    graph: Graph
    input_shapes: dict[str, Shape | None]
    layers: tuple[LayerResult, ...]
    output_shape: Shape | None

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def frozen(self) -> int:
        return sum(layer.frozen for layer in self.layers)

    @property
    def buffers(self) -> int:
        return sum(layer.buffers for layer in self.layers)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def shape_of(self, value: str) -> Shape | None:
        if value in self.input_shapes:
            return self.input_shapes[value]
        return next((layer.shape for layer in self.layers if layer.node.name == value), None)


def _concrete(shape: Shape) -> Shape:
    return tuple(d if isinstance(d, int) else 1 for d in shape)


def _substitute(args, binding: dict[str, object]):
    """Replace symbols bound at a block's inputs (N, H, ...) inside argument values."""
    if not binding or args is None or not hasattr(type(args), "model_fields"):
        return args

    def sub(value):
        if isinstance(value, Sym):
            return binding.get(str(value), value)
        if isinstance(value, tuple):
            return tuple(sub(v) for v in value)
        return value
    updates = {name: sub(getattr(args, name)) for name in type(args).model_fields}
    changed = {k: v for k, v in updates.items() if v is not getattr(args, k)}
    return args.model_copy(update=changed) if changed else args


class _Checker:
    def __init__(self, diagnostics: Diagnostics):
        self.diagnostics = diagnostics

    def graph(self, graph: Graph, input_shapes: dict[str, Shape | None], binding: dict[str, object],
              context: tuple[Note, ...]) -> CheckedGraph:
        shapes: dict[str, Shape | None] = dict(input_shapes)
        results = []
        for node in graph.nodes:
            inputs = tuple(shapes.get(name) for name in node.inputs)
            if any(shape is None for shape in inputs):
                result = LayerResult(node, None, None)
            else:
                result = self.node(node, inputs, binding, context, shapes, graph)
            shapes[node.name] = result.shape
            results.append(result)
        output = shapes.get(graph.output) if graph.output is not None else None
        return CheckedGraph(graph, dict(input_shapes), tuple(results), output)

    def node(self, node: Node, inputs: tuple[Shape, ...], binding: dict[str, object], context: tuple[Note, ...],
             shapes: dict[str, Shape | None], graph: Graph) -> LayerResult:
        if node.block is not None:
            return self.block_call(node, inputs, context)
        kind = registry.lookup(node.kind)
        if node.args is None:
            return LayerResult(node, inputs, None)
        args = _substitute(node.args, binding)
        try:
            shape = kind.infer(args, inputs)
            params, frozen, buffers = (count(args, inputs) for count in (kind.params, kind.frozen_params, kind.buffers))
            check_tensor_size(f"`{node.kind}` output", shape)
            if params + frozen + buffers > MAX_ELEMENTS:
                raise ShapeError(f"`{node.kind}` has {params + frozen + buffers:,} parameters and buffers, more "
                                 f"than the {MAX_ELEMENTS:,} elements a PyTorch tensor can hold", code="E0414")
        except ShapeError as error:
            self.report(error, node, context, shapes, graph)
            return LayerResult(node, inputs, None, error=error.message)
        concrete = tuple(_concrete(s) for s in inputs)
        return LayerResult(node, inputs, shape, params=params, buffers=buffers,
                           macs=kind.macs(args, concrete, _concrete(shape)), args=args, frozen=frozen)

    def block_call(self, node: Node, inputs: tuple[Shape, ...], context: tuple[Note, ...]) -> LayerResult:
        block = node.block
        call_note = Note(f"in block `{block.name}` called here", node.span)
        binding: dict[str, object] = {}
        for declared, actual in zip(block.inputs, inputs):
            problem = _match(declared.shape, actual, binding)
            if problem:
                self.diagnostics.error("E0408", f"block `{block.name}` expects input `{declared.name}` to be "
                                       f"{format_shape(declared.shape)}, but gets {format_shape(actual)}: {problem}",
                                       node.span, notes=(Note(f"`{declared.name}` is declared here", declared.span),
                                                         *context))
                return LayerResult(node, inputs, None, error=problem)
        inner = self.graph(block, {i.name: s for i, s in zip(block.inputs, inputs)}, binding, (call_note, *context))
        return LayerResult(node, inputs, inner.output_shape, params=inner.params, buffers=inner.buffers,
                           macs=inner.macs, inner=inner, args=node.args, frozen=inner.frozen)

    def report(self, error: ShapeError, node: Node, context: tuple[Note, ...], shapes: dict[str, Shape | None],
               graph: Graph) -> None:
        """Point at the argument at fault, and say where each input tensor came from."""
        span = node.arg_spans.get(error.arg, node.span) if error.arg else node.span
        notes = [Note(n) for n in error.notes]
        merge = len(set(node.inputs)) > 1
        for name in dict.fromkeys(node.inputs):
            shape = shapes[name]
            producer = graph.node(name)
            if producer is None:
                declared = next(i for i in graph.inputs if i.name == name)
                notes.append(Note(f"input `{name}` is {format_shape(shape)}", declared.span))
            elif merge:
                # Where tensors meet, name each one and point at the layer that gave it its shape.
                origin = _shape_origin(producer, shapes, graph) if len(producer.inputs) == 1 else producer
                variable = producer.variable or origin.variable
                what = f"`{variable}` is" if variable else f"`{origin.kind}` produces"
                notes.append(Note(f"{what} {format_shape(shape)}" + (f" (from `{origin.kind}`)" if variable else ""),
                                  origin.span))
            elif len(producer.inputs) == 1:
                producer = _shape_origin(producer, shapes, graph)
                before = shapes.get(producer.inputs[0])
                notes.append(Note(f"`{producer.kind}` turns {format_shape(before)} into {format_shape(shape)}",
                                  producer.span))
            else:
                notes.append(Note(f"`{producer.kind}` produces {format_shape(shape)}", producer.span))
        self.diagnostics.error(error.code, error.message, span, notes=(*notes, *context), help=error.help)


def _shape_origin(producer: Node, shapes: dict[str, Shape | None], graph: Graph) -> Node:
    """Walk back over shape-preserving layers (relu, dropout, ...) to the one that made the shape."""
    while len(producer.inputs) == 1 and shapes.get(producer.name) == shapes.get(producer.inputs[0]):
        earlier = graph.node(producer.inputs[0])
        if earlier is None or len(earlier.inputs) != 1:
            break
        producer = earlier
    return producer


def _match(pattern: Shape | None, actual: Shape, binding: dict[str, object]) -> str | None:
    """Match a block's declared input shape against the actual one, binding its symbols."""
    if pattern is None:
        return None
    if len(pattern) != len(actual):
        return f"rank {len(actual)} instead of {len(pattern)}"
    for index, (want, have) in enumerate(zip(pattern, actual)):
        if isinstance(want, Sym):
            bound = binding.setdefault(str(want), have)
            if bound != have:
                return f"dim {index} is {have}, but `{want}` is already {bound}"
        elif want != have:
            return f"dim {index} is {have}, not {want}"
    return None


def check(graph: Graph, diagnostics: Diagnostics) -> CheckedGraph:
    """Infer every shape of a lowered network. Errors go to diagnostics; shapes after them are None."""
    checker = _Checker(diagnostics)
    shapes = {}
    for declared in graph.inputs:
        shape = declared.shape
        if shape is None:
            diagnostics.error("E0409", f"network input `{declared.name}` needs a shape", declared.span,
                              help=f"declare it as `input {declared.name}: [N, ...]`")
        else:
            try:
                check_tensor_size(f"input `{declared.name}`", shape)
            except ShapeError as error:
                diagnostics.error(error.code, error.message, declared.span, help=error.help)
                shape = None
        shapes[declared.name] = shape
    return checker.graph(graph, shapes, {}, ())
