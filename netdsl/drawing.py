"""CheckedGraph → Diagram: what a drawing of a network shows, whatever draws it.

One builder, three emitters: render.py (Graphviz DOT, and the images `dot` draws from it), mermaid.py
(Mermaid flowcharts) and page.py (the interactive HTML page). The model is a tree of groups (block calls
and repeats) over leaves (layers, the network's inputs and its output) with edges between leaves. A view
(view.py) cuts the tree where groups are drawn collapsed and reroutes the edges to what is drawn; the page
does the same in the browser, from the same JSON."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace

from . import registry, spine
from .checker import CheckedGraph, LayerResult
from .diagnostics import Diagnostic, render_human
from .ir import Graph
from .ir import Node as IRNode
from .shapes import Shape, format_dim, format_shape
from .source import Span
from .summary import describe, named_results, output_text

OK, ERROR, UNCHECKED = "ok", "error", "unchecked"
_ORDINALS = ("1st", "2nd", "3rd")


@dataclass(frozen=True)
class Details:
    """What a node or group tells when hovered or clicked."""
    kind: str                        # "conv2d", a block's name, "repeat", "input" or "output"
    pytorch: str | None = None       # how PyTorch builds or calls it: "nn.Conv2d(1, 6, kernel_size=5)"
    inputs: tuple[str, ...] = ()     # input shapes, formatted
    output: str = "[?]"
    params: int = 0                  # trainable
    frozen: int = 0                  # requires_grad=False
    buffers: int = 0
    macs: str = "0"                  # multiply-accumulates of a forward pass: "117,600" or a formula, "117600*N"
    where: str | None = None         # "specs/lenet.net:7:10"
    line: str | None = None          # that line of the spec
    error: str | None = None         # the message of the error here (inside, for a group)
    diagnostic: str | None = None    # that error as `netdsl check` prints it
    per_copy: tuple[int, ...] = ()   # a repeat's parameters, copy by copy


@dataclass(frozen=True)
class Node:
    """A leaf: a layer, a network input ("@x") or the network's output ("@output")."""
    id: str                          # the layer's dotted path: "residual1.conv1"
    name: str                        # "conv1"
    label: str                       # "conv2d(1→6, 5×5)"
    role: str                        # "layer", "input", "output", or "block": a call whose block was not opened
    parent: str | None               # the group it belongs to
    status: str                      # OK, ERROR, or UNCHECKED (an input is unknown after an error)
    details: Details
    side: str | None = None          # spine.ENCODER, BOTTOM or DECODER when the network is drawn as a U


@dataclass(frozen=True)
class Group:
    """A block call (its layers) or a repeat `(...) * n` (its copies): a cluster, or one box when collapsed."""
    id: str                          # a block call's path ("residual1"); a repeat's "*1" (after its scope's path)
    role: str                        # "block" or "repeat"
    name: str                        # "residual1"; a repeat: "basic_block1 … basic_block2"
    label: str                       # "Residual(channels=16)"; "BasicBlock(channels=64) × 2"
    parent: str | None
    level: int                       # 0: called or repeated in the network itself; 1: inside one block; ...
    status: str
    details: Details
    count: int = 1                   # a repeat's copies
    inputs: tuple[str, ...] = ()     # a block's input names, when it has several (edges into it say which)
    alike: bool = True               # a repeat whose copies all read the same (else its label is the first's)


@dataclass(frozen=True)
class Edge:
    """A tensor from the leaf that makes it to a leaf that reads it."""
    source: str
    target: str
    shape: str                       # formatted; "?" when unknown
    tensor: str | None               # the name the user gave it
    operand: str | None              # "1st", "2nd", ... where the order of the target's inputs matters
    skip: bool                       # bypasses layers (a shortcut) or is an extra operand of a merge: dashed
    status: str                      # ERROR when it feeds the failing layer, UNCHECKED when its shape is unknown
    entries: dict[str, str] = field(default_factory=dict)  # block group → the input it enters that block as


