"""What the editor shows about a checked spec: hover text and the shape hints at the end of chain lines.
Hovers are Markdown: the spec's text reaches them through netdsl.lsp.markdown only."""

from __future__ import annotations

from dataclasses import dataclass

from .. import registry
from .. import syntax as ast
from ..checker import CheckedGraph, LayerResult
from ..dtypes import FLOATING, UNKNOWN
from ..kinds import nested
from ..pipeline import Analysis
from ..schema import format_value
from ..shapes import format_dim, format_shape
from ..source import Span
from ..summary import describe, initial_value, named_results, output_text
from .index import Index, Symbol
from .markdown import code, fenced, text


def pytorch_call(kind: registry.LayerKind, args, inputs: tuple, names: tuple[str, ...]) -> str:
    """The layer as PyTorch reads it: `nn.Conv2d(1, 6, kernel_size=5)`, or the functional expression.
    The one place the editor reads the registry's recipe (`module`/`module_args`/`functional`)."""
    if kind.module is not None:
        positional, keywords = kind.module_args(args, inputs)
        items = [_python(v) for v in positional] + [f"{k}={_python(v)}" for k, v in keywords.items()]
        return f"{kind.module}({', '.join(items)})"
    return kind.functional(args, names, inputs)


def _output(layer: LayerResult) -> str:
    return output_text(layer.shape, named_results(layer)) if layer.shape is not None else "unknown"


