"""`netdsl render`: a checked network drawn as Graphviz DOT (and the SVG, PNG and PDF `dot` draws from it),
a Mermaid flowchart or an interactive HTML page, all three from one diagram model (diagram.py, view.py).

In DOT: one box per layer, edges labelled with the shapes (and names) of the tensors they carry, blocks as
clusters or single boxes, repeats as one box "× n", the failing layer red, a legend."""

from __future__ import annotations

import html
import textwrap
from dataclasses import replace
from pathlib import Path

import graphviz

from .checker import CheckedGraph
from .diagnostics import Diagnostic
from .diagram import ERROR, UNCHECKED, build, count
from .program import InputError
from .view import Box, Link, View, collapsed, cut

FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "html")
RANKDIRS = ("TB", "LR")
_EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid",
               ".md": "mermaid", ".html": "html", ".htm": "html"}
DEFAULT_DPI = 144  # Graphviz's own 72 blurs the small fonts

_FONT = "Helvetica"
_RED, _GREY, _INK, _SKIP = "#d62728", "#9a9a9a", "#444444", "#3b75af"
FILL = {"weights": "#fff2cc", "plain": "#ffffff", "block": "#dae8fc", "repeat": "#e8def8", "input": "#d5e8d4",
        "output": "#e1d5e7"}
_CLUSTER_FILL = ("#f5f5f5", "#ebebeb", "#e0e0e0")


def fill(box: Box) -> str:
    """A box's colour: what it is (input, output, block, repeat), else whether it holds weights."""
    if box.role in FILL:
        return FILL[box.role]
    return FILL["weights"] if box.details.params or box.details.frozen else FILL["plain"]


def _label(title: str, detail: str, error: str | None = None) -> str:
    """An HTML label: the layer's description, a small grey line under it, and any error in red."""
    lines = [html.escape(title), f'<FONT POINT-SIZE="8" COLOR="#666666">{html.escape(detail)}</FONT>']
    if error:
        wrapped = "<BR/>".join(html.escape(line) for line in textwrap.wrap(error, 44))
        lines.append(f'<FONT POINT-SIZE="8" COLOR="{_RED}">{wrapped}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _title(*lines: str) -> str:
    """A cluster's title: its name, what it is, its parameters; one per line, left-aligned, the first bold."""
    rows = "".join(f'<TR><TD ALIGN="LEFT">{"<B>" if i == 0 else ""}{html.escape(line)}{"</B>" if i == 0 else ""}'
                   f'</TD></TR>' for i, line in enumerate(lines))
    return f'<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD><FONT POINT-SIZE="9" COLOR="{_INK}">' \
        f'<TABLE BORDER="0" CELLPADDING="1" CELLSPACING="0">{rows}</TABLE></FONT></TD></TR></TABLE>>'


def _text(value: str) -> str:
    """Plain DOT strings (tooltips, edge and cluster labels): backslash escapes such as \\N are not expanded."""
    return graphviz.escape(value)


def detail_line(box: Box) -> str:
    """The small line under a box's description: its name and parameters ("conv1 · 156 params")."""
    params = box.details.params
    if box.role == "repeat":
        each = set(box.details.per_copy)
        per = f"{count(params // box.count)} each" if len(each) == 1 else count(params)
        copies = f"{box.count} copies" if box.alike else f"{box.count} copies, the first shown"
        return f"{box.name} · {copies}" + (f" · {per}" if params else "")
    return box.name + (f" · {count(params)}" if params else "")


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
                row.edge(f"{item.id}@title", entry, style="invis")

    def entries(self, cluster: str) -> list[str]:
        """The boxes of a cluster (at any depth) that no box of the cluster feeds, as laid out (a U's decoder
        is laid out upside down)."""
        inside = [b.id for b in self.view.boxes if cluster in self.view.chain(b.parent)]
        fed = {(l.source if l.rising else l.target) for l in self.view.links
               if l.source in inside and l.target in inside}
        return [b for b in inside if b not in fed]

    def box(self, canvas: graphviz.Digraph, box: Box) -> None:
        details = box.details
        if box.role in ("input", "output"):
            what = f"input {box.name}" if box.role == "input" else "output"
            shape = details.output if box.role == "input" else details.inputs[0]
            canvas.node(box.id, _text(box.name), shape="oval", fillcolor=fill(box), tooltip=_text(f"{what}: {shape}"))
            return
        attrs = {"fillcolor": fill(box),
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
        with self.dot.subgraph() as row:
            row.attr(rank="same")
            for top in [self.view.columns[0], *tops]:
                row.node(top)

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
            attrs.update(minlen="0", weight="8")
        if link.loose:
            attrs.update(constraint="false")
        if link.rising:  # laid out downwards, drawn pointing up: the decoder climbs back beside the encoder
            self.dot.edge(link.target, link.source, dir="back", **attrs)
        else:
            self.dot.edge(link.source, link.target, **attrs)


def legend_rows(view: View) -> list[tuple[str, str, str]]:
    """(kind, colour, meaning) for what this drawing uses: kind is "box", "dashed box" or "line"."""
    roles = {b.role for b in view.boxes}
    weights = any(b.role == "layer" and (b.details.params or b.details.frozen) for b in view.boxes)
    rows = [("box", FILL["weights"], "layer with weights")] if weights else []
    rows += [("box", FILL["plain"], "layer without weights")] if any(
        b.role == "layer" and not (b.details.params or b.details.frozen) for b in view.boxes) else []
    rows += [("box", FILL["block"], "block call (collapsed)")] if "block" in roles else []
    rows += [("box", FILL["repeat"], "repeat: n copies drawn once")] if "repeat" in roles else []
    statuses = {b.status for b in view.boxes}
    rows += [("box", _RED, "where the shapes fail")] if ERROR in statuses else []
    rows += [("dashed box", _GREY, "not checked (after an error)")] if UNCHECKED in statuses else []
    rows += [("line", _INK, "main path, labelled with the tensor's shape")]
    rows += [("dashed line", _SKIP, "skip, shortcut or extra operand")] if any(l.skip for l in view.links) else []
    return rows


def _legend(view: View) -> str:
    cells = []
    for kind, colour, meaning in legend_rows(view):
        if kind.endswith("line"):
            sample = f'<FONT COLOR="{colour}">{"- - -" if kind.startswith("dashed") else "―――"}</FONT>'
            swatch = f'<TD>{sample}</TD>'
        else:
            swatch = f'<TD BGCOLOR="{colour}" BORDER="1" STYLE="rounded" WIDTH="18"> </TD>'
        cells.append(f'<TR>{swatch}<TD ALIGN="LEFT"><FONT POINT-SIZE="8">{html.escape(meaning)}</FONT></TD></TR>')
    return f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{"".join(cells)}</TABLE>>'


def to_dot(view: View, rankdir: str = "TB", legend: bool = True) -> graphviz.Digraph:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, not {rankdir!r}")
    diagram = view.diagram
    graph_attr = {"rankdir": rankdir, "label": _text(diagram.title), "labelloc": "t", "fontname": _FONT,
                  "fontsize": "12", "nodesep": "0.25", "ranksep": "0.3", "tooltip": _text(diagram.title),
                  "newrank": "true"}  # one ranking across clusters: rows of boxes from different clusters
    dot = graphviz.Digraph(diagram.network, graph_attr=graph_attr,
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
        return page(diagram, depth, collapse_repeats).encode("utf-8")
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


def save(data: bytes, path: str) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