@dataclass(frozen=True)
class Diagram:
    network: str
    title: str                       # "UNet(in_channels=1, classes=1) · 31,042,434 params"
    nodes: tuple[Node, ...]          # in source order
    groups: tuple[Group, ...]        # parents before children
    edges: tuple[Edge, ...]
    spine: tuple[str, ...] = ()      # the main path from an input to the output, through leaves
    stages: tuple[int, ...] = ()     # per spine leaf: a count that goes up where the spatial size changes
    pairs: tuple[tuple[str, str], ...] = ()   # a U: encoder and decoder leaves drawn level, skip across
    diagnostics: tuple[str, ...] = ()  # every error, rendered

    def as_json(self) -> dict:
        return asdict(self)


def count(n: int) -> str:
    return f"{n:,} param{'' if n == 1 else 's'}"


def edge_text(shape: str, tensor: str | None, operand: str | None) -> str:
    """An edge's label: "2nd · e3: [N, 256, 64, 64]"."""
    text = f"{tensor}: {shape}" if tensor else shape
    return f"{operand} · {text}" if operand else text


def pytorch_call(layer: LayerResult, names: tuple[str, ...]) -> str | None:
    """How PyTorch builds a layer (`nn.Conv2d(1, 6, 5)`) or, for a tensor op, the call forward makes
    (`torch.cat((u, skip), dim=1)`), from the registry's recipe. The one place the diagrams read it."""
    kind = registry.lookup(layer.node.kind)
    if kind is None or layer.args is None or layer.inputs is None:
        return None
    if kind.module is not None:
        positional, keywords = kind.module_args(layer.args, layer.inputs)
        items = [_literal(v) for v in positional] + [f"{k}={_literal(v)}" for k, v in keywords.items()]
        return f"{kind.module}({', '.join(items)})"
    return kind.functional(layer.args, names, layer.inputs)


def _literal(value) -> str:
    if isinstance(value, (tuple, list)):
        items = ", ".join(_literal(v) for v in value)
        return f"({items},)" if isinstance(value, tuple) and len(value) == 1 else \
            f"({items})" if isinstance(value, tuple) else f"[{items}]"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    return format_dim(value)  # a symbolic size


def _first_error(layer: LayerResult, prefix: str = "") -> str | None:
    """The error at this layer or, for a block call, the first one inside it ("conv1: message")."""
    if layer.error:
        return f"{prefix}{layer.error}" if prefix else layer.error
    for inner in layer.inner.layers if layer.inner is not None else ():
        found = _first_error(inner, f"{prefix}{inner.node.name}: ")
        if found:
            return found
    return None


def _status(layer: LayerResult, error: str | None) -> str:
    return ERROR if error else UNCHECKED if layer.shape is None else OK


def _macs(value) -> str:
    return f"{value:,}" if isinstance(value, int) else format_dim(value)


def _located(span: Span) -> dict:
    line = span.line_col[0]
    return {"where": span.location(), "line": span.source.line_text(line).strip()}


@dataclass(frozen=True)
class _Value:
    """A tensor as the diagram sees it."""
    source: str                       # the leaf that makes it
    shape: Shape | None
    tensor: str | None                # the user's name for it
    length: int                       # the longest chain of layers from a network input to it
    entries: tuple[tuple[str, str], ...] = ()  # the blocks it entered, and as which input


