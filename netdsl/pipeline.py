"""The stages run in order for one spec: load → lower → check. Every command starts here."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path

from .checker import CheckedGraph, check
from .diagnostics import Diagnostics
from .lint import lint
from .lower import lower
from .program import Program, load_program
from .registry import nearest
from .source import SourceFile


@dataclass
class Analysis:
    source: SourceFile
    program: Program | None
    networks: list[CheckedGraph] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors

    def network(self, name: str | None = None) -> CheckedGraph | None:
        return next((n for n in self.networks if name is None or n.graph.name == name), None)


def analyze(source: SourceFile, network: str | None = None, overrides: dict[str, object] | None = None, *,
            allow_outside_imports: bool = False, base_dir: str | Path | None = None) -> Analysis:
    """Parse, lower and check every network in source (or only `network`). Imports resolve against
    base_dir (see program.load_program)."""
    # Every stage allocates many small, acyclic, long-lived objects: the cyclic garbage collector only
    # rescans them (about a third of the time on a 10,000-layer spec; docs/benchmarks.md).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(source, network, overrides, allow_outside_imports, base_dir)
    finally:
        if gc_was_enabled:
            gc.enable()


def _analyze(source: SourceFile, network: str | None, overrides: dict[str, object] | None,
             allow_outside_imports: bool, base_dir: str | Path | None) -> Analysis:
    overrides = overrides or {}
    diagnostics = Diagnostics()
    program = load_program(source, diagnostics, allow_outside_imports=allow_outside_imports, base_dir=base_dir)
    analysis = Analysis(source, program, diagnostics=diagnostics)
    if program is None:
        return analysis
    names = list(program.networks)
    if network is not None:
        if network not in names:
            suggestion = nearest(network, names)
            diagnostics.error("E0212", f"`{source.path}` has no network `{network}`", None,
                              help=f"did you mean `{suggestion}`?" if suggestion else
                              f"its networks are: {', '.join(names) or 'none'}")
            return analysis
        names = [network]
    declared = {p.name.name for n in names for p in program.definitions[n].params}
    unknown = [k for k in overrides if k not in declared]
    for name in unknown:
        suggestion = nearest(name, declared)
        diagnostics.error("E0209", f"`-p {name}`: no network in `{source.path}` has a parameter `{name}`", None,
                          help=f"did you mean `{suggestion}`?" if suggestion else
                          f"parameters: {', '.join(sorted(declared)) or 'none'}")
    if unknown:
        return analysis
    for name in names:
        params = {p.name.name for p in program.definitions[name].params}
        graph = lower(program, name, {k: v for k, v in overrides.items() if k in params}, diagnostics)
        if graph is not None:
            analysis.networks.append(check(graph, diagnostics))
    if not diagnostics.has_errors:  # after an error, warnings about what is left would be noise
        for checked in analysis.networks:
            lint(checked, diagnostics)
    return analysis
