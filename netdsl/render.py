"""`netdsl render`: a checked network drawn as Graphviz DOT (and the SVG, PNG and PDF `dot` draws from it),
a Mermaid flowchart or an interactive HTML page, all three from one diagram model (drawing.py, view.py).

In DOT: one box per layer, edges labelled with the shapes (and names) of the tensors they carry, blocks as
clusters or single boxes, repeats as one box "× n", the failing layer red, a legend."""

from __future__ import annotations

import html
import textwrap
from dataclasses import replace
from functools import cached_property
from itertools import pairwise
from pathlib import Path

import graphviz

from .checker import CheckedGraph
from .diagnostics import Diagnostic
from .drawing import ERROR, UNCHECKED, build, count
from .emit import printable
from .program import InputError
from .view import (
    COLOURS,
    FILL,
    Box,
    Link,
    View,
    collapsed,
    cut,
    detail_line,
    fill,
    legend_rows,
)

FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "html")
RANKDIRS = ("TB", "LR")
_EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid",
               ".md": "mermaid", ".html": "html", ".htm": "html"}
DEFAULT_DPI = 144  # Graphviz's own 72 blurs the small fonts

_FONT = "Helvetica"
_INK, _RED, _GREY, _SKIP = COLOURS["ink"], COLOURS["error"], COLOURS["unchecked"], COLOURS["skip"]
_CLUSTER_FILL = ("#f5f5f5", "#ebebeb", "#e0e0e0")


