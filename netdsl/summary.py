"""CheckedGraph → rows: one per layer, nested under block calls, with shapes, parameters and MACs."""

from __future__ import annotations

from dataclasses import dataclass

from . import registry
from .checker import CheckedGraph, LayerResult
from .shapes import Shape, format_shape


@dataclass(frozen=True)
class Row:
    path: str               # "residual1.conv1"
    name: str               # "conv1"
    depth: int              # 0 for the network's own layers
    kind: str               # "conv2d", or the block's name
    label: str              # "conv2d(1→6, 5×5)"
    shape: Shape | None
    params: int
    buffers: int
    macs: int
    is_block: bool


def describe(layer: LayerResult) -> str:
    node = layer.node
    if node.block is not None:
        args = ", ".join(f"{k}={v}" for k, v in node.args.items())
        return f"{node.kind}({args})"
    kind = registry.lookup(node.kind)
    if layer.inputs is None or node.args is None:
        return node.kind
    return kind.describe(node.args, layer.inputs)


def rows(checked: CheckedGraph, max_depth: int | None = None, prefix: str = "", depth: int = 0) -> list[Row]:
    """Every layer in order, blocks followed by their contents (down to max_depth)."""
    out = []
    for layer in checked.layers:
        node = layer.node
        out.append(Row(prefix + node.name, node.name, depth, node.kind, describe(layer), layer.shape,
                       layer.params, layer.buffers, layer.macs, layer.inner is not None))
        if layer.inner is not None and (max_depth is None or depth < max_depth):
            out += rows(layer.inner, max_depth, f"{prefix}{node.name}.", depth + 1)
    return out


def format_shapes(checked: CheckedGraph) -> str:
    """The `check --shapes` listing."""
    graph = checked.graph
    inputs = ", ".join(f"input {name}: {format_shape(shape)}" for name, shape in checked.input_shapes.items())
    table = [(("  " * (r.depth + 1)) + r.name, r.label, format_shape(r.shape), f"{r.params:,}" if r.params else "")
             for r in rows(checked)]
    widths = [max([len(cells[i]) for cells in table], default=0) for i in range(3)]
    lines = [f"{graph.name}  ({inputs})"]
    for name, label, shape, params in table:
        lines.append(f"{name.ljust(widths[0])}  {label.ljust(widths[1])}  {shape.ljust(widths[2])}  {params}".rstrip())
    lines.append(f"  output {format_shape(checked.output_shape)}, {checked.params:,} parameters")
    return "\n".join(lines) + "\n"
