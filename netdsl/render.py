"""CheckedGraph → graphviz.Digraph: one node per layer, edges labelled with the tensor shapes they carry,
blocks as clusters (or single nodes below a depth limit), shape errors marked red where they happen."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import graphviz

from .checker import CheckedGraph, LayerResult
from .emit import printable
from .output import write_output
from .program import InputError
from .shapes import Shape, format_shape
from .summary import describe

FORMATS = ("svg", "png", "pdf", "dot")
RANKDIRS = ("TB", "LR")
_EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}

_FONT = "Helvetica"
_RED, _GREY, _INK = "#d62728", "#9a9a9a", "#444444"
_SKIP = "#3b75af"
_FILL = {"weights": "#fff2cc", "plain": "#ffffff", "block": "#dae8fc", "input": "#d5e8d4", "output": "#e1d5e7"}
_CLUSTER_FILL = ("#f5f5f5", "#ebebeb", "#e0e0e0")


@dataclass(frozen=True)
class _Value:
    """A tensor as drawn: the id of the node that produces it, and its shape (None when unknown)."""
    source: str
    shape: Shape | None


def _count(n: int) -> str:
    return f"{n:,} param{'' if n == 1 else 's'}"


def _text(text: str) -> str:
    """Text for a DOT attribute: one line, backslashes literal (not DOT's `\\n`, `\\N` escapes), never
    read as an HTML label even when it looks like `<...>`. Every plain text attribute goes through it."""
    return graphviz.escape(printable(text))


def _html(text: str) -> str:
    """Text inside an HTML-like label."""
    return html.escape(printable(text))


def _label(title: str, detail: str, error: str | None = None) -> str:
    """An HTML label: the layer's description, a small grey line under it, and any error in red."""
    lines = [_html(title), f'<FONT POINT-SIZE="8" COLOR="#666666">{_html(detail)}</FONT>']
    if error:
        wrapped = "<BR/>".join(_html(line) for line in textwrap.wrap(error, 44))
        lines.append(f'<FONT POINT-SIZE="8" COLOR="{_RED}">{wrapped}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _first_error(layer: LayerResult, prefix: str = "") -> str | None:
    """The error at this layer or, for a block call, the first one inside it ("conv1: message")."""
    if layer.error:
        return f"{prefix}{layer.error}" if prefix else layer.error
    for inner in layer.inner.layers if layer.inner is not None else ():
        found = _first_error(inner, f"{prefix}{inner.node.name}: ")
        if found:
            return found
    return None


class _Drawer:
    def __init__(self, root: graphviz.Digraph, max_depth: int | None):
        self.root = root
        self.max_depth = max_depth

    def graph(self, canvas: graphviz.Digraph, checked: CheckedGraph, values: dict[str, _Value],
              prefix: str, depth: int) -> _Value | None:
        """Draw checked's layers into canvas; values maps its inputs to drawn tensors. Returns its output."""
        values = dict(values)
        previous = None
        for layer in checked.layers:
            node = layer.node
            path = prefix + node.name
            if layer.inner is not None and (self.max_depth is None or depth < self.max_depth):
                values[node.name] = self.cluster(canvas, layer, path, values, depth)
            else:
                self.layer(canvas, layer, path)
                self.edges(layer, path, values, previous)
                values[node.name] = _Value(path, layer.shape)
            previous = node.name
        return values.get(checked.graph.output) if checked.graph.output is not None else None

    def cluster(self, canvas: graphviz.Digraph, layer: LayerResult, path: str, values: dict[str, _Value],
                depth: int) -> _Value | None:
        inner, block = layer.inner, layer.node.block
        # A block's inputs are the caller's tensors: inner layers connect straight to the outer producers.
        passed = {declared.name: values[outer] for declared, outer in zip(block.inputs, layer.node.inputs)}
        error = _first_error(layer)
        with canvas.subgraph(name=f"cluster_{path}") as cluster:
            cluster.attr(label=_text(f"{layer.node.name} · {describe(layer)} · {_count(layer.params)}"),
                         style="rounded,filled", fillcolor=_CLUSTER_FILL[min(depth, len(_CLUSTER_FILL) - 1)],
                         color=_RED if error else "#b0b0b0", fontcolor=_INK, labeljust="l", fontsize="9",
                         tooltip=_text(error or path), margin="6")
            return self.graph(cluster, inner, passed, path + ".", depth + 1)

    def layer(self, canvas: graphviz.Digraph, layer: LayerResult, path: str) -> None:
        node, error = layer.node, _first_error(layer)
        detail = node.name + (f" · {_count(layer.params)}" if layer.params else "")
        attrs = {"fillcolor": _FILL["weights"] if layer.params else _FILL["plain"],
                 "tooltip": _text(error or f"{path}: {describe(layer)} → {format_shape(layer.shape)}")}
        if node.block is not None:
            attrs.update(shape="box3d", style="filled", fillcolor=_FILL["block"])
        if error:
            attrs.update(color=_RED, fontcolor=_RED, penwidth="2")
        elif layer.shape is None:  # not checked: an input is unknown after an earlier error
            attrs.update(color=_GREY, fontcolor=_GREY, style=attrs.get("style", "rounded,filled") + ",dashed")
        canvas.node(path, _label(describe(layer), detail, error), **attrs)

    def edges(self, layer: LayerResult, path: str, values: dict[str, _Value], previous: str | None) -> None:
        """An edge per input. The main line (the previous layer's output, or the head of a new chain) is drawn
        solid and kept straight; skips and the extra operands of merges are dashed and blue."""
        names = layer.node.inputs
        for position, name in enumerate(names):
            main = name == previous or (position == 0 and previous not in names)
            self.edge(values.get(name), path, main, layer.error)

    def edge(self, value: _Value | None, head: str, main: bool = True, error: str | None = None) -> None:
        if value is None:
            return
        attrs = {"weight": "4" if main else "1"}
        if not main:
            attrs.update(color=_SKIP, fontcolor=_SKIP, style="dashed")
        if value.shape is None:
            attrs.update(color=_GREY, fontcolor=_GREY, style="dashed")
        if error:
            attrs.update(color=_RED, fontcolor=_RED, penwidth="2", tooltip=_text(error))
        # Edges live in the root graph: an edge statement inside a cluster would pull its tail node into it.
        self.root.edge(value.source, head, label=_text("?" if value.shape is None else format_shape(value.shape)),
                       **attrs)


def render(checked: CheckedGraph, *, depth: int | None = None, rankdir: str = "TB") -> graphviz.Digraph:
    """The diagram of one checked network. Blocks nested deeper than `depth` are drawn as one node
    (depth 0: every block call is one node); None opens every block."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, not {rankdir!r}")
    graph = checked.graph
    params = ", ".join(f"{k}={v}" for k, v in graph.params.items())
    title = f"{graph.name}({params}) · " if params else f"{graph.name} · "
    title += _count(checked.params)
    dot = graphviz.Digraph(_text(graph.name), graph_attr={
        "rankdir": rankdir, "label": _text(title), "labelloc": "t", "fontname": _FONT, "fontsize": "12",
        "nodesep": "0.25", "ranksep": "0.3", "tooltip": _text(title)},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": _FONT, "fontsize": "10",
                   "margin": "0.12,0.04", "height": "0.3", "color": _INK},
        edge_attr={"fontname": _FONT, "fontsize": "8", "fontcolor": "#555555", "color": "#555555",
                   "arrowsize": "0.6"})
    drawer = _Drawer(dot, depth)
    values = {}
    for name, shape in checked.input_shapes.items():
        dot.node(f"@{name}", _text(name), shape="oval", fillcolor=_FILL["input"],
                 tooltip=_text(f"input {name}: {format_shape(shape)}"))
        values[name] = _Value(f"@{name}", shape)
    output = drawer.graph(dot, checked, values, "", 0)
    if graph.output is not None:
        dot.node("@output", "output", shape="oval", fillcolor=_FILL["output"],
                 tooltip=_text(f"output: {format_shape(checked.output_shape)}"))
        drawer.edge(output, "@output")
    return dot


def output_format(path: str, explicit: str | None = None) -> str:
    """The format asked for: --format, or else the output file's extension."""
    if explicit:
        return explicit
    found = _EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise InputError(f"cannot tell the format of {path!r} from its extension; "
                         f"use --format {'|'.join(FORMATS)}")
    return found


def save(diagram: graphviz.Digraph, path: str, fmt: str, sources: Iterable[str] = ()) -> None:
    """Write DOT text (no Graphviz programs needed) or an image drawn by Graphviz's `dot`, as
    output.write_output does (never over one of `sources`, the spec's files)."""
    try:
        if fmt == "png":  # Graphviz's default 72 dpi blurs the small fonts
            diagram = diagram.copy()
            diagram.attr(dpi="144")
        data = diagram.source.encode("utf-8") if fmt == "dot" else diagram.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise InputError(f"drawing {fmt} needs the Graphviz `dot` program, which is not installed: "
                         "install Graphviz (apt-get install graphviz, or brew install graphviz), "
                         "or write DOT text with -o FILE.dot") from None
    write_output(path, data, sources)