class _Builder:
    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.errors = [d for d in diagnostics if d.severity.value == "error"]
        self.nodes: list[Node] = []
        self.groups: list[Group | None] = []  # None: the place of a repeat's group until its copies are known
        self.edges: list[Edge] = []
        self.shapes: dict[str, Shape | None] = {}   # each leaf's output shape: for the layout

    def graph(self, checked: CheckedGraph, values: dict[str, _Value], prefix: str, parent: str | None,
              level: int) -> _Value | None:
        """Add checked's layers; values are its inputs. Returns the value of its output."""
        values = dict(values)
        # each run of a repeat (one in a `for` runs once per item) → group id, its place, its layers
        repeats: dict[tuple[Span, int], tuple[str, int, list[LayerResult]]] = {}
        for layer in checked.layers:
            node, where = layer.node, parent
            if node.repeat is not None and node.repeat.count > 1:
                run = (node.repeat.repeat, node.repeat.run)
                if run not in repeats:  # placed before the groups of its copies' blocks
                    repeats[run] = (f"{prefix}*{len(repeats) + 1}", len(self.groups), [])
                    self.groups.append(None)
                where, _, members = repeats[run]
                members.append(layer)
            path = prefix + node.name
            if layer.inner is not None and node.shares is None:   # a shared block is drawn where it is built
                values[node.name] = self.block(layer, path, values, where, level)
            else:
                values.update(self.leaf(layer, checked.graph, path, values, where))
        for (span, _), (group_id, place, members) in repeats.items():
            self.groups[place] = self.repeat(group_id, span, members, parent, level)
        return values.get(checked.graph.output) if checked.graph.output is not None else None

    def block(self, layer: LayerResult, path: str, values: dict[str, _Value], parent: str | None,
              level: int) -> _Value | None:
        node, block = layer.node, layer.node.block
        error = _first_error(layer)
        names = tuple(i.name for i in block.inputs) if len(block.inputs) > 1 else ()
        self.groups.append(Group(path, "block", node.name, describe(layer), parent, level, _status(layer, error),
                                 self.details(layer, node.kind, None, error), inputs=names))
        passed = {declared.name: replace(value, entries=value.entries + ((path, declared.name),))
                  for declared, outer in zip(block.inputs, node.inputs) if (value := values.get(outer)) is not None}
        out = self.graph(layer.inner, passed, path + ".", path, level + 1)
        if out is None:
            return None
        inside = (path, path + ".")
        return replace(out, tensor=node.variable, entries=tuple(e for e in out.entries if not e[0].startswith(inside)))

    def leaf(self, layer: LayerResult, graph: Graph, path: str, values: dict[str, _Value],
             parent: str | None) -> dict[str, _Value]:
        """The leaf's box and the edges into it; its values (one per result: one box, several edges out)."""
        node = layer.node
        error = _first_error(layer)
        names = tuple(_variable(graph, name) for name in node.inputs)
        role = "layer" if node.block is None else "block"
        self.nodes.append(Node(path, node.name, describe(layer), role, parent, _status(layer, error),
                               self.details(layer, node.kind, pytorch_call(layer, names) if node.block is None
                                            else None, error)))
        self.shapes[path] = layer.shape
        inputs = [values.get(name) for name in node.inputs]  # None: made by a block that has no output
        self.connect(inputs, path, node, error)
        length = 1 + max((v.length for v in inputs if v), default=0)
        return {value: _Value(path, shape, node.variable_of(value) or node.result_of(value), length)
                for value, shape in layer.values()}

    def connect(self, inputs: list[_Value | None], target: str, node: IRNode | None, error: str | None) -> None:
        """An edge per input of node (None: the network's output). Of several, the one down the longest chain of
        layers is the main path; the others bypass layers (shortcuts, skips) or are extra operands: dashed."""
        main = max((i for i, v in enumerate(inputs) if v is not None), key=lambda i: (inputs[i].length, -i), default=0)
        kind = registry.lookup(node.kind) if node is not None and node.block is None else None
        ordered = len(inputs) > 1 and not (kind is not None and kind.commutative)
        for position, value in enumerate(inputs):
            if value is None:
                continue
            operand = None
            if ordered and node.block is not None:
                # a block input whose declaration failed (a name used twice) is missing: no name to show
                declared = node.block.inputs
                operand = declared[position].name if position < len(declared) else None
            elif ordered:
                operand = _ORDINALS[position] if position < len(_ORDINALS) else f"{position + 1}th"
            status = ERROR if error else UNCHECKED if value.shape is None else OK
            self.edges.append(Edge(value.source, target, "?" if value.shape is None else format_shape(value.shape),
                                   value.tensor, operand, position != main, status, dict(value.entries)))

    def repeat(self, group_id: str, span: Span, members: list[LayerResult], parent: str | None,
               level: int) -> Group:
        copies = members[0].node.repeat.count
        by_copy: list[list[LayerResult]] = [[] for _ in range(copies)]
        for member in members:
            by_copy[member.node.repeat.index].append(member)
        first = next(copy for copy in by_copy if copy)
        per_copy = tuple(sum(m.params for m in copy) for copy in by_copy)
        errors = [e for e in map(_first_error, members) if e]
        bodies = {" → ".join(map(describe, copy)) for copy in by_copy}
        body = " → ".join(describe(m) for m in first)
        label = f"{body} × {copies}" if len(first) == 1 else f"({body}) × {copies}"
        details = Details("repeat", None, tuple(format_shape(s) for s in first[0].inputs or ()),
                          format_shape(members[-1].shape), sum(per_copy), sum(m.frozen for m in members),
                          sum(m.buffers for m in members), _macs(sum(m.macs for m in members)),
                          error=errors[0] if errors else None, per_copy=per_copy, **_located(span))
        status = ERROR if errors else UNCHECKED if members[-1].shape is None else OK
        name = f"{members[0].node.name} … {members[-1].node.name}"
        return Group(group_id, "repeat", name, label, parent, level, status, details, copies, alike=len(bodies) == 1)

    def details(self, layer: LayerResult, kind: str, pytorch: str | None, error: str | None) -> Details:
        node = layer.node
        diagnostic = next((render_human(d) for d in self.errors if d.span is not None
                           and d.span.source == node.span.source
                           and node.span.start <= d.span.start < max(node.span.end, node.span.start + 1)), None)
        return Details(kind, pytorch, tuple(format_shape(s) for s in layer.inputs or ()),
                       output_text(layer.shape, named_results(layer)),
                       layer.params, layer.frozen, layer.buffers, _macs(layer.macs), error=error,
                       diagnostic=diagnostic if error else None, **_located(node.span))


