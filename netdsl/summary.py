"""CheckedGraph → rows: one per layer, nested under block calls, with shapes, parameters and MACs."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from . import registry
from .checker import CheckedGraph, LayerResult
from .initializers import INITIALIZERS
from .schema import format_value
from .shapes import Shape, format_shape, numel
from .sizes import Dim, Size, format_size, substitute, symbol_name


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
    macs: Dim
    is_block: bool
    frozen: int = 0         # non-trainable parameters (requires_grad=False)
    layer: LayerResult | None = None   # the checked layer the row shows
    results: tuple[tuple[str, Shape | None], ...] = ()   # a layer with several results: (name, shape) each
    used: tuple[str, ...] = ()   # ...and the names of those its graph uses (the one a chain continues with if none)

    @property
    def output_text(self) -> str:
        return output_text(self.shape, tuple(r for r in self.results if r[0] in self.used))


def named_results(layer: LayerResult) -> tuple[tuple[str, Shape | None], ...]:
    """(result name, shape) for each result of a layer that gives several; () for one that gives one."""
    return tuple((result.name, shape) for result, (_, shape) in zip(layer.node.results, layer.values()))


def output_text(shape: Shape | None, results: tuple[tuple[str, Shape | None], ...] = ()) -> str:
    """What a layer gives, as tables show it: its shape, or each of its results ("output [N, 7, 64]; hidden
    [1, N, 64]"): one row, one box, however many tensors its call returns."""
    return "; ".join(f"{name} {format_shape(s)}" for name, s in results) if results else format_shape(shape)


def initial_value(layer: LayerResult) -> str:
    """How a parameter or buffer is filled, as the spec writes it: "normal(std=0.02)", "ones -> tril"."""
    return " -> ".join([INITIALIZERS[layer.node.learnable.init].describe(layer.node.args),
                        *(describe(stage) for stage in (layer.init.layers if layer.init else ()))])


def describe(layer: LayerResult) -> str:
    node = layer.node
    if node.learnable is not None:   # "parameter [64, 10] = normal(std=0.02)", "buffer [8, 8] = ones -> tril"
        return f"{node.kind} {format_shape(layer.shape or node.learnable.shape)} = {initial_value(layer)}"
    if node.block is not None:   # the parameters as this call bound them
        args = ", ".join(f"{k}={format_value(v)}" for k, v in (layer.args or node.args).items())
        text = f"{node.kind}({args})"
    elif layer.inputs is None or layer.args is None:
        text = node.kind
    else:
        text = registry.lookup(node.kind).describe(layer.args, layer.inputs)
    if node.shares is not None:
        return f"{text}, shared with {node.shares}"
    if layer.tied:
        return f"{text}, {' and '.join(layer.tied)} tied to {node.tie}"
    return text


def rows(checked: CheckedGraph, max_depth: int | None = None, prefix: str = "", depth: int = 0) -> list[Row]:
    """Every layer in order, blocks followed by their contents (down to max_depth)."""
    out = []
    used = {checked.graph.output, *(name for layer in checked.layers for name in layer.node.inputs)}
    for layer in checked.layers:
        node = layer.node
        shown = tuple(r.name for r in node.results if r.value in used or r.value == node.name and
                      used.isdisjoint(node.values))
        out.append(Row(prefix + node.name, node.name, depth, node.kind, describe(layer), layer.shape,
                       layer.params, layer.buffers, layer.macs, layer.inner is not None, layer.frozen, layer,
                       named_results(layer), shown))
        if layer.inner is not None and node.shares is None and (max_depth is None or depth < max_depth):
            out += rows(layer.inner, max_depth, f"{prefix}{node.name}.", depth + 1)
    return out


def format_shapes(checked: CheckedGraph) -> str:
    """The `check --shapes` listing."""
    graph = checked.graph
    inputs = ", ".join(f"input {name}: {format_shape(shape)}" for name, shape in checked.input_shapes.items())
    table = [(("  " * (r.depth + 1)) + r.name, r.label, r.output_text, f"{r.params:,}" if r.params else "")
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


class SummaryError(ValueError):
    """Sizes the summary cannot use (a --batch the spec contradicts)."""


@dataclass(frozen=True)
class Totals:
    params: int                  # trainable: exact, never symbolic
    frozen: int                  # non-trainable
    buffers: int
    macs: Dim                    # for the whole batch: a formula in the symbols left free
    param_bytes: int             # parameters and buffers, in dtype
    input_bytes: Dim
    activation_bytes: Dim


@dataclass(frozen=True)
class Batch:
    """The batch a summary is for: the value, and the symbol it binds (None when the spec fixes it)."""
    size: int
    symbols: tuple[str, ...]

    def describe(self) -> str:
        if not self.symbols:
            return f"batch {self.size} (fixed by the input shape)"
        return f"batch {', '.join(self.symbols)}={self.size}"


def batch_of(checked: CheckedGraph, batch: int | None) -> Batch:
    """Each input's leading dim is its batch: a symbol takes `batch` (default 1); a fixed number must
    agree with it."""
    symbols, fixed = [], set()
    for shape in checked.input_shapes.values():
        if not shape:
            continue
        name = symbol_name(shape[0])
        if name is not None:
            symbols.append(name)
        elif isinstance(shape[0], int):
            fixed.add(shape[0])
    symbols = list(dict.fromkeys(symbols))
    if fixed and not symbols:
        size = fixed.pop() if len(fixed) == 1 else None
        if size is None or (batch is not None and batch != size):
            raise SummaryError(f"the spec's inputs fix the batch to {' and '.join(map(str, sorted(fixed | {size} - {None})))}"
                               f"; --batch {batch} cannot change it")
        return Batch(size, ())
    return Batch(1 if batch is None else batch, tuple(symbols))


def _bind(value, binding: dict[str, int]):
    return None if value is None else substitute(value, binding)


def _bytes(shapes, size: int) -> Dim:
    total: Dim = 0
    for shape in shapes:
        total = total + numel(shape) * size
    return total


def summarize(checked: CheckedGraph, batch: int | None = None, dtype: str = "float32",
              sizes: dict[str, int] | None = None) -> tuple[list[Row], Totals]:
    """Rows and totals with the batch symbol set to `batch` and other symbols to `sizes`; what stays
    symbolic is a formula. Activation memory is every leaf layer's output (views such as flatten counted
    as copies), an upper bound for one forward pass."""
    chosen = batch_of(checked, batch)
    binding = {**(sizes or {}), **{name: chosen.size for name in chosen.symbols}}
    size = DTYPE_BYTES[dtype]
    table = [replace(r, shape=_bind(r.shape, binding), macs=_bind(r.macs, binding),
                     results=tuple((name, _bind(s, binding)) for name, s in r.results)) for r in rows(checked)]
    inputs = [_bind(s, binding) for s in checked.input_shapes.values()]
    totals = Totals(checked.params, checked.frozen, checked.buffers, _bind(checked.macs, binding),
                    (checked.params + checked.frozen + checked.buffers) * size, _bytes(inputs, size),
                    _bytes([s for r in table if not r.is_block for s in ([x for _, x in r.results] or [r.shape])
                            if s is not None], size))
    return table, totals


def _memory(n: Dim) -> str:
    if not isinstance(n, int):
        return f"{format_size(n)} bytes"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:  # integer arithmetic: n may be far beyond a float's range
            hundredths = (n * 100 + scale // 2) // scale
            return f"{hundredths // 100}.{hundredths % 100:02d} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


def _count(n: Dim) -> str:
    return f"{n:,}" if isinstance(n, int) else format_size(n)


def format_summary(checked: CheckedGraph, batch: int | None = None, dtype: str = "float32",
                   sizes: dict[str, int] | None = None) -> str:
    """A torchinfo-style table: layers nested under their blocks, then totals."""
    table, totals = summarize(checked, batch, dtype, sizes)
    chosen = batch_of(checked, batch)
    head = ("Layer", "Kind", "Output shape", "Params", "MACs")
    cells = [("  " * r.depth + r.name, r.label, r.output_text, f"{r.params + r.frozen:,}", _count(r.macs))
             for r in table]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(5)]
    line = "  ".join

    def render(c):
        return line([c[0].ljust(widths[0]), c[1].ljust(widths[1]), c[2].ljust(widths[2]),
                     c[3].rjust(widths[3]), c[4].rjust(widths[4])])
    rule = "-" * len(render(head))
    binding = {**(sizes or {}), **{name: chosen.size for name in chosen.symbols}}
    inputs = ", ".join(f"{n}: {format_shape(_bind(s, binding))}" for n, s in checked.input_shapes.items())
    total = totals.params + totals.frozen
    out = [f"{checked.graph.name}  (input {inputs}; {chosen.describe()}, {dtype})", rule, render(head), rule,
           *map(render, cells), rule,
           f"Parameters:         {total:,} (trainable {totals.params:,}, non-trainable {totals.frozen:,})",
           f"Buffers:            {totals.buffers:,}",
           f"MACs:               {_count(totals.macs)}",
           f"Parameter memory:   {_memory(totals.param_bytes)} (parameters and buffers)",
           f"Input memory:       {_memory(totals.input_bytes)}",
           f"Activation memory:  {_memory(totals.activation_bytes)} (every layer output)"]
    return "\n".join(out) + "\n"


def _plain(value):
    """JSON: an integer, or a formula in the symbols left free as a string."""
    return value if isinstance(value, int) else format_size(value)


def summary_dict(checked: CheckedGraph, batch: int | None = None, dtype: str = "float32",
                 sizes: dict[str, int] | None = None) -> dict:
    """The `summary --format json` document."""
    table, totals = summarize(checked, batch, dtype, sizes)
    chosen = batch_of(checked, batch)
    binding = {**(sizes or {}), **{name: chosen.size for name in chosen.symbols}}

    def shape(s):
        return None if s is None else [_plain(d) for d in s]
    return {
        "network": checked.graph.name, "batch": chosen.size, "batch_symbols": list(chosen.symbols), "dtype": dtype,
        "sizes": dict(sizes or {}), "parameters": {k: _plain_value(v) for k, v in checked.graph.params.items()},
        "output_shape": shape(_bind(checked.output_shape, binding)),
        "layers": [{"path": r.path, "depth": r.depth, "kind": r.kind, "label": r.label, "output_shape": shape(r.shape),
                    "params": r.params, "non_trainable_params": r.frozen, "buffers": r.buffers, "macs": _plain(r.macs),
                    **({"results": {name: shape(s) for name, s in r.results}} if r.results else {})}
                   for r in table],
        "totals": {"params": totals.params + totals.frozen, "trainable_params": totals.params,
                   "non_trainable_params": totals.frozen, "buffers": totals.buffers, "macs": _plain(totals.macs),
                   "param_bytes": totals.param_bytes, "input_bytes": _plain(totals.input_bytes),
                   "activation_bytes": _plain(totals.activation_bytes)},
    }


def _plain_value(value):
    """A parameter as JSON holds it: a symbolic size as its formula; infinity and NaN, which JSON has not,
    as `check --format json` writes them ("Infinity", "NaN")."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return format_size(value) if isinstance(value, Size) else value
