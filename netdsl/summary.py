"""CheckedGraph → rows: one per layer, nested under block calls, with shapes, parameters and MACs."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from . import registry
from .checker import CheckedGraph, LayerResult
from .shapes import Shape, format_shape, numel


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
    frozen: int = 0         # non-trainable parameters (requires_grad=False)


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
                       layer.params, layer.buffers, layer.macs, layer.inner is not None, layer.frozen))
        if layer.inner is not None and (max_depth is None or depth < max_depth):
            out += rows(layer.inner, max_depth, f"{prefix}{node.name}.", depth + 1)
    return out


def format_shapes(checked: CheckedGraph) -> str:
    """The `check --shapes` listing."""
    graph = checked.graph
    inputs = ", ".join(f"input {name}: {format_shape(shape)}" for name, shape in checked.input_shapes.items())
    table = [(("  " * (r.depth + 1)) + r.name, r.label, format_shape(r.shape), f"{r.params:,}" if r.params else "")
             for r in rows(checked)]
    widths = [max([len(cells[i]) for cells in table], default=0) for i in range(4)]
    lines = [f"{graph.name}  ({inputs})"]
    for name, label, shape, params in table:
        lines.append(f"{name.ljust(widths[0])}  {label.ljust(widths[1])}  {shape.ljust(widths[2])}  "
                     f"{params.rjust(widths[3])}".rstrip())
    lines.append(f"  output {format_shape(checked.output_shape)}, {checked.params:,} parameters")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- `netdsl summary`

DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


@dataclass(frozen=True)
class Totals:
    params: int                  # trainable
    frozen: int                  # non-trainable
    buffers: int
    macs: int                    # for the whole batch
    param_bytes: int             # parameters and buffers, in dtype
    input_bytes: int | None      # None when a size other than the batch is symbolic
    activation_bytes: int | None


def _batched(shape: Shape | None, symbols: set[str], batch: int) -> Shape | None:
    return None if shape is None else tuple(batch if str(d) in symbols and not isinstance(d, int) else d
                                            for d in shape)


def _bytes(shapes, size: int) -> int | None:
    counts = [numel(s) for s in shapes]
    return None if any(c is None for c in counts) else sum(counts) * size


def summarize(checked: CheckedGraph, batch: int = 1, dtype: str = "float32") -> tuple[list[Row], Totals]:
    """Rows with the batch symbol (each input's leading symbolic dim) set to `batch`, and the totals.
    Per-sample MACs (symbolic dims as 1) scale linearly with the batch; activation memory is every
    leaf layer's output (views such as flatten counted as copies), an upper bound for one forward pass."""
    symbols = _batch_symbols(checked)
    size = DTYPE_BYTES[dtype]
    table = [replace(r, shape=_batched(r.shape, symbols, batch), macs=r.macs * batch) for r in rows(checked)]
    inputs = [_batched(s, symbols, batch) for s in checked.input_shapes.values()]
    totals = Totals(checked.params, checked.frozen, checked.buffers, checked.macs * batch,
                    (checked.params + checked.frozen + checked.buffers) * size, _bytes(inputs, size),
                    _bytes([r.shape for r in table if not r.is_block], size))
    return table, totals


def _size(n: int | None) -> str:
    if n is None:
        return "unknown (symbolic sizes besides the batch)"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:  # integer arithmetic: n may be far beyond a float's range
            hundredths = (n * 100 + scale // 2) // scale
            return f"{hundredths // 100}.{hundredths % 100:02d} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


def format_summary(checked: CheckedGraph, batch: int = 1, dtype: str = "float32") -> str:
    """A torchinfo-style table: layers nested under their blocks, then totals."""
    table, totals = summarize(checked, batch, dtype)
    head = ("Layer", "Kind", "Output shape", "Params", "MACs")
    cells = [("  " * r.depth + r.name, r.label, format_shape(r.shape), f"{r.params + r.frozen:,}", f"{r.macs:,}")
             for r in table]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(5)]
    line = "  ".join

    def render(c):
        return line([c[0].ljust(widths[0]), c[1].ljust(widths[1]), c[2].ljust(widths[2]),
                     c[3].rjust(widths[3]), c[4].rjust(widths[4])])
    rule = "-" * len(render(head))
    inputs = ", ".join(f"{n}: {format_shape(_batched(s, _batch_symbols(checked), batch))}"
                       for n, s in checked.input_shapes.items())
    total = totals.params + totals.frozen
    out = [f"{checked.graph.name}  (input {inputs}; batch {batch}, {dtype})", rule, render(head), rule,
           *map(render, cells), rule,
           f"Parameters:         {total:,} (trainable {totals.params:,}, non-trainable {totals.frozen:,})",
           f"Buffers:            {totals.buffers:,}",
           f"MACs:               {totals.macs:,} (batch {batch})",
           f"Parameter memory:   {_size(totals.param_bytes)} (parameters and buffers)",
           f"Input memory:       {_size(totals.input_bytes)}",
           f"Activation memory:  {_size(totals.activation_bytes)} (every layer output, batch {batch})"]
    return "\n".join(out) + "\n"


def _batch_symbols(checked: CheckedGraph) -> set[str]:
    """The batch dim is each network input's leading dim, when it is a symbol."""
    return {str(s[0]) for s in checked.input_shapes.values() if s and not isinstance(s[0], int)}


def _json_number(value):
    """JSON has no infinity or NaN: written as `check --format json` writes them ("Infinity", "NaN")."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return value


def summary_dict(checked: CheckedGraph, batch: int = 1, dtype: str = "float32") -> dict:
    """The `summary --format json` document."""
    table, totals = summarize(checked, batch, dtype)

    def shape(s):
        return None if s is None else [d if isinstance(d, int) else str(d) for d in s]
    return {
        "network": checked.graph.name, "batch": batch, "dtype": dtype,
        "parameters": {k: _json_number(v) for k, v in checked.graph.params.items()},
        "output_shape": shape(_batched(checked.output_shape, _batch_symbols(checked), batch)),
        "layers": [{"path": r.path, "depth": r.depth, "kind": r.kind, "label": r.label, "output_shape": shape(r.shape),
                    "params": r.params, "non_trainable_params": r.frozen, "buffers": r.buffers, "macs": r.macs}
                   for r in table],
        "totals": {"params": totals.params + totals.frozen, "trainable_params": totals.params,
                   "non_trainable_params": totals.frozen, "buffers": totals.buffers, "macs": totals.macs,
                   "param_bytes": totals.param_bytes, "input_bytes": totals.input_bytes,
                   "activation_bytes": totals.activation_bytes},
    }