def _python(value) -> str:
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_python(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if type(value) is str:
        return repr(value)
    return format_dim(value)


@dataclass(frozen=True)
class Use:
    """One checked use of a layer or block: the top-level network, or one call of the enclosing block."""
    layer: LayerResult
    graph: CheckedGraph
    where: str            # "" in a network; "in `Up` called at 20:5" inside a block (Markdown)


def uses(analysis: Analysis) -> list[Use]:
    """Every checked layer and block call, blocks' contents included (once per call of the block)."""
    found: list[Use] = []
    stack = [(checked, "") for checked in analysis.networks]
    while stack:
        checked, where = stack.pop()
        for layer in checked.layers:
            found.append(Use(layer, checked, where))
            if layer.inner is not None:
                stack.append((layer.inner, f"in {code(layer.node.kind)} called at {layer.node.span.short()}"))
    return found


def _contains(span: Span, path: str, offset: int) -> bool:
    return span.source.path == path and span.start <= offset < span.end


# ---------------------------------------------------------------- hover

def hover(analysis: Analysis, index: Index | None, path: str, offset: int) -> tuple[str, Span] | None:
    """Markdown for the thing at offset and the span it describes."""
    occurrence = index.at(path, offset) if index else None
    if occurrence is not None and occurrence.symbol.kind == "tensor":
        return _tensor(analysis, occurrence.symbol), occurrence.span
    if occurrence is not None and occurrence.symbol.kind == "param":
        return _param(occurrence.symbol), occurrence.span
    if occurrence is not None and occurrence.symbol.kind == "loop":
        return f"loop variable {code(occurrence.symbol.name)}: one value per item of the `for`", occurrence.span
    at = [u for u in uses(analysis) if _contains(u.layer.node.span, path, offset)]
    if not at:
        return None
    span = min((u.layer.node.span for u in at), key=lambda s: s.end - s.start)
    chosen = [u for u in at if u.layer.node.span == span]
    if chosen[0].layer.node.block is not None:
        return _block(chosen, analysis), span
    return _layer(chosen), span


def _counts(layer: LayerResult) -> str:
    macs = f"{layer.macs:,}" if isinstance(layer.macs, int) else code(f"{layer.macs:,}")   # `*` is emphasis
    return f"parameters: {layer.params:,} · MACs: {macs}"


def _shapes(layer: LayerResult) -> str:
    """"input `[N, 6]` → output `[N, 16]`": shapes as code (their `*` and `[]` are Markdown)."""
    ins = ", ".join(code(format_shape(s)) for s in layer.inputs) if layer.inputs is not None else "unknown"
    made = code(_output(layer)) if layer.shape is not None else "unknown"
    if layer.shape is not None and layer.dtype not in (FLOATING, UNKNOWN):   # floating goes without saying
        made += f" ({layer.dtype.value})"
    return f"input {ins} → {'' if layer.node.results else 'output '}{made}  "   # results are named


def _layer(chosen: list[Use]) -> str:
    node = chosen[0].layer.node
    lines = [f"**{text(node.kind)}** {code(node.name)}"]
    kind = registry.lookup(node.kind) if node.is_layer else None
    for use in chosen:
        layer = use.layer
        if use.where:
            lines.append(f"\n*{use.where}*")
        if node.learnable is not None or node.shares is not None or layer.tied:
            lines.append(f"{code(describe(layer))}  ")
        if layer.inputs is not None and layer.args is not None and kind is not None:
            lines.append(fenced(pytorch_call(kind, layer.args, layer.inputs, node.inputs), "python"))
        if node.learnable is None:
            lines.append(_shapes(layer))
        lines.append(f"error: {text(layer.error)}" if layer.error else _counts(layer))
    if kind is not None and kind.results:
        lines.append(f"\none call returns {code(f'({nested(kind.results, lambda r: r.name)})')}: "
                     f"{code(f'{nested(kind.results, lambda r: r.name)} = ...')} names them")
    if kind is not None and kind.doc:
        lines.append(f"\n{kind.doc}")
    return "\n".join(lines)


def _signature(definition: ast.Definition) -> str:
    params = ", ".join(p.span.text for p in definition.params)
    inputs = [s.span.text for s in definition.body if isinstance(s, ast.InputStmt)]
    return "\n".join([f"{definition.kind} {definition.name.name}({params})", *inputs])


def _block(chosen: list[Use], analysis: Analysis) -> str:
    node = chosen[0].layer.node
    definition = analysis.program.scopes.get(node.span.source, {}).get(node.kind)
    lines = [fenced(_signature(definition), "netdsl")] if definition else [f"**{text(node.kind)}**"]
    for use in chosen:   # a call in a `for` or a repeat is several layers, each with its own arguments
        layer = use.layer
        args = ", ".join(f"{k}={format_value(v)}" for k, v in layer.node.args.items())
        lines.append(f"{'*' + use.where + '*: ' if use.where else ''}{code(layer.node.name)} = "
                     f"{code(f'{node.kind}({args})')}"
                     f"{f', shared with {code(layer.node.shares)}' if layer.node.shares else ''}  ")
        lines.append(_shapes(layer))
        lines.append(_counts(layer))
    return "\n".join(lines)


def tensor_shapes(analysis: Analysis, symbol: Symbol) -> list[tuple[str, str]]:
    """(shape, what made it) for each checked use of the definition the tensor belongs to."""
    found = []
    for checked, where in _graphs_of(analysis, symbol.owner):
        if symbol.name in checked.input_shapes:
            found.append((format_shape(checked.input_shapes[symbol.name]), f"input{' ' + where if where else ''}"))
            continue
        made = next(((layer, value, shape) for layer in reversed(checked.layers) for value, shape in layer.values()
                     if layer.node.variable_of(value) == symbol.name
                      or layer.node.learnable is not None and value == symbol.name), None)
        if made is not None:
            layer, value, shape = made
            result = layer.node.result_of(value)
            made_by = f"{text(result) + ' ' if result else ''}from {code(layer.node.kind)} ({code(layer.node.name)}) " \
                f"at {layer.node.span.short()}" if layer.node.learnable is None \
                else f"{text(layer.node.kind)} = {code(initial_value(layer))}"
            found.append((format_shape(shape) if shape is not None else "unknown", made_by + (f" {where}" if where else "")))
    return found


def _graphs_of(analysis: Analysis, definition: ast.Definition | None) -> list[tuple[CheckedGraph, str]]:
    """The checked graphs of a definition: the network, or one per call of the block."""
    graphs = [(checked, "") for checked in analysis.networks]
    graphs += [(u.layer.inner, f"in {code(u.layer.node.kind)} called at {u.layer.node.span.short()}")
               for u in uses(analysis) if u.layer.inner is not None]
    return [(g, w) for g, w in graphs if definition is not None and g.graph.span == definition.span]


def _tensor(analysis: Analysis, symbol: Symbol) -> str:
    shapes = tensor_shapes(analysis, symbol)
    lines = [f"**{text(symbol.name)}**: tensor"]
    lines += [f"{code(shape)} {made}  " for shape, made in dict.fromkeys(shapes)] or ["shape unknown (not checked)"]
    return "\n".join(lines)


def _param(symbol: Symbol) -> str:
    param = next((p for p in symbol.owner.params if p.name.span == symbol.span), None) if symbol.owner else None
    return f"parameter of {code(symbol.owner.name.name)}: {code(param.span.text)}" if param else \
        f"parameter {code(symbol.name)}"


# ---------------------------------------------------------------- inlay hints

def shape_hints(analysis: Analysis, path: str) -> list[tuple[int, str]]:
    """(offset, label): the output shape after the last layer of each line of a chain."""
    last: dict[int, list[Use]] = {}  # line → uses ending furthest right on it
    for use in uses(analysis):
        span = use.layer.node.span
        if span.source.path != path:
            continue
        line = span.source.line_col(span.end)[0]
        current = last.get(line)
        if current is None or span.end > current[0].layer.node.span.end:
            last[line] = [use]
        elif span.end == current[0].layer.node.span.end:
            current.append(use)
    hints = []
    for uses_here in last.values():
        shapes = list(dict.fromkeys(_output(u.layer) for u in uses_here if u.layer.shape is not None))
        if shapes:
            hints.append((uses_here[0].layer.node.span.end, " | ".join(shapes[-3:])))
    return sorted(hints)
