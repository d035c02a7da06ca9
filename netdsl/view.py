"""A Diagram cut where groups are drawn collapsed: the boxes, clusters and edges that one drawing shows.
The interactive page does the same cut in the browser (assets/page.js: `cut`); a browser test checks that
the two agree."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

from .drawing import ERROR, OK, UNCHECKED, Details, Diagram, Group, count, edge_text
from .spine import BOTTOM, DECODER, ENCODER

WRAP_AT = 24  # a main path longer than this (in boxes) is wrapped into columns where its spatial size changes
_SEVERITY = {OK: 0, UNCHECKED: 1, ERROR: 2}


@dataclass(frozen=True)
class Box:
    """A drawn node: a leaf, or a group drawn collapsed."""
    id: str
    name: str
    label: str
    role: str                # "layer", "input", "output", "block" (one box for a block call), "repeat" (× count)
    parent: str | None       # the open group it is drawn in
    status: str
    details: Details
    count: int = 1
    alike: bool = True       # a repeat's copies all read the same (else the label is the first copy's)
    side: str | None = None  # in a U: ENCODER, BOTTOM or DECODER; None for a box with leaves on both sides


@dataclass(frozen=True)
class Link:
    """A drawn edge between boxes."""
    source: str
    target: str
    shape: str
    tensor: str | None
    operand: str | None
    skip: bool
    status: str
    rising: bool = False     # a U's decoder: laid out against the flow, so that the decoder climbs back up
    across: bool = False     # a U's skip: its ends are kept level
    loose: bool = False      # a U: from the encoder into the decoder, but not a skip across: leaves the layout alone
    wrapped: bool = False    # a wrapped network: from one column to a later one

    @property
    def text(self) -> str:
        return edge_text(self.shape, self.tensor, self.operand)


@dataclass(frozen=True)
class View:
    diagram: Diagram
    boxes: tuple[Box, ...]
    clusters: tuple[Group, ...]          # the open groups with something drawn in them, outermost first
    links: tuple[Link, ...]
    columns: tuple[str, ...] = ()        # a wrapped network: the box at the top of each column
    u_shaped: bool = False

    def inside(self, parent: str | None) -> list[Box | Group]:
        """What is drawn directly in a cluster (None: at the top), in source order."""
        return self._contents.get(parent, [])

    def chain(self, group: str | None) -> list[str]:
        """group and the clusters around it, innermost first."""
        chain = []
        while group is not None:
            chain.append(group)
            group = self._parents[group]
        return chain

    @cached_property
    def _parents(self) -> dict[str, str | None]:
        return {c.id: c.parent for c in self.clusters}

    @cached_property
    def _contents(self) -> dict[str | None, list[Box | Group]]:
        clusters = {c.id: c for c in self.clusters}
        contents: dict[str | None, list[Box | Group]] = {}
        for box in self.boxes:  # a cluster takes the place of its first box
            for cluster in reversed(self.chain(box.parent)):
                if cluster in clusters:
                    contents.setdefault(self._parents[cluster], []).append(clusters.pop(cluster))
            contents.setdefault(box.parent, []).append(box)
        return contents


def collapsed(diagram: Diagram, depth: int | None = None, repeats: bool | None = None) -> set[str]:
    """The groups drawn as one box: block calls nested `depth` deep or more (0: every call is one box);
    repeats when `repeats` is true, or by default those at `depth` or deeper, where their copies would be
    boxes side by side."""
    hidden = set()
    for group in diagram.groups:
        deep = depth is not None and group.level >= depth
        if deep if group.role == "block" else repeats or (repeats is None and deep):
            hidden.add(group.id)
    return hidden


def cut(diagram: Diagram, hidden: set[str], frame_repeats: bool = False) -> View:
    """The drawing with the groups in `hidden` collapsed. An open repeat is drawn as its copies, framed
    as a cluster only when frame_repeats is set (the page frames them, to collapse them again)."""
    groups = {g.id: g for g in diagram.groups}

    def framed(parent: str | None) -> str | None:
        """The nearest enclosing group drawn as a cluster: an open repeat is not one, unless framed."""
        while parent is not None and groups[parent].role == "repeat" and not frame_repeats:
            parent = groups[parent].parent
        return parent

    def ancestors(parent: str | None) -> list[str]:
        chain = []
        while parent is not None:
            chain.append(parent)
            parent = groups[parent].parent
        return chain[::-1]

    shown: dict[str, str] = {}       # leaf → the box it is drawn in
    boxes: dict[str, Box] = {}
    sides: dict[str, set] = {}
    for node in diagram.nodes:
        chain = ancestors(node.parent)
        closed = next((g for g in chain if g in hidden), None)
        shown[node.id] = closed or node.id
        sides.setdefault(shown[node.id], set()).add(node.side)
        if shown[node.id] in boxes:
            continue
        if closed is None:
            boxes[node.id] = Box(node.id, node.name, node.label, node.role, framed(node.parent), node.status,
                                 node.details)
        else:
            group = groups[closed]
            boxes[closed] = Box(group.id, group.name, group.label, group.role, framed(group.parent), group.status,
                                group.details, group.count, group.alike)
    boxes = {key: _sided(box, sides[key]) for key, box in boxes.items()}
    used = dict.fromkeys(g for box in boxes.values() for g in ancestors(box.parent) if framed(g) == g)
    clusters = tuple(replace(groups[g], parent=framed(groups[g].parent))
                     for g in sorted(used, key=lambda g: len(ancestors(g))))
    links = _links(diagram, shown, groups)
    u_shaped = bool(diagram.pairs) and all(b.side is not None for b in boxes.values())
    columns: tuple[str, ...] = ()
    if u_shaped:
        links = _u_links(links, boxes, {(shown[a], shown[b]) for a, b in diagram.pairs})
    else:
        columns, links = _wrap(diagram, shown, list(boxes), links)
    return View(diagram, tuple(boxes.values()), clusters, tuple(links), columns, u_shaped)


def _sided(box: Box, sides: set) -> Box:
    if sides == {None}:
        return box
    side = None if DECODER in sides and len(sides) > 1 else BOTTOM if BOTTOM in sides else next(iter(sides))
    return replace(box, side=side)


def _links(diagram: Diagram, shown: dict[str, str], groups: dict[str, Group]) -> list[Link]:
    """Edges between boxes: those inside one box vanish, and edges that become one (a tensor read by
    several layers of a collapsed block) are merged: dashed only if all were, the worst status."""
    merged: dict[tuple, Link] = {}
    for edge in diagram.edges:
        source, target = shown[edge.source], shown[edge.target]
        if source == target:
            continue
        operand = edge.operand if target == edge.target else edge.entries.get(target) \
            if target in groups and groups[target].inputs else None
        key = (source, target, edge.source, operand)
        link = merged.get(key)
        if link is None:
            merged[key] = Link(source, target, edge.shape, edge.tensor, operand, edge.skip, edge.status)
        else:
            status = max(link.status, edge.status, key=_SEVERITY.__getitem__)
            merged[key] = Link(source, target, link.shape, link.tensor, operand, link.skip and edge.skip, status)
    return list(merged.values())


def _u_links(links: list[Link], boxes: dict[str, Box], across: set[tuple[str, str]]) -> list[Link]:
    out = []
    for link in links:
        tail, head = boxes[link.source].side, boxes[link.target].side
        rising = head == DECODER and tail in (DECODER, BOTTOM)
        level = (link.source, link.target) in across and tail == ENCODER
        loose = head == DECODER and not rising and not level
        out.append(replace(link, rising=rising, across=level, loose=loose))
    return out


def _wrap(diagram: Diagram, shown: dict[str, str], order: list[str], links: list[Link]):
    """A main path longer than WRAP_AT boxes is cut into columns of whole stages (a stage: where the spatial
    size stays the same), each column about as long as the longest stage."""
    stage_of: dict[str, int] = {}
    for leaf, stage in zip(diagram.spine, diagram.stages):
        stage_of[shown[leaf]] = stage  # a collapsed group takes the stage it ends in
    if len(stage_of) <= WRAP_AT:
        return (), links
    runs: list[list[str]] = []
    for box, stage in stage_of.items():
        if runs and stage_of[runs[-1][-1]] == stage:
            runs[-1].append(box)
        else:
            runs.append([box])
    target = max(max(map(len, runs)), math.ceil(len(stage_of) / 4))
    limit = target + math.ceil(target / 3)
    column_of, column, height = {}, 0, 0
    heads = [runs[0][0]]
    for run in runs:
        if height and height + len(run) > limit:
            column, height = column + 1, 0
            heads.append(run[0])
        height += len(run)
        column_of.update(dict.fromkeys(run, column))
    current = 0
    for box in order:  # a box off the main path goes with the main-path box before it
        current = column_of.setdefault(box, current)
    if len(heads) == 1:
        return (), links
    return tuple(heads), [replace(link, wrapped=column_of[link.source] != column_of[link.target]) for link in links]


# ---------------------------------------------------------------- what every emitter shows alike

FILL = {"weights": "#fff2cc", "plain": "#ffffff", "block": "#dae8fc", "repeat": "#e8def8", "input": "#d5e8d4",
        "output": "#e1d5e7"}
COLOURS = {"ink": "#444444", "error": "#d62728", "unchecked": "#9a9a9a", "skip": "#3b75af"}


def fill(box: Box) -> str:
    """A box's fill (a key of FILL): what it is (input, output, block, repeat), else whether it has weights."""
    if box.role in FILL:
        return box.role
    return "weights" if box.details.params or box.details.frozen else "plain"


