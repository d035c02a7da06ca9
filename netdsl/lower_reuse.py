"""Lowering reuses what an earlier check in this process did (netdsl.memo): a definition's resolution,
and a block instance — the block's definition with the same parameter values, seen from unchanged files,
at the same depth of block calls. Replaying an instance has every effect lowering it again would have:
its graph, its diagnostics, the resolutions it asks for (reported once per check) and the layers and
work it counts toward the limits (a replay that would pass a limit lowers the block again instead)."""

from __future__ import annotations

from . import memo, records
from . import syntax as ast
from .diagnostics import Diagnostic, Diagnostics
from .ir import Graph
from .resolve import Resolution, resolve


@records.value
class Instance:
    alive: tuple                          # the definitions whose ids are in the key
    graph: Graph
    requested: tuple[ast.Definition, ...]   # the definitions whose resolution lowering asked for, in order
    diagnostics: tuple[Diagnostic, ...]   # what lowering the block reported (resolution's aside)
    layers: int                           # layers and work counted toward the limits
    work: int


_INSTANCES = memo.LRU(512)
_RESOLUTIONS = memo.LRU(256)


def _replayable(graph: Graph) -> bool:
    """A graph with a `specialize` (a block lowered when the checker knows its sizes) holds the lowerer
    that made it, and with it that check's diagnostics: it is not reused."""
    if graph.specialize is not None:
        return False
    return all((node.block is None or _replayable(node.block)) and
               (node.learnable is None or node.learnable.stages is None or _replayable(node.learnable.stages))
               for node in graph.nodes)


class ReuseLowering:
    """Part of netdsl.lower._Lowerer: the resolutions and block instances of earlier checks."""

    def resolution(self, definition: ast.Definition) -> Resolution:
        known = self.resolutions.get(id(definition))
        if known is None:
            known = self.resolutions[id(definition)] = self.resolved(definition)
        for requested in self.requesting:
            requested.setdefault(id(definition), definition)
        return known

    def resolved(self, definition: ast.Definition) -> Resolution:
        """Resolve a definition (once per check), or reuse its resolution: it depends on the definition, the
        names it sees and the names imports failed to give."""
        visible = self.program.visible_from(definition)
        key = (id(definition), tuple((name, id(seen)) for name, seen in visible.items()), self.program.unresolved)
        entry = _RESOLUTIONS.get(key)
        if entry is memo.MISSING:
            scratch, since = Diagnostics(), memo.epoch()
            entry = ((definition, *visible.values()), resolve(self.program, definition, scratch), tuple(scratch.items))
            _RESOLUTIONS.put(key, entry, since)
        for diagnostic in entry[2]:
            self.reports.add(diagnostic)
        return entry[1]

    def instance_key(self, definition: ast.Definition, params: dict) -> tuple | None:
        """Everything lowering a block instance depends on; None when a value cannot be a key."""
        in_root = definition.span.source == self.program.source
        if in_root not in self.scopes:
            self.scopes[in_root] = memo.scopes_key(self.program, with_root=in_root)
        key = (id(definition), memo.value_key(params), self.scopes[in_root], self.program.unresolved,
               tuple(self.active), self.context, tuple(sorted(self.sizes.items())), memo.modes())
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def replay(self, key: tuple | None, limits: tuple[int, int]) -> Graph | None:
        """The instance lowered before with this key, its effects replayed; None if there is none, or if it
        would pass a limit (lowering it again reports where)."""
        entry = _INSTANCES.get(key) if key is not None else memo.MISSING
        if entry is memo.MISSING or self.layers + entry.layers > limits[0] or self.work + entry.work > limits[1]:
            return None
        for definition in entry.requested:
            self.resolution(definition)
        self.layers += entry.layers
        self.work += entry.work
        for diagnostic in entry.diagnostics:
            self.diagnostics.add(diagnostic)
        return entry.graph

    def remember(self, key: tuple, since: int, graph: Graph, requested: dict, diagnostics: tuple[Diagnostic, ...],
                 layers: int, work: int) -> None:
        if _replayable(graph):
            if self.alive is None:
                self.alive = memo.alive(self.program)
            _INSTANCES.put(key, Instance(self.alive, graph, tuple(requested.values()), diagnostics,
                                         self.layers - layers, self.work - work), since)