def _label(title: str, detail: str, error: str | None = None) -> str:
    """An HTML label: the layer's description, a small grey line under it, and any error in red."""
    lines = [_html(title), f'<FONT POINT-SIZE="8" COLOR="#666666">{_html(detail)}</FONT>']
    if error:
        wrapped = "<BR/>".join(_html(line) for line in textwrap.wrap(error, 44))
        lines.append(f'<FONT POINT-SIZE="8" COLOR="{_RED}">{wrapped}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _title(*lines: str) -> str:
    """A cluster's title: its name, what it is, its parameters; one per line, left-aligned, the first bold."""
    rows = "".join(f'<TR><TD ALIGN="LEFT">{"<B>" if i == 0 else ""}{_html(line)}{"</B>" if i == 0 else ""}'
                   f'</TD></TR>' for i, line in enumerate(lines))
    return f'<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD><FONT POINT-SIZE="9" COLOR="{_INK}">' \
        f'<TABLE BORDER="0" CELLPADDING="1" CELLSPACING="0">{rows}</TABLE></FONT></TD></TR></TABLE>>'


def _text(value: str) -> str:
    """Plain DOT strings (tooltips, edge and cluster labels): one line (emit.printable), backslash escapes
    such as \\N not expanded, never read as an HTML label even when it looks like `<...>`."""
    return graphviz.escape(printable(value))


def _html(text: str) -> str:
    """Text inside an HTML-like label."""
    return html.escape(printable(text))


class _Dot:
    def __init__(self, view: View, dot: graphviz.Digraph):
        self.view, self.dot = view, dot
        self.boxes = {b.id: b for b in view.boxes}

    def contents(self, canvas: graphviz.Digraph, parent: str | None, depth: int) -> None:
        for item in self.view.inside(parent):
            if isinstance(item, Box):
                self.box(canvas, item)
                continue
            with canvas.subgraph(name=f"cluster_{item.id}") as cluster:
                repeat = item.role == "repeat"
                cluster.attr(label="", style="rounded,filled" + (",dashed" if repeat else ""),
                             fillcolor=_CLUSTER_FILL[min(depth, len(_CLUSTER_FILL) - 1)],
                             color=_RED if item.status == ERROR else "#b0b0b0",
                             tooltip=_text(item.details.error or item.id), margin="6")
                # The title is a node beside the cluster's first box, not the cluster's label: edges are routed
                # around nodes, but straight through cluster labels.
                cluster.node(f"{item.id}@title", _title(item.name, item.label, count(item.details.params)),
                             shape="plaintext", style="", margin="0.04,0")
                self.contents(cluster, item.id, depth + 1)
            entry = self.entries(item.id)[0]
            with self.dot.subgraph() as row:
                row.attr(rank="same")
                row.node(f"{item.id}@title")
                row.node(entry)

    def entries(self, cluster: str) -> list[str]:
        """The boxes of a cluster (at any depth) that no box of the cluster feeds, as laid out (a U's decoder
        is laid out upside down)."""
        return [b for b in self.members.get(cluster, []) if b not in self.fed.get(cluster, ())]

    @cached_property
    def members(self) -> dict[str, list[str]]:
        members: dict[str, list[str]] = {}
        for box in self.view.boxes:
            for cluster in self.view.chain(box.parent):
                members.setdefault(cluster, []).append(box.id)
        return members

    @cached_property
    def fed(self) -> dict[str, set[str]]:
        """For each cluster, its boxes that another box of it feeds."""
        fed: dict[str, set[str]] = {}
        for link in self.view.links:
            inner = set(self.view.chain(self.boxes[link.source].parent))
            for cluster in self.view.chain(self.boxes[link.target].parent):
                if cluster in inner:
                    fed.setdefault(cluster, set()).add(link.source if link.rising else link.target)
        return fed

    def box(self, canvas: graphviz.Digraph, box: Box) -> None:
        details = box.details
        if box.role in ("input", "output"):
            what = f"input {box.name}" if box.role == "input" else "output"
            shape = details.output if box.role == "input" else details.inputs[0]
            canvas.node(box.id, _text(box.name), shape="oval", fillcolor=FILL[fill(box)],
                        tooltip=_text(f"{what}: {shape}"))
            return
        attrs = {"fillcolor": FILL[fill(box)],
                 "tooltip": _text(details.error or f"{box.id}: {box.label} → {details.output}")}
        if box.role in ("block", "repeat"):
            attrs.update(shape="box3d", style="filled")
        if box.status == ERROR:
            attrs.update(color=_RED, fontcolor=_RED, penwidth="2")
        elif box.status == UNCHECKED:
            attrs.update(color=_GREY, fontcolor=_GREY, style=attrs.get("style", "rounded,filled") + ",dashed")
        canvas.node(box.id, _label(box.label, detail_line(box), details.error), **attrs)

    def wrap(self) -> None:
        """A wrapped network: columns side by side, their tops level. A tensor that goes on in the next column
        leaves through a numbered connector at the bottom and comes back through its twin at the top."""
        tops = []
        by_value: dict[tuple, list[Link]] = {}
        for link in self.view.links:
            if link.wrapped:
                by_value.setdefault((link.source, link.shape, link.tensor), []).append(link)
        for number, links in enumerate(by_value.values(), 1):
            out, back = f"@wrap{number}", f"@wrap{number}'"
            for connector in (out, back):
                self.dot.node(connector, str(number), shape="circle", style="filled", fillcolor="#ffffff",
                              width="0.25", height="0.25", fixedsize="true", fontsize="9",
                              tooltip=_text(f"continues at the top of the next column: {links[0].text}"))
            self.link(replace(links[0], target=out, skip=all(l.skip for l in links), operand=None))
            for link in links:
                self.link(replace(link, source=back))
            tops.append(back)
        with self.dot.subgraph() as row:  # level, and in order: left to right (TB), top to bottom (LR)
            row.attr(rank="same")
            for left, right in pairwise([self.view.columns[0], *tops]):
                row.edge(left, right, style="invis")

    def link(self, link: Link) -> None:
        attrs = {"label": _text(link.text), "weight": "1" if link.skip else "4"}
        if link.skip:
            attrs.update(color=_SKIP, fontcolor=_SKIP, style="dashed")
        if link.status == UNCHECKED:
            attrs.update(color=_GREY, fontcolor=_GREY, style="dashed")
        if link.status == ERROR:
            attrs.update(color=_RED, fontcolor=_RED, penwidth="2",
                         tooltip=_text(self.boxes[link.target].details.error or ""))
        if link.across:
            attrs.update(minlen="0", weight="8", xlabel=attrs.pop("label"))  # flat: a label in the layout overlaps it
        if link.loose:
            attrs.update(constraint="false")
        if link.rising:  # laid out downwards, drawn pointing up: the decoder climbs back beside the encoder
            self.dot.edge(link.target, link.source, dir="back", **attrs)
        else:
            self.dot.edge(link.source, link.target, **attrs)


def _legend(view: View) -> str:
    cells = []
    for sample, colour, meaning in legend_rows(view):
        if sample.endswith("line"):
            swatch = f'<TD><FONT COLOR="{colour}">{"- - -" if sample.startswith("dashed") else "―――"}</FONT></TD>'
        elif sample == "box":
            swatch = f'<TD BGCOLOR="{colour}" BORDER="1" STYLE="rounded" WIDTH="18"> </TD>'
        else:
            style = "dashed" if sample.startswith("dashed") else "solid"
            swatch = f'<TD COLOR="{colour}" BORDER="2" STYLE="{style}" WIDTH="18"> </TD>'
        cells.append(f'<TR>{swatch}<TD ALIGN="LEFT"><FONT POINT-SIZE="8">{_html(meaning)}</FONT></TD></TR>')
    return f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{"".join(cells)}</TABLE>>'


def to_dot(view: View, rankdir: str = "TB", legend: bool = True) -> graphviz.Digraph:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, not {rankdir!r}")
    diagram = view.diagram
    graph_attr = {"rankdir": rankdir, "label": _text(diagram.title), "labelloc": "t", "fontname": _FONT,
                  "fontsize": "12", "nodesep": "0.25", "ranksep": "0.3", "tooltip": _text(diagram.title),
                  "newrank": "true"}  # one ranking across clusters: rows of boxes from different clusters
    dot = graphviz.Digraph(_text(diagram.network), graph_attr=graph_attr,
                           node_attr={"shape": "box", "style": "rounded,filled", "fontname": _FONT,
                                      "fontsize": "10", "margin": "0.12,0.04", "height": "0.3", "color": _INK},
                           edge_attr={"fontname": _FONT, "fontsize": "8", "fontcolor": "#555555",
                                      "color": "#555555", "arrowsize": "0.6"})
    drawer = _Dot(view, dot)
    drawer.contents(dot, None, 0)
    # Edges live in the root graph: an edge statement inside a cluster would pull its tail node into it.
    for link in view.links:
        if not link.wrapped:
            drawer.link(link)
    if view.columns:
        drawer.wrap()
    if legend:
        dot.node("@legend", _legend(view), shape="plaintext", style="", tooltip="legend")
    return dot


def render(checked: CheckedGraph, *, depth: int | None = None, rankdir: str = "TB",
           collapse_repeats: bool | None = None, legend: bool = True,
           diagnostics: list[Diagnostic] = ()) -> graphviz.Digraph:
    """The Graphviz diagram of one checked network. Blocks nested deeper than `depth` are drawn as one
    box (depth 0: every block call is one box; None opens every block); repeats as one box "× n" when
    collapse_repeats is true, by default only beyond `depth`."""
    diagram = build(checked, diagnostics)
    return to_dot(cut(diagram, collapsed(diagram, depth, collapse_repeats)), rankdir, legend)


def draw(checked: CheckedGraph, fmt: str, *, depth: int | None = None, rankdir: str = "TB",
         collapse_repeats: bool | None = None, dpi: int = DEFAULT_DPI,
         diagnostics: list[Diagnostic] = ()) -> bytes:
    """The file `netdsl render` writes, in any of FORMATS."""
    diagram = build(checked, diagnostics)
    if fmt == "html":
        from .page import page
        return page(diagram, depth, collapse_repeats, rankdir).encode("utf-8")
    view = cut(diagram, collapsed(diagram, depth, collapse_repeats))
    if fmt == "mermaid":
        from .mermaid import mermaid
        return mermaid(view, rankdir).encode("utf-8")
    dot = to_dot(view, rankdir)
    if fmt == "dot":
        return dot.source.encode("utf-8")
    if fmt in ("png",):
        dot.attr(dpi=str(dpi))
    try:
        return dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise InputError(f"drawing {fmt} needs the Graphviz `dot` program, which is not installed: "
                         "install Graphviz (apt-get install graphviz, or brew install graphviz), "
                         "or write DOT text (-o FILE.dot), Mermaid (-o FILE.mmd) or a page (-o FILE.html)") from None


def output_format(path: str, explicit: str | None = None) -> str:
    """The format asked for: --format, or else the output file's extension."""
    if explicit:
        return explicit
    found = _EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise InputError(f"cannot tell the format of {path!r} from its extension; "
                         f"use --format {'|'.join(FORMATS)}")
    return found


