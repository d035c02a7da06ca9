"""A network's main path, read from its shapes: the stages where its spatial size changes (a long network is
wrapped into columns there) and whether it is an encoder–decoder, drawn as a U with its skips across."""

from __future__ import annotations

from dataclasses import dataclass, field

from .shapes import Shape
from .sizes import slope

ENCODER, BOTTOM, DECODER = "encoder", "bottom", "decoder"
# Skips at two sizes at least: a single skip over one step down and up (as in attention, where the size of
# the last dim dips to the sequence length and back) is not an encoder–decoder.
_U_LEVELS = 2


@dataclass(frozen=True)
class Spine:
    path: tuple[str, ...] = ()                   # leaves from a network input to the output, down main edges
    stages: tuple[int, ...] = ()                 # per leaf of path: goes up by one where the spatial size changes
    #                                              for good (no size before the change comes back after it)
    pairs: tuple[tuple[str, str], ...] = ()      # a U's skips: (encoder leaf, decoder leaf) drawn level
    sides: dict[str, str] = field(default_factory=dict)  # a U: each leaf's side


def spatial(shape: Shape | None) -> tuple | None:
    """The sizes after batch and channels ([N, C, H, W] → (H, W)), a symbolic size as its scale of the
    input's (H//4 and 2*(H//8) are both 1/4); None below 3-D or for a size that has no scale."""
    if shape is None or len(shape) < 3:
        return None
    levels = tuple(d if isinstance(d, int) else slope(d) if len(d.symbols()) == 1 else None for d in shape[2:])
    return None if None in levels else levels


def analyse(nodes, edges, shapes: dict[str, Shape | None]) -> Spine:
    """nodes and edges are the diagram's (ids; source, target, skip); shapes each leaf's output shape."""
    main: dict[str, str] = {}
    for edge in edges:
        if not edge.skip:
            main.setdefault(edge.target, edge.source)
    path, at = [], "@output" if any(n.id == "@output" for n in nodes) else None
    while at is not None:
        path.append(at)
        at = main.get(at)
    path.reverse()
    sizes = [spatial(shapes.get(leaf)) for leaf in path]
    pairs, sides = _u_shape(path[:-1], sizes[:-1], edges, shapes)
    return Spine(tuple(path), _stages(sizes), pairs, sides)


def _stages(sizes: list) -> tuple[int, ...]:
    """A new stage where the size changes and no size seen so far comes back: ResNet's resolutions, but not
    the dip of a squeeze-and-excitation branch, which returns to the size it left."""
    last = {size: index for index, size in enumerate(sizes)}
    stages, reach = [], -1
    for index, size in enumerate(sizes):
        fresh = index > 0 and reach < index and size != sizes[index - 1]
        stages.append(stages[-1] + 1 if fresh else stages[-1] if stages else 0)
        reach = max(reach, last[size])
    return tuple(stages)


def _u_shape(path: list[str], sizes: list, edges, shapes) -> tuple[tuple, dict]:
    """The main path's spatial sizes fall, then rise (every dim together), and skips join the two halves
    at equal sizes: the decoder is everything after the lowest point."""
    if len(path) < 3 or None in sizes or len({len(s) for s in sizes}) != 1:
        return (), {}
    bottom = 0
    while bottom + 1 < len(sizes) and _within(sizes[bottom + 1], sizes[bottom]):
        bottom += 1
    rising = all(_within(low, high) for low, high in zip(sizes[bottom:], sizes[bottom + 1:]))
    if not rising or sizes[bottom] in (sizes[0], sizes[-1]):
        return (), {}
    consumers: dict[str, list[str]] = {}
    for edge in edges:
        consumers.setdefault(edge.source, []).append(edge.target)
    decoder, todo = set(), [path[bottom + 1]]
    while todo:
        leaf = todo.pop()
        if leaf not in decoder:
            decoder.add(leaf)
            todo += consumers.get(leaf, [])
    pairs = tuple(dict.fromkeys(
        (e.source, e.target) for e in edges if e.source not in decoder and e.target in decoder
        and e.source != path[bottom] and spatial(shapes.get(e.source)) == spatial(shapes.get(e.target))))
    if len({spatial(shapes[source]) for source, _ in pairs}) < _U_LEVELS:
        return (), {}
    sides = {leaf: DECODER for leaf in decoder} | {path[bottom]: BOTTOM}
    return pairs, sides | {leaf: ENCODER for leaf in shapes if leaf not in sides}


def _within(small: tuple, large: tuple) -> bool:
    return all(a <= b for a, b in zip(small, large))