def detail_line(box: Box) -> str:
    """The small line under a box's description: its name and parameters ("conv1 · 156 params")."""
    params = box.details.params
    if box.role == "repeat":
        each = set(box.details.per_copy)
        per = f"{count(params // box.count)} each" if len(each) == 1 else count(params)
        copies = f"{box.count} copies" if box.alike else f"{box.count} copies, the first shown"
        return f"{box.name} · {copies}" + (f" · {per}" if params else "")
    return box.name + (f" · {count(params)}" if params else "")


def cluster_title(group: Group) -> str:
    return f"{group.label} · {count(group.details.params)}" if group.role == "repeat" else \
        f"{group.name} · {group.label} · {count(group.details.params)}"


def legend_rows(view: View) -> list[tuple[str, str, str]]:
    """(sample, colour, meaning) for what this drawing uses; sample is "box" (filled with colour), "outlined box",
    "dashed box" (outlined with colour), "line" or "dashed line"."""
    fills = {fill(b) for b in view.boxes}
    meanings = {"weights": "layer with weights", "plain": "layer without weights", "block": "block call (collapsed)",
                "repeat": "repeat: n copies drawn once"}
    rows = [("box", FILL[key], meaning) for key, meaning in meanings.items() if key in fills]
    statuses = {b.status for b in view.boxes}
    rows += [("outlined box", COLOURS["error"], "where the shapes fail")] if ERROR in statuses else []
    rows += [("dashed box", COLOURS["unchecked"], "not checked (after an error)")] if UNCHECKED in statuses else []
    rows += [("line", COLOURS["ink"], "main path, labelled with the tensor's shape")]
    rows += [("dashed line", COLOURS["skip"], "skip, shortcut or extra operand")] if any(l.skip for l in view.links) \
        else []
    return rows