def _variable(graph: Graph, name: str) -> str:
    """A value's name in forward: the user's tensor name, else the layer's or input's own."""
    producer = graph.producer(name)
    return producer.variable_of(name) or name if producer is not None else name


def build(checked: CheckedGraph, diagnostics: Iterable[Diagnostic] = ()) -> Diagram:
    """The diagram of one checked network; diagnostics (the analysis's) explain its failing layers."""
    builder = _Builder(diagnostics)
    graph = checked.graph
    values = {}
    for declared in graph.inputs:
        shape = checked.input_shapes.get(declared.name)
        builder.nodes.append(Node(f"@{declared.name}", declared.name, declared.name, "input", None,
                                  OK if shape is not None else UNCHECKED,
                                  Details("input", output=format_shape(shape), **_located(declared.span))))
        builder.shapes[f"@{declared.name}"] = shape
        values[declared.name] = _Value(f"@{declared.name}", shape, None, 0)
    output = builder.graph(checked, values, "", None, 0)
    if output is not None:
        builder.nodes.append(Node("@output", "output", "output", "output", None,
                                  OK if output.shape is not None else UNCHECKED,
                                  Details("output", inputs=(format_shape(output.shape),),
                                          output=format_shape(output.shape))))
        builder.connect([output], "@output", None, None)
    edges = _mark_branches(builder.nodes, builder.edges)
    params = ", ".join(f"{k}={v}" for k, v in graph.params.items())
    title = f"{graph.name}({params}) · {count(checked.params)}" if params else f"{graph.name} · {count(checked.params)}"
    diagram = Diagram(graph.name, title, tuple(builder.nodes), tuple(builder.groups), tuple(edges),
                      diagnostics=tuple(render_human(d) for d in builder.errors))
    found = spine.analyse(diagram.nodes, diagram.edges, builder.shapes)
    nodes = tuple(replace(n, side=found.sides[n.id]) if n.id in found.sides else n for n in diagram.nodes)
    return replace(diagram, nodes=nodes, spine=found.path, stages=found.stages, pairs=found.pairs)


def _mark_branches(nodes: list[Node], edges: list[Edge]) -> list[Edge]:
    """A layer whose every consumer takes it as a skip is part of that skip (a projection shortcut's
    convolution): its own inputs are dashed too, back to where the branch leaves the main path."""
    into: dict[str, list[int]] = {}
    out: dict[str, list[int]] = {}
    for index, edge in enumerate(edges):
        into.setdefault(edge.target, []).append(index)
        out.setdefault(edge.source, []).append(index)
    skip = [edge.skip for edge in edges]
    for node in reversed(nodes):
        leaving = out.get(node.id, [])
        if leaving and all(skip[i] for i in leaving):
            for i in into.get(node.id, []):
                skip[i] = True
    return [replace(edge, skip=s) if s != edge.skip else edge for edge, s in zip(edges, skip)]
